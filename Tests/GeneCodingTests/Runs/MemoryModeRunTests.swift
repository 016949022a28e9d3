// Memory modes as a runtime option: a run trained in each mode stores the same result (test scores,
// loss curve, the model's bytes) under the same key, its record notes the mode; GENECODING_MEMORY and
// `auto` choose as documented; grid submit and plan choose each run's mode by a node's memory.
import Foundation
import XCTest
@testable import GeneCoding

final class MemoryModeRunTests: StoreTestCase {
    private func run() -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 1, overlapping: false), positionEncoding: .alibi, profile: .smoke, seed: 2)
        (run.width, run.heads, run.feedForwardWidth, run.layers, run.epochs, run.batchSize) = (16, 2, 32, 2, 2, 8)
        (run.trainLimit, run.devLimit, run.testLimit) = (32, 16, 16)
        run.dropout = 0.1
        return run
    }

    /// Each mode in its own store: the same key, the same scores and loss curve, the same model bytes.
    func testEveryModeStoresTheSameResult() throws {
        var records: [MemoryMode: RunRecord] = [:]
        for mode in MemoryMode.allCases {
            let store = ResultStore(root: root.appendingPathComponent("results-\(mode.rawValue)"))
            let executor = RunExecutor(gue: self.executor.gue, store: store)
            executor.log = { _ in }
            executor.memoryMode = .fixed(mode)
            records[mode] = try executor.execute(run(), threads: 1)
        }
        let reference = records[.keepAll]!
        XCTAssertEqual(reference.memoryMode, .keepAll)
        XCTAssertNotNil(reference.modelSHA256)
        for mode in MemoryMode.allCases where mode != .keepAll {
            let record = records[mode]!
            XCTAssertEqual(record.memoryMode, mode, "the record notes the mode")
            XCTAssertEqual(record.key, reference.key, "the mode is not part of the key")
            XCTAssertEqual(record.modelSHA256, reference.modelSHA256, "\(mode): the stored model's bytes differ from keepAll's")
            XCTAssertEqual(record.outcome?.lossCurve.map(\.bitPattern), reference.outcome?.lossCurve.map(\.bitPattern), "\(mode): loss curve")
            XCTAssertEqual(record.outcome?.test, reference.outcome?.test, "\(mode): test scores")
            XCTAssertEqual(record.outcome?.evaluations, reference.outcome?.evaluations, "\(mode): dev and train curves")
            XCTAssertEqual(record.outcome?.testPredictions, reference.outcome?.testPredictions)
        }
    }

    func testTheEnvironmentVariableAndItsErrors() throws {
        XCTAssertNil(try MemoryModeChoice.fromEnvironment([:]))
        XCTAssertNil(try MemoryModeChoice.fromEnvironment(["GENECODING_MEMORY": ""]))
        XCTAssertEqual(try MemoryModeChoice.fromEnvironment(["GENECODING_MEMORY": "attention"]), .fixed(.recomputeAttention))
        XCTAssertEqual(try MemoryModeChoice.fromEnvironment(["GENECODING_MEMORY": "auto"]), .auto)
        XCTAssertThrowsError(try MemoryModeChoice.fromEnvironment(["GENECODING_MEMORY": "little"])) { error in
            XCTAssertTrue("\(error)".contains("GENECODING_MEMORY=little: give one of keep, attention, layers, auto"), "\(error)")
        }
        XCTAssertEqual(MemoryModeChoice.words, ["keep", "attention", "layers", "auto"])
    }

    /// The memory a process may use: the Slurm job's, else the cgroup's, else the machine's.
    func testAvailableMemory() {
        let mib = 1 << 20
        XCTAssertEqual(MemoryModeChoice.availableMemory(["SLURM_MEM_PER_NODE": "16384"], cgroupLimit: { 1 }).bytes, 16384 * mib)
        XCTAssertEqual(MemoryModeChoice.availableMemory(["SLURM_MEM_PER_CPU": "2000", "SLURM_CPUS_PER_TASK": "4"], cgroupLimit: { 1 }).bytes,
                       8000 * mib)
        XCTAssertEqual(MemoryModeChoice.availableMemory([:], cgroupLimit: { 12345 }).bytes, 12345)
        XCTAssertEqual(MemoryModeChoice.availableMemory([:], cgroupLimit: { nil }).bytes, Int(ProcessInfo.processInfo.physicalMemory))
    }

    /// `auto` takes the fastest mode whose request fits, and the one that needs least when none does.
    func testAutoTakesTheFastestModeThatFits() throws {
        let request = try executor.memoryRequest(run(), threads: 1)
        let modes = try XCTUnwrap(request.modes)
        XCTAssertEqual(modes.map(\.memoryMode), MemoryMode.fastestFirst)
        XCTAssertEqual(request.memoryMode, .keepAll)
        let fake = { (gib: Int) in MemoryRequest(tensorBytes: 0, peakPhase: "", processBytes: gib << 30) }
        let requests: [(mode: MemoryMode, request: MemoryRequest)] = [(.keepAll, fake(40)), (.recomputeAttention, fake(20)), (.recomputeLayers, fake(8))]
        // Requests: 1.25 x process + 1 GiB, whole GiB: 51, 26 and 11 GiB.
        XCTAssertEqual(MemoryModeChoice.fastestFitting(requests, available: 64 << 30).mode, .keepAll)
        XCTAssertEqual(MemoryModeChoice.fastestFitting(requests, available: 32 << 30).mode, .recomputeAttention)
        XCTAssertEqual(MemoryModeChoice.fastestFitting(requests, available: 16 << 30).mode, .recomputeLayers)
        let none = MemoryModeChoice.fastestFitting(requests, available: 4 << 30)
        XCTAssertEqual(none.mode, .recomputeLayers)
        XCTAssertFalse(none.fits)

        // The executor with `auto` on a machine that holds keepAll's request chooses keepAll.
        executor.memoryMode = .auto
        if MemoryModeChoice.availableMemory().bytes >= request.requestBytes {
            XCTAssertEqual(try executor.chosenMemoryMode(run(), threads: 1), .keepAll)
        }
        executor.memoryMode = .fixed(.recomputeLayers)
        XCTAssertEqual(try executor.chosenMemoryMode(run(), threads: 1), .recomputeLayers)
    }
}

/// `grid submit --memory` and `grid plan --memory` with per-mode requests in the manifest.
final class GridMemoryModeTests: GridTestCase {

    /// Runs whose process needs `keep`, `attention` and `layers` GiB in the three modes, an hour each.
    func manifest(_ processes: [(keep: Double, attention: Double, layers: Double)]) throws -> GridManifest {
        let requests = processes.map { p -> MemoryRequest in
            let modes = zip(MemoryMode.fastestFirst, [p.keep, p.attention, p.layers]).map { mode, process -> MemoryRequest in
                var inMode = request(process: process, phase: "training step")
                inMode.memoryMode = mode
                return inMode
            }
            var memory = modes[0]
            memory.modes = modes
            return memory
        }
        return try manifest(requests: requests, hours: processes.map { _ in 1 })
    }

    /// On 16 GiB nodes, with --memory auto: a run that fits keeping everything keeps everything, one that
    /// fits only recomputing attention does that, the next recomputes layers, and one that fits in no
    /// mode is refused by name. The arrays are one per mode, each script passing its mode to run-one.
    func testAutoChoosesEachRunsModeByTheNode() throws {
        // Requests (1.25 x process + 1 GiB, whole GiB): keep 8, 26, 51, 101; attention 6, 13, 26, 64; layers 5, 8, 11, 40.
        _ = try manifest([(5.5, 3.5, 3), (20, 9.5, 5.5), (40, 20, 8), (80, 50, 31)])
        var submitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(nodeMemory: "16G"), executable: "/opt/genecoding",
                                       workingDirectory: root.path, slurm: SlurmClient(showJob: { _ in .forgotten }, submit: { _ in "7" }),
                                       memoryMode: .auto)
        XCTAssertThrowsError(try submitter.submit(.notStarted, dryRun: true)) { error in
            XCTAssertTrue("\(error)".contains("run 3 (tf/3"), "\(error)")
        }
        submitter.skipOversized = true
        let outcome = try submitter.submit(.notStarted, dryRun: true)
        XCTAssertEqual(outcome.indices, [0, 1, 2])
        XCTAssertEqual(outcome.arrays.map(\.memoryMode), [.recomputeAttention, .recomputeLayers, .keepAll])
        XCTAssertEqual(outcome.arrays.map(\.indices), [[1], [2], [0]])
        XCTAssertEqual(outcome.arrays.map(\.memory), ["13G", "11G", "8G"])
        for array in outcome.arrays {
            let text = try String(contentsOfFile: array.script, encoding: .utf8)
            XCTAssertTrue(text.contains("--threads 2 --memory \(array.memoryMode!.rawValue)"), text)
        }
        XCTAssertTrue(outcome.notes.contains { $0.contains("keep for 1 run, attention for 1 run, layers for 1 run") }, "\(outcome.notes)")

        // Without a node's memory, auto has nothing to choose by.
        let unbounded = GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                       workingDirectory: root.path, memoryMode: .auto)
        XCTAssertThrowsError(try unbounded.submit(.notStarted, dryRun: true)) { XCTAssertTrue("\($0)".contains("give --node-memory"), "\($0)") }
        // A fixed mode asks for that mode's memory for every run; no mode passes none.
        let fixed = try GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                       workingDirectory: root.path, memoryMode: .fixed(.recomputeLayers)).submit(.notStarted, dryRun: true)
        XCTAssertEqual(fixed.arrays.map(\.memory), ["40G", "11G", "8G"], "requests 5, 8, 11 and 40 GiB in classes 8, 8, 16 and 64")
        XCTAssertTrue(fixed.arrays.allSatisfy { $0.memoryMode == .recomputeLayers })
        let plain = try GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                       workingDirectory: root.path).submit(.notStarted, dryRun: true)
        XCTAssertEqual(plain.arrays.map(\.memory), ["101G", "51G", "26G", "8G"])
        XCTAssertFalse(try String(contentsOfFile: plain.arrays[0].script, encoding: .utf8).contains("--memory"))
    }

    /// The plan's mode table, and packing each run in the fastest mode that fits a node.
    func testThePlanByMode() throws {
        let grid = try manifest([(5.5, 3.5, 3), (20, 9.5, 5.5), (40, 20, 8), (80, 50, 31)])
        let cluster = GridPlan.Cluster(nodes: 2, coresPerNode: 4, memoryPerNode: 16 * gib)
        let plan = GridPlan(grid)
        XCTAssertEqual(plan.packed(on: cluster).unplaceable.count, 3, "keeping everything, three runs fit no node")
        let auto = plan.inMemoryMode(.auto, nodeMemory: cluster.memoryPerNode)
        XCTAssertEqual(auto.runs.map(\.memoryMode), [.keepAll, .recomputeAttention, .recomputeLayers, .recomputeLayers])
        XCTAssertEqual(auto.packed(on: cluster).unplaceable.map(\.index), [3])
        let table = try XCTUnwrap(GridPlan.modeTable([auto], cluster: cluster)).markdown()
        let cells = table.replacingOccurrences(of: " +", with: " ", options: .regularExpression)   // columns are padded
        for row in ["| keep | keep every activation | 101 GiB | 1 of 4 |", "| attention | recompute attention probabilities | 64 GiB | 2 of 4 |",
                    "| layers | recompute whole layers | 40 GiB | 3 of 4 |"] {
            XCTAssertTrue(cells.contains(row), "no '\(row)' in\n\(table)")
        }
        XCTAssertTrue(GridPlan.markdown([auto], cluster: cluster).contains(table))
    }
}
