// Chapter 3 — How deep should the encoder be?
//
// The paper's third study: Transformer encoders of 3, 6, 12 and 24 layers, scored by test MCC on six
// GUE tasks, with tokenization and position encoding held at the paper's best pair (BPE-4096, RoPE).
// We also keep each epoch's train and dev scores, to see whether the deepest models overfit or fail
// to train, the two explanations the paper offers for its 24-layer results.
//
// Run: `make chapter-depth` (or `swift run -c release Chapter03Depth --profile smoke`; `--help` lists the options).
import Foundation
import GeneCoding

let book = Notebook(name: "03-depth", title: "Chapter 3 — Depth: from 3 to 24 layers")

book.claim(
    paper: PaperClaims.depth.quote,
    source: PaperClaims.depth.source,
    ours: "Three claims to test: (1) test MCC rises clearly from the shallowest depth to the one below the deepest "
        + "(the paper's 3 and 12 layers); (2) going on to the deepest (the paper's 24) gains little or loses a little; "
        + "(3) the deepest models overfit (a wider gap between train and dev scores) or are harder to optimise (a worse "
        + "fit of the training data), the two explanations the paper gives. Tokenizer and position encoding are fixed, "
        + "so a difference is the depth's doing.")

// MARK: 1. Setup

let depths = book.profile.depths.sorted()
let vocabularySize = 4096
let bpe = TokenizerSpec.bpe(vocabularySize: vocabularySize)
let layers: @Sendable (Int) -> String = { $0 == 1 ? "1 layer" : "\($0) layers" }
// The depths the verdicts compare, taken from the profile rather than typed: the shallowest, the
// deepest, and the one just below the deepest (12 of 3, 6, 12, 24: the depth the paper finds best).
// With only two depths (the smoke profile) both claims compare the same pair.
let shallowest = depths.first!
let deepest = depths.last!
let belowDeepest = depths.count >= 2 ? depths[depths.count - 2] : deepest
let peak = depths.count >= 3 ? belowDeepest : deepest

book.step("Setup", """
    Depths: \(Format.list(depths.map { Markdown.code(layers($0)) })), each of width \(book.profile.width) \
    with \(book.profile.heads) heads and feed-forward width \(book.profile.feedForwardWidth). Fixed for every run: \
    \(bpe.displayName) learned from each task's training split, and RoPE, the paper's best tokenizer and encoding, so depth is \
    studied where the paper recommends working. Everything else (optimiser, \(Format.plural(book.profile.epochs, "epoch")), learning \
    rate \(book.profile.optimizer.learningRate), dropout \(book.profile.dropout)) is the profile's, the same at every \
    depth: the paper also trains every depth with one recipe. \(Format.plural(book.seeds.count, "seed")) per cell.\
    \(depths.contains(book.profile.layers) ? " The \(book.profile.layers)-layer runs are the very runs of chapter 1's \(bpe.displayName) column and chapter 2's "
        + "RoPE column (same settings, so same result-store keys): whichever chapter runs first trains them, the others reuse them." : "")
    """)

// MARK: 2. Data

book.step("Data", "The tasks and the examples used at this profile (\(subsetRule)).")
book.table(book.dataTable())
book.bullets(book.taskNotes())

// MARK: 3. Runs

let grid: [Run] = book.tasks.flatMap { task in
    depths.flatMap { depth in
        book.seeds.map { seed -> Run in
            var run = Run(task: task, tokenizer: bpe, positionEncoding: .rope, profile: book.profile, seed: seed)
            run.layers = depth
            return run
        }
    }
}
// A run's cost grows about linearly with depth (every layer does the same work on the same tokens),
// so the grid costs as much as this many runs at the profile's usual depth.
let costInUsualRuns = Double(book.tasks.count * book.seeds.count * depths.reduce(0, +)) / Double(book.profile.layers)
book.step("Runs", """
    \(grid.count) runs: \(Format.plural(book.tasks.count, "task")) × \(Format.plural(depths.count, "depth")) × \
    \(Format.plural(book.seeds.count, "seed")). Each keeps the parameters with the best dev MCC and reports test MCC \
    of those (the GUE protocol). Cost grows with depth: the grid is worth about \(Format.fixed(costInUsualRuns, 0)) runs of \
    \(layers(book.profile.layers)), \(Format.fixed(Double(deepest) / Double(shallowest), 0))× as much for a \(deepest)-layer \
    run as for a \(shallowest)-layer one. BPE keeps the sequences short, which is what makes the deep end affordable here.
    """)
let records = book.run(grid)
let mcc = book.cells(records, rows: book.tasks, columns: depths, name: layers) { run, task, depth in run.task == task && run.layers == depth }
let complete = mcc.completeRows()
if complete.count < book.tasks.count {
    book.paragraph("Left out of averages and verdicts, because some depth has no finished run: "
                   + Format.list(book.tasks.filter { !complete.contains($0) }.map(Markdown.code)) + ".")
}

// MARK: 4. Table: test MCC

book.step("Test MCC by task and depth", "Mean ± standard deviation over \(Format.plural(book.seeds.count, "seed")) (n = \(book.seeds.count) a cell; a cell with fewer finished runs shows its n); the best mean of each row in bold.")
book.table(mcc.table(bestRow: true))
book.figure(mcc.lineChart(name: "03-mcc-by-depth", title: "Test MCC against depth, \(bpe.displayName) + RoPE (\(book.profile.name) profile)",
                          xLabel: "encoder layers (log scale)", yLabel: "test MCC (mean ± sd over seeds)", x: Double.init),
            alt: "test MCC against number of layers, one line per task")
if let best = depths.max(by: { mcc.meanOverRows($0) < mcc.meanOverRows($1) }), !complete.isEmpty {
    book.paragraph("Averaged over tasks, test MCC by depth: "
                   + depths.map { "\(layers($0)) \(Format.fixed(mcc.meanOverRows($0), 3))" }.joined(separator: ", ")
                   + "; the best mean is at \(layers(best)).")
}

// MARK: 5. Cost

let threads = Set(records.map(\.threads)).sorted().map(String.init)
book.step("What depth costs", """
    Parameters, and training time per run (optimiser steps only, without evaluation; mean ± sd over tasks and seeds, \
    as the records give it, trained with \(threads.joined(separator: " or ")) thread\(threads == ["1"] ? "" : "s") per run). \
    The embedding table (\(vocabularySize) × \(book.profile.width)) is the same at every depth; each layer adds its \
    attention and feed-forward weights. Parameters differ a little between tasks, whose learned vocabularies can fall \
    short of \(vocabularySize) entries.
    """)
let byDepth = Dictionary(uniqueKeysWithValues: depths.map { depth in (depth, book.cell(records, name: layers(depth)) { $0.layers == depth }.done) })
let seconds = byDepth.mapValues { $0.compactMap { $0.outcome?.trainingSeconds } }
var costTable = Table(["depth", "parameters", "training time per run", "relative to \(layers(shallowest))", "tokens / s"])
for depth in depths {
    let parameters = byDepth[depth]!.map { Double($0.parameters) }, time = seconds[depth]!
    costTable.append([layers(depth),
                      parameters.isEmpty ? "–" : parameters.min() == parameters.max() ? Format.compact(parameters[0])
                          : "\(Format.compact(parameters.min()!))–\(Format.compact(parameters.max()!))",
                      time.isEmpty ? "–" : Format.duration(Statistics.mean(time)) + " ± " + Format.duration(Statistics.standardDeviation(time)),
                      time.isEmpty ? "–" : Format.fixed(Statistics.mean(time) / Statistics.meanOrNaN(seconds[shallowest]!), 1) + "×",
                      Format.compact(Statistics.meanOrNaN(byDepth[depth]!.compactMap { $0.outcome?.tokensPerSecond }))])
}
book.table(costTable)
let allSeconds = seconds.values.joined().reduce(0, +)
if allSeconds > 0 {
    book.paragraph("The grid trained for \(Format.duration(allSeconds)) in all (summed over runs); the \(deepest)-layer runs "
                   + "took \(Format.percent(seconds[deepest]!.reduce(0, +) / allSeconds, 0)) of it.")
}
let tokensPerSequence = book.tasks.compactMap { mcc[$0, shallowest].records.first?.tokenizerStatistics?.meanTokensPerSequence }
if let fewest = tokensPerSequence.min().map({ Format.fixed($0, 0) }), let most = tokensPerSequence.max().map({ Format.fixed($0, 0) }) {
    book.paragraph("\(bpe.displayName) cuts \(book.tasks.count == 1 ? "this task's" : "these tasks'") sequences to "
                   + (fewest == most ? most : "\(fewest)–\(most)") + " tokens on average "
                   + "(chapter 1 has the table), so attention's cost, quadratic in length, stays small next to the layers' matrix products.")
}

// MARK: 6. Overfitting: train against dev

// After every epoch the trainer scores the dev split and (in evaluation mode, without dropout) the
// training examples, so the two MCCs are measured the same way and their difference is the gap.
// The gap is read at the last epoch: best-dev selection then keeps an earlier epoch if the later
// ones overfit, but the gap shows whether they did.
func lastEpoch(_ name: String, _ value: @escaping @Sendable (Evaluation) -> Double) -> Quantity {
    .custom(name) { $0.outcome?.evaluations.last.map(value) }
}
let trainMCC = lastEpoch("train MCC after the last epoch") { $0.trainScores.mcc }
let devMCC = lastEpoch("dev MCC after the last epoch") { $0.devScores.mcc }
let gap = lastEpoch("train − dev MCC after the last epoch") { $0.trainScores.mcc - $0.devScores.mcc }
let devLossRise = Quantity.custom("dev loss rise after its minimum") { record in
    guard let evaluations = record.outcome?.evaluations, let last = evaluations.last, let lowest = evaluations.map(\.devLoss).min() else { return nil }
    return last.devLoss - lowest
}
let bestEpoch = Quantity.custom("best epoch") { $0.outcome.map { Double($0.bestEpoch) } }

book.step("Do the deep models overfit?", """
    Train and dev MCC after the last of \(Format.plural(book.profile.epochs, "epoch")), their gap, how far dev loss has risen from its \
    lowest epoch by the end, and the epoch that best-dev selection kept. Means of per-task means over \
    \(Format.plural(complete.count, "task")). Overfitting reads as a wide gap, a rising dev \
    loss and an early best epoch; optimization difficulty as a low train MCC.
    """)
var fitTable = Table(["depth", "train MCC", "dev MCC", "gap (train − dev)", "dev loss rise after its minimum", "best epoch"])
for depth in depths {
    fitTable.append([layers(depth)] + [trainMCC, devMCC, gap, devLossRise].map { Format.fixed(mcc.meanOverRows(depth, $0, rows: complete), 3) }
                    + [Format.fixed(mcc.meanOverRows(depth, bestEpoch, rows: complete), 1)])
}
let trainSample = TrainingSettings(epochs: book.profile.epochs, batchSize: book.profile.batchSize, optimizer: book.profile.optimizer).trainScoreSample
book.table(fitTable, caption: "Train MCC is measured without dropout on the first \(trainSample) training examples (all of them when fewer).")
book.table(mcc.table(gap, boldBest: false, meanRow: false), caption: "Train − dev MCC at the last epoch, per task (mean ± sd over seeds).")
book.figure(mcc.lineChart(name: "03-gap-by-depth", title: "Train − dev MCC after the last epoch (\(book.profile.name) profile)",
                          xLabel: "encoder layers (log scale)", yLabel: "train MCC − dev MCC (mean ± sd over seeds)", gap, x: Double.init),
            alt: "gap between train and dev MCC against number of layers, one line per task")
// One curve per depth and split: the mean over tasks of each task's mean over seeds, epoch by epoch.
let epochs = Array(1...book.profile.epochs)
func curve(_ depth: Int, _ split: String, _ value: @escaping @Sendable (Evaluation) -> Double) -> LineChart.Series {
    LineChart.Series(name: "\(split), \(layers(depth))", x: epochs.map(Double.init), y: epochs.map { epoch in
        mcc.meanOverRows(depth, .custom("\(split) MCC at epoch \(epoch)") { $0.outcome?.evaluations.first { $0.epoch == epoch }.map(value) }, rows: complete)
    })
}
book.figure(LineChart(name: "03-train-dev-curves", title: "Train (dashed) and dev (solid) MCC per epoch (\(book.profile.name) profile)",
                      xLabel: "epoch", yLabel: "MCC, mean over tasks and seeds",
                      series: depths.flatMap { [curve($0, "train") { $0.trainScores.mcc }, curve($0, "dev") { $0.devScores.mcc }] },
                      style: .pairedCurves, xTicks: epochs.map(Double.init)),
            alt: "train and dev MCC against epoch, one colour per depth, train dashed and dev solid")

// MARK: 7. Verdict

// Claim 1: the depth below the deepest (the deepest itself when there are only two) beats the shallowest.
let gainVerdict = peak == shallowest
    ? Verdict.notTested("Performance improves significantly with depth", "this profile has a single depth", id: "depth-gain")
    : Verdict.beats("Performance improves significantly from \(layers(shallowest)) to \(layers(peak))", a: layers(peak), b: layers(shallowest),
                    family: book.family(mcc, a: { _ in peak }, b: { _ in shallowest }), id: "depth-gain")

// Claim 2: the deepest is no clear gain over the one below it, and not a large loss either
// (Verdict.plateau states the rule). The paper's "slight" degradation needs a size, which it does not
// give: we call a drop slight up to this much MCC, a choice of ours that the evidence prints.
let slightDrop = 0.1
let plateauClaim = "Performance plateaus or slightly degrades at \(layers(deepest)) (against \(layers(belowDeepest)))"
let plateauVerdict = deepest == belowDeepest ? Verdict.notTested(plateauClaim, "this profile has a single depth", id: "depth-plateau")
    : Verdict.plateau(plateauClaim, a: layers(deepest), b: layers(belowDeepest),
                      family: book.family(mcc, a: { _ in deepest }, b: { _ in belowDeepest }), slight: slightDrop, id: "depth-plateau")

// Claim 3: the deepest models overfit more (a clearly wider train − dev gap) or fit the training data
// worse (a clearly lower train MCC) than the depth below them (Verdict.overfitsOrFitsWorse).
let overfitClaim = "The \(deepest)-layer models overfit or are harder to optimise than the \(belowDeepest)-layer ones"
let overfitVerdict = deepest == belowDeepest ? Verdict.notTested(overfitClaim, "this profile has a single depth", id: "depth-overfit")
    : Verdict.overfitsOrFitsWorse(overfitClaim, a: layers(deepest), b: layers(belowDeepest), tasks: complete.map { task in
        (task, book.contrast("\(task) gap", mcc[task, deepest], mcc[task, belowDeepest], gap),
         book.contrast("\(task) train MCC", mcc[task, belowDeepest], mcc[task, deepest], trainMCC))
    }, id: "depth-overfit")

book.finish(verdicts: [gainVerdict, plateauVerdict, overfitVerdict])
