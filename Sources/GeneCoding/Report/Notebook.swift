// What every chapter shares: its options, its grid of runs, its report and figures.
//
// A chapter is a notebook (chapters/NN-name/main.swift): it opens a `Notebook`, writes prose and
// tables into it step by step, runs its grid through `run(_:)` (which reuses every stored result),
// and calls `finish(verdicts:)`, which writes reports/NN-name.md with a provenance banner, the
// verdicts as JSON for the index, and the figures' data and gnuplot scripts under figures/.
//
// Options (all optional): --profile smoke|default|paper (or $GENECODING_PROFILE), --tasks a,b,
// --workers N, --threads N, --results DIR, --gue DIR, --reports DIR, --figures DIR.
import Foundation

public final class Notebook {
    public let name: String
    public let title: String
    public let profile: ScaleProfile
    public let tasks: [String]
    public let workers: Int
    public let threads: Int
    public let executor: RunExecutor
    public let reportsDirectory: String
    public let figuresDirectory: String
    public private(set) var document: MarkdownDocument
    public private(set) var records: [RunRecord] = []
    private var stepNumber = 0
    private let started = Date()
    private var startProvenance: Provenance!
    private var figures: [Figure] = []

    /// `name` is the chapter's folder name, e.g. "01-tokenization".
    public init(name: String, title: String, arguments: [String] = CommandLine.arguments) throws {
        var options: [String: String] = [:]
        var i = 1
        while i < arguments.count {
            let a = arguments[i]
            guard a.hasPrefix("--"), i + 1 < arguments.count else {
                throw ConfigurationError(message: "\(name): unexpected argument '\(a)'; options: --profile, --tasks, --workers, --threads, --results, --gue, --reports, --figures")
            }
            options[String(a.dropFirst(2))] = arguments[i + 1]
            i += 2
        }
        let known: Set = ["profile", "tasks", "workers", "threads", "results", "gue", "reports", "figures"]
        if let unknown = options.keys.first(where: { !known.contains($0) }) {
            throw ConfigurationError(message: "\(name): unknown option --\(unknown); options: " + known.sorted().map { "--" + $0 }.joined(separator: ", "))
        }
        self.name = name
        self.title = title
        profile = try ScaleProfile.named(options["profile"] ?? ProcessInfo.processInfo.environment["GENECODING_PROFILE"] ?? "default")
        tasks = options["tasks"].map { $0.split(separator: ",").map(String.init) } ?? profile.tasks
        workers = try options["workers"].map { guard let n = Int($0), n > 0 else { throw ConfigurationError(message: "--workers takes a positive number") }; return n } ?? profile.workers
        threads = try options["threads"].map { guard let n = Int($0), n > 0 else { throw ConfigurationError(message: "--threads takes a positive number") }; return n } ?? profile.threadsPerRun
        let gue = try options["gue"].map { GUE(root: URL(fileURLWithPath: $0)) } ?? GUE.fromEnvironment()
        executor = RunExecutor(gue: gue, store: ResultStore(root: URL(fileURLWithPath: options["results"] ?? "results")))
        reportsDirectory = options["reports"] ?? "reports"
        figuresDirectory = options["figures"] ?? "figures"
        document = MarkdownDocument(path: "\(reportsDirectory)/\(name).md")
        startProvenance = Provenance.current(profile: profile.name, seeds: profile.seeds, threads: threads)
        document.heading(title, level: 1)
        document.paragraph("Scale profile **\(profile.name)** — \(profile.description). Tasks: \(tasks.map(Markdown.code).joined(separator: ", ")).")
        if profile.name == "smoke" {
            document.paragraph("> **Smoke profile.** These numbers only show that the chapter runs end to end; models this small, "
                               + "trained this briefly, carry no evidence for or against the paper. Read the default-profile report.")
        }
        for task in tasks { _ = try executor.task(task) }  // fail early, with the list of tasks, on a typo
    }

    // MARK: writing

    /// The claim under test: the paper's words, then ours.
    public func claim(paper: String, source: String, ours: String) {
        document.heading("The claim", level: 2)
        document.quote(paper, source: source)
        document.paragraph(ours)
    }

    /// A numbered step: heading and prose.
    public func step(_ heading: String, _ prose: String) {
        stepNumber += 1
        document.heading("\(stepNumber). \(heading)", level: 2)
        document.paragraph(prose)
    }

    public func paragraph(_ text: String) { document.paragraph(text) }
    public func bullets(_ items: [String]) { document.bulletList(items) }
    public func table(_ table: Table, caption: String? = nil) { document.table(table, caption: caption) }

    /// Writes a chart's data and gnuplot script under figures/ (make renders them) and shows it.
    public func figure(_ chart: Chart, alt: String, caption: String? = nil) throws {
        let figure = try chart.write(to: figuresDirectory, provenance: provenance())
        figures.append(figure)
        document.figure(figure, alt: alt, caption: caption)
    }

    // MARK: running

    /// Every run of the grid, from the store when it is there, else trained now. With
    /// GENECODING_BACKEND=manifest or slurm (`GridBackend`) the missing runs are written to a
    /// manifest (and submitted) instead, and the chapter stops here without a report.
    public func run(_ runs: [Run]) throws -> [RunRecord] {
        if let handedOff = try GridBackend.fromEnvironment().handOff(runs, source: name, executor: executor, threadsPerRun: threads) {
            FileHandle.standardError.write(Data("\(name): \(handedOff)\n".utf8))
            exit(GridBackend.handedOffExitStatus)
        }
        let results = try executor.executeAll(runs, workers: workers, threadsPerRun: threads)
        records.append(contentsOf: results)
        return results
    }

    /// How many of `runs` the result store already holds (for the prose: "N of them were already stored").
    public func storedCount(_ runs: [Run]) throws -> Int {
        try runs.filter { executor.store.record(try executor.key($0)) != nil }.count
    }

    /// Test MCC over seeds of the records matching `where`.
    public func score(_ records: [RunRecord], where matches: (Run) -> Bool) -> CellScore {
        CellScore(records.filter { matches($0.run) && $0.status == .done }.compactMap { $0.outcome?.test.mcc })
    }

    /// "train / dev / test" examples this profile uses of a task (the first rows of each split).
    public func usedExamples(_ task: GUETask) -> String {
        "\(min(task.train.count, profile.trainLimit ?? .max)) / \(min(task.dev.count, profile.devLimit ?? .max)) / "
            + "\(min(task.test.count, profile.testLimit ?? .max))"
    }

    /// The note of every reduced task used (PROVENANCE.md), to print next to its scores.
    public func taskNotes() -> [String] {
        tasks.compactMap { t in (try? executor.task(t))?.provenance.map { "`\(t)`: " + $0.split(separator: "\n").joined(separator: " ") } }
    }

    // MARK: finishing

    /// How this chapter was made, with the wall time so far.
    public func provenance() -> Provenance { startProvenance.finished(at: Date()) }

    /// Writes the verdicts section, the report and its verdicts as JSON.
    public func finish(verdicts: [Verdict]) throws {
        document.heading("\(stepNumber + 1). Verdict", level: 2)
        var table = Table(["claim", "verdict", "evidence"])
        for v in verdicts { table.append([v.claim, "**\(v.status.rawValue)**", v.evidence]) }
        document.table(table)
        let failed = records.filter { $0.status == .failed }
        if !failed.isEmpty {
            document.paragraph("Failed runs (recorded, left out of the means): "
                               + failed.map { "\($0.run.label) — \($0.failure ?? "")" }.joined(separator: "; ") + ".")
        }
        let trainingSeconds = records.compactMap(\.outcome).reduce(0) { $0 + $1.trainingSeconds }
        document.paragraph(String(format: "Cost: %d runs (%d distinct), %@ of training in total; this rendering took %@.",
                                  records.count, Set(records.map(\.key)).count, Format.duration(trainingSeconds),
                                  Format.duration(Date().timeIntervalSince(started))))
        try document.write(provenance: provenance())
        let summary = ChapterSummary(name: name, title: title, profile: profile.name, verdicts: verdicts,
                                     runs: Set(records.map(\.key)).count, trainingSeconds: trainingSeconds,
                                     figures: figures.map(\.name))
        try AtomicFile.write(try ResultStore.encoder.encode(summary), to: "\(reportsDirectory)/\(name).json")
        FileHandle.standardError.write(Data("wrote \(document.path)\n".utf8))
    }
}

/// What the index (REPORT.md) reads of each chapter.
public struct ChapterSummary: Codable, Sendable {
    public var name: String
    public var title: String
    public var profile: String
    public var verdicts: [Verdict]
    public var runs: Int
    public var trainingSeconds: Double
    public var figures: [String]
}
