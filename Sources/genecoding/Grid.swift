// genecoding grid: a chapter's grid (or any list of runs) trained elsewhere, through a manifest
// of the runs the result store lacks: by a Slurm job array, or here.
import ArgumentParser
import Foundation
import GeneCoding

struct Grid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a grid on a Slurm cluster (or elsewhere) through a manifest of its missing runs.",
        discussion: """
        A manifest lists the runs of a grid that the result store lacks. Each task
        of a Slurm job array trains one of them and writes its record into that
        store (a folder every node shares), so the chapter, run again afterwards,
        renders its report from the store without training anything.

        On the cluster, from the repository on the shared file system (R is the
        shared result store, M = R/grids/01-tokenization.json):
          GENECODING_BACKEND=manifest .build/release/Chapter01Tokenization --results R
          genecoding grid submit --manifest M --partition cpu
          genecoding grid status --manifest M
          genecoding grid resubmit --manifest M      (only if some failed)
          .build/release/Chapter01Tokenization --results R

        GENECODING_BACKEND=slurm makes the manifest and submits it in one step.
        Without Slurm, `genecoding grid local --manifest M` trains it here.
        What a grid will cost, before submitting it (CPU-hours, memory, wall time
        on a cluster): `genecoding grid plan --manifest M --nodes 16 \\
          --cores-per-node 64 --memory-per-node 256G`.
        """,
        subcommands: [MakeManifest.self, Plan.self, Submit.self, Resubmit.self, Status.self, RunOne.self, Local.self])
}

struct ManifestOption: ParsableArguments {
    @Option(help: "The grid manifest (JSON).") var manifest: String
}

/// What the array asks Slurm for. Unset options fall back to GENECODING_SLURM_* variables.
struct SlurmArguments: ParsableArguments {
    @Option(help: "Partition (default: the cluster's).") var partition: String?
    @Option(help: "Account to charge.") var account: String?
    @Option(help: "Time limit per task, as sbatch takes it, e.g. 2:00:00 (default: twice the estimate of the dearest run).")
    var time: String?
    @Option(parsing: .unconditional, help: "CPUs per task, also the run's threads (default: the manifest's threads per run).") var cpus: Int?
    @Option(help: "Memory per task, as sbatch takes it, e.g. 4G, for every array (default: each array asks for the estimate of its largest run).")
    var mem: String?
    @Option(help: "Memory of one node, e.g. 256G: runs that would ask for more are refused, each named (default: $GENECODING_SLURM_NODE_MEMORY, else no check).")
    var nodeMemory: String?
    @Flag(help: "With --node-memory: submit the runs that fit and leave out the others, instead of submitting nothing.")
    var skipOversized = false
    @Option(help: ArgumentHelp("What the tasks' training keeps for backward: keep, attention or layers for every run, each asking for "
                               + "that mode's memory; or auto, with --node-memory: each run the fastest mode whose request fits a node "
                               + "(arrays are grouped by mode). Results are the same in every mode (default: run-one's, asking for keep's memory).",
                               valueName: "mode"))
    var memory: MemoryModeChoice?
    @Option(parsing: .unconditional, help: "At most this many tasks at once.") var maxRunning: Int?
    @Option(help: "A further sbatch option for the script, e.g. --sbatch-option=--qos=long (repeatable).")
    var sbatchOption: [String] = []
    @Option(help: "The genecoding executable the tasks run (default: this one).") var executable: String?
    @Flag(help: "Write the script, do not submit it.") var dryRun = false

    func options() throws -> SlurmOptions {
        var o = try SlurmOptions.fromEnvironment(ProcessInfo.processInfo.environment)
        if let partition { o.partition = partition }
        if let account { o.account = account }
        if let time { o.time = time }
        if let cpus { o.cpusPerTask = cpus }
        if let mem { o.memory = mem }
        if let nodeMemory { o.nodeMemory = nodeMemory }
        if let maxRunning { o.maxRunning = maxRunning }
        o.extra += sbatchOption
        try o.validate()
        return o
    }

    func submission(manifest: String) throws -> GridSubmission {
        GridSubmission(manifest: manifest, options: try options(),
                       executable: try executable ?? GridBackend.genecodingExecutable(), skipOversized: skipOversized, memoryMode: memory)
    }
}

// MARK: - manifest

struct MakeManifest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Write the manifest of a chapter's missing runs, or of a JSON list of runs.",
        discussion: """
        A chapter's grid (the same as running the chapter with
        GENECODING_BACKEND=manifest; the manifest defaults to R/grids/<chapter>.json):
          genecoding grid manifest --chapter .build/release/Chapter01Tokenization \\
            -- --profile smoke --results R
        Any list of runs (a JSON array of runs, as `genecoding train --json`
        prints them under "run"):
          genecoding grid manifest --runs runs.json --manifest grid.json --results R
        """)

    @Option(help: "A chapter executable; its arguments follow `--`.") var chapter: String?
    @Option(help: "A JSON array of runs.") var runs: String?
    @Option(help: "The manifest to write (default for a chapter: <results>/grids/<chapter>.json).") var manifest: String?
    @Option(help: "With --runs: GUE folder (default: $GUE_DIR).") var gue: String?
    @Option(help: "With --runs: result store folder.") var results: String = "results"
    @Option(parsing: .unconditional, help: "With --runs: threads per run.") var threads: Int = 1
    @Argument(parsing: .postTerminator, help: "The chapter's arguments (after --).") var chapterArguments: [String] = []

    func validate() throws {
        guard (chapter == nil) != (runs == nil) else { throw ValidationError("give either --chapter or --runs") }
        if runs != nil, manifest == nil { throw ValidationError("--runs needs --manifest") }
        if runs != nil, !chapterArguments.isEmpty { throw ValidationError("arguments after -- are for --chapter") }
        do { try RunExecutor.validate(threads: threads) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        try reported {
            if let chapter { try runChapter(chapter) } else { try writeRuns(runs!) }
        }
    }

    /// The chapter itself decides its grid: run it with the manifest backend.
    private func runChapter(_ chapter: String) throws {
        switch try runWithManifestBackend(chapter, arguments: chapterArguments, manifest: manifest) {
        case GridBackend.handedOffExitStatus:
            return  // the chapter said where the manifest is
        case 0:
            print("Nothing is missing from the store: the chapter rendered its report and no manifest was written.")
        case let status:
            throw ExitCode(status)
        }
    }

    private func writeRuns(_ file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw InputError(file: file, "cannot read it") }
        let list: [Run]
        do { list = try JSONDecoder().decode([Run].self, from: data) } catch {
            throw InputError(file: file, "not a JSON array of runs: \(error)")
        }
        let gue = try gue.map { GUE(root: URL(fileURLWithPath: $0)) } ?? GUE.fromEnvironment()
        let executor = RunExecutor(gue: gue, store: ResultStore(root: URL(fileURLWithPath: results)))
        let grid = try GridManifest.pending(list, executor: executor, source: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                                            renderCommand: [], threadsPerRun: threads)
        try grid.write(to: manifest!)
        print("\(list.count) runs, \(grid.runs.count) missing from the store: wrote \(manifest!)")
    }
}

// MARK: - submit, resubmit

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit the manifest's runs to Slurm as job arrays (sbatch --array), one task per run.",
        discussion: """
        Submits every run that is not done and not already waiting or running in an
        earlier job, so submitting twice trains nothing twice. Runs are grouped by
        the memory they need (up to 1, 2, 4, 8, ... GiB), one array per group, each
        asking for the estimate of its largest run (with 25% and 1 GiB to spare)
        and twice the time estimate of its dearest; --mem and --time override. For
        a manifest NAME.json it writes one script NAME.submit-N.sbatch per array,
        whose tasks read a frozen copy of the manifest and log to
        NAME.logs/<job>_<index>.out, and records each job in NAME.jobs.json for
        `grid status`. With --node-memory, runs that would ask for more than a node
        has are refused by name. Unset options fall back to GENECODING_SLURM_*
        variables; sbatch's own (SBATCH_ACCOUNT, SBATCH_QOS, ...) apply as usual.
        """)
    @OptionGroup var manifest: ManifestOption
    @OptionGroup var slurm: SlurmArguments

    func run() throws {
        try reported { try submitAndReport(slurm.submission(manifest: manifest.manifest), .notStarted, dryRun: slurm.dryRun) }
    }
}

struct Resubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit again, as a new array, only the runs whose tasks failed.",
        discussion: """
        A failed run is one whose task ended (failed, timed out, cancelled, out of
        memory, node failure) without leaving a record in the store. The new array
        lists exactly those indices (e.g. --array=3,7-9). A run stopped at its time
        limit resumes from its last finished epoch. Runs never submitted are left
        to `grid submit`.
        """)
    @OptionGroup var manifest: ManifestOption
    @OptionGroup var slurm: SlurmArguments

    func run() throws {
        try reported { try submitAndReport(slurm.submission(manifest: manifest.manifest), .failedOnly, dryRun: slurm.dryRun) }
    }
}

private func submitAndReport(_ submission: GridSubmission, _ selection: GridSubmission.Selection, dryRun: Bool) throws {
    let outcome = try submission.submit(selection, dryRun: dryRun)
    print("Before: " + GridStatus.summary(outcome.before) + ".")
    guard !outcome.arrays.isEmpty else {
        for note in outcome.notes { print("Note: " + note) }
        print(!outcome.skipped.isEmpty ? "Nothing to submit: no run fits a node."
              : selection == .failedOnly ? "No failed run to submit again." : "Nothing to submit: every run is done, waiting or running.")
        return
    }
    for array in outcome.arrays {
        print("Script: \(array.script) (array \(Slurm.indexList(array.indices)), \(Format.plural(array.indices.count, "task")), "
              + "time \(array.time) and memory \(array.memory ?? "the cluster's default") each"
              + (array.memoryMode.map { ", memory mode \($0.rawValue)" } ?? "") + ")")
    }
    for note in outcome.notes { print("Note: " + note) }
    let manifest = Slurm.shellWord(submission.files.manifest)
    if outcome.jobID != nil {
        for array in outcome.arrays { print("Submitted job array \(array.jobID ?? "?").") }
        print("Follow \(outcome.arrays.count == 1 ? "it" : "them") with: genecoding grid status --manifest \(manifest)")
    } else {
        print("Dry run: not submitted. Submit with: genecoding grid \(selection == .failedOnly ? "resubmit" : "submit") --manifest \(manifest) (without --dry-run)")
    }
}

// MARK: - plan

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What a grid will cost before it runs: CPU-hours, memory, and wall time on a cluster, as Markdown tables.",
        discussion: """
        From the estimates in each manifest (time: RunCostEstimate, at the runs'
        threads; memory: what each job asks for, RunMemoryEstimate with its margin):
        runs, CPU-hours, the largest memory request, the longest run, the runs by
        memory class, each memory mode's largest request (MemoryMode: what training
        keeps for backward), and with --nodes, --cores-per-node and --memory-per-node
        the wall time of a greedy longest-first packing that respects cores and
        memory per node (--memory auto: each run in the fastest mode that fits a
        node). Several --manifest give one row each and a row for all (each run
        once). A chapter's grid without writing its manifest by hand:
          genecoding grid plan --chapter tokenization --profile paper
        runs the chapter with GENECODING_BACKEND=manifest into a temporary store
        (so every run counts) and plans that; further chapter arguments follow --.
        A chapter with several grids stops at the first one with missing runs,
        so only that grid is planned.
        """)

    @Option(help: "A grid manifest (repeatable).") var manifest: [String] = []
    @Option(help: "A chapter: an executable, or a name such as tokenization or 01-tokenization (built beside genecoding).")
    var chapter: String?
    @Option(help: "With --chapter: the scale profile (smoke, default, paper).") var profile: String?
    @Option(help: "Nodes of the cluster.") var nodes: Int?
    @Option(help: "Cores of each node.") var coresPerNode: Int?
    @Option(help: "Memory of each node, e.g. 256G.") var memoryPerNode: String?
    @Option(help: "Threads (cores) per run (default: each manifest's).") var cpus: Int?
    @Option(help: ArgumentHelp("Plan every run in this memory mode (keep, attention, layers), or auto: each run in the fastest mode "
                               + "whose request fits --memory-per-node, as `grid submit --memory auto` chooses (default: keep).",
                               valueName: "mode"))
    var memory: MemoryModeChoice?
    @Argument(parsing: .postTerminator, help: "The chapter's arguments (after --).") var chapterArguments: [String] = []

    func validate() throws {
        guard !manifest.isEmpty || chapter != nil else { throw ValidationError("give --manifest or --chapter") }
        let cluster = [nodes != nil, coresPerNode != nil, memoryPerNode != nil]
        guard cluster.allSatisfy({ $0 }) || cluster.allSatisfy({ !$0 }) else {
            throw ValidationError("a cluster is --nodes, --cores-per-node and --memory-per-node together")
        }
        if let nodes, nodes < 1 { throw ValidationError("--nodes takes a positive number") }
        if let coresPerNode, coresPerNode < 1 { throw ValidationError("--cores-per-node takes a positive number") }
        if let cpus, cpus < 1 { throw ValidationError("--cpus takes a positive number") }
        if chapter == nil, profile != nil || !chapterArguments.isEmpty { throw ValidationError("--profile and arguments after -- are for --chapter") }
        if memory == .auto, memoryPerNode == nil { throw ValidationError("--memory auto chooses by the memory of a node: give the cluster (--memory-per-node)") }
    }

    func run() throws {
        try reported {
            var plans = try manifest.map { GridPlan(try GridManifest(contentsOf: $0), threads: cpus) }
            if let chapter { plans.append(try planChapter(chapter)) }
            var cluster: GridPlan.Cluster? = nil
            if let nodes, let coresPerNode, let memoryPerNode {
                cluster = GridPlan.Cluster(nodes: nodes, coresPerNode: coresPerNode,
                                           memoryPerNode: try Slurm.bytes(memory: memoryPerNode, option: "--memory-per-node"))
            }
            if let memory { plans = plans.map { $0.inMemoryMode(memory, nodeMemory: cluster?.memoryPerNode) } }
            print(GridPlan.markdown(plans, cluster: cluster), terminator: "")
        }
    }

    /// The chapter's first grid with missing runs (the chapter stops there): run it with the manifest
    /// backend into a temporary folder, then plan that manifest.
    private func planChapter(_ name: String) throws -> GridPlan {
        let executable = try Self.chapterExecutable(name)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let manifestPath = scratch.appendingPathComponent("manifest.json").path
        var arguments = chapterArguments
        if let profile { arguments += ["--profile", profile] }
        // An empty store unless the caller names one: then every run of the grid counts.
        if !arguments.contains("--results") { arguments += ["--results", scratch.appendingPathComponent("results").path] }
        for option in ["--reports", "--figures"] where !arguments.contains(option) {
            arguments += [option, scratch.appendingPathComponent(String(option.dropFirst(2))).path]
        }
        switch try runWithManifestBackend(executable, arguments: arguments, manifest: manifestPath, outputToStandardError: true) {
        case GridBackend.handedOffExitStatus:
            return GridPlan(try GridManifest(contentsOf: manifestPath), threads: cpus)
        case 0:
            // Nothing missing from the store the caller named: nothing to plan.
            return GridPlan(source: URL(fileURLWithPath: executable).lastPathComponent, runs: [])
        case let status:
            throw CommandFailure(description: "\(executable) \(arguments.joined(separator: " ")) exited with status \(status) before writing its manifest")
        }
    }

    /// A chapter executable from a path or a name: "tokenization", "01-tokenization" and
    /// "chapter-tokenization" all name Chapter01Tokenization, looked for beside this genecoding.
    static func chapterExecutable(_ name: String) throws -> String {
        if name.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw CommandFailure(description: "--chapter \(name) is not an executable file") }
            return name
        }
        func simplified(_ text: String) -> String {
            var t = text.lowercased()
            if t.hasPrefix("chapter") { t.removeFirst("chapter".count) }
            return String(t.drop { $0.isNumber || $0 == "-" || $0 == "_" }.filter { $0.isLetter || $0.isNumber })
        }
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = URL(fileURLWithPath: running).deletingLastPathComponent()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { entry in
            var isFolder: ObjCBool = false
            let path = folder.appendingPathComponent(entry).path
            return entry.hasPrefix("Chapter") && FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
                && FileManager.default.isExecutableFile(atPath: path)
        }.sorted()
        guard let found = names.first(where: { simplified($0) == simplified(name) }) else {
            throw CommandFailure(description: "no chapter '\(name)' beside \(running); the chapters built there are: "
                                 + (names.isEmpty ? "none (swift build -c release)" : names.joined(separator: ", ")))
        }
        return folder.appendingPathComponent(found).path
    }
}

// MARK: - status

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which runs of a manifest are done, running, pending, failed or not submitted.",
        discussion: """
        Reads the result store first, then asks Slurm (scontrol) about the jobs
        recorded beside the manifest, and reads the tasks' logs once Slurm has
        forgotten a job (MinJobAge). `pending` is a task waiting in Slurm's queue.
        """)
    @OptionGroup var manifest: ManifestOption
    @Flag(help: "List the done runs too.") var all = false
    @Flag(help: "Exit with status 1 unless every run is done.") var requireDone = false

    func run() throws {
        try reported {
            let files = GridFiles(manifest: manifest.manifest)
            let grid = try GridManifest(contentsOf: files.manifest)
            let jobs = try GridJobs(contentsOf: files.jobs)
            let statuses = GridStatus.of(grid, files: files, jobs: jobs, slurm: SlurmClient.system.showJob)
            print("\(grid.source): " + GridStatus.summary(statuses) + ".")
            print("Results: \(Set(grid.runs.map(\.results)).sorted().joined(separator: ", "))")
            for submission in jobs.submissions {
                print("Job \(submission.jobID): \(submission.tasks.count) task\(submission.tasks.count == 1 ? "" : "s") "
                      + "(array \(Slurm.indexList(submission.tasks.map(\.index)))), submitted \(ISO8601DateFormatter().string(from: submission.submitted))"
                      + (submission.memory.map { ", --mem=\($0)" } ?? "") + (submission.time.map { ", --time=\($0)" } ?? ""))
            }
            for s in statuses where all || s.state != .done || s.detail != nil {
                var line = "  " + s.state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: "%4d  ", s.index) + s.label
                if let task = s.task { line += "  [\(task)]" }
                if let detail = s.detail { line += "  \(detail)" }
                print(line)
                if s.state == .failed, let log = s.log { print("              log: \(log)") }
            }
            let counts = GridStatus.counts(statuses)
            if counts[.done] == statuses.count {
                print("Every run is done." + (grid.renderCommand.isEmpty ? ""
                    : " Render the chapter from the store with: " + grid.renderCommand.map(Slurm.shellWord).joined(separator: " ")))
            } else if (counts[.failed] ?? 0) > 0 {
                print("Submit the failed runs again with: genecoding grid resubmit --manifest \(Slurm.shellWord(files.manifest))")
            } else if (counts[.unsubmitted] ?? 0) > 0 {
                print("Submit the runs not yet submitted with: genecoding grid submit --manifest \(Slurm.shellWord(files.manifest))")
            }
            if requireDone, counts[.done] != statuses.count { throw ExitCode(1) }
        }
    }
}

// MARK: - run-one, local

struct RunOne: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-one",
        abstract: "Train run INDEX of a manifest into its result store (what each array task does).",
        discussion: """
        Checks first that the run's key, computed from the data this node sees, is
        the manifest's: a node reading other data would store a result the chapter
        never finds. A run already in the store is not trained again; an
        interrupted one resumes from its last epoch. A run that diverges is
        recorded as failed (its result, with the reason) and exits with status 1;
        --retry-failed trains a run stored as failed again.
        """)
    @OptionGroup var manifest: ManifestOption
    @Option(parsing: .unconditional, help: "The run's position in the manifest (Slurm: $SLURM_ARRAY_TASK_ID).") var index: Int
    @Option(parsing: .unconditional, help: "Threads (default: $SLURM_CPUS_PER_TASK, else the manifest's threads per run).") var threads: Int?
    @Option(help: ArgumentHelp(MemoryModeChoice.help, valueName: "mode")) var memory: MemoryModeChoice?
    @Flag(help: "Train the run again if its stored result says it failed.") var retryFailed = false

    func run() throws {
        try reported {
            let grid = try GridManifest(contentsOf: manifest.manifest)
            let entry = try grid.entry(at: index)
            let threads = threads ?? ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap { Int($0) } ?? grid.threadsPerRun
            try RunExecutor.validate(threads: threads)
            ComputeThreads.set(threads)
            let executor = RunExecutor(gue: GUE(root: URL(fileURLWithPath: entry.gue)), store: ResultStore(root: URL(fileURLWithPath: entry.results)))
            executor.retryFailed = retryFailed
            executor.memoryMode = memory
            print("run \(index) of \(grid.runs.count) in \(manifest.manifest): \(entry.label), \(threads) thread\(threads == 1 ? "" : "s"), "
                  + "estimated \(Format.duration(RunCostEstimate.rescale(entry.estimatedSeconds, fromThreads: grid.threadsPerRun, toThreads: threads)))"
                  + (entry.memory.map { " and \(Format.bytes($0.processBytes)) at its peak (\($0.peakPhase))" } ?? ""))
            if let modes = entry.memory?.modes {
                print("memory at its peak by mode: " + modes.compactMap { m in
                    m.memoryMode.map { "\($0.rawValue) \(Format.bytes(m.processBytes)) (asks \(Slurm.memory(bytes: m.requestBytes)))" }
                }.joined(separator: ", "))
            }
            fflush(stdout)  // before any error: a task's log is read from its last lines
            let key = try executor.key(entry.run)
            guard key == entry.key else {
                throw ValidationError("run \(index) has key \(key) here but \(entry.key) in the manifest: this node sees other data files "
                                      + "or another engine version (\(engineVersion)) than where the manifest was made")
            }
            let stored = executor.store.record(key).map { !(retryFailed && $0.status == .failed) } ?? false
            let record = try executor.execute(entry.run, threads: threads)
            print(RecordSummary(record, reused: stored).text)
            print("stored: \(executor.store.recordURL(key).path)")
            if record.status == .failed { throw ExitCode.failure }
        }
    }
}

struct Local: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a manifest's missing runs on this machine, several side by side.")
    @OptionGroup var manifest: ManifestOption
    @Option(parsing: .unconditional, help: "Runs side by side (default: as many as the cores hold at --threads each).") var workers: Int?
    @Option(parsing: .unconditional, help: "Threads per run (default: the manifest's).") var threads: Int?
    @Option(help: ArgumentHelp(MemoryModeChoice.help, valueName: "mode")) var memory: MemoryModeChoice?
    @Flag(help: "Train again the runs whose stored results say they failed.") var retryFailed = false

    func run() throws {
        try reported {
            let grid = try GridManifest(contentsOf: manifest.manifest)
            let threads = threads ?? grid.threadsPerRun
            let workers = workers ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(threads, 1))
            try RunExecutor.validate(workers: workers, threads: threads)
            // Entries normally share one GUE folder and one store; train each group with its own executor.
            // A group stopped by an error does not stop the others; the first error is reported at the end.
            let groups = Dictionary(grouping: grid.runs) { "\($0.gue)\n\($0.results)" }
            var failed: [String] = []
            var firstError: Error?
            for (_, entries) in groups.sorted(by: { $0.key < $1.key }) {
                let executor = RunExecutor(gue: GUE(root: URL(fileURLWithPath: entries[0].gue)),
                                           store: ResultStore(root: URL(fileURLWithPath: entries[0].results)))
                executor.retryFailed = retryFailed
                executor.memoryMode = memory
                do {
                    let records = try executor.executeAll(entries.map(\.run), workers: workers, threadsPerRun: threads)
                    failed += records.filter { $0.status == .failed }.map(\.run.label)
                } catch {
                    firstError = firstError ?? error
                }
            }
            let files = GridFiles(manifest: manifest.manifest)
            let statuses = GridStatus.of(grid, files: files, jobs: try GridJobs(contentsOf: files.jobs), slurm: { _ in .forgotten })
            print("\(grid.source): " + GridStatus.summary(statuses) + ".")
            if !failed.isEmpty {
                print("\(failed.count) of them failed (stored with the reason; --retry-failed trains them again): " + failed.joined(separator: ", "))
            }
            if let firstError { throw firstError }
            if GridStatus.counts(statuses)[.done] == statuses.count, !grid.renderCommand.isEmpty {
                print("Render the chapter from the store with: " + grid.renderCommand.map(Slurm.shellWord).joined(separator: " "))
            }
            if !failed.isEmpty { throw ExitCode.failure }
        }
    }
}

/// Runs a chapter executable with the manifest backend (it writes the manifest of the runs its store
/// lacks, at `manifest` when given, and trains nothing) and returns its exit status:
/// `GridBackend.handedOffExitStatus` when it wrote one, 0 when nothing was missing.
private func runWithManifestBackend(_ executable: String, arguments: [String], manifest: String?,
                                    outputToStandardError: Bool = false) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["GENECODING_BACKEND"] = "manifest"
    if let manifest { environment["GENECODING_MANIFEST"] = manifest }
    process.environment = environment
    if outputToStandardError { process.standardOutput = FileHandle.standardError }
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
