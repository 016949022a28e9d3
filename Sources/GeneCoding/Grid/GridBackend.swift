// Where a chapter's grid runs, chosen from the environment so that no chapter changes for it.
//
//   GENECODING_BACKEND=local      (or unset) train the missing runs here, as `make` does
//   GENECODING_BACKEND=manifest   write the missing runs to a manifest and stop
//   GENECODING_BACKEND=slurm      write the manifest and submit it as a Slurm job array, and stop
//
//   GENECODING_MANIFEST=PATH      the manifest (default: <results>/grids/<chapter>.json)
//   GENECODING_SLURM_*            what the arrays ask for (see `SlurmOptions`); with
//                                 GENECODING_SLURM_NODE_MEMORY, runs a node cannot hold are refused
//                                 unless GENECODING_SLURM_SKIP_OVERSIZED=1 (then left out)
//   GENECODING_EXECUTABLE=PATH    the `genecoding` the array's tasks run (default: the one beside
//                                 the chapter's executable, else the one on PATH)
//
// "Stop" means the chapter exits with status 75 (EX_TEMPFAIL, "try again later") and writes no
// report: its tables need the runs' results. Once the runs are in the store, running the chapter
// again (with any backend) finds nothing missing and renders the report from the store. A grid with
// nothing missing never stops, whatever the backend. A chapter with several grids, the later ones
// built from earlier results, takes one such round per grid.
import Foundation

public enum GridBackend: Hashable, Sendable {
    case local
    case manifest(path: String?)
    case slurm(manifest: String?, options: SlurmOptions)

    /// The exit status of a chapter whose runs were handed off: EX_TEMPFAIL from sysexits.h.
    public static let handedOffExitStatus: Int32 = 75

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GridBackend {
        let manifest = environment["GENECODING_MANIFEST"].flatMap { $0.isEmpty ? nil : $0 }
        switch environment["GENECODING_BACKEND"] ?? "" {
        case "", "local": return .local
        case "manifest": return .manifest(path: manifest)
        case "slurm": return .slurm(manifest: manifest, options: try SlurmOptions.fromEnvironment(environment))
        case let other:
            throw ConfigurationError(message: "GENECODING_BACKEND=\(other): it takes local (the default), manifest or slurm")
        }
    }

    /// Where a chapter's manifest goes unless GENECODING_MANIFEST says: beside the results it
    /// completes, which a cluster's nodes share anyway.
    public static func defaultManifestPath(source: String, store: ResultStore) -> String {
        absolutePath(store.root.appendingPathComponent("grids/\(source).json"))
    }

    /// Hands the runs of `runs` that the store lacks to this backend. Returns nil when they are to
    /// be trained here (local, or nothing missing), else a message for the user: the runs were
    /// written down (and submitted) and the caller should stop.
    public func handOff(_ runs: [Run], source: String, executor: RunExecutor, threadsPerRun: Int,
                        renderCommand: [String] = CommandLine.arguments,
                        environment: [String: String] = ProcessInfo.processInfo.environment,
                        slurm: SlurmClient = .system) throws -> String? {
        let manifestOption: String?
        switch self {
        case .local: return nil
        case let .manifest(path): manifestOption = path
        case let .slurm(path, _): manifestOption = path
        }
        // The program as an absolute path, so the command works from any folder `grid status` is run in.
        var render = renderCommand
        if let program = render.first, program.contains("/") { render[0] = absolutePath(program) }
        let manifest = try GridManifest.pending(runs, executor: executor, source: source, renderCommand: render, threadsPerRun: threadsPerRun)
        if manifest.runs.isEmpty { return nil }
        let path = absolutePath(manifestOption ?? Self.defaultManifestPath(source: source, store: executor.store))
        try manifest.write(to: path)
        let missing = "\(manifest.runs.count) of the grid's \(runs.count) runs are missing from the store \(absolutePath(executor.store.root))"
        let renderNote = "Once they are done, run this chapter again (without GENECODING_BACKEND) to render it from the store."
        let estimate = manifest.runs.reduce(0) { $0 + $1.estimatedSeconds }
        let stopped = "No report was written (exit status \(Self.handedOffExitStatus))."

        guard case let .slurm(_, options) = self else {
            return """
                \(missing).
                Wrote their manifest: \(path)
                Estimated cost: \(Format.duration(estimate)) of compute in total at \(threadsPerRun) thread\(threadsPerRun == 1 ? "" : "s") per run (a rough estimate).
                Train them as a Slurm job array, or here, with one of:
                  genecoding grid submit --manifest \(Slurm.shellWord(path))
                  genecoding grid local --manifest \(Slurm.shellWord(path))
                \(renderNote) \(stopped)
                """
        }
        // GENECODING_MEMORY picks the tasks' memory mode here as it does for a chapter trained locally.
        let submission = GridSubmission(manifest: path, options: options, executable: try Self.genecodingExecutable(environment),
                                        skipOversized: environment["GENECODING_SLURM_SKIP_OVERSIZED"] == "1", slurm: slurm,
                                        memoryMode: try MemoryModeChoice.fromEnvironment(environment))
        let outcome = try submission.submit(.notStarted)
        var lines = ["\(missing).", "Manifest: \(path)"]
        for array in outcome.arrays {
            lines.append("Submitted Slurm job array \(array.jobID ?? "?"): \(Format.plural(array.indices.count, "task")), \(array.time) "
                         + "and \(array.memory.map { "--mem=\($0)" } ?? "the cluster's default memory") each, script \(array.script)")
        }
        if outcome.arrays.isEmpty {
            lines.append(outcome.skipped.isEmpty ? "Nothing submitted: every missing run is already waiting or running (" + GridStatus.summary(outcome.before) + ")."
                         : "Nothing submitted: no missing run fits a node.")
        }
        lines += outcome.notes
        lines.append("Follow it with: genecoding grid status --manifest \(Slurm.shellWord(path))")
        lines.append("\(renderNote) \(stopped)")
        return lines.joined(separator: "\n")
    }

    /// The `genecoding` executable array tasks run: GENECODING_EXECUTABLE, else the one built beside
    /// the running program (a chapter in .build/release/), else the one on PATH.
    public static func genecodingExecutable(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let given = environment["GENECODING_EXECUTABLE"], !given.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: given) else {
                throw ConfigurationError(message: "GENECODING_EXECUTABLE=\(given) is not an executable file")
            }
            return absolutePath(given)
        }
        if let running = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let beside = URL(fileURLWithPath: running).deletingLastPathComponent().appendingPathComponent("genecoding").path
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        }
        if let found = Subprocess.find("genecoding") { return absolutePath(found) }
        throw ConfigurationError(message: "cannot find the genecoding executable for the array tasks: build it "
                                 + "(swift build -c release) or set GENECODING_EXECUTABLE")
    }
}
