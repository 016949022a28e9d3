// A grid manifest: the runs of a grid that the result store does not hold yet, written down so
// that other processes (a Slurm array, `genecoding grid local`, a person) can train them.
//
// One JSON file. Each entry is self-contained: the run's key, a label, the `Run` value itself, and
// the absolute paths of the GUE folder and of the result store its record must land in. An entry
// is run by its position (`genecoding grid run-one --index I`), which is what a Slurm array task
// knows it by. Paths are absolute because array tasks start on other nodes, in other folders; they
// must name a file system every node shares.
//
// Files kept beside a manifest `DIR/NAME.json` (see `GridFiles`): the Slurm scripts
// `NAME.submit-N.sbatch`, the tasks' logs under `NAME.logs/`, the submitted jobs in `NAME.jobs.json`.
import Foundation

public struct GridManifest: Codable, Hashable, Sendable {
    public static let currentFormat = 1

    public struct Entry: Codable, Hashable, Sendable {
        public var key: String
        public var label: String
        public var run: Run
        /// The profile the run came from (also inside `run`; here so a reader sees it first).
        public var profile: String
        /// The GUE folder the run's key was computed from.
        public var gue: String
        /// The result store the run's record is written into.
        public var results: String
        /// A rough guess at the run's wall time with the manifest's threads (`RunCostEstimate`).
        public var estimatedSeconds: Double
        /// The run's memory at its peak and what its job asks for (`RunMemoryEstimate`); nil in
        /// manifests written before genecoding estimated memory.
        public var memory: MemoryRequest? = nil
    }

    public var format: Int
    /// Where the grid came from: a chapter's name ("01-tokenization") or a file of runs.
    public var source: String
    /// The chapter's command line: run again without GENECODING_BACKEND once every run is done, it
    /// renders the chapter from the store. Empty for a grid that is a plain list of runs.
    public var renderCommand: [String]
    public var created: Date
    public var engineVersion: String
    /// Threads each run is planned with: the chapter's --threads, else its profile's.
    public var threadsPerRun: Int
    public var runs: [Entry]

    public init(source: String, renderCommand: [String], threadsPerRun: Int, runs: [Entry], created: Date = Date()) {
        format = Self.currentFormat
        self.source = source
        self.renderCommand = renderCommand
        self.created = created
        engineVersion = GeneCoding.engineVersion
        self.threadsPerRun = threadsPerRun
        self.runs = runs
    }

    /// The runs of `runs` whose record the executor's store lacks, each once, in the grid's order.
    public static func pending(_ runs: [Run], executor: RunExecutor, source: String, renderCommand: [String],
                               threadsPerRun: Int) throws -> GridManifest {
        let gue = absolutePath(executor.gue.root)
        let results = absolutePath(executor.store.root)
        var seen = Set<String>()
        var entries: [Entry] = []
        for run in runs {
            let key = try executor.key(run)
            guard executor.store.record(key) == nil, seen.insert(key).inserted else { continue }
            entries.append(Entry(key: key, label: run.label, run: run, profile: run.profile, gue: gue, results: results,
                                 estimatedSeconds: try executor.estimatedSeconds(run, threads: threadsPerRun),
                                 memory: try executor.memoryRequest(run, threads: threadsPerRun)))
        }
        return GridManifest(source: source, renderCommand: renderCommand, threadsPerRun: threadsPerRun, runs: entries)
    }

    // MARK: reading and writing

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, "no such manifest (make one with GENECODING_BACKEND=manifest or `genecoding grid manifest`)")
        }
        do {
            self = try ResultStore.decoder.decode(GridManifest.self, from: data)
        } catch {
            throw InputError(file: path, "not a grid manifest: \(error)")
        }
        guard format == Self.currentFormat else {
            throw InputError(file: path, "manifest format \(format); this genecoding reads format \(Self.currentFormat)")
        }
        let problems = self.problems()
        if !problems.isEmpty {
            throw InputError(file: path, "cannot be trained as it stands (was it edited by hand?): " + problems.joined(separator: "; "))
        }
    }

    /// Everything in the manifest that no run could be trained with: the threads, and per entry its
    /// key, its paths, its estimate and every setting of its run (`Run.validated`), each problem with
    /// the entry's index and label. Checked on load, so that one bad entry stops the manifest before
    /// any run starts, not a worker halfway through.
    public func problems() -> [String] {
        var found: [String] = []
        do { try RunExecutor.validate(threads: threadsPerRun) } catch { found.append("threadsPerRun: \(error)") }
        let hexDigits = Set("0123456789abcdef")
        for (index, entry) in runs.enumerated() {
            var wrong: [String] = []
            if entry.key.count != 64 || !entry.key.allSatisfy(hexDigits.contains) { wrong.append("key '\(entry.key)' is not a SHA-256 in hex") }
            if entry.gue.isEmpty { wrong.append("gue names no folder") }
            if entry.results.isEmpty { wrong.append("results names no folder") }
            if !(entry.estimatedSeconds.isFinite && entry.estimatedSeconds >= 0) {
                wrong.append("estimatedSeconds is \(entry.estimatedSeconds), not a number of seconds")
            }
            do { try entry.run.validate() } catch { wrong.append("\(error)") }
            if !wrong.isEmpty { found.append("run \(index) (\(entry.label)): " + wrong.joined(separator: "; ")) }
        }
        return found
    }

    /// Written in one step (`AtomicFile`), so a reader never sees half a manifest.
    public func write(to path: String) throws {
        try AtomicFile.write(try ResultStore.encoder.encode(self), to: path)
    }

    /// The memory request of each run: from the manifest, or, for a manifest written before memory was
    /// estimated, from the run's data where the entry says it is (nil when that cannot be read).
    public func memoryRequests() -> [MemoryRequest?] {
        var executors: [String: RunExecutor] = [:]
        return runs.map { entry in
            if let memory = entry.memory { return memory }
            let place = entry.gue + "\n" + entry.results
            let executor = executors[place] ?? RunExecutor(gue: GUE(root: URL(fileURLWithPath: entry.gue)),
                                                           store: ResultStore(root: URL(fileURLWithPath: entry.results)))
            executors[place] = executor
            return try? executor.memoryRequest(entry.run, threads: threadsPerRun)
        }
    }

    /// The entry an array task runs, with a message a person can act on when it is out of range.
    public func entry(at index: Int) throws -> Entry {
        guard runs.indices.contains(index) else {
            let range = runs.isEmpty ? "it has none" : "0...\(runs.count - 1)"
            throw ConfigurationError(message: "run index \(index) is outside the manifest's \(runs.count) runs (\(range))")
        }
        return runs[index]
    }
}

/// `path` made absolute against the current folder, with `.` and `..` resolved.
func absolutePath(_ url: URL) -> String {
    absolutePath(url.path)
}

func absolutePath(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    let absolute = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
    return URL(fileURLWithPath: absolute).standardizedFileURL.path
}

/// The files kept beside a manifest `DIR/NAME.json`.
public struct GridFiles: Sendable, Hashable {
    public let manifest: String

    public init(manifest: String) { self.manifest = absolutePath(manifest) }

    private var base: String { manifest.hasSuffix(".json") ? String(manifest.dropLast(5)) : manifest }
    /// The jobs submitted for this manifest (`GridJobs`).
    public var jobs: String { base + ".jobs.json" }
    /// Array tasks write their output here, one file per task: `<job id>_<index>.out`.
    public var logDirectory: String { base + ".logs" }
    /// The script of the `number`-th submission (1 for the first).
    public func script(_ number: Int) -> String { base + ".submit-\(number).sbatch" }
    /// The copy of the manifest the `number`-th submission's tasks read.
    public func snapshot(_ number: Int) -> String { base + ".submit-\(number).json" }
    public func log(job: String, index: Int) -> String { logDirectory + "/\(job)_\(index).out" }
}
