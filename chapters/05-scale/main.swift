// Chapter 5 — At what data size and model width do the paper's verdicts hold?
//
// Chapters 1–3 decide the paper's claims at one small budget: 1,000 training sequences a task, width
// 64. The paper trained width 768 on whole GUE training splits. This chapter asks the claims again on
// tasks with large training splits, from 1,000 sequences up, for tokenizers, position encodings, depth,
// width and BPE vocabulary size, so that each verdict says at what scale it holds and where it flips.
//
// Run: `make chapter-scale` (or `swift run -c release Chapter05Scale --profile smoke`; `--help` lists the options).
import Foundation
import GeneCoding

let book = Notebook(name: "05-scale", title: "Chapter 5 — Scale: where the verdicts hold, and where they flip",
                    defaultTasks: \.scale.tasks, seeds: \.exploratorySeeds)
let study = book.profile.scale

book.questions("""
    The paper reports every comparison at one scale: hidden width 768, whole GUE training splits. Our chapters 1–3 \
    decide its claims at a laptop's budget, 1,000 training sequences a task at width 64, where many models sit near \
    chance. A verdict found there may describe the budget rather than the tokenizer or the encoding.
    """, source: "docs/paper.md, what we add", ours: """
    The question: as the training set grows from \(study.sizes.first!.map(String.init) ?? "all") sequences, and the model \
    widens, does each claim of chapters 1–3 keep its verdict, or flip? Every point is a seeded, label-stratified, nested \
    training sample (the 2,000-sequence sample holds the 1,000-sequence one), scored on the task's whole test split.
    """)

// MARK: 1. Setup

let sizes = study.sizes.map(TrainingSize.init)
let checkpoints = study.checkpointSizes.map(TrainingSize.init)
let trainCount = Dictionary(uniqueKeysWithValues: book.tasks.map { ($0, book.task($0).train.count) })
let kmers: [TokenizerSpec] = [1, 3, 4, 6].map { .kmer(k: $0, overlapping: false) }
let bpe = TokenizerSpec.bpe(vocabularySize: 4096)
let tokenizers = kmers + [bpe]
let name: @Sendable (TokenizerSpec) -> String = { $0.displayName }

/// The budget rule: the profile's epochs, or more when those give fewer than the floor of optimiser steps.
func epochs(rows: Int) -> Int {
    let steps = (rows + book.profile.batchSize - 1) / book.profile.batchSize
    return max(book.profile.epochs, (study.minimumSteps + steps - 1) / steps)
}

book.step("Setup", """
    Tasks with large training splits: \(Format.list(book.tasks.map { "\(Markdown.code($0)) (\(trainCount[$0]!) training sequences)" })). \
    Sizes: \(Format.list(sizes.map(\.label))) training sequences (a task whose split is smaller trains on all of it there). \
    Every model is the profile's (\(Format.plural(book.profile.layers, "layer")) of width \(book.profile.width), RoPE) \
    unless a contrast changes one thing: the tokenizer (1-, 3-, 4- and 6-mers against BPE-4096, at every size); the \
    position encoding (RoPE against ALiBi and sinusoidal, with BPE), the depth (\(book.profile.layers) against \
    \(study.deepLayers) layers) and the width (\(book.profile.width) against \(study.widths[0]), and \(study.widths[1]) at \
    the largest size on \(Markdown.code(book.tasks[0]))) at \(Format.list(checkpoints.map(\.label))); the BPE vocabulary \
    (256, 1,024 and 4,096 entries) at the smallest and largest size. \(Format.plural(book.seeds.count, "seed")) per \
    point; each seed draws its own training sample, shared by every cell with that seed, so comparisons are paired.
    """)
book.paragraph("""
    **A training budget that is fair across sizes.** With a fixed number of epochs, 1,000 sequences get \
    \((1000 + book.profile.batchSize - 1) / book.profile.batchSize * book.profile.epochs) optimiser \
    steps and 16,000 get sixteen times as many, so a curve over sizes would confound data with optimisation. We put a \
    floor under the optimiser steps: every run trains for the profile's \(book.profile.epochs) epochs or, when those give \
    fewer than \(study.minimumSteps) steps, for as many epochs as reach \(study.minimumSteps) (\(Format.list(sizes.map { s in
        "\(s.label): \(epochs(rows: s.rows(of: trainCount[book.tasks[0]]!))) epochs" }))). Small samples are then trained \
    to convergence rather than stopped early, while the parameters kept are still those of the best dev epoch (the GUE \
    protocol), so extra epochs cannot overfit the reported model past what dev MCC allows. A step below shows on \
    \(Markdown.code(book.tasks[0])) what the rule changes against fixed epochs. Every run trains at a peak learning rate of \
    \(study.learningRate), below chapters 1–4's \(book.profile.optimizer.learningRate) (a step below says why), so this chapter's \
    smallest size is not chapter 1's runs. BPE vocabularies are learned from each task's whole training split at every \
    size, as in chapters 1–4 (unlabelled sequence).
    """)

// MARK: 2. Data

book.step("Data", "The tasks and what each size uses.")
book.table(book.dataTable(extra: [("sizes used", { task in sizes.map { "\($0.rows(of: trainCount[task]!))" }.joined(separator: ", ") })]),
           caption: "Training samples: \(subsetRule). Dev and test: fixed samples (test: whole split at this profile).")
book.bullets(book.taskNotes())

// MARK: 3. Runs

enum Budget { case floor, fixedEpochs }
func run(_ task: String, _ size: TrainingSize, _ tokenizer: TokenizerSpec, seed: UInt64, encoding: PositionEncoding = .rope,
         layers: Int? = nil, width: Int? = nil, budget: Budget = .floor, learningRate: Double = study.learningRate) -> Run {
    var run = Run(task: task, tokenizer: tokenizer, positionEncoding: encoding, profile: book.profile, seed: seed)
    run.optimizer.learningRate = learningRate
    run.trainLimit = size.trainLimit(of: trainCount[task]!)
    if budget == .floor { run.epochs = epochs(rows: size.rows(of: trainCount[task]!)) }
    if let layers { run.layers = layers }
    if let width { run.width = width; run.feedForwardWidth = 4 * width }
    return run
}
func grid(_ tasks: [String], _ sizes: [TrainingSize], _ make: (String, TrainingSize, UInt64) -> [Run]) -> [Run] {
    tasks.flatMap { task in sizes.flatMap { size in book.seeds.flatMap { make(task, size, $0) } } }
}
let ends = [sizes.first!, sizes.last!]
let budgetSizes = sizes.filter { epochs(rows: $0.rows(of: trainCount[book.tasks[0]]!)) > book.profile.epochs }
let grids: [(name: String, runs: [Run])] = [
    ("tokenizers", grid(book.tasks, sizes) { t, s, seed in tokenizers.map { run(t, s, $0, seed: seed) } }),
    ("encodings", grid(book.tasks, checkpoints) { t, s, seed in [.alibi, .sinusoidal].map { run(t, s, bpe, seed: seed, encoding: $0) } }),
    ("depth", grid(book.tasks, checkpoints) { t, s, seed in [run(t, s, bpe, seed: seed, layers: study.deepLayers)] }),
    ("width", grid(book.tasks, checkpoints) { t, s, seed in [run(t, s, bpe, seed: seed, width: study.widths[0])] }
        + grid([book.tasks[0]], [checkpoints.last!]) { t, s, seed in [run(t, s, bpe, seed: seed, width: study.widths[1])] }),
    ("vocabulary", grid(book.tasks, ends) { t, s, seed in [256, 1024].map { run(t, s, .bpe(vocabularySize: $0), seed: seed) } }),
    ("learning rate", grid([book.tasks[0]], [checkpoints.last!]) { t, s, seed in
        [run(t, s, bpe, seed: seed, layers: study.deepLayers, learningRate: book.profile.optimizer.learningRate),
         run(t, s, bpe, seed: seed, width: study.widths[1], learningRate: book.profile.optimizer.learningRate)]
    }),
]
book.step("Runs", grids.map { "\($0.name): \(Format.plural($0.runs.count, "run"))" }.joined(separator: "; ")
          + ". Each keeps the parameters with the best dev MCC and reports test MCC of those.")
var records = book.run(grids.flatMap(\.runs))

/// The cell of one configuration at one size on one task: the profile's model unless an argument changes it.
func cell(_ task: String, _ size: TrainingSize, tokenizer: TokenizerSpec = bpe, encoding: PositionEncoding = .rope,
          layers: Int? = nil, width: Int? = nil, budget: Budget = .floor, learningRate: Double = study.learningRate) -> Cell {
    let reference = run(task, size, tokenizer, seed: 0, encoding: encoding, layers: layers, width: width, budget: budget,
                        learningRate: learningRate)
    return book.cell(records, name: "\(task) \(size.label) \(reference.label)") { r in
        r.task == task && r.trainLimit == reference.trainLimit && r.epochs == reference.epochs && r.tokenizer == tokenizer
            && r.positionEncoding == encoding && r.layers == reference.layers && r.width == reference.width
            && r.optimizer.learningRate == learningRate
    }
}
/// Per task, a table of sizes by columns and a chart of test MCC against size.
func bySize<Column: Hashable & Sendable>(_ what: String, _ figure: String, columns: [Column], sizes: [TrainingSize],
                                         name: @escaping @Sendable (Column) -> String, _ cellOf: (String, TrainingSize, Column) -> Cell) {
    for task in book.tasks {
        let table = CellTable(rows: sizes.map(\.label), columns: columns, columnName: name) { label, column in
            cellOf(task, sizes.first { $0.label == label }!, column)
        }
        book.table(table.table(rowTitles: ["size"], rowLabel: { [$0] }, meanRow: false),
                   caption: "\(Markdown.code(task)): test MCC by \(what) and training-set size (mean ± sd over seeds; best of a row in bold).")
        book.figure(table.lineChartOverRows(name: "05-\(figure)-\(task.replacingOccurrences(of: "/", with: "-"))",
                                            title: "\(task): test MCC by \(what) against training-set size",
                                            xLabel: "training sequences (log scale)", yLabel: "test MCC (mean ± sd over seeds)",
                                            x: { label in Double(sizes.first { $0.label == label }!.rows(of: trainCount[task]!)) }),
                    alt: "test MCC against training-set size on \(task), one line per \(what)")
    }
}

/// The best k-mer of a task at a size, by its mean (which flatters it; see chapter 1).
func bestKmer(_ task: String, _ size: TrainingSize) -> TokenizerSpec {
    kmers.max { cell(task, size, tokenizer: $0).mean < cell(task, size, tokenizer: $1).mean }!
}
// The budget rule's check (step 9) compares BPE and the best k-mer of the first task at the smallest
// size under the rule and under fixed epochs; the k-mer is known only now.
let budgetKmer = bestKmer(book.tasks[0], sizes[0])
let budgetRuns = grid([book.tasks[0]], budgetSizes) { t, s, seed in [bpe, budgetKmer].map { run(t, s, $0, seed: seed, budget: .fixedEpochs) } }
records += book.run(budgetRuns)

// MARK: 4. Tokenizers

book.step("Tokenizers against data", "The paper's first study at every size: 1-, 3-, 4- and 6-mers against BPE-4096.")
bySize("tokenizer", "tokenizers", columns: tokenizers, sizes: sizes, name: name) { cell($0, $1, tokenizer: $2) }
book.bullets(book.tasks.map { task in
    "\(Markdown.code(task)): " + crossover(sizes, sizes.map { s in book.contrast(s.label, cell(task, s), cell(task, s, tokenizer: bestKmer(task, s))) },
                                          a: "BPE-4096", b: "the best k-mer")
})

// MARK: 5.–7. Encodings, depth, width

book.step("Position encodings, depth and width against data", """
    RoPE against ALiBi and sinusoidal, \(book.profile.layers) against \(study.deepLayers) layers, and width \
    \(book.profile.width) against \(study.widths[0]), with BPE-4096, at \(Format.list(checkpoints.map(\.label))) sequences.
    """)
let encodings: [PositionEncoding] = [.sinusoidal, .alibi, .rope]
bySize("encoding", "encodings", columns: encodings, sizes: checkpoints, name: { $0.displayName }) { cell($0, $1, encoding: $2) }
let depths: [Int] = [book.profile.layers, study.deepLayers], widths: [Int] = [book.profile.width, study.widths[0]]
bySize("depth", "depth", columns: depths, sizes: checkpoints, name: { (layers: Int) in "\(layers) layers" }) { cell($0, $1, layers: $2) }
bySize("width", "width", columns: widths, sizes: checkpoints, name: { (width: Int) in "width \(width)" }) { cell($0, $1, width: $2) }
let widest = cell(book.tasks[0], checkpoints.last!, width: study.widths[1])
book.paragraph("Width \(study.widths[1]) at \(checkpoints.last!.label) on \(Markdown.code(book.tasks[0])): \(widest.score().text) "
               + "against \(cell(book.tasks[0], checkpoints.last!, width: study.widths[0]).score().text) at width \(study.widths[0]) "
               + "and \(cell(book.tasks[0], checkpoints.last!).score().text) at width \(book.profile.width).")

// MARK: 8. BPE vocabulary size

book.step("BPE vocabulary size against data", "Chapter 4 found 256 entries best at 1,000 sequences. Does the best size grow with data?")
let vocabularies: [TokenizerSpec] = [256, 1024, 4096].map { .bpe(vocabularySize: $0) }
bySize("vocabulary", "vocabulary", columns: vocabularies, sizes: ends, name: name) { cell($0, $1, tokenizer: $2) }

// MARK: 9. What the budget rule changes

book.step("What the budget rule changes", """
    On \(Markdown.code(book.tasks[0])), at the sizes where the floor adds epochs (\(Format.list(budgetSizes.map(\.label)))), \
    the same runs with the profile's \(book.profile.epochs) epochs (chapter 1's budget), for BPE-4096 and \
    \(name(budgetKmer)) (the best k-mer there).
    """)
var budgetTable = Table(["size", "tokenizer", "epochs: floor rule", "test MCC, floor rule", "test MCC, \(book.profile.epochs) epochs", "floor − fixed"])
for size in budgetSizes {
    for tokenizer in [bpe, budgetKmer] {
        let (floor, fixed) = (cell(book.tasks[0], size, tokenizer: tokenizer), cell(book.tasks[0], size, tokenizer: tokenizer, budget: .fixedEpochs))
        budgetTable.append([size.label, name(tokenizer), "\(epochs(rows: size.rows(of: trainCount[book.tasks[0]]!)))",
                            floor.score().text, fixed.score().text, book.compare(floor, fixed)?.text ?? "–"])
    }
}
book.table(budgetTable, caption: "Differences with their 95% intervals, paired over seeds.")

// MARK: 10. Why a lower learning rate

let largestOfFirst = checkpoints.last!
book.step("Why this chapter trains at a lower learning rate", """
    Chapters 1–4 train at a peak learning rate of \(book.profile.optimizer.learningRate) for \
    \(((book.profile.trainLimit ?? 1000) + book.profile.batchSize - 1) / book.profile.batchSize * book.profile.epochs) steps. Here the \
    largest samples take thousands of steps, and at that rate the deepest and widest models can collapse to predicting \
    one class. So every run of this chapter, at every size, trains at \(study.learningRate) instead (the schedule keeps its \
    shape: 10% warm-up, cosine decay). The check, on \(Markdown.code(book.tasks[0])) at \(largestOfFirst.label) sequences:
    """)
var rateTable = Table(["model", "test MCC at \(book.profile.optimizer.learningRate)", "runs at chance (MCC 0)",
                       "test MCC at \(study.learningRate)", "runs at chance"])
for (title, layers, width) in [("\(study.deepLayers) layers", Optional(study.deepLayers), Int?.none),
                               ("width \(study.widths[1])", Int?.none, Optional(study.widths[1]))] {
    let high = cell(book.tasks[0], largestOfFirst, layers: layers, width: width, learningRate: book.profile.optimizer.learningRate)
    let low = cell(book.tasks[0], largestOfFirst, layers: layers, width: width)
    func stuck(_ c: Cell) -> String { "\(c.done.filter { $0.outcome?.test.mcc == 0 }.count) of \(c.done.count)" }
    rateTable.append([title, high.score().text, stuck(high), low.score().text, stuck(low)])
}
book.table(rateTable, caption: "Mean ± sd over seeds. A run at chance predicts one class for every test sequence.")

// MARK: 11. Verdicts by scale

book.step("Verdicts by scale", """
    Each claim of chapters 1–3 that this grid can decide, decided again at every size by the rules those chapters \
    use (Holm's correction over the tasks). Claims about long sequences (sinusoidal on long tasks, extrapolation) and \
    24 layers are not asked here: the scale tasks are short, and the deepest models cost too much at every size.
    """)
func family(_ size: TrainingSize, _ pair: (String) -> (Cell, Cell)) -> ContrastFamily {
    book.family(book.tasks) { task in let p = pair(task); return (p.0, p.1) }
}
func decided(_ claimSizes: [TrainingSize], _ verdict: (TrainingSize) -> Verdict) -> [Verdict?] {
    sizes.map { s in claimSizes.contains(s) ? verdict(s) : nil }
}
let claims = [
    ClaimByScale(id: "bpe-beats-kmers", claim: "BPE outperforms every k-mer tokenization", verdicts: decided(sizes) { s in
        Verdict.beats("", a: "BPE-4096", b: "the best k-mer", family: family(s) { (cell($0, s), cell($0, s, tokenizer: bestKmer($0, s))) })
    }),
    ClaimByScale(id: "one-mer-worst", claim: "1-mer tokenization is the worst", verdicts: decided(sizes) { s in
        Verdict.beats("", a: "the weakest other", b: "1-mer", family: family(s) { task in
            let weakest = tokenizers.dropFirst().min { cell(task, s, tokenizer: $0).mean < cell(task, s, tokenizer: $1).mean }!
            return (cell(task, s, tokenizer: weakest), cell(task, s, tokenizer: kmers[0]))
        })
    }),
    ClaimByScale(id: "rope-best", claim: "RoPE gives the best results of the three encodings", verdicts: decided(checkpoints) { s in
        Verdict.beats("", a: "RoPE", b: "the better of sinusoidal and ALiBi", family: family(s) { task in
            (cell(task, s), [PositionEncoding.sinusoidal, .alibi].map { cell(task, s, encoding: $0) }.max { $0.mean < $1.mean }!)
        })
    }),
    ClaimByScale(id: "alibi-local", claim: "ALiBi performs well on local-dependency tasks", verdicts: decided(checkpoints) { s in
        Verdict.levelWithBest("", a: "ALiBi", rivals: "sinusoidal and RoPE", tasks: book.tasks.map { task in
            (task, [PositionEncoding.sinusoidal, .rope].map { book.contrast(task, cell(task, s, encoding: .alibi), cell(task, s, encoding: $0)) })
        })
    }),
    ClaimByScale(id: "depth-gain", claim: "Performance improves from \(book.profile.layers) to \(study.deepLayers) layers", verdicts: decided(checkpoints) { s in
        Verdict.beats("", a: "\(study.deepLayers) layers", b: "\(book.profile.layers)", family: family(s) { (cell($0, s, layers: study.deepLayers), cell($0, s)) })
    }),
]
book.table(ClaimByScale.table(claims, sizes: sizes), caption: "Each cell: the verdict with the runs of that size only (\(Format.plural(book.tasks.count, "task")), Holm-corrected).")
for c in claims { book.export(Notebook.scaleNoteKey(c.id), c.note(sizes)) }
book.export("verdicts-by-scale", ClaimByScale.table(claims, sizes: sizes).markdown())
var costTable = Table(["grid", "runs", "training time (summed over runs)"])
for g in grids + [("budget", budgetRuns)] {
    let keys = Set(g.runs.compactMap { r in records.first { $0.run == r }?.key })
    costTable.append([g.name, "\(keys.count)", Format.duration(records.filter { keys.contains($0.key) }.distinctRuns.trainingSeconds)])
}
book.table(costTable, caption: "What each contrast cost.")
// What a point costs: every distinct run of a size, whatever grid asked for it.
let distinct = records.distinctRuns
var sizeTable = Table(["size", "runs", "training time (summed over runs)", "mean a run", "dearest run"])
for size in sizes {
    let atSize = distinct.filter { $0.run.trainLimit == size.trainLimit(of: trainCount[$0.run.task] ?? 0) }.compactMap(\.outcome)
    guard !atSize.isEmpty else { continue }
    let seconds = atSize.map(\.trainingSeconds)
    sizeTable.append([size.label, "\(atSize.count)", Format.duration(seconds.reduce(0, +)),
                      Format.duration(seconds.reduce(0, +) / Double(seconds.count)), Format.duration(seconds.max()!)])
}
book.table(sizeTable, caption: "What each size cost, over every grid (one thread a run).")

// MARK: Verdict

// This chapter's own verdicts: each claim at the largest size, where the evidence is strongest.
book.finish(verdicts: claims.compactMap { c in
    guard var v = c.verdicts.last ?? nil else { return nil }
    v.claim = "\(c.claim), at \(sizes.last!.label) training sequences"
    v.id = "scale-\(c.id)"
    v.scale = "width \(book.profile.width), \(book.profile.layers) layers, \(sizes.last!.label) training sequences a task "
        + "(\(epochs(rows: sizes.last!.rows(of: trainCount[book.tasks[0]]!))) epochs), peak learning rate \(study.learningRate), "
        + Format.plural(book.seeds.count, "seed")
    v.scaleNote = c.note(sizes)
    return v
})
