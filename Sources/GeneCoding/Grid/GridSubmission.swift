// Submitting a manifest's runs to Slurm as job arrays, and submitting again what failed.
//
// A submission freezes the manifest: its runs are copied to `NAME.submit-N.json` and the arrays'
// tasks read that copy, so a chapter that rewrites `NAME.json` meanwhile (its next round, or a rerun
// with more runs in the store) cannot shift a waiting task onto another run. `NAME.jobs.json`
// records each array with its job id, script, memory, time and the key of the run behind each of its
// indices; `GridStatus` reads it.
//
// Memory: one array gives all its tasks one --mem, and runs of a paper-scale grid need from a few GB
// to tens of GB (`RunMemoryEstimate`). So the runs are grouped into classes by their request, powers
// of two (up to 1, 2, 4, 8, ... GiB), one array per class, each asking for the request of its largest
// run and the time of its dearest. `--mem` (or GENECODING_SLURM_MEM) overrides that with one array for
// all. With `--node-memory`, runs that would ask for more than a node has are refused, each named with
// its estimate, before anything is written; `skipOversized` submits the others and lists them.
//
// Memory modes (`MemoryMode`): with `memoryMode` set, each array's tasks train in a named mode
// (`run-one --memory`), and ask for that mode's request; with `auto` and `--node-memory`, each run takes
// the fastest mode whose request fits a node, so a run too large to keep every activation is trained
// recomputing instead of refused, and arrays are grouped by mode as well as by memory.
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

    /// One job array of a submission.
    public struct Array: Sendable, Hashable {
        /// Indices of its runs in the manifest.
        public var indices: [Int]
        public var script: String
        /// The job id (nil on a dry run).
        public var jobID: String?
        public var time: String
        /// Its --mem (nil: the cluster's default).
        public var memory: String?
        /// The memory mode its tasks train in (nil: run-one's default).
        public var memoryMode: MemoryMode? = nil
    }

    /// A run that would ask for more memory than a node has.
    public struct Oversized: Sendable, Hashable {
        public var index: Int
        public var label: String
        /// Its estimate (nil when the manifest has none and --mem is given).
        public var memory: MemoryRequest?
        /// Bytes its task would ask for: its request, or --mem.
        public var asks: Int
    }

    public struct Outcome: Sendable {
        /// Indices of the submitted runs in the manifest.
        public var indices: [Int]
        /// One array per memory class, largest memory first (none when nothing was to submit).
        public var arrays: [Array]
        /// The state of every run before submitting.
        public var before: [GridRunStatus]
        /// Runs left out with `skipOversized`.
        public var skipped: [Oversized]
        public var notes: [String]

        /// The first array's script, job id and time: the only array's when the runs share a memory class.
        public var script: String? { arrays.first?.script }
        public var jobID: String? { arrays.first?.jobID }
        public var time: String? { arrays.first?.time }
    }

    public let files: GridFiles
    public var options: SlurmOptions
    /// Submit the runs that fit a node and leave out those whose request exceeds `options.nodeMemory`,
    /// instead of refusing the whole submission.
    public var skipOversized: Bool
    /// The memory mode the tasks train in: one for all, or `auto` (each run's fastest that fits
    /// `options.nodeMemory`); nil: run-one's default, asking for keepAll's memory.
    public var memoryMode: MemoryModeChoice?
    /// The `genecoding` the tasks run.
    public var executable: String
    /// The tasks start here (`--chdir`); records name the git commit of this folder.
    public var workingDirectory: String
    public var slurm: SlurmClient

    public init(manifest: String, options: SlurmOptions, executable: String, skipOversized: Bool = false,
                workingDirectory: String = FileManager.default.currentDirectoryPath, slurm: SlurmClient = .system,
                memoryMode: MemoryModeChoice? = nil) {
        files = GridFiles(manifest: manifest)
        self.memoryMode = memoryMode
        self.options = options
        self.skipOversized = skipOversized
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

    /// The memory class of a request: the smallest power of two GiB that holds it.
    public static func memoryClass(of bytes: Int) -> Int {
        var limit = MemoryRequest.gibibyte
        while limit < bytes { limit *= 2 }
        return limit
    }

    /// Runs grouped by memory class, largest class first; runs without an estimate (nil) form a group
    /// of their own, last, with class nil.
    public static func memoryClasses(_ requests: [(index: Int, memory: MemoryRequest?)]) -> [(limit: Int?, indices: [Int])] {
        let grouped = Dictionary(grouping: requests) { $0.memory.map { memoryClass(of: $0.requestBytes) } }
        return grouped.keys.sorted { ($0 ?? -1) > ($1 ?? -1) }.map { limit in (limit, grouped[limit]!.map(\.index).sorted()) }
    }

    /// The refusal of runs whose request exceeds a node: each named with its estimate, and what to do.
    static func refusal(_ oversized: [Oversized], nodeMemory: String, override: String?) -> String {
        let shown = oversized.prefix(30).map { o in
            "  run \(o.index) (\(o.label)): "
                + (o.memory.map { "estimated \(Format.bytes($0.processBytes)) at its peak (\($0.peakPhase)), " } ?? "")
                + "asks for \(override ?? Slurm.memory(bytes: o.asks))"
        }
        let more = oversized.count > shown.count ? ["  ... and \(oversized.count - shown.count) more (genecoding grid plan lists every run)"] : []
        return (["\(Format.plural(oversized.count, "run")) would ask for more memory than a node has (--node-memory \(nodeMemory)):"]
            + shown + more
            + ["Nothing was submitted. Submit the others with --skip-oversized, or give the memory of larger nodes with --node-memory."])
            .joined(separator: "\n")
    }

    /// Writes the array scripts of the selected runs and, unless `dryRun`, submits them and records the jobs.
    public func submit(_ selection: Selection, dryRun: Bool = false) throws -> Outcome {
        try options.validate()
        let (manifest, statuses) = try status()
        var jobs = try GridJobs(contentsOf: files.jobs)
        let wanted: Set<GridRunStatus.State> = selection == .notStarted ? [.failed, .unsubmitted] : [.failed]
        var indices = statuses.filter { wanted.contains($0.state) }.map(\.index)
        var outcome = Outcome(indices: [], arrays: [], before: statuses, skipped: [], notes: [])
        if statuses.contains(where: { $0.state == .unknown }) {
            outcome.notes.append("Runs in state 'unknown' are left alone: Slurm could not say whether they still run.")
        }
        guard !indices.isEmpty else { return outcome }

        // What each run asks for, in the mode it will train in, and the runs a node cannot hold.
        let (requests, runModes) = try requestsInModes(manifest.memoryRequests(), indices: indices)
        let override = try options.memory.map { try Slurm.bytes(memory: $0, option: "--mem", allowingZero: true) }
        if let nodeMemory = options.nodeMemory {
            let limit = try Slurm.bytes(memory: nodeMemory, option: "--node-memory")
            // --mem=0 asks for a whole node, which always fits.
            let oversized = indices.compactMap { i -> Oversized? in
                guard let asks = override ?? requests[i]?.requestBytes, asks > limit else { return nil }
                return Oversized(index: i, label: manifest.runs[i].label, memory: requests[i], asks: asks)
            }
            if !oversized.isEmpty {
                guard skipOversized else {
                    throw ConfigurationError(message: Self.refusal(oversized, nodeMemory: nodeMemory, override: options.memory))
                }
                outcome.skipped = oversized
                let left = Set(oversized.map(\.index))
                indices.removeAll { left.contains($0) }
                outcome.notes.append("Left out, asking for more than --node-memory \(nodeMemory): "
                                     + oversized.map { "run \($0.index) (\($0.label), \(Slurm.memory(bytes: $0.asks)))" }.joined(separator: ", ") + ".")
                guard !indices.isEmpty else { return outcome }
            }
        }
        if let override, override > 0 {
            let under = indices.filter { (requests[$0]?.requestBytes ?? 0) > override }
            if !under.isEmpty {
                outcome.notes.append("--mem \(options.memory!) is below the estimate of \(Format.plural(under.count, "run")) "
                                     + "(largest: \(Slurm.memory(bytes: under.compactMap { requests[$0]?.requestBytes }.max()!))); "
                                     + "those may be killed for memory (state OUT_OF_MEMORY) and can be resubmitted with more.")
            }
        }
        let missing = indices.filter { requests[$0] == nil }
        if options.memory == nil, !missing.isEmpty {
            outcome.notes.append("\(Format.plural(missing.count, "run")) of the manifest have no memory estimate (a manifest from an older "
                                 + "genecoding whose data cannot be read here): their array asks for the cluster's default memory; set --mem, "
                                 + "or write the manifest again.")
        }

        // One array per memory class, or one for all when --mem is given.
        let cpus = options.cpusPerTask ?? manifest.threadsPerRun
        let groups: [(limit: Int?, indices: [Int])] = options.memory != nil ? [(nil, indices)]
            : Self.memoryClasses(indices.map { ($0, requests[$0]) })
        var planned: [(indices: [Int], memory: String?, time: String, mode: MemoryMode?)] = []
        for memoryGroup in groups {
            // Within a memory class, one array per mode (run-one's --memory is one per array).
            let byMode = Dictionary(grouping: memoryGroup.indices) { runModes[$0] }
            for mode in [nil] + MemoryMode.fastestFirst.map(Optional.some) {
                guard let group = byMode[mode] else { continue }
                let memory = options.memory ?? group.compactMap { requests[$0]?.requestBytes }.max().map { Slurm.memory(bytes: $0) }
                let time = options.time ?? Slurm.time(seconds: RunCostEstimate.timeLimit(forEstimate: group.map { i in
                    RunCostEstimate.rescale(manifest.runs[i].estimatedSeconds, fromThreads: manifest.threadsPerRun, toThreads: cpus)
                }.max()!))
                planned.append((group, memory, time, mode))
            }
        }
        if case .auto? = memoryMode {
            let counts = MemoryMode.fastestFirst.map { mode in (mode, indices.filter { runModes[$0] == mode }.count) }.filter { $0.1 > 0 }
            outcome.notes.append("Memory modes (--memory auto, the fastest whose request fits --node-memory \(options.nodeMemory ?? "")): "
                                 + counts.map { "\($0.0.rawValue) for \(Format.plural($0.1, "run"))" }.joined(separator: ", ") + ".")
        }
        outcome.indices = indices
        if options.time == nil {
            outcome.notes.append("Time limit per task: twice the estimate of the dearest run of its array (an estimate, not a measurement; "
                                 + "set it with --time). A task stopped at its limit resumes from its last epoch when resubmitted.")
        }
        if options.memory == nil, !missing.elementsEqual(indices) {
            outcome.notes.append("Memory per task: the estimate of the largest run of its array, with 25% and 1 GiB to spare "
                                 + "(set it with --mem); runs are grouped into arrays by memory, up to 1, 2, 4, 8, ... GiB.")
        }
        if indices.max()! > Slurm.defaultMaxArrayIndex {
            outcome.notes.append("Indices go up to \(indices.max()!): clusters with Slurm's default MaxArraySize (1001) refuse indices above "
                                 + "\(Slurm.defaultMaxArrayIndex); split the grid or ask for a larger MaxArraySize.")
        }

        // Freeze the runs the tasks will read, then write one script per array, each reading that copy.
        let first = jobs.submissions.count + 1
        let snapshot = files.snapshot(first)
        try manifest.write(to: snapshot)
        let jobName = "genecoding-" + manifest.source.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        for (offset, array) in planned.enumerated() {
            let script = SlurmArrayScript(jobName: jobName, indices: array.indices, cpusPerTask: cpus, time: array.time,
                                          logDirectory: files.logDirectory, workingDirectory: workingDirectory, executable: executable,
                                          manifest: snapshot, options: options, memory: array.memory, memoryMode: array.mode)
            let scriptPath = files.script(first + offset)
            try AtomicFile.write(script.text, to: scriptPath)
            outcome.arrays.append(Array(indices: array.indices, script: scriptPath, jobID: nil, time: array.time, memory: array.memory,
                                        memoryMode: array.mode))
        }
        guard !dryRun else { return outcome }

        // Slurm opens the output file itself and fails the task if its folder is missing.
        try FileManager.default.createDirectory(atPath: files.logDirectory, withIntermediateDirectories: true)
        for (offset, array) in outcome.arrays.enumerated() {
            // Recorded one by one: if a later sbatch fails, the arrays already queued are still known.
            let jobID = try slurm.submit(array.script)
            outcome.arrays[offset].jobID = jobID
            jobs.submissions.append(GridJobs.Submission(jobID: jobID, submitted: Date(), script: array.script, manifest: snapshot,
                                                        tasks: array.indices.map { GridJobs.Task(index: $0, key: manifest.runs[$0].key) },
                                                        memory: array.memory, time: array.time))
            try jobs.write(to: files.jobs)
        }
        return outcome
    }

    /// Each run's request in the mode it will train in, and that mode (nil: run-one's default), for the
    /// runs `indices` (see the header). A run without an estimate keeps nil.
    func requestsInModes(_ estimated: [MemoryRequest?], indices: [Int]) throws -> (requests: [MemoryRequest?], modes: [MemoryMode?]) {
        var requests = estimated
        var modes = [MemoryMode?](repeating: nil, count: estimated.count)
        switch memoryMode {
        case nil:
            break
        case let .fixed(mode)?:
            // A manifest written before modes has keepAll's request only, which is the most a mode asks.
            for i in indices { modes[i] = mode; requests[i] = estimated[i]?.inMode(mode) ?? estimated[i] }
        case .auto?:
            guard let nodeMemory = options.nodeMemory else {
                throw ConfigurationError(message: "--memory auto (GENECODING_MEMORY=auto) chooses each run's mode by the memory of a node: give --node-memory (GENECODING_SLURM_NODE_MEMORY) as well")
            }
            let limit = try Slurm.bytes(memory: nodeMemory, option: "--node-memory")
            for i in indices {
                guard let request = estimated[i] else { continue }
                let candidates = MemoryMode.fastestFirst.compactMap { mode in request.inMode(mode).map { (mode, $0) } }
                let mode = MemoryModeChoice.fastestFitting(candidates, available: limit).mode
                modes[i] = mode
                requests[i] = request.inMode(mode)
            }
        }
        return (requests, modes)
    }

}
