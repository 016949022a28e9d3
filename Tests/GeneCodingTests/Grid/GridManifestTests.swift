// Grid manifests: which runs go in, what each entry carries, and the file's round trip.
import XCTest
@testable import GeneCoding

/// A stored record made without training: status and manifests only look at its key and status.
func fabricatedRecord(_ run: Run, key: String, status: RunRecord.Status = .done) -> RunRecord {
    RunRecord(key: key, run: run, status: status, failure: status == .failed ? "training diverged: loss nan" : nil,
              outcome: nil, croppedTests: nil, tokenizerStatistics: nil, vocabularySize: 69, maxLength: 26, truncated: [:],
              parameters: 1000, taskNote: nil, dataHashes: [:], engineVersion: engineVersion, commit: "test", threads: 1,
              wallSeconds: 1, finished: Date(timeIntervalSince1970: 1_800_000_000))
}

final class GridManifestTests: StoreTestCase {

    func run(seed: UInt64) -> Run {
        Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), profile: .smoke, seed: seed)
    }

    func testOnlyRunsMissingFromTheStoreGoInOnceEachInGridOrder() throws {
        let stored = run(seed: 2)
        try executor.store.save(fabricatedRecord(stored, key: try executor.key(stored)))
        let grid = [run(seed: 1), stored, run(seed: 3), run(seed: 1)]
        let manifest = try GridManifest.pending(grid, executor: executor, source: "test-grid", renderCommand: ["chapter", "--profile", "smoke"],
                                                threadsPerRun: 2)
        XCTAssertEqual(manifest.runs.map(\.run.seed), [1, 3], "the stored run and the repeated one must be left out")
        for entry in manifest.runs {
            XCTAssertEqual(entry.key, try executor.key(entry.run))
            XCTAssertEqual(entry.label, entry.run.label)
            XCTAssertEqual(entry.profile, "smoke")
            XCTAssertEqual(entry.gue, root.appendingPathComponent("gue").path)
            XCTAssertEqual(entry.results, root.appendingPathComponent("results").path)
            XCTAssertGreaterThan(entry.estimatedSeconds, RunCostEstimate.overheadSeconds)
            XCTAssertEqual(entry.memory, try executor.memoryRequest(entry.run, threads: 2))
        }
        XCTAssertEqual(manifest.threadsPerRun, 2)
        XCTAssertEqual(manifest.engineVersion, engineVersion)

        // Nothing missing, nothing listed.
        for r in manifest.runs.map(\.run) { try executor.store.save(fabricatedRecord(r, key: try executor.key(r))) }
        XCTAssertTrue(try GridManifest.pending(grid, executor: executor, source: "test-grid", renderCommand: [], threadsPerRun: 1).runs.isEmpty)
    }

    func testTheManifestRoundTripsThroughItsFile() throws {
        var manifest = try GridManifest.pending([run(seed: 1), run(seed: 2)], executor: executor, source: "01-tokenization",
                                                renderCommand: ["Chapter01Tokenization", "--results", "/shared/r s"], threadsPerRun: 1)
        manifest.created = Date(timeIntervalSince1970: 1_800_000_000)  // the file keeps whole seconds
        let path = root.appendingPathComponent("grids/01-tokenization.json").path
        try manifest.write(to: path)
        XCTAssertEqual(try GridManifest(contentsOf: path), manifest)
        XCTAssertEqual(AtomicFile.leftoverTemporaries(of: path), [])

        // Each entry names everything a task on another node needs, in plain JSON.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let entry = (json["runs"] as! [[String: Any]])[0]
        XCTAssertEqual(Set(entry.keys), ["key", "label", "run", "profile", "gue", "results", "estimatedSeconds", "memory"])
        XCTAssertEqual(Set((entry["memory"] as! [String: Any]).keys), ["tensorBytes", "peakPhase", "processBytes", "requestBytes", "memoryMode", "modes"])
        // The request in each memory mode, fastest first.
        let modes = (entry["memory"] as! [String: Any])["modes"] as! [[String: Any]]
        XCTAssertEqual(modes.map { $0["memoryMode"] as? String }, ["keep", "attention", "layers"])
        XCTAssertEqual((entry["run"] as! [String: Any])["tokenizer"] as? String, "kmer:3")
    }

    func testAManifestThatIsNotOneIsNamed() throws {
        let path = root.appendingPathComponent("not-a-manifest.json").path
        try "{\"runs\": 3}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GridManifest(contentsOf: path)) { XCTAssertTrue("\($0)".contains(path), "\($0)") }
        XCTAssertThrowsError(try GridManifest(contentsOf: path + ".missing")) { XCTAssertTrue("\($0)".contains("no such manifest"), "\($0)") }
        let manifest = GridManifest(source: "x", renderCommand: [], threadsPerRun: 1, runs: [])
        XCTAssertThrowsError(try manifest.entry(at: 0)) { XCTAssertTrue("\($0)".contains("outside"), "\($0)") }
    }

    func testFilesBesideTheManifest() {
        let files = GridFiles(manifest: "/shared/grids/01-tokenization.json")
        XCTAssertEqual(files.jobs, "/shared/grids/01-tokenization.jobs.json")
        XCTAssertEqual(files.script(2), "/shared/grids/01-tokenization.submit-2.sbatch")
        XCTAssertEqual(files.snapshot(2), "/shared/grids/01-tokenization.submit-2.json")
        XCTAssertEqual(files.log(job: "812", index: 7), "/shared/grids/01-tokenization.logs/812_7.out")
        XCTAssertEqual(absolutePath("a/../b"), FileManager.default.currentDirectoryPath + "/b")
    }

    func testTheBackendComesFromTheEnvironment() throws {
        XCTAssertEqual(try GridBackend.fromEnvironment([:]), .local)
        XCTAssertEqual(try GridBackend.fromEnvironment(["GENECODING_BACKEND": "local"]), .local)
        XCTAssertEqual(try GridBackend.fromEnvironment(["GENECODING_BACKEND": "manifest", "GENECODING_MANIFEST": "/m.json"]), .manifest(path: "/m.json"))
        XCTAssertEqual(try GridBackend.fromEnvironment(["GENECODING_BACKEND": "slurm", "GENECODING_SLURM_TIME": "2:00:00"]),
                       .slurm(manifest: nil, options: SlurmOptions(time: "2:00:00")))
        XCTAssertThrowsError(try GridBackend.fromEnvironment(["GENECODING_BACKEND": "pbs"]))
    }

    /// What a chapter does under GENECODING_BACKEND=manifest: the missing runs are written down and
    /// the chapter is told to stop; with nothing missing it is told to go on.
    func testHandingOffWritesTheManifestOnlyWhenRunsAreMissing() throws {
        let grid = [run(seed: 1), run(seed: 2)]
        let path = root.appendingPathComponent("grids/chapter.json").path
        let message = try GridBackend.manifest(path: path).handOff(grid, source: "chapter", executor: executor, threadsPerRun: 1, renderCommand: ["chapter"])
        XCTAssertNotNil(message)
        XCTAssertTrue(message!.contains(path), message!)
        XCTAssertEqual(try GridManifest(contentsOf: path).runs.count, 2)
        XCTAssertNil(try GridBackend.local.handOff(grid, source: "chapter", executor: executor, threadsPerRun: 1))

        for r in grid { try executor.store.save(fabricatedRecord(r, key: try executor.key(r))) }
        XCTAssertNil(try GridBackend.manifest(path: path).handOff(grid, source: "chapter", executor: executor, threadsPerRun: 1),
                     "with every run stored the chapter must render")
        XCTAssertEqual(GridBackend.defaultManifestPath(source: "01-tokenization", store: executor.store),
                       root.appendingPathComponent("results/grids/01-tokenization.json").path)
    }

    /// GENECODING_BACKEND=slurm: the manifest is written and submitted in one step, and a second
    /// chapter run while the array waits submits nothing.
    func testTheSlurmBackendSubmitsTheMissingRunsOnce() throws {
        final class Submitted: @unchecked Sendable { var scripts: [String] = [] }
        let submitted = Submitted()
        let slurm = SlurmClient(showJob: { _ in .tasks([0: SlurmTaskState(state: "PENDING"), 1: SlurmTaskState(state: "RUNNING")]) },
                                submit: { submitted.scripts.append($0); return "77" })
        let backend = GridBackend.slurm(manifest: nil, options: SlurmOptions(partition: "cpu"))
        let grid = [run(seed: 1), run(seed: 2)]
        let environment = ["GENECODING_EXECUTABLE": "/bin/true"]
        let message = try backend.handOff(grid, source: "chapter", executor: executor, threadsPerRun: 1, environment: environment, slurm: slurm)
        XCTAssertTrue(message?.contains("Submitted Slurm job array 77") == true, message ?? "nil")
        XCTAssertEqual(submitted.scripts.count, 1)
        let script = try String(contentsOfFile: submitted.scripts[0], encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --partition=cpu\n") && script.contains("exec '/bin/true' grid run-one"), script)

        let again = try backend.handOff(grid, source: "chapter", executor: executor, threadsPerRun: 1, environment: environment, slurm: slurm)
        XCTAssertTrue(again?.contains("Nothing submitted") == true, again ?? "nil")
        XCTAssertEqual(submitted.scripts.count, 1, "runs waiting or running must not be submitted twice")
    }
}
