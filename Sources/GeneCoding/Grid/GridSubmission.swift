// Submitting a manifest's runs to Slurm as one job array, and submitting again what failed.
//
// A submission freezes the manifest: its runs are copied to `NAME.submit-N.json` and the array's
// tasks read that copy, so a chapter that rewrites `NAME.json` meanwhile (its next round, or a rerun
// with more runs in the store) cannot shift a waiting task onto another run. `NAME.jobs.json`
// records each job with the key of the run behind each of its indices; `GridStatus` reads it.
//
// Only runs that are neither done nor waiting nor running are submitted, so submitting twice never
// trains a run twice. `resubmit` goes further and takes only the runs a job has failed.
import Foundation

public struct GridSubmission {
    public enum Selection: Sendable {
        /// Failed runs and runs never submitted.
        case notStarted
        /// Only runs a submitted job ended without a record.
        case failedOnly
    }

    public struct Outcome: Sendable {
        /// Indices of the submitted runs in the manifest.
        public var indices: [Int]
        /// The script written (nil when nothing was to submit).
        public var script: String?
        /// The job id (nil on a dry run, or when nothing was to submit).
        public var jobID: String?
        /// The state of every run before submitting.
        public var before: [GridRunStatus]
        public var time: String?
        public var notes: [String]
    }

    public let files: GridFiles
    public var options: SlurmOptions
    /// The `genecoding` the tasks run.
    public var executable: String
    /// The tasks start here (`--chdir`); records name the git commit of this folder.
    public var workingDirectory: String
    public var slurm: SlurmClient

    public init(manifest: String, options: SlurmOptions, executable: String,
                workingDirectory: String = FileManager.default.currentDirectoryPath, slurm: SlurmClient = .system) {
        files = GridFiles(manifest: manifest)
        self.options = options
        self.executable = absolutePath(executable)
        self.workingDirectory = absolutePath(workingDirectory)
        self.slurm = slurm
    }

    /// The state of every run of the manifest.
    public func status() throws -> (manifest: GridManifest, statuses: [GridRunStatus]) {
        let manifest = try GridManifest(contentsOf: files.manifest)
        let jobs = try GridJobs(contentsOf: files.jobs)
        return (manifest, GridStatus.of(manifest, files: files, jobs: jobs, slurm: slurm.showJob))
    }

    /// Writes the array script of the selected runs and, unless `dryRun`, submits it and records the job.
    public func submit(_ selection: Selection, dryRun: Bool = false) throws -> Outcome {
        try options.validate()
        let (manifest, statuses) = try status()
        var jobs = try GridJobs(contentsOf: files.jobs)
        let wanted: Set<GridRunStatus.State> = selection == .notStarted ? [.failed, .unsubmitted] : [.failed]
        let indices = statuses.filter { wanted.contains($0.state) }.map(\.index)
        var outcome = Outcome(indices: indices, script: nil, jobID: nil, before: statuses, time: nil, notes: [])
        if statuses.contains(where: { $0.state == .unknown }) {
            outcome.notes.append("Runs in state 'unknown' are left alone: Slurm could not say whether they still run.")
        }
        guard !indices.isEmpty else { return outcome }

        let cpus = options.cpusPerTask ?? manifest.threadsPerRun
        let time = options.time ?? Slurm.time(seconds: RunCostEstimate.timeLimit(forEstimate: indices.map { i in
            RunCostEstimate.rescale(manifest.runs[i].estimatedSeconds, fromThreads: manifest.threadsPerRun, toThreads: cpus)
        }.max()!))
        outcome.time = time
        if options.time == nil {
            outcome.notes.append("Time limit \(time) per task: twice the estimate of the dearest run (an estimate, not a measurement; "
                                 + "set it with --time). A task stopped at its limit resumes from its last epoch when resubmitted.")
        }
        if indices.max()! > Slurm.defaultMaxArrayIndex {
            outcome.notes.append("Indices go up to \(indices.max()!): clusters with Slurm's default MaxArraySize (1001) refuse indices above "
                                 + "\(Slurm.defaultMaxArrayIndex); split the grid or ask for a larger MaxArraySize.")
        }

        // Freeze the runs the tasks will read, then write the script that reads them.
        let number = jobs.submissions.count + 1
        let snapshot = files.snapshot(number)
        try manifest.write(to: snapshot)
        let script = SlurmArrayScript(
            jobName: "genecoding-" + manifest.source.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" },
            indices: indices, cpusPerTask: cpus, time: time, logDirectory: files.logDirectory,
            workingDirectory: workingDirectory, executable: executable, manifest: snapshot, options: options)
        let scriptPath = files.script(number)
        try AtomicFile.write(script.text, to: scriptPath)
        outcome.script = scriptPath
        guard !dryRun else { return outcome }

        // Slurm opens the output file itself and fails the task if its folder is missing.
        try FileManager.default.createDirectory(atPath: files.logDirectory, withIntermediateDirectories: true)
        let jobID = try slurm.submit(scriptPath)
        outcome.jobID = jobID
        jobs.submissions.append(GridJobs.Submission(jobID: jobID, submitted: Date(), script: scriptPath, manifest: snapshot,
                                                    tasks: indices.map { GridJobs.Task(index: $0, key: manifest.runs[$0].key) }))
        try jobs.write(to: files.jobs)
        return outcome
    }
}
