// Memory on a cluster: the --mem each array asks for, runs grouped into arrays by memory class,
// runs too large for a node refused by name, and the sizes sbatch reads. With a stand-in for Slurm.
import XCTest
@testable import GeneCoding

final class GridMemoryTests: GridTestCase {

    /// A manifest whose runs need `process` GiB each at their peak (their requests: 1.25 x that + 1 GiB,
    /// whole GiB) and take `hours` each, on 2 threads.
    func manifest(process: [Double], hours: [Double]) throws -> GridManifest {
        try manifest(requests: process.map { request(process: $0, phase: "evaluation") }, hours: hours)
    }

    final class FakeSlurm: @unchecked Sendable {
        var scripts: [String] = []
        var client: SlurmClient {
            SlurmClient(showJob: { _ in .forgotten }, submit: { self.scripts.append($0); return "\(500 + self.scripts.count)" })
        }
    }

    /// The `#SBATCH` lines of a script.
    func directives(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("#SBATCH ") }.map { String($0.dropFirst(8)) }
    }

    func testTheRequestIsTheEstimateWithItsMargin() {
        // 1.25 x 0.5 + 1 = 1.625 -> 2 GiB; 1.25 x 4 + 1 = 6; 1.25 x 31 + 1 = 39.75 -> 40.
        XCTAssertEqual(MemoryRequest(tensorBytes: 0, peakPhase: "", processBytes: gib / 2).requestBytes, 2 * gib)
        XCTAssertEqual(MemoryRequest(tensorBytes: 0, peakPhase: "", processBytes: 4 * gib).requestBytes, 6 * gib)
        XCTAssertEqual(MemoryRequest(tensorBytes: 0, peakPhase: "", processBytes: 31 * gib).requestBytes, 40 * gib)
        XCTAssertEqual([1, 2, 3, 4, 5, 8, 9, 40].map { GridSubmission.memoryClass(of: $0 * gib) / gib }, [1, 2, 4, 4, 8, 8, 16, 64])
    }

    /// Runs of 2, 3, 6, 7 and 40 GiB go into four arrays (up to 2, 4, 8 and 64 GiB), largest first, each
    /// asking for its largest run's memory and twice its dearest run's time; the jobs file records which
    /// runs went where, and status and resubmit go on working.
    func testRunsAreGroupedIntoArraysByMemory() throws {
        let grid = try manifest(process: [0.5, 1.5, 4, 4.5, 31], hours: [1, 2, 3, 1, 10])
        let slurm = FakeSlurm()
        let submitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(partition: "cpu"), executable: "/opt/genecoding",
                                       workingDirectory: root.path, slurm: slurm.client)
        let outcome = try submitter.submit(.notStarted)
        XCTAssertEqual(outcome.indices, [0, 1, 2, 3, 4])
        XCTAssertEqual(outcome.arrays.map(\.indices), [[4], [2, 3], [1], [0]])
        XCTAssertEqual(outcome.arrays.map(\.memory), ["40G", "7G", "3G", "2G"])
        XCTAssertEqual(outcome.arrays.map(\.time), ["20:00:00", "06:00:00", "04:00:00", "02:00:00"])
        XCTAssertEqual(outcome.arrays.map(\.jobID), ["501", "502", "503", "504"])
        XCTAssertEqual(slurm.scripts, (1...4).map(files.script))

        // Each script asks for its own memory and time, and every array reads the one frozen copy.
        let second = try directives(files.script(2))
        for expected in ["--array=2-3", "--mem=7G", "--time=06:00:00", "--partition=cpu", "--cpus-per-task=2"] {
            XCTAssertTrue(second.contains(expected), "no '#SBATCH \(expected)' in \(second)")
        }
        XCTAssertEqual(second.filter { $0.hasPrefix("--mem") }.count, 1)
        for n in 1...4 {
            XCTAssertTrue(try String(contentsOfFile: files.script(n), encoding: .utf8).contains("--manifest '\(files.snapshot(1))'"))
        }
        XCTAssertEqual(try GridManifest(contentsOf: files.snapshot(1)), grid)

        let jobs = try GridJobs(contentsOf: files.jobs).submissions
        XCTAssertEqual(jobs.map(\.jobID), ["501", "502", "503", "504"])
        XCTAssertEqual(jobs.map(\.memory), ["40G", "7G", "3G", "2G"])
        XCTAssertEqual(jobs[1].tasks.map(\.key), [grid.runs[2].key, grid.runs[3].key])
        XCTAssertEqual(jobs.map(\.manifest), Array(repeating: files.snapshot(1), count: 4))

        // Status finds each run in its own array; a run killed for memory is resubmitted alone.
        let slurmNow: @Sendable (String) -> SlurmJobLookup = { job in
            switch job {
            case "501": return .tasks([4: SlurmTaskState(state: "PENDING")])
            case "502": return .tasks([2: SlurmTaskState(state: "OUT_OF_MEMORY", exitCode: "0:125"), 3: SlurmTaskState(state: "RUNNING")])
            case "503": return .tasks([1: SlurmTaskState(state: "RUNNING")])
            default: return .tasks([0: SlurmTaskState(state: "RUNNING")])
            }
        }
        let statuses = GridStatus.of(grid, files: files, jobs: try GridJobs(contentsOf: files.jobs), slurm: slurmNow, readFile: { _ in nil })
        XCTAssertEqual(statuses.map(\.state), [.running, .running, .failed, .running, .pending])
        XCTAssertEqual(statuses[2].task, "502_2")
        let resubmitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding", workingDirectory: root.path,
                                         slurm: SlurmClient(showJob: slurmNow, submit: { _ in "600" }))
        let again = try resubmitter.submit(.failedOnly)
        XCTAssertEqual(again.arrays.map(\.indices), [[2]])
        XCTAssertEqual(again.arrays.map(\.memory), ["6G"], "its own request: the array holds it alone")
        XCTAssertTrue(try directives(files.script(5)).contains("--array=2"))
        XCTAssertEqual(try GridJobs(contentsOf: files.jobs).submissions.map(\.jobID), ["501", "502", "503", "504", "600"])
    }

    /// --mem (or GENECODING_SLURM_MEM) gives one array for every run, and says which runs it may starve.
    func testAGivenMemoryMakesOneArray() throws {
        _ = try manifest(process: [0.5, 4, 31], hours: [1, 1, 1])
        let submitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(memory: "8G"), executable: "/opt/genecoding",
                                       workingDirectory: root.path, slurm: FakeSlurm().client)
        let outcome = try submitter.submit(.notStarted, dryRun: true)
        XCTAssertEqual(outcome.arrays.count, 1)
        XCTAssertEqual(outcome.arrays[0].memory, "8G")
        XCTAssertTrue(try directives(files.script(1)).contains("--mem=8G"))
        XCTAssertTrue(outcome.notes.contains { $0.contains("--mem 8G is below the estimate of 1 run") && $0.contains("40G") }, "\(outcome.notes)")
        XCTAssertEqual(try GridJobs(contentsOf: files.jobs).submissions, [], "a dry run records nothing")
    }

    /// --node-memory: runs that would ask for more are refused, each named with its estimate, and nothing
    /// is written; --skip-oversized submits the others and says which were left out.
    func testRunsLargerThanANodeAreRefusedByName() throws {
        let grid = try manifest(process: [0.5, 31, 4, 52], hours: [1, 1, 1, 1])
        let slurm = FakeSlurm()
        let options = SlurmOptions(nodeMemory: "32G")
        let refused = GridSubmission(manifest: files.manifest, options: options, executable: "/opt/genecoding", workingDirectory: root.path,
                                     slurm: slurm.client)
        XCTAssertThrowsError(try refused.submit(.notStarted)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("2 runs would ask for more memory than a node has (--node-memory 32G):"), message)
            XCTAssertTrue(message.contains("  run 1 (\(grid.runs[1].label)): estimated 31.0 GiB at its peak (evaluation), asks for 40G"), message)
            XCTAssertTrue(message.contains("  run 3 (\(grid.runs[3].label)): estimated 52.0 GiB at its peak (evaluation), asks for 66G"), message)
            XCTAssertFalse(message.contains("run 0 ") || message.contains("run 2 "), message)
            XCTAssertTrue(message.contains("--skip-oversized"), message)
        }
        XCTAssertEqual(slurm.scripts, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: files.script(1)), "a refused submission writes no script")
        XCTAssertFalse(FileManager.default.fileExists(atPath: files.jobs))

        let skipping = GridSubmission(manifest: files.manifest, options: options, executable: "/opt/genecoding", skipOversized: true,
                                      workingDirectory: root.path, slurm: slurm.client)
        let outcome = try skipping.submit(.notStarted)
        XCTAssertEqual(outcome.skipped.map(\.index), [1, 3])
        XCTAssertEqual(outcome.indices, [0, 2])
        XCTAssertEqual(outcome.arrays.map(\.memory), ["6G", "2G"])
        XCTAssertTrue(outcome.notes.contains { $0.contains("run 1 (\(grid.runs[1].label), 40G)") && $0.contains("run 3") }, "\(outcome.notes)")

        // A --mem above the node's is refused for every run; --mem=0 (a whole node) always fits.
        XCTAssertThrowsError(try GridSubmission(manifest: files.manifest, options: SlurmOptions(memory: "64G", nodeMemory: "32G"),
                                                executable: "/opt/genecoding", slurm: FakeSlurm().client).submit(.notStarted, dryRun: true))
        XCTAssertNoThrow(try GridSubmission(manifest: files.manifest, options: SlurmOptions(memory: "0", nodeMemory: "32G"),
                                            executable: "/opt/genecoding", slurm: FakeSlurm().client).submit(.notStarted, dryRun: true))
    }

    /// A manifest written before memory was estimated: its runs are estimated from their data when it
    /// can be read, and otherwise their array asks for the cluster's default, saying so.
    func testAManifestWithoutEstimates() throws {
        try SyntheticGUE.make(in: root.appendingPathComponent("gue"))
        let executor = RunExecutor(gue: GUE(root: root.appendingPathComponent("gue")), store: ResultStore(root: root.appendingPathComponent("results")))
        let run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), profile: .smoke, seed: 1)
        var grid = try GridManifest.pending([run], executor: executor, source: "old", renderCommand: [], threadsPerRun: 1)
        let estimated = grid.runs[0].memory
        XCTAssertNotNil(estimated)
        grid.runs[0].memory = nil
        XCTAssertEqual(grid.memoryRequests(), [estimated])
        grid.runs[0].gue = root.appendingPathComponent("elsewhere").path
        XCTAssertEqual(grid.memoryRequests(), [nil])
        try grid.write(to: files.manifest)
        let outcome = try GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                         workingDirectory: root.path, slurm: FakeSlurm().client).submit(.notStarted, dryRun: true)
        XCTAssertEqual(outcome.arrays.map(\.memory), [nil])
        XCTAssertFalse(try directives(files.script(1)).contains { $0.hasPrefix("--mem") })
        XCTAssertTrue(outcome.notes.contains { $0.contains("no memory estimate") }, "\(outcome.notes)")
    }

    func testMemorySizesAsSbatchReadsThem() throws {
        XCTAssertEqual(try Slurm.bytes(memory: "64G", option: "--mem"), 64 * gib)
        XCTAssertEqual(try Slurm.bytes(memory: "64GB", option: "--mem"), 64 * gib)
        XCTAssertEqual(try Slurm.bytes(memory: "4096", option: "--mem"), 4 * gib, "megabytes without a unit")
        XCTAssertEqual(try Slurm.bytes(memory: "512m", option: "--mem"), 512 << 20)
        XCTAssertEqual(try Slurm.bytes(memory: "1T", option: "--mem"), 1024 * gib)
        XCTAssertEqual(try Slurm.bytes(memory: "0", option: "--mem", allowingZero: true), 0)
        for bad in ["", "G", "64X", "-4G", "4.5G", "0"] {
            XCTAssertThrowsError(try Slurm.bytes(memory: bad, option: "--node-memory"), bad) { XCTAssertTrue("\($0)".contains("--node-memory"), "\($0)") }
        }
        XCTAssertEqual(Slurm.memory(bytes: 40 * gib), "40G")
        XCTAssertEqual(Slurm.memory(bytes: 3 * gib / 2), "1536M")
        XCTAssertEqual(Slurm.memory(bytes: gib + 1), "1025M")
        XCTAssertThrowsError(try SlurmOptions(memory: "lots").validate())
        XCTAssertEqual(try SlurmOptions.fromEnvironment(["GENECODING_SLURM_NODE_MEMORY": "256G"]).nodeMemory, "256G")
        XCTAssertThrowsError(try SlurmOptions.fromEnvironment(["GENECODING_SLURM_NODE_MEMORY": "big"]))
    }
}
