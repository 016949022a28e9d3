// What every chapter shares: its options, its grid of runs, its cells, its report and figures.
//
// A chapter is a notebook (chapters/NN-name/main.swift): it opens a `Notebook`, writes prose and
// tables into it step by step, runs its grids through `run(_:)` (which reuses every stored result),
// reads them as cells (`cells`, `cell`; Cells.swift), compares cells (`contrast`; Verdict.swift), and
// calls `finish(verdicts:)`, which writes reports/NN-name.md, the figures' data and gnuplot scripts
// under figures/, and the verdicts as JSON for the index and for other chapters.
//
// Everything written is a function of the chapter's inputs: the banner carries a digest of the run
// keys, the chapter's source and the profile instead of dates or machines, every number comes from the
// stored records (training time summed from them, the machine and commit they were trained on read
// from them), and a file whose bytes would not change is not written at all.
//
// A chapter is top-level code, where an error thrown would end in a crash report. So the notebook's
// methods do not throw: a bad option, a missing task or a failed write prints one line naming the
// chapter and what was wrong, and the chapter exits with status 1 (2 for bad options).
import ArgumentParser
import Foundation

/// The options every chapter takes (`--help` lists them).
public struct ChapterOptions: ParsableArguments {
    @Option(help: "Scale profile: smoke, default or paper (default: $GENECODING_PROFILE, else default).")
    public var profile: String?
    @Option(help: "Comma-separated GUE tasks, e.g. tf/0,EMP/H3 (default: the profile's tasks).")
    public var tasks: String?
    @Option(help: "Runs trained side by side (default: the profile's).")
    public var workers: Int?
    @Option(help: "Threads per run (default: the profile's). Results are the same on any number.")
    public var threads: Int?
    @Option(help: "Result store folder.")
    public var results: String = "results"
    @Option(help: "GUE folder (default: $GUE_DIR).")
    public var gue: String?
    @Option(help: "Folder of the reports.")
    public var reports: String = "reports"
    @Option(help: "Folder of the figures.")
    public var figures: String = "figures"
    @Flag(help: "Train again the runs stored as failed (diverged), instead of reporting them as failed.")
    public var retryFailed = false

    public init() {}
}

public final class Notebook {
    public let name: String
    public let title: String
    public let profile: ScaleProfile
    public let tasks: [String]
    /// The seeds of this chapter's cells: the profile's `seeds` for the paper's claims (chapters 1–3),
    /// its `exploratorySeeds` for chapters 4 and 5, whose grids are larger.
    public let seeds: [UInt64]
    public let workers: Int
    public let threads: Int
    let executor: RunExecutor
    public let reportsDirectory: String
    public let figuresDirectory: String
    public private(set) var document: MarkdownDocument
    /// Every record a grid of this chapter returned, in order (a run two grids share appears twice).
    public private(set) var records: [RunRecord] = []
    private var stepNumber = 0
    private let retryFailed: Bool
    private var figures: [(chart: Chart, figure: Figure)] = []
    private var exports: [String: String] = [:]
    private var chaptersRead: Set<String> = []

    /// `name` is the chapter's folder name, e.g. "01-tokenization". `arguments` are the command line's
    /// (without the program); `--help` prints the options and exits.
    /// `defaultTasks` picks the profile's tasks this chapter runs when `--tasks` is not given (chapter 5
    /// has its own list: tasks with large training splits).
    public convenience init(name: String, title: String, defaultTasks: KeyPath<ScaleProfile, [String]> = \.tasks,
                            seeds: KeyPath<ScaleProfile, [UInt64]> = \.seeds,
                            arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        let options: ChapterOptions
        do {
            options = try ChapterOptions.parse(arguments)
        } catch {
            ChapterOptions.exit(withError: error)   // --help included: prints and exits (0 for --help)
        }
        do {
            try self.init(name: name, title: title, options: options, defaultTasks: defaultTasks, seeds: seeds)
        } catch {
            Notebook.stop(name, error, status: 2)
        }
    }

    /// The notebook of chapter `name` with these options; throws on bad ones (tests use this).
    public init(name: String, title: String, options: ChapterOptions, defaultTasks: KeyPath<ScaleProfile, [String]> = \.tasks,
                seeds: KeyPath<ScaleProfile, [UInt64]> = \.seeds) throws {
        self.name = name
        self.title = title
        profile = try ScaleProfile.named(options.profile ?? ProcessInfo.processInfo.environment["GENECODING_PROFILE"] ?? "default")
        let given = options.tasks.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        // Every option checked where it enters, with one message naming each problem (ScaleProfile.validate).
        try profile.validate(tasks: given, workers: options.workers, threads: options.threads)
        tasks = try (given ?? profile[keyPath: defaultTasks]).map(Run.normalizedTaskName)
        self.seeds = profile[keyPath: seeds]
        workers = options.workers ?? profile.workers
        threads = options.threads ?? profile.threadsPerRun
        retryFailed = options.retryFailed
        let gue = try options.gue.map { GUE(root: URL(fileURLWithPath: $0)) } ?? GUE.fromEnvironment()
        executor = RunExecutor(gue: gue, store: ResultStore(root: URL(fileURLWithPath: options.results)))
        executor.retryFailed = options.retryFailed
        reportsDirectory = options.reports
        figuresDirectory = options.figures
        document = MarkdownDocument(path: "\(reportsDirectory)/\(name).md")
        document.heading(title, level: 1)
        let ownSeeds = self.seeds == profile.seeds ? "" : " This chapter's seeds: \(self.seeds.map(String.init).joined(separator: ","))."
        document.paragraph("Scale profile **\(profile.name)** — \(profile.description). Tasks: \(tasks.map(Markdown.code).joined(separator: ", ")).\(ownSeeds)")
        if profile.name == "smoke" {
            document.paragraph("> **Smoke profile.** These numbers only show that the chapter runs end to end; models this small, "
                               + "trained this briefly, carry no evidence for or against the paper. Read the default-profile report.")
        }
        for task in tasks { _ = try executor.task(task) }  // fail early, with the list of tasks, on a typo
    }

    /// Ends the chapter on an error: one line on standard error, no crash report.
    static func stop(_ chapter: String, _ error: Error, status: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("\(chapter): \(error)\n".utf8))
        exit(status)
    }

    /// The body's result, or the chapter ends on its error (one line, no crash report): for the library
    /// calls a chapter makes beyond the notebook's own (writing generated data, profiling a vocabulary).
    public func orStop<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { Notebook.stop(name, error) }
    }

    // MARK: writing

    /// The claim under test: the paper's words (from the project's summary of the paper, with its
    /// source), then ours.
    public func claim(paper: String, source: String, ours: String) {
        document.heading("The claim", level: 2)
        document.quote(paper, source: source)
        document.paragraph(ours)
    }

    /// The questions under test when there is no claim of the paper's to quote (chapter 4 asks the
    /// questions the paper leaves open): the questions in our words with where the paper raises them,
    /// then how the chapter answers them.
    public func questions(_ text: String, source: String, ours: String) {
        document.heading("The questions", level: 2)
        document.paragraph("\(text) (\(source))")
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

    /// Shows a chart; its data and gnuplot script are written under figures/ when the chapter finishes
    /// (make renders them).
    public func figure(_ chart: Chart, alt: String, caption: String? = nil) {
        let figure = Figure(name: chart.name, directory: figuresDirectory)
        figures.append((chart, figure))
        document.figure(figure, alt: alt, caption: caption)
    }

    // MARK: data

    /// The GUE folder the chapter reads (DNABERT-2's vocabulary is looked for beside it).
    public var gueRoot: URL { executor.gue.root }

    /// DNABERT-2's 4,096-entry BPE vocabulary (a Hugging Face tokenizer.json): $DNABERT2_TOKENIZER, else
    /// tokenizers/dnabert2-bpe4096.json beside the GUE folder; nil when the file is not there.
    public var dnabert2Vocabulary: String? {
        let path = ProcessInfo.processInfo.environment["DNABERT2_TOKENIZER"]
            ?? gueRoot.deletingLastPathComponent().appendingPathComponent("tokenizers/dnabert2-bpe4096.json").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A task as loaded from GUE (or the store's synthetic tasks).
    public func task(_ name: String) -> GUETask { orStop { try executor.task(name) } }

    /// The data table every chapter opens with: per task, classes, split sizes, lengths, and what this
    /// profile uses; `extra` adds columns of the chapter's own after the task's name.
    public func dataTable(extra: [(title: String, value: (String) -> String)] = []) -> Table {
        orStop { try makeDataTable(extra: extra) }
    }

    private func makeDataTable(extra: [(title: String, value: (String) -> String)]) throws -> Table {
        var table = Table(["task"] + extra.map(\.title) + ["classes", "train / dev / test", "length (bp)", "used at this profile"])
        for name in tasks {
            let t = try executor.task(name)
            table.append([Markdown.code(name) + (t.isReduced ? " (reduced)" : "")] + extra.map { $0.value(name) }
                         + ["\(t.classCount)", "\(t.train.count) / \(t.dev.count) / \(t.test.count)",
                            "\(t.train.summary.shortest)–\(t.train.summary.longest)", usedExamples(t)])
        }
        return table
    }

    /// "train / dev / test" examples this profile uses of a task.
    public func usedExamples(_ task: GUETask) -> String {
        "\(min(task.train.count, profile.trainLimit ?? .max)) / \(min(task.dev.count, profile.devLimit ?? .max)) / "
            + "\(min(task.test.count, profile.testLimit ?? .max))"
    }

    /// The note of every reduced task used (PROVENANCE.md), to print next to its scores.
    public func taskNotes() -> [String] {
        tasks.compactMap { t in (try? executor.task(t))?.provenance.map { "`\(t)`: " + $0.split(separator: "\n").joined(separator: " ") } }
    }

    // MARK: running

    /// Every run of the grid, from the store when it is there, else trained now. With
    /// GENECODING_BACKEND=manifest or slurm (`GridBackend`) the missing runs are written to a
    /// manifest (and submitted) instead, and the chapter stops here without a report.
    public func run(_ runs: [Run]) -> [RunRecord] {
        orStop { try execute(runs) }
    }

    private func execute(_ runs: [Run]) throws -> [RunRecord] {
        if let handedOff = try GridBackend.fromEnvironment().handOff(runs, source: name, executor: executor, threadsPerRun: threads) {
            FileHandle.standardError.write(Data("\(name): \(handedOff)\n".utf8))
            exit(GridBackend.handedOffExitStatus)
        }
        let results = try executor.executeAll(runs, workers: workers, threadsPerRun: threads)
        records.append(contentsOf: results)
        return results
    }

    /// A BPE vocabulary learned from `sequences` (cached in the store under `cacheName`, which must
    /// name everything it depends on).
    public func learnedBPE(_ cacheName: String, size: Int, name: String, from: String, sequences: () -> [String]) -> BPETokenizer {
        orStop { try executor.learnedBPE(cacheName, size: size, name: name, from: from, sequences: sequences) }
    }

    /// The tokenizer a run uses (learned BPE vocabularies come from the store's cache).
    public func tokenizer(for run: Run) -> any Tokenizer { orStop { try executor.tokenizer(for: run) } }

    /// Where chapter 4 writes its generated tasks (`synthetic:` names).
    public var syntheticRoot: URL { executor.syntheticRoot }

    /// A value computed once and kept in the store under results/<kind>/<key>.json (a measurement, an
    /// analysis); `inputs` must name everything it depends on.
    public func cached<Inputs: Codable, T: Codable>(_ kind: String, inputs: Inputs, compute: () throws -> T) -> T {
        orStop { try executor.store.cached(kind, key: ResultStore.key(of: inputs), compute: compute) }
    }

    // MARK: reading results

    /// The records of `records` whose run matches, as one cell.
    public func cell(_ records: [RunRecord], name: String, where matches: (Run) -> Bool) -> Cell {
        Cell(name: name, records: records.filter { matches($0.run) }.distinctRuns)
    }

    /// A table of cells: rows (tasks) by columns, each cell the records whose run `matches(run, row, column)`.
    public func cells<Column: Hashable & Sendable>(_ records: [RunRecord], rows: [String], columns: [Column],
                                                   name: @escaping @Sendable (Column) -> String,
                                                   where matches: (Run, String, Column) -> Bool) -> CellTable<Column> {
        CellTable(rows: rows, columns: columns, columnName: name) { row, column in
            Cell(name: "\(row), \(name(column))", records: records.filter { matches($0.run, row, column) }.distinctRuns)
        }
    }

    /// The difference mean(a) − mean(b) of a quantity with its 95% interval (Metrics/Inference.swift):
    /// paired over seeds when the cells ran the same seeds, with the test set's sampling error when
    /// both cells kept their per-example predictions on one test set. nil when a side has no finished run.
    public func compare(_ a: Cell, _ b: Cell, _ quantity: Quantity = .testMCC) -> DifferenceEstimate? {
        orStop { try estimate(a, b, quantity) }
    }

    private func estimate(_ a: Cell, _ b: Cell, _ quantity: Quantity) throws -> DifferenceEstimate? {
        let sides = [a, b].map { cell in cell.done.map { (seed: $0.run.seed, value: quantity.value($0) ?? .nan,
                                                         predictions: quantity.predictions?($0), run: $0.run) } }
        // The bootstrap needs every run's predictions, all on one test set: one task, the same examples.
        let all = Array(sides.joined())
        let oneTestSet = Set(all.map { "\($0.run.task)|\($0.run.testLimit ?? -1)" }).count == 1
        let labels: [Int]? = !all.isEmpty && oneTestSet && all.allSatisfy({ $0.predictions != nil })
            ? try executor.testLabels(all[0].run, quantity.testSet) : nil
        let samples = try zip([a, b], sides).map { cell, runs in
            try CellSample(name: cell.name, seeds: runs.map(\.seed), values: runs.map(\.value),
                           predictions: labels == nil ? nil : runs.map { $0.predictions! }, labels: labels)
        }
        return try Inference.difference(samples[0], samples[1])
    }

    /// One contrast of a claim: A against B where `name` says (a task, usually).
    public func contrast(_ name: String, _ a: Cell, _ b: Cell, _ quantity: Quantity = .testMCC) -> Contrast {
        Contrast(name: name, meanA: a.score(quantity).mean, meanB: b.score(quantity).mean, estimate: compare(a, b, quantity),
                 testSamplingApplies: quantity.predictions != nil)
    }

    // MARK: other chapters

    /// What another chapter wrote beside its report (its verdicts and exported values), when it has
    /// been rendered into the same reports folder.
    public func chapter(_ name: String) -> ChapterSummary? {
        let path = "\(reportsDirectory)/\(name).json"
        chaptersRead.insert(path)   // an input of this chapter's files: it enters their digest
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? ResultStore.decoder.decode(ChapterSummary.self, from: data)
    }

    /// The chapter that decides the claims of chapters 1–3 at every data size.
    public static let scaleChapter = "05-scale"
    /// Under this key of its values chapter 5 says whether the claim `id` changes with scale.
    public static func scaleNoteKey(_ id: String) -> String { "scale-note:\(id)" }

    /// A value this chapter offers other chapters (`chapter(name)?.values[key]`).
    public func export(_ key: String, _ value: String) { exports[key] = value }

    // MARK: finishing

    /// The scale a default verdict of this chapter holds at, for the index.
    public var scale: String {
        "width \(profile.width), \(Format.plural(profile.layers, "layer")), "
            + (profile.trainLimit.map { "\($0) training sequences a task" } ?? "whole training splits")
            + ", \(Format.plural(profile.epochs, "epoch")), \(Format.plural(seeds.count, "seed"))"
    }

    /// Writes the verdicts section, the report, its figures and its summary (verdicts as JSON).
    /// Each verdict says at what scale it holds and, when chapter 5 has decided the same claim at other
    /// data sizes (`Notebook.scaleNoteKey`), whether it changes with scale.
    public func finish(verdicts: [Verdict]) {
        orStop { try write(verdicts: verdicts) }
    }

    private func write(verdicts: [Verdict]) throws {
        let scaleChapter = name == Self.scaleChapter ? nil : chapter(Self.scaleChapter)
        let verdicts = verdicts.map { v -> Verdict in
            var v = v
            if v.scale == nil { v.scale = scale }
            if let id = v.id, v.scaleNote == nil, let note = scaleChapter?.values?[Self.scaleNoteKey(id)] {
                v.scaleNote = note
            }
            return v
        }
        document.heading("\(stepNumber + 1). Verdict", level: 2)
        document.paragraph("How differences are judged: the difference of mean test MCC with its 95% interval, from the "
                           + "seeds' spread (paired when both cells ran the same seeds) and the test set's sampling error (a "
                           + "bootstrap of test examples); a claim over several tasks counts a task only when its difference "
                           + "stays clear after Holm's correction; where none is found, the smallest difference the design could "
                           + "detect is given. The method note: "
                           + Markdown.link("Metrics/Inference.swift", to: MarkdownDocument.relativePath(
                                of: "Sources/GeneCoding/Metrics/Inference.swift", from: reportsDirectory)) + ".")
        var table = Table(["claim", "verdict", "evidence"]
                          + (verdicts.contains { $0.scaleNote != nil } ? ["with more data (" + Markdown.link("chapter 5", to: "\(Self.scaleChapter).md") + ")"] : []))
        for v in verdicts {
            table.append([v.claim, "**\(v.status.rawValue)**", v.evidence] + (table.columns.count == 4 ? [v.scaleNote ?? "—"] : []))
        }
        // A chapter whose verdicts share a scale of their own (chapter 5's largest size) states that one.
        let scales = Set(verdicts.compactMap(\.scale))
        let stated = scales.count == 1 ? scales.first! : scale
        document.table(table, caption: stated == scale ? "Verdicts at this profile's scale: \(scale)." : "Verdicts at this chapter's scale: \(stated).")
        let unique = records.distinctRuns.sorted { $0.key < $1.key }
        let failed = unique.filter { $0.status == .failed }
        if !failed.isEmpty {
            document.paragraph("\(Format.plural(failed.count, "run")) failed (recorded, left out of the means; `--retry-failed` trains them again): "
                               + failed.map { "\($0.run.label) — \($0.failure ?? "")" }.joined(separator: "; ") + ".")
        }
        document.paragraph(costSentence(unique))
        let banner = provenance(unique)
        for (chart, _) in figures { try chart.write(to: figuresDirectory, provenance: banner) }
        try document.write(provenance: banner)
        let summary = ChapterSummary(name: name, title: title, profile: profile.name, verdicts: verdicts,
                                     runs: unique.count, trainingSeconds: unique.trainingSeconds,
                                     figures: figures.map(\.figure.name), values: exports.isEmpty ? nil : exports)
        let json = String(decoding: try ResultStore.encoder.encode(summary), as: UTF8.self) + "\n"
        try AtomicFile.writeIfChanged(json, to: "\(reportsDirectory)/\(name).json")
        FileHandle.standardError.write(Data("wrote \(document.path)\n".utf8))
    }

    /// "84 runs, 7 min 15 s of run time (training and evaluation, summed from the runs' records)": what
    /// some of the chapter's runs cost (a section's), each distinct run counted once.
    public func cost(of records: [RunRecord]) -> String {
        let unique = records.distinctRuns
        return "\(Format.plural(unique.count, "run")), \(Format.duration(unique.reduce(0) { $0 + $1.wallSeconds })) of run time "
            + "(training and evaluation, summed from the runs' records)"
    }

    /// What the runs cost and where they ran, from their records.
    func costSentence(_ unique: [RunRecord]) -> String {
        let training = unique.trainingSeconds
        let wall = unique.reduce(0) { $0 + $1.wallSeconds }
        var sentence = "Cost: \(Format.plural(unique.count, "distinct run")), \(Format.duration(training)) of training "
            + "(\(Format.duration(wall)) with evaluation), summed over runs"
        let threads = Set(unique.map(\.threads)).sorted()
        if !threads.isEmpty { sentence += ", trained with \(threads.map(String.init).joined(separator: " or ")) thread\(threads == [1] ? "" : "s") a run" }
        let machines = Set(unique.compactMap { $0.machine?.description }).sorted()
        if !machines.isEmpty { sentence += " on " + machines.joined(separator: "; ") }
        let commits = Set(unique.map(\.commit)).sorted()
        if !commits.isEmpty && commits.count <= 3 { sentence += ", code at commit\(commits.count == 1 ? "" : "s") " + commits.joined(separator: ", ") }
        if let first = unique.map(\.finished).min(), let last = unique.map(\.finished).max() {
            let day = { (d: Date) in String(ISO8601DateFormatter().string(from: d).prefix(10)) }
            sentence += day(first) == day(last) ? ", on \(day(first))" : ", from \(day(first)) to \(day(last))"
        }
        return sentence + "."
    }

    /// The banner of this chapter's files: the command, the profile, and the digest of its inputs.
    func provenance(_ unique: [RunRecord]) -> Provenance {
        var digest = InputDigest()
        digest.add("runs", unique.map(\.key).joined(separator: "\n"))
        digest.add(file: "chapters/\(name)/main.swift", as: "chapter source")
        digest.add("profile", profile.description + "\n" + tasks.joined(separator: ","))
        digest.add("engine", engineVersion)
        for path in chaptersRead.sorted() { digest.add(file: path, as: "read: " + URL(fileURLWithPath: path).lastPathComponent) }
        return Provenance(command: Provenance.commandLine(), profile: profile.name, seeds: seeds, inputs: digest.hex)
    }
}

/// What the index (REPORT.md) and other chapters read of each chapter.
public struct ChapterSummary: Codable, Sendable {
    public var name: String
    public var title: String
    public var profile: String
    public var verdicts: [Verdict]
    public var runs: Int
    public var trainingSeconds: Double
    public var figures: [String]
    /// Values the chapter offers others (chapter 1's best k-mer for chapter 4, say).
    public var values: [String: String]?
}
