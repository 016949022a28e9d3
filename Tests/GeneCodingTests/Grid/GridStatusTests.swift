// Where a grid's runs stand, read from a result store, the jobs file and a stand-in for Slurm; and
// submitting, which must never submit a run that is done, waiting or running.
import XCTest
@testable import GeneCoding

final class GridStatusTests: XCTestCase {
    var root: URL!
    var store: ResultStore!
    var files: GridFiles!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-status-\(UUID().uuidString)")
        store = ResultStore(root: root.appendingPathComponent("results"))
        files = GridFiles(manifest: root.appendingPathComponent("grids/grid.json").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// `count` runs with made-up keys (status never computes keys; it looks them up).
    func manifest(_ count: Int) -> GridManifest {
        let entries = (0..<count).map { i -> GridManifest.Entry in
            let run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), profile: .smoke, seed: UInt64(i))
            return GridManifest.Entry(key: String(repeating: String(i, radix: 16), count: 64), label: run.label, run: run, profile: "smoke",
                                      gue: root.appendingPathComponent("gue").path, results: store.root.path, estimatedSeconds: 90)
        }
        return GridManifest(source: "grid", renderCommand: ["chapter"], threadsPerRun: 1, runs: entries,
                            created: Date(timeIntervalSince1970: 1_800_000_000))
    }

    func store(_ entry: GridManifest.Entry, _ status: RunRecord.Status = .done) throws {
        try store.save(fabricatedRecord(entry.run, key: entry.key, status: status))
    }

    func submission(_ job: String, _ grid: GridManifest, _ indices: [Int]) -> GridJobs.Submission {
        GridJobs.Submission(jobID: job, submitted: Date(timeIntervalSince1970: 1_800_000_000), script: "s", manifest: "m",
                            tasks: indices.map { GridJobs.Task(index: $0, key: grid.runs[$0].key) })
    }

    func testEveryStateIsCountedFromTheStoreSlurmAndTheLogs() throws {
        let grid = manifest(8)
        try store(grid.runs[0])
        try store(grid.runs[1], .failed)  // diverged: a result, not a failed task
        let jobs = GridJobs(submissions: [submission("40", grid, [2, 3, 4, 5, 6])])
        let slurm: (String) -> SlurmJobLookup = { job in
            XCTAssertEqual(job, "40")
            return .tasks([2: SlurmTaskState(state: "RUNNING"), 3: SlurmTaskState(state: "PENDING", reason: "Resources"),
                           4: SlurmTaskState(state: "OUT_OF_MEMORY", exitCode: "0:125"), 5: SlurmTaskState(state: "COMPLETED")])
        }
        let logs = [files.log(job: "40", index: 4): "run 4 of 8\nslurmstepd: error: Detected 1 oom_kill event\n\n"]
        let statuses = GridStatus.of(grid, files: files, jobs: jobs, slurm: slurm, readFile: { logs[$0] })
        XCTAssertEqual(statuses.map(\.state), [.done, .done, .running, .pending, .failed, .failed, .failed, .unsubmitted])
        XCTAssertEqual(GridStatus.counts(statuses), [.done: 2, .running: 1, .pending: 1, .failed: 3, .unsubmitted: 1, .unknown: 0])
        XCTAssertEqual(GridStatus.summary(statuses),
                       "8 runs: 2 done, 1 running, 1 pending, 3 failed, 1 unsubmitted (1 of the done diverged and are recorded as failed)")
        XCTAssertNil(statuses[0].detail)
        XCTAssertEqual(statuses[3].detail, "Resources")
        XCTAssertEqual(statuses[4].task, "40_4")
        XCTAssertEqual(statuses[4].log, files.log(job: "40", index: 4))
        XCTAssertTrue(statuses[4].detail!.contains("OUT_OF_MEMORY") && statuses[4].detail!.contains("oom_kill"), statuses[4].detail!)
        XCTAssertTrue(statuses[5].detail!.contains("no record"), "a task that completed without a record: \(statuses[5].detail!)")
        XCTAssertTrue(statuses[6].detail!.contains("cancelled before it started"), "gone from the queue, no log: \(statuses[6].detail!)")
    }

    func testAJobSlurmForgotIsJudgedByItsLogAndTheLatestSubmissionCounts() throws {
        let grid = manifest(3)
        // Run 0 failed in job 40 and was resubmitted in job 41, where it runs.
        let jobs = GridJobs(submissions: [submission("40", grid, [0, 1, 2]), submission("41", grid, [0])])
        let slurm: (String) -> SlurmJobLookup = { $0 == "41" ? .tasks([0: SlurmTaskState(state: "RUNNING")]) : .forgotten }
        let logs = [files.log(job: "40", index: 1): "Error: the tf/0 split is empty\n"]
        let statuses = GridStatus.of(grid, files: files, jobs: jobs, slurm: slurm, readFile: { logs[$0] })
        XCTAssertEqual(statuses.map(\.state), [.running, .failed, .failed])
        XCTAssertEqual(statuses[0].task, "41_0")
        XCTAssertTrue(statuses[1].detail!.hasSuffix("Error: the tf/0 split is empty"), statuses[1].detail!)

        let unreachable = GridStatus.of(grid, files: files, jobs: jobs, slurm: { _ in .unavailable("connection refused") }, readFile: { _ in nil })
        XCTAssertEqual(unreachable.map(\.state), [.unknown, .unknown, .unknown])
        XCTAssertTrue(unreachable[0].detail!.contains("connection refused"))
    }

    /// Submit, submit again, fail, resubmit: with a stand-in Slurm that records what it was given.
    func testSubmittingSendsOnlyWhatIsNeitherDoneNorAlive() throws {
        let grid = manifest(5)
        try grid.write(to: files.manifest)
        try store(grid.runs[1])
        final class FakeSlurm: @unchecked Sendable {
            var scripts: [String] = []
            var tasks: [String: [Int: SlurmTaskState]] = [:]
            var client: SlurmClient {
                SlurmClient(showJob: { self.tasks[$0].map { .tasks($0) } ?? .forgotten },
                            submit: { self.scripts.append($0); return "\(100 + self.scripts.count)" })
            }
        }
        let slurm = FakeSlurm()
        let submitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                       workingDirectory: root.path, slurm: slurm.client)

        // A dry run writes the script and submits nothing.
        let dry = try submitter.submit(.notStarted, dryRun: true)
        XCTAssertEqual(dry.indices, [0, 2, 3, 4])
        XCTAssertNil(dry.jobID)
        XCTAssertEqual(slurm.scripts, [])
        XCTAssertEqual(try GridJobs(contentsOf: files.jobs).submissions, [])

        let first = try submitter.submit(.notStarted)
        XCTAssertEqual(first.jobID, "101")
        XCTAssertEqual(first.time, "00:10:00", "90 s estimated: the 10-minute floor")
        let script = try String(contentsOfFile: files.script(1), encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --array=0,2-4\n"), script)
        XCTAssertTrue(script.contains("--manifest '\(files.snapshot(1))'"), "tasks must read the frozen copy:\n\(script)")
        XCTAssertEqual(try GridManifest(contentsOf: files.snapshot(1)), grid)
        XCTAssertTrue(FileManager.default.fileExists(atPath: files.logDirectory), "Slurm fails tasks whose log folder is missing")
        let recorded = try GridJobs(contentsOf: files.jobs).submissions
        XCTAssertEqual(recorded.map(\.jobID), ["101"])
        XCTAssertEqual(recorded[0].tasks.map(\.key), [0, 2, 3, 4].map { grid.runs[$0].key })

        // While the array waits or runs, submitting again submits nothing.
        slurm.tasks["101"] = [0: SlurmTaskState(state: "RUNNING"), 2: SlurmTaskState(state: "PENDING"),
                              3: SlurmTaskState(state: "PENDING"), 4: SlurmTaskState(state: "PENDING")]
        XCTAssertNil(try submitter.submit(.notStarted).jobID)
        XCTAssertEqual(slurm.scripts.count, 1)

        // Run 3 times out, the others finish: resubmit takes index 3 alone.
        try store(grid.runs[0]); try store(grid.runs[2]); try store(grid.runs[4])
        slurm.tasks["101"]![3] = SlurmTaskState(state: "TIMEOUT", exitCode: "0:15")
        let again = try submitter.submit(.failedOnly)
        XCTAssertEqual(again.indices, [3])
        XCTAssertEqual(again.jobID, "102")
        XCTAssertTrue(try String(contentsOfFile: files.script(2), encoding: .utf8).contains("#SBATCH --array=3\n"))
        XCTAssertEqual(try GridJobs(contentsOf: files.jobs).submissions.map(\.jobID), ["101", "102"])
    }

    func testResubmitLeavesNeverSubmittedRunsToSubmit() throws {
        let grid = manifest(2)
        try grid.write(to: files.manifest)
        let submitter = GridSubmission(manifest: files.manifest, options: SlurmOptions(), executable: "/opt/genecoding",
                                       slurm: SlurmClient(showJob: { _ in .forgotten }, submit: { _ in XCTFail("nothing to submit"); return "0" }))
        let outcome = try submitter.submit(.failedOnly)
        XCTAssertEqual(outcome.indices, [])
        XCTAssertNil(outcome.script)
    }
}
