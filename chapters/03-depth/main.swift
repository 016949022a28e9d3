// Chapter 3 — How deep should the encoder be?
//
// The paper's third study: Transformer encoders of 3, 6, 12 and 24 layers, scored by test MCC on six
// GUE tasks, with tokenization and position encoding held at the paper's best pair (BPE-4096, RoPE).
// We also keep each epoch's train and dev scores, to see whether the deepest models overfit or fail
// to train, the two explanations the paper offers for its 24-layer results.
//
// Run: `make chapter-depth` (or `swift run -c release Chapter03Depth --profile smoke`).
import Foundation
import GeneCoding

let book = try Notebook(name: "03-depth", title: "Chapter 3 — Depth: from 3 to 24 layers")

book.claim(
    paper: "Model performance improves significantly from 3 to 12 layers but plateaus or slightly overfits at 24 layers. "
        + "[...] 24-layer models show marginal gains or slight degradation: overfitting or optimization difficulty.",
    source: "arXiv 2507.15087, as summarised in PAPER.md",
    ours: "Three claims to test: (1) test MCC rises clearly from the shallowest depth to the one below the deepest "
        + "(the paper's 3 and 12 layers); (2) going on to the deepest (the paper's 24) gains little or loses a little; "
        + "(3) the deepest models overfit (a wider gap between train and dev scores) or are harder to optimise (a worse "
        + "fit of the training data). Tokenizer and position encoding are fixed, so a difference is the depth's doing.")

// MARK: 1. Setup

let depths = book.profile.depths.sorted()
let vocabularySize = 4096
let bpe = TokenizerSpec.bpe(vocabularySize: vocabularySize)
func layers(_ depth: Int) -> String { depth == 1 ? "1 layer" : "\(depth) layers" }

// The depths the verdicts compare, taken from the profile rather than typed: the shallowest, the
// deepest, and the one just below the deepest (12 of 3, 6, 12, 24: the depth the paper finds best).
// With only two depths (the smoke profile) both claims compare the same pair.
let shallowest = depths.first!
let deepest = depths.last!
let belowDeepest = depths.count >= 2 ? depths[depths.count - 2] : deepest
let peak = depths.count >= 3 ? belowDeepest : deepest

let sharedRuns = depths.contains(book.profile.layers)
    ? "The \(book.profile.layers)-layer runs are the very runs of chapter 1's BPE-\(vocabularySize) column and chapter 2's "
        + "RoPE column (same settings, so same result-store keys): whichever chapter runs first trains them, the others reuse them."
    : ""
book.step("Setup", """
    Depths: \(depths.map { Markdown.code(layers($0)) }.joined(separator: ", ")), each of width \(book.profile.width) \
    with \(book.profile.heads) heads and feed-forward width \(book.profile.feedForwardWidth). Fixed for every run: \
    BPE-\(vocabularySize) learned from each task's training split, and RoPE, the paper's best tokenizer and encoding, so depth is \
    studied where the paper recommends working. Everything else (optimiser, \(Format.plural(book.profile.epochs, "epoch")), learning \
    rate \(book.profile.optimizer.learningRate), dropout \(book.profile.dropout)) is the profile's, the same at every \
    depth: the paper also trains every depth with one recipe. \(Format.plural(book.profile.seeds.count, "seed")) per cell. \
    \(sharedRuns)
    """)

// MARK: 2. Data

book.step("Data", "The tasks and the examples used at this profile (the first rows of each split).")
var dataTable = Table(["task", "classes", "length (bp)", "train / dev / test used"])
for name in book.tasks {
    let t = try book.executor.task(name)
    dataTable.append([Markdown.code(name) + (t.isReduced ? " (reduced)" : ""), "\(t.classCount)",
                      "\(t.train.summary.shortest)–\(t.train.summary.longest)",
                      book.usedExamples(t)])
}
book.table(dataTable)
let notes = book.taskNotes()
if !notes.isEmpty { book.bullets(notes) }

// MARK: 3. Runs

let grid: [Run] = book.tasks.flatMap { task in
    depths.flatMap { depth in
        book.profile.seeds.map { seed -> Run in
            var run = Run(task: task, tokenizer: bpe, positionEncoding: .rope, profile: book.profile, seed: seed)
            run.layers = depth
            return run
        }
    }
}
let alreadyStored = try book.storedCount(grid)
// A run's cost grows about linearly with depth (every layer does the same work on the same tokens),
// so the grid costs as much as this many runs at the profile's usual depth.
let costInUsualRuns = Double(book.tasks.count * book.profile.seeds.count * depths.reduce(0, +)) / Double(book.profile.layers)
book.step("Runs", """
    \(grid.count) runs: \(Format.plural(book.tasks.count, "task")) × \(Format.plural(depths.count, "depth")) × \(Format.plural(book.profile.seeds.count, "seed")), \
    \(alreadyStored) of them already in the result store when this report was made. Each keeps the parameters with \
    the best dev MCC and reports test MCC of those (the GUE protocol). Cost grows with depth: the grid is worth about \
    \(Format.fixed(costInUsualRuns, 0)) runs of \(layers(book.profile.layers)), \
    \(Format.fixed(Double(deepest) / Double(shallowest), 0))× as much for a \(deepest)-layer run as for a \
    \(shallowest)-layer one. BPE keeps the sequences short, which is what makes the deep end affordable here.
    """)
let records = try book.run(grid)

/// The finished runs of one cell.
func finished(_ task: String, _ depth: Int) -> [RunRecord] {
    records.filter { $0.run.task == task && $0.run.layers == depth && $0.status == .done && $0.outcome != nil }
}
func cell(_ task: String, _ depth: Int) -> CellScore {
    book.score(records) { $0.task == task && $0.layers == depth }
}
/// The mean of what is there; NaN for nothing (a cell whose runs all failed).
/// Tasks with a score at every depth: the only ones averaged over tasks or used in verdicts.
let completeTasks = book.tasks.filter { task in depths.allSatisfy { cell(task, $0).count > 0 } }
if completeTasks.count < book.tasks.count {
    book.paragraph("Left out of averages and verdicts, because some depth has no finished run: "
                   + book.tasks.filter { !completeTasks.contains($0) }.map(Markdown.code).joined(separator: ", ") + ".")
}

// MARK: 4. Table: test MCC

book.step("Test MCC by task and depth", "Mean ± standard deviation over seeds; the best mean of each row in bold.")
var mccTable = Table(["task"] + depths.map(layers))
for task in book.tasks {
    let cells = depths.map { cell(task, $0) }
    let best = cells.filter { $0.count > 0 }.map(\.mean).max()
    mccTable.append([Markdown.code(task)] + cells.map { $0.count > 0 && $0.mean == best ? Markdown.bold($0.text) : $0.text })
}
let meanOverTasks = depths.map { d in Statistics.meanOrNaN(completeTasks.map { cell($0, d).mean }) }
mccTable.append(["**mean over tasks**"] + meanOverTasks.map { Format.fixed($0, 3) })
let bestDepthCounts = depths.map { d in
    completeTasks.filter { task in depths.map { cell(task, $0).mean }.max() == cell(task, d).mean }.count
}
mccTable.append(["**tasks where best**"] + bestDepthCounts.map { "\($0)" })
book.table(mccTable)
/// A quantity against depth, one line per task, error bars over seeds.
func depthChart(_ name: String, title: String, yLabel: String, _ score: (String, Int) -> CellScore) -> LineChart {
    LineChart(name: name, title: title, xLabel: "encoder layers (log scale)", yLabel: yLabel,
              series: book.tasks.map { task in
                  LineChart.Series(name: task, x: depths.map(Double.init), y: depths.map { score(task, $0).mean },
                                   deviations: depths.map { score(task, $0).errorBar })
              },
              logX: true, xTicks: depths.map(Double.init))
}
try book.figure(depthChart("03-mcc-by-depth", title: "Test MCC against depth, BPE-\(vocabularySize) + RoPE (\(book.profile.name) profile)",
                           yLabel: "test MCC (mean ± sd over seeds)", cell),
                alt: "test MCC against number of layers, one line per task")
if !completeTasks.isEmpty {
    book.paragraph("Averaged over tasks, test MCC by depth: "
                   + zip(depths, meanOverTasks).map { "\(layers($0.0)) \(Format.fixed($0.1, 3))" }.joined(separator: ", ")
                   + "; the best mean is at \(layers(zip(depths, meanOverTasks).max { $0.1 < $1.1 }!.0)).")
}

// MARK: 5. Cost

book.step("What depth costs", """
    Parameters, and training time per run (optimiser steps only, without evaluation; mean ± sd over tasks and seeds, \
    measured with \(Format.plural(book.threads, "thread")) per run and \(Format.plural(book.workers, "run")) side by side). The \
    embedding table (\(vocabularySize) × \(book.profile.width)) is the same at every depth; each layer adds its attention and feed-forward weights. Parameters differ a little between tasks, \
    whose learned vocabularies can fall short of \(vocabularySize) entries.
    """)
var costTable = Table(["depth", "parameters", "training time per run", "relative to \(layers(shallowest))", "tokens / s"])
let shallowSeconds = Statistics.meanOrNaN(records.filter { $0.run.layers == shallowest }.compactMap { $0.outcome?.trainingSeconds })
for depth in depths {
    let done = records.filter { $0.run.layers == depth && $0.outcome != nil }
    let parameters = done.map(\.parameters)
    let seconds = done.compactMap { $0.outcome?.trainingSeconds }
    let parameterText = parameters.isEmpty ? "–" : parameters.min() == parameters.max()
        ? Format.compact(Double(parameters[0])) : "\(Format.compact(Double(parameters.min()!)))–\(Format.compact(Double(parameters.max()!)))"
    costTable.append([layers(depth), parameterText,
                      seconds.isEmpty ? "–" : Format.duration(Statistics.meanOrNaN(seconds)) + " ± " + Format.duration(Statistics.standardDeviation(seconds)),
                      seconds.isEmpty ? "–" : Format.fixed(Statistics.meanOrNaN(seconds) / shallowSeconds, 1) + "×",
                      Format.compact(Statistics.meanOrNaN(done.compactMap { $0.outcome?.tokensPerSecond }))])
}
book.table(costTable)
let allSeconds = records.compactMap { $0.outcome?.trainingSeconds }.reduce(0, +)
let deepestSeconds = records.filter { $0.run.layers == deepest }.compactMap { $0.outcome?.trainingSeconds }.reduce(0, +)
if allSeconds > 0 {
    book.paragraph("The grid trained for \(Format.duration(allSeconds)) in all (summed over runs); the \(deepest)-layer runs "
                   + "took \(Format.percent(deepestSeconds / allSeconds, 0)) of it.")
}
let tokensPerSequence = book.tasks.compactMap { task in records.first { $0.run.task == task }?.tokenizerStatistics?.meanTokensPerSequence }
if let fewest = tokensPerSequence.min().map({ Format.fixed($0, 0) }), let most = tokensPerSequence.max().map({ Format.fixed($0, 0) }) {
    book.paragraph("BPE-\(vocabularySize) cuts \(book.tasks.count == 1 ? "this task's" : "these tasks'") sequences to "
                   + (fewest == most ? most : "\(fewest)–\(most)") + " tokens on average "
                   + "(chapter 1 has the table), so attention's cost, quadratic in length, stays small next to the layers' matrix products.")
}

// MARK: 6. Overfitting: train against dev

// After every epoch the trainer scores the dev split and (in evaluation mode, without dropout) the
// training examples, so the two MCCs are measured the same way and their difference is the gap.
// The gap is read at the last epoch: best-dev selection then keeps an earlier epoch if the later
// ones overfit, but the gap shows whether they did.
func lastEvaluation(_ r: RunRecord) -> Evaluation? { r.outcome?.evaluations.last }
func gapCell(_ task: String, _ depth: Int) -> CellScore {
    CellScore(finished(task, depth).compactMap(lastEvaluation).map { $0.trainScores.mcc - $0.devScores.mcc })
}
func trainCell(_ task: String, _ depth: Int) -> CellScore {
    CellScore(finished(task, depth).compactMap(lastEvaluation).map(\.trainScores.mcc))
}
/// A per-task mean of some per-run number, then the mean over tasks.
func overTasks(_ depth: Int, _ value: (RunRecord) -> Double?) -> Double {
    Statistics.meanOrNaN(completeTasks.map { task in Statistics.meanOrNaN(finished(task, depth).compactMap(value)) }.filter(\.isFinite))
}

book.step("Do the deep models overfit?", """
    Train and dev MCC after the last of \(Format.plural(book.profile.epochs, "epoch")), their gap, how far dev loss has risen from its \
    lowest epoch by the end, and the epoch that best-dev selection kept. Means of per-task means over \
    \(Format.plural(completeTasks.count, "task")). Overfitting reads as a wide gap, a rising dev \
    loss and an early best epoch; optimization difficulty as a low train MCC.
    """)
var fitTable = Table(["depth", "train MCC", "dev MCC", "gap (train − dev)", "dev loss rise after its minimum", "best epoch"])
for depth in depths {
    fitTable.append([layers(depth),
                     Format.fixed(overTasks(depth) { lastEvaluation($0)?.trainScores.mcc }, 3),
                     Format.fixed(overTasks(depth) { lastEvaluation($0)?.devScores.mcc }, 3),
                     Format.fixed(overTasks(depth) { lastEvaluation($0).map { $0.trainScores.mcc - $0.devScores.mcc } }, 3),
                     Format.fixed(overTasks(depth) { r in
                         r.outcome.map { o in o.evaluations.last!.devLoss - o.evaluations.map(\.devLoss).min()! }
                     }, 3),
                     Format.fixed(overTasks(depth) { $0.outcome.map { Double($0.bestEpoch) } }, 1)])
}
let trainSample = TrainingSettings(epochs: book.profile.epochs, batchSize: book.profile.batchSize, optimizer: book.profile.optimizer).trainScoreSample
book.table(fitTable, caption: "Train MCC is measured without dropout on the first \(trainSample) training examples (all of them when fewer).")

var gapTable = Table(["task"] + depths.map(layers))
for task in book.tasks { gapTable.append([Markdown.code(task)] + depths.map { gapCell(task, $0).text }) }
book.table(gapTable, caption: "Train − dev MCC at the last epoch, per task (mean ± sd over seeds).")

try book.figure(depthChart("03-gap-by-depth", title: "Train − dev MCC after the last epoch (\(book.profile.name) profile)",
                           yLabel: "train MCC − dev MCC (mean ± sd over seeds)", gapCell),
                alt: "gap between train and dev MCC against number of layers, one line per task")

/// Train and dev curves in one chart, one colour per depth: train dashed, dev solid. The library's
/// LineChart gives every series its own colour, which would leave the reader pairing eight colours;
/// this chart keeps LineChart's data file and draws it with paired styles.
struct PairedCurves: Chart {
    var curves: LineChart  // series in pairs: (train, dev) for each depth, in order
    var name: String { curves.name }
    var title: String { curves.title }
    var xLabel: String { curves.xLabel }
    var yLabel: String { curves.yLabel }
    func dataText() -> String { curves.dataText() }
    func plotCommands(dataFile: String) -> String {
        let clauses = curves.series.enumerated().map { index, series in
            "\(index == 0 ? "'\(dataFile)'" : "''") index \(index) using 1:2 with linespoints linetype \(index / 2 + 1) "
                + "dashtype \(index % 2 == 0 ? 2 : 1) title '\(series.name)'"
        }
        let epochs = Set(curves.series.flatMap(\.x)).sorted().map { String(Int($0)) }
        return """
        set key samplen 5
        set xtics (\(epochs.joined(separator: ", ")))
        set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03
        set grid xtics ytics linestyle 100
        plot \(clauses.joined(separator: ", \\\n     "))
        """
    }
}

let epochs = (1...book.profile.epochs).map(Double.init)
func curve(_ depth: Int, _ value: @escaping (Evaluation) -> Double) -> [Double] {
    epochs.map { epoch in
        Statistics.meanOrNaN(completeTasks.map { task in
            Statistics.meanOrNaN(finished(task, depth).compactMap { $0.outcome?.evaluations.first { Double($0.epoch) == epoch }.map(value) })
        }.filter(\.isFinite))
    }
}
try book.figure(PairedCurves(curves: LineChart(
    name: "03-train-dev-curves", title: "Train (dashed) and dev (solid) MCC per epoch (\(book.profile.name) profile)",
    xLabel: "epoch", yLabel: "MCC, mean over tasks and seeds",
    series: depths.flatMap { depth in
        [LineChart.Series(name: "train, \(layers(depth))", x: epochs, y: curve(depth) { $0.trainScores.mcc }),
         LineChart.Series(name: "dev, \(layers(depth))", x: epochs, y: curve(depth) { $0.devScores.mcc })]
    }, style: .curves)),
    alt: "train and dev MCC against epoch, one colour per depth, train dashed and dev solid")

// MARK: 7. Verdict

// What counts as "clearly" different is Verdict's rule: a difference of means beyond twice its
// standard error over seeds. The paper's "slight" degradation needs a size too, which it does not
// give: we call a drop slight up to this much MCC, a choice of ours, printed with the verdict.
let slightDrop = 0.1
let majority = completeTasks.count / 2 + 1

// Claim 1: the depth below the deepest (the deepest itself when there are only two) beats the shallowest.
let gainVerdict: Verdict
if peak != shallowest && !completeTasks.isEmpty {
    gainVerdict = Verdict.beats("Performance improves significantly from \(layers(shallowest)) to \(layers(peak))",
                                a: layers(peak), b: layers(shallowest),
                                pairs: completeTasks.map { ($0, cell($0, peak), cell($0, shallowest)) })
} else {
    gainVerdict = Verdict(claim: "Performance improves significantly with depth", status: .notTested,
                          evidence: "Not tested: this profile has fewer than two depths or no task with a score at every depth.")
}

// Claim 2: the deepest is no clear gain over the one below it, and not a large loss either.
let plateauPairs = completeTasks.map { task in (task: task, deep: cell(task, deepest), below: cell(task, belowDeepest)) }
let plateauComparisons = plateauPairs.map { Comparison.of($0.deep, $0.below) }
let clearGains = plateauComparisons.filter { $0 == .clearlyBetter }.count
let largeDrops = zip(plateauPairs, plateauComparisons).filter { p, c in c == .clearlyWorse && p.deep.mean - p.below.mean < -slightDrop }.count
let slightDrops = plateauComparisons.filter { $0 == .clearlyWorse }.count - largeDrops
let flat = plateauPairs.count - clearGains - largeDrops
let plateauVerdict = Verdict(
    claim: "Performance plateaus or slightly degrades at \(layers(deepest)) (against \(layers(belowDeepest)))",
    status: plateauPairs.isEmpty || deepest == belowDeepest ? .notTested
        : clearGains >= majority ? .notReproduced : flat >= majority ? .reproduced : .partly,
    evidence: "\(layers(deepest)) against \(layers(belowDeepest)): clearly better on \(clearGains) of \(plateauPairs.count) tasks, "
        + "clearly worse by at most \(Format.fixed(slightDrop, 2)) MCC on \(slightDrops), by more on \(largeDrops), "
        + "within noise on \(plateauPairs.count - clearGains - slightDrops - largeDrops). Test MCC: "
        + zip(plateauPairs, plateauComparisons).map { p, c in
            "\(p.task) \(Format.fixed(p.deep.mean, 3)) vs \(Format.fixed(p.below.mean, 3))"
                + (c == .clearlyBetter || c == .clearlyWorse ? "" : " (within noise)")
        }.joined(separator: "; ") + ".")

// Claim 3: the deepest models either overfit more (a clearly wider train-dev gap) or fit the training
// data worse (a clearly lower train MCC) than the depth below them.
let wider = completeTasks.filter { Comparison.of(gapCell($0, deepest), gapCell($0, belowDeepest)) == .clearlyBetter }
let narrower = completeTasks.filter { Comparison.of(gapCell($0, deepest), gapCell($0, belowDeepest)) == .clearlyWorse }
let worseFit = completeTasks.filter { Comparison.of(trainCell($0, deepest), trainCell($0, belowDeepest)) == .clearlyWorse }
let explained = Set(wider).union(worseFit).count
func trainMCC(_ task: String, _ depth: Int) -> String { Format.fixed(trainCell(task, depth).mean, 3) }
let explanationVerdict = Verdict(
    claim: "The \(deepest)-layer models overfit or are harder to optimise than the \(belowDeepest)-layer ones",
    status: completeTasks.isEmpty || deepest == belowDeepest ? .notTested
        : explained >= majority ? .reproduced : explained > 0 ? .partly : .notReproduced,
    evidence: "Train − dev MCC gap after the last epoch clearly wider at \(layers(deepest)) on \(wider.count) of \(completeTasks.count) tasks"
        + (wider.isEmpty ? "" : " (\(wider.joined(separator: ", ")))") + ", clearly narrower on \(narrower.count); "
        + "train MCC clearly lower on \(worseFit.count)" + (worseFit.isEmpty ? "" : " (\(worseFit.joined(separator: ", ")))")
        + ". \(layers(deepest)) vs \(layers(belowDeepest)), gap and train MCC: "
        + completeTasks.map { task in
            "\(task) gap \(Format.fixed(gapCell(task, deepest).mean, 3)) vs \(Format.fixed(gapCell(task, belowDeepest).mean, 3)), "
                + "train \(trainMCC(task, deepest)) vs \(trainMCC(task, belowDeepest))"
        }.joined(separator: "; ") + ".")

try book.finish(verdicts: [gainVerdict, plateauVerdict, explanationVerdict])
