// Where each run of a manifest stands: done, running, pending (waiting in Slurm's queue), failed,
// unsubmitted, or unknown (Slurm could not be asked).
//
// The result store decides first: a run with a record is done, whatever Slurm says (a record of a
// diverged run counts too: it is a result, and training it again gives the same). For the others
// the latest submission that included the run is asked about, by its job id and the index the run
// had in that submission. A task Slurm has ended without a record failed; so did one Slurm no
// longer remembers (MinJobAge) if it left a log, or if it never started (cancelled while queued).
import Foundation

public struct GridRunStatus: Hashable, Sendable {
    public enum State: String, CaseIterable, Sendable {
        case done, running, pending, failed, unsubmitted, unknown
    }

    /// The run's position in the manifest.
    public var index: Int
    public var key: String
    public var label: String
    public var state: State
    /// `job_index` of the latest submission that included the run.
    public var task: String?
    /// Why it failed, what Slurm last said, or that a done run diverged.
    public var detail: String?
    /// The task's log, when it wrote one.
    public var log: String?
}

/// The jobs submitted for one manifest, kept beside it (`GridFiles.jobs`).
public struct GridJobs: Codable, Hashable, Sendable {
    public struct Task: Codable, Hashable, Sendable {
        /// The array index: the run's position in the submission's manifest snapshot.
        public var index: Int
        public var key: String
    }

    public struct Submission: Codable, Hashable, Sendable {
        public var jobID: String
        public var submitted: Date
        public var script: String
        /// The copy of the manifest the tasks read: the manifest itself may be rewritten meanwhile.
        public var manifest: String
        public var tasks: [Task]
        /// What each task asked for: --mem and --time (nil in jobs files written before they were recorded).
        public var memory: String? = nil
        public var time: String? = nil
    }

    public var submissions: [Submission] = []

    public init(submissions: [Submission] = []) { self.submissions = submissions }

    /// The jobs of a manifest: none when nothing was submitted yet.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        do { self = try ResultStore.decoder.decode(GridJobs.self, from: data) } catch {
            throw InputError(file: path, "not a list of grid jobs: \(error)")
        }
    }

    public func write(to path: String) throws {
        try AtomicFile.write(try ResultStore.encoder.encode(self), to: path)
    }

    /// The latest submission that included run `key`, and the run's array index in it.
    public func latest(for key: String) -> (submission: Submission, index: Int)? {
        for submission in submissions.reversed() {
            if let task = submission.tasks.first(where: { $0.key == key }) { return (submission, task.index) }
        }
        return nil
    }
}

public enum GridStatus {
    /// The state of every run of `manifest`. `slurm` is asked once per job; `readFile` gives a log's
    /// text, or nil when there is none.
    public static func of(_ manifest: GridManifest, files: GridFiles, jobs: GridJobs,
                          slurm: (String) -> SlurmJobLookup,
                          readFile: (String) -> String? = { FileManager.default.contents(atPath: $0).map { String(decoding: $0, as: UTF8.self) } })
        -> [GridRunStatus]
    {
        var lookups: [String: SlurmJobLookup] = [:]
        func lookup(_ job: String) -> SlurmJobLookup {
            if let known = lookups[job] { return known }
            let fresh = slurm(job)
            lookups[job] = fresh
            return fresh
        }
        func stored(_ entry: GridManifest.Entry) -> RunRecord? {
            ResultStore(root: URL(fileURLWithPath: entry.results)).record(entry.key)
        }
        return manifest.runs.enumerated().map { index, entry in
            var status = GridRunStatus(index: index, key: entry.key, label: entry.label, state: .unsubmitted)
            if let record = stored(entry) {
                status.state = .done
                if record.status == .failed { status.detail = "diverged: \(record.failure ?? "recorded as failed"); a rerun gives the same" }
                return status
            }
            guard let (submission, taskIndex) = jobs.latest(for: entry.key) else { return status }
            status.task = "\(submission.jobID)_\(taskIndex)"
            let logPath = files.log(job: submission.jobID, index: taskIndex)
            let log = readFile(logPath)
            if log != nil { status.log = logPath }
            let lastLine = log.flatMap(Self.reason(inLog:))
            switch lookup(submission.jobID) {
            case let .tasks(tasks):
                if let task = tasks[taskIndex] {
                    switch task.phase {
                    case .waiting:
                        status.state = .pending
                        status.detail = task.reason == "None" ? nil : task.reason
                    case .running:
                        status.state = .running
                    case .ended:
                        // The record may have landed between reading the store and asking Slurm.
                        if stored(entry) != nil { status.state = .done; return status }
                        status.state = .failed
                        status.detail = "\(task.state), exit \(task.exitCode)" + (task.state == "COMPLETED" ? " but no record in the store" : "")
                            + (lastLine.map { ": \($0)" } ?? "")
                    }
                } else {
                    status.state = .failed
                    status.detail = "no longer in Slurm's queue, no record" + (log == nil ? " (cancelled before it started?)" : lastLine.map { ": \($0)" } ?? "")
                }
            case .forgotten:
                if stored(entry) != nil { status.state = .done; return status }
                status.state = .failed
                status.detail = log == nil ? "Slurm no longer knows the job and the task left no log (cancelled before it started?)"
                    : "ended without a record" + (lastLine.map { ": \($0)" } ?? "")
            case let .unavailable(reason):
                status.state = .unknown
                status.detail = (log == nil ? "submitted" : "started (its log exists)") + "; Slurm cannot be asked: \(reason)"
            }
            return status
        }
    }

    /// The line of a task's log that says best why it failed: its last error message (genecoding
    /// prints "Error: ...", Slurm "slurmstepd: error: ..."), else its last line.
    static func reason(inLog text: String) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return lines.last { $0.hasPrefix("Error:") || $0.contains("error:") } ?? lines.last
    }

    /// How many runs are in each state.
    public static func counts(_ statuses: [GridRunStatus]) -> [GridRunStatus.State: Int] {
        var counts = Dictionary(uniqueKeysWithValues: GridRunStatus.State.allCases.map { ($0, 0) })
        for s in statuses { counts[s.state, default: 0] += 1 }
        return counts
    }

    /// "14 runs: 10 done, 2 running, 1 pending, 1 failed" (states with none left out, done always shown).
    public static func summary(_ statuses: [GridRunStatus]) -> String {
        let counts = counts(statuses)
        let parts = GridRunStatus.State.allCases.compactMap { state -> String? in
            let n = counts[state] ?? 0
            return n > 0 || state == .done ? "\(n) \(state.rawValue)" : nil
        }
        let diverged = statuses.filter { $0.state == .done && $0.detail != nil }.count
        return "\(statuses.count) run\(statuses.count == 1 ? "" : "s"): " + parts.joined(separator: ", ")
            + (diverged > 0 ? " (\(diverged) of the done diverged and are recorded as failed)" : "")
    }
}
