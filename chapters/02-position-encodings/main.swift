// Chapter 2 — How does the model know where each token is?
//
// The paper's second study: sinusoidal, ALiBi and RoPE position encodings, with tokenization (BPE-4096)
// and depth held fixed, on six GUE tasks, scored by test MCC. We add two references the paper leaves
// out, learned absolute positions (BERT's and DNABERT's choice) and no positions at all, and an
// extrapolation study for the paper's words about long sequences: train on the first quarter of each
// sequence, then test on the first quarter, half and whole.
//
// Run: `make chapter-position-encodings` (or `swift run -c release Chapter02PositionEncodings --profile smoke`).
import Foundation
import GeneCoding

let book = try Notebook(name: "02-position-encodings", title: "Chapter 2 — Position encodings: sinusoidal, ALiBi, RoPE")

book.claim(
    paper: "RoPE excels at modeling periodic motifs and extrapolating to long sequences, while AliBi performs well on "
        + "local dependency tasks. [...] BPE with RoPE and 12 layers achieves the best overall results [...] "
        + "Sinusoidal absolute encoding underperforms on long-sequence tasks: limited extrapolation.",
    source: "arXiv 2507.15087, as summarised in PAPER.md",
    ours: "Five claims to test, with the tokenizer and the depth fixed so that a difference is the encoding's doing: "
        + "(1) RoPE has the best test MCC of the paper's three encodings; (2) ALiBi is among the best on local-dependency "
        + "tasks; (3) sinusoidal falls behind on the long-sequence tasks; trained on short sequences and tested on longer "
        + "ones, (4) RoPE loses the least MCC and (5) sinusoidal the most. \"Periodic motifs\" names a mechanism, not an "
        + "outcome we can score on these tasks, so that part is left untested.")

// MARK: 1. Setup

let encodings = PositionEncoding.allCases
let paperEncodings: [PositionEncoding] = [.sinusoidal, .alibi, .rope]
let vocabularySize = 4096
let bpe = TokenizerSpec.bpe(vocabularySize: vocabularySize)
func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: ", ") }
/// "RoPE 0.512 > ALiBi 0.498 = none 0.498": names with their values, highest first, `=` where the
/// printed values tie.
func ranking(_ items: [(name: String, value: Double)]) -> String {
    let sorted = items.sorted { $0.value > $1.value }
    return sorted.enumerated().map { i, item in
        let text = "\(item.name) \(Format.fixed(item.value, 3))"
        guard i > 0 else { return text }
        return (Format.fixed(sorted[i - 1].value, 3) == Format.fixed(item.value, 3) ? " = " : " > ") + text
    }.joined()
}

// The paper does not say which of its tasks are the "local dependency" ones. We read it as the short
// windows: a 70 bp core promoter, 101 bp around a ChIP-seq peak summit, where the label rests on a
// motif or two close together. The long tasks (300-500 bp) span regions where what matters can lie
// far apart. The threshold sits between the two groups of GUE lengths.
let localLength = 128
let lengths = try Dictionary(uniqueKeysWithValues: book.tasks.map { ($0, try book.executor.task($0).train.summary.longest) })
func isLocal(_ task: String) -> Bool { lengths[task]! <= localLength }
let localTasks = book.tasks.filter(isLocal)
let longTasks = book.tasks.filter { !isLocal($0) }

book.step("Setup", """
    Encodings: the paper's three, `sinusoidal` (fixed sine and cosine vectors added to the token embeddings), `ALiBi` \
    (a penalty on attention scores growing linearly with the distance |i − j| between tokens, one slope per head; \
    symmetric because an encoder looks both ways) and `RoPE` (each head's queries and keys rotated by an angle \
    proportional to their position, so that attention sees only their offset); and two references, `learned` (a \
    trained table of absolute position vectors) and `none` (attention sees a bag of tokens, which is what any encoding \
    is measured against). Fixed for every run: BPE-\(vocabularySize) learned from each task's training split (the \
    paper's best tokenizer; chapter 1 tests that), and \(Format.plural(book.profile.layers, "layer")) of width \
    \(book.profile.width) with \(book.profile.heads) heads, the profile's depth (\(ScaleProfile.paper.layers) at paper scale). \
    \(Format.plural(book.profile.seeds.count, "seed")) per cell.
    """)
book.paragraph("""
    Which tasks are "local"? The paper does not say; we count a task as local when its sequences are at most \
    \(localLength) bp long (short windows around a core promoter or a binding-site summit, where the label rests on \
    nearby bases) and as long otherwise. Here that makes local: \(list(localTasks.map(Markdown.code))); \
    long: \(list(longTasks.map(Markdown.code))).
    """)

// MARK: 2. Data

book.step("Data", "The tasks, with their sizes and the examples used at this profile (the first rows of each split).")
var dataTable = Table(["task", "group", "classes", "length (bp)", "train / dev / test", "used at this profile"])
for name in book.tasks {
    let t = try book.executor.task(name)
    dataTable.append([Markdown.code(name) + (t.isReduced ? " (reduced)" : ""), isLocal(name) ? "local" : "long", "\(t.classCount)",
                      "\(t.train.summary.shortest)–\(t.train.summary.longest)", "\(t.train.count) / \(t.dev.count) / \(t.test.count)",
                      book.usedExamples(t)])
}
book.table(dataTable)
let notes = book.taskNotes()
if !notes.isEmpty { book.bullets(notes) }

// MARK: 3. Runs

let grid: [Run] = book.tasks.flatMap { task in
    encodings.flatMap { encoding in
        book.profile.seeds.map { Run(task: task, tokenizer: bpe, positionEncoding: encoding, profile: book.profile, seed: $0) }
    }
}
let sharedWithDepth = book.profile.depths.contains(book.profile.layers) ? ", and chapter 3's \(book.profile.layers)-layer row" : ""
let alreadyStored = try book.storedCount(grid)
book.step("Runs", """
    \(grid.count) runs: \(Format.plural(book.tasks.count, "task")) × \(Format.plural(encodings.count, "encoding")) × \
    \(Format.plural(book.profile.seeds.count, "seed")). Each keeps the parameters with the best dev MCC and reports the test \
    MCC of those (the GUE protocol). The RoPE column is chapter 1's BPE-\(vocabularySize) column run for run\(sharedWithDepth): \
    the settings are the same, so are the result-store keys, and \
    whichever chapter runs first trains them while the others reuse them. \(alreadyStored) of the \(grid.count) were \
    already in the store when this report was made.
    """)
let records = try book.run(grid)

func cell(_ task: String, _ encoding: PositionEncoding) -> CellScore {
    book.score(records) { $0.task == task && $0.positionEncoding == encoding }
}
/// A cell's mean, NaN when it has no finished run.
/// Tasks with a score for every encoding: the only ones averaged over or used in verdicts.
let completeTasks = book.tasks.filter { task in encodings.allSatisfy { cell(task, $0).count > 0 } }
if completeTasks.count < book.tasks.count {
    book.paragraph("Left out of averages and verdicts, because some encoding has no finished run: "
                   + book.tasks.filter { !completeTasks.contains($0) }.map(Markdown.code).joined(separator: ", ") + ".")
}

// MARK: 4. Table: test MCC

book.step("Test MCC by task and encoding", """
    Mean ± standard deviation over seeds; the best mean of each row in bold. Below the tasks, the means over local \
    tasks and over long tasks (when there are several), over all, and on how many tasks each encoding has the best mean.
    """)
// Scores are right-aligned by hand: a bold best would make the automatic alignment read the column as text.
var mccTable = Table(columns: [Table.Column("task"), Table.Column("group")] + encodings.map { Table.Column($0.displayName, alignment: .right) })
for task in book.tasks {
    let cells = encodings.map { cell(task, $0) }
    let best = cells.filter { $0.count > 0 }.map(\.mean).max()
    mccTable.append([Markdown.code(task), isLocal(task) ? "local" : "long"]
                    + cells.map { $0.count > 0 && $0.mean == best ? Markdown.bold($0.text) : $0.text })
}
func meanOver(_ tasks: [String], _ encoding: PositionEncoding) -> Double { Statistics.meanOrNaN(tasks.map { cell($0, encoding).mean }) }
for (group, tasks) in [("local", completeTasks.filter(isLocal)), ("long", completeTasks.filter { !isLocal($0) }),
                       ("all", completeTasks)] where tasks.count > (group == "all" ? 0 : 1) {
    mccTable.append(["**mean over \(Format.plural(tasks.count, "task"))**", group] + encodings.map { Format.fixed(meanOver(tasks, $0), 3) })
}
let bestCounts = encodings.map { e in
    completeTasks.filter { task in encodings.map { cell(task, $0).mean }.max() == cell(task, e).mean }.count
}
mccTable.append(["**tasks where best**", "all"] + bestCounts.map { "\($0)" })
book.table(mccTable)
try book.figure(BarChart(name: "02-mcc-by-encoding", title: "Test MCC by position encoding, BPE-\(vocabularySize) (\(book.profile.name) profile)",
                         xLabel: "task", yLabel: "test MCC (mean ± sd over seeds)", categories: book.tasks,
                         groups: encodings.map { e in
                             BarChart.Group(name: e.displayName, means: book.tasks.map { cell($0, e).mean },
                                            deviations: book.tasks.map { cell($0, e).errorBar })
                         }),
                alt: "grouped bars of test MCC per task and position encoding")
if !completeTasks.isEmpty {
    book.paragraph("Averaged over tasks, the encodings rank: "
                   + ranking(encodings.map { ($0.displayName, meanOver(completeTasks, $0)) }) + ".")
}

// MARK: 5. RoPE against each encoding

// Verdict's rule for "clearly": a difference of means beyond twice its standard error over seeds.
book.step("RoPE against each other encoding", """
    Per task, RoPE's test MCC against each other encoding's: clearly better (the difference of means exceeds twice its \
    standard error over seeds), within noise, or clearly worse.\(book.profile.seeds.count == 1 ? " With one seed every difference counts as clear." : "")
    """)
var pairTable = Table(["RoPE against", "clearly better", "within noise", "clearly worse", "mean difference (RoPE − other)"])
for other in encodings where other != .rope {
    let comparisons = completeTasks.map { Comparison.of(cell($0, .rope), cell($0, other)) }
    pairTable.append([other.displayName, "\(comparisons.filter { $0 == .clearlyBetter }.count)",
                      "\(comparisons.filter { $0 != .clearlyBetter && $0 != .clearlyWorse }.count)",
                      "\(comparisons.filter { $0 == .clearlyWorse }.count)",
                      Format.fixed(Statistics.meanOrNaN(completeTasks.map { cell($0, .rope).mean - cell($0, other).mean }), 3)])
}
book.table(pairTable, caption: "Counts of tasks, out of \(completeTasks.count).")

// MARK: 6. Extrapolation: train short, test long

// Two tasks with long sequences. EMP/H3 (histone occupancy) and the TATA promoters carry much of
// their signal in base composition, spread along the window, so a model trained on its first quarter
// still has something to learn; a splice site sits in the middle of its window, which a first-quarter
// crop would cut away. When neither is among the tasks given, the longest ones are used.
let preferredForExtrapolation = ["EMP/H3", "prom/prom_300_tata"]
var extrapolationTasks = preferredForExtrapolation.filter(book.tasks.contains)
for task in book.tasks.sorted(by: { lengths[$0]! > lengths[$1]! }) where extrapolationTasks.count < 2 && !extrapolationTasks.contains(task) {
    extrapolationTasks.append(task)
}
// Test lengths double from the training length to the whole sequence; the shortest test sequence
// sets "whole", so that every test sequence is really cut at every length.
let shrinkFactors = [4, 2, 1]
let testLengths = try Dictionary(uniqueKeysWithValues: extrapolationTasks.map { task in
    (task, try shrinkFactors.map { try book.executor.task(task).test.summary.shortest / $0 })
})
/// "the first quarter", "the first half", "the whole".
func part(_ factor: Int) -> String { factor == 1 ? "the whole" : factor == 2 ? "the first half" : factor == 4 ? "the first quarter" : "the first 1/\(factor)" }
let stretches = shrinkFactors.map { shrinkFactors.first! / $0 }
func trainedLength(_ task: String) -> Int { testLengths[task]!.first! }
func fullLength(_ task: String) -> Int { testLengths[task]!.last! }

let extrapolationGrid: [Run] = extrapolationTasks.flatMap { task in
    encodings.flatMap { encoding in
        book.profile.seeds.map { seed -> Run in
            var run = Run(task: task, tokenizer: bpe, positionEncoding: encoding, profile: book.profile, seed: seed)
            run.trainCrop = trainedLength(task)
            run.testCrops = testLengths[task]!
            return run
        }
    }
}
book.step("Extrapolation: train on \(part(shrinkFactors.first!)), test on the whole", """
    The paper credits RoPE with extrapolating to long sequences and blames sinusoidal's "limited extrapolation", but \
    GUE's splits share one length, so its main table never asks a model to extrapolate. Here we make it: on \
    \(list(extrapolationTasks.map { "\(Markdown.code($0)) (\(fullLength($0)) bp)" })), every encoding is trained \
    (and selected on dev) with each sequence cut to \(part(shrinkFactors.first!)) of its length, then scored on the test split with each \
    sequence cut to \(shrinkFactors.map(part).joined(separator: ", ")) of it: \
    \(stretches.map { "\($0)×" }.joined(separator: ", ")) the length the model was trained on. \(extrapolationGrid.count) runs (\(Format.plural(extrapolationTasks.count, "task")) × \
    \(Format.plural(encodings.count, "encoding")) × \(Format.plural(book.profile.seeds.count, "seed"))), cheap ones: they train on \(part(shrinkFactors.first!)) of the \
    tokens. The BPE vocabulary is the same as in the main grid (learned from the whole training sequences).
    """)
book.paragraph("""
    Two effects add up in a longer test sequence: more bases to read, which can only help a model that reads them \
    well, and positions (or distances) never met in training, which can hurt. `none` has only the first, so its change \
    is the control: what the extra sequence alone is worth to a model trained on \(part(shrinkFactors.first!)). What each encoding \
    does with new positions: sinusoidal's vectors and RoPE's angles are defined at any position but were never seen \
    there; ALiBi's penalty simply keeps growing with distance; learned positions have no trained vector at all beyond \
    the training length (the table is sized for the longest test, but its later rows never receive a gradient and keep \
    their random initial values, shrunk only by weight decay).
    """)
let extrapolationRecords = try book.run(extrapolationGrid)

/// A line chart with a dashed vertical line at one x, labelled: here the length the models were
/// trained on, left of which nothing is extrapolation. LineChart draws the rest.
struct MarkedLength: Chart {
    var length: Int
    var label: String
    var chart: LineChart
    var name: String { chart.name }
    var title: String { chart.title }
    var xLabel: String { chart.xLabel }
    var yLabel: String { chart.yLabel }
    func dataText() -> String { chart.dataText() }
    func plotCommands(dataFile: String) -> String {
        """
        set arrow from \(length), graph 0 to \(length), graph 1 nohead dashtype 2 linecolor rgb "#808080" linewidth 1.5
        set label '\(label)' at \(length), graph 0.97 offset 0.5, 0 left textcolor rgb "#606060"
        \(chart.plotCommands(dataFile: dataFile))
        """
    }
}

func cropRecords(_ task: String, _ encoding: PositionEncoding) -> [RunRecord] {
    extrapolationRecords.filter { $0.run.task == task && $0.run.positionEncoding == encoding && $0.status == .done }
}
func mcc(_ record: RunRecord, at bases: Int) -> Double? { record.croppedTests?.first { $0.bases == bases }?.scores.mcc }
func cropCell(_ task: String, _ encoding: PositionEncoding, _ bases: Int) -> CellScore {
    CellScore(cropRecords(task, encoding).compactMap { mcc($0, at: bases) })
}
/// Whole-length MCC minus trained-length MCC, per seed: the same model on the same test examples,
/// so the pairing removes the seed-to-seed spread of the models themselves.
func changeCell(_ task: String, _ encoding: PositionEncoding) -> CellScore {
    CellScore(cropRecords(task, encoding).compactMap { r in
        guard let whole = mcc(r, at: fullLength(task)), let trained = mcc(r, at: trainedLength(task)) else { return nil }
        return whole - trained
    })
}
/// Mean tokens per test sequence at a length, without [CLS] and [SEP].
func tokens(_ task: String, _ bases: Int) -> Double {
    Statistics.meanOrNaN(extrapolationRecords.filter { $0.run.task == task }.compactMap { r in
        r.croppedTests?.first { $0.bases == bases }.map { $0.meanTokens - 2 }
    })
}
let completeExtrapolationTasks = extrapolationTasks.filter { task in encodings.allSatisfy { changeCell(task, $0).count > 0 } }

for task in extrapolationTasks {
    let bases = testLengths[task]!
    var table = Table(columns: [Table.Column("encoding")]
                      + (bases.map { "\($0) bp\($0 == trainedLength(task) ? " (trained)" : "")" } + ["change \(trainedLength(task)) → \(fullLength(task)) bp"])
                        .map { Table.Column($0, alignment: .right) })
    let bestAtFull = encodings.map { cropCell(task, $0, fullLength(task)).mean }.filter(\.isFinite).max()
    let bestChange = encodings.map { changeCell(task, $0).mean }.filter(\.isFinite).max()
    for encoding in encodings {
        let cells = bases.map { cropCell(task, encoding, $0) }
        let change = changeCell(task, encoding)
        table.append([encoding.displayName]
                     + cells.enumerated().map { i, c in bases[i] == fullLength(task) && c.count > 0 && c.mean == bestAtFull ? Markdown.bold(c.text) : c.text }
                     + [change.count > 0 && change.mean == bestChange ? Markdown.bold(change.text) : change.text])
    }
    book.table(table, caption: "\(Markdown.code(task)): test MCC (mean ± sd over seeds) with every sequence cut to its first "
               + bases.map { "\($0) bp (\(Format.fixed(tokens(task, $0), 0)) tokens)" }.joined(separator: ", ")
               + ", and the change per seed from the trained length to the whole. Bold: the best at full length, the best change.")
    let learned = cropRecords(task, .learned)
    if let rows = learned.map(\.maxLength).max() {
        book.paragraph("On \(Markdown.code(task)) the learned table has \(rows) rows ([CLS] and [SEP] included); a training "
                       + "sequence fills about the first \(Format.fixed(tokens(task, trainedLength(task)) + 2, 0)) of them.")
    }
    try book.figure(MarkedLength(length: trainedLength(task), label: "trained length", chart: LineChart(
                              name: "02-extrapolation-" + task.replacingOccurrences(of: "/", with: "-"),
                              title: "\(task): trained on the first \(trainedLength(task)) bp (\(book.profile.name) profile)",
                              xLabel: "test sequence length (bp, log scale)", yLabel: "test MCC (mean ± sd over seeds)",
                              series: encodings.map { e in
                                  LineChart.Series(name: e.displayName, x: bases.map(Double.init),
                                                   y: bases.map { cropCell(task, e, $0).mean },
                                                   deviations: bases.map { cropCell(task, e, $0).errorBar })
                              },
                              logX: true, xTicks: bases.map(Double.init))),
                    alt: "test MCC against test sequence length on \(task), one line per position encoding")
}
for task in completeExtrapolationTasks {
    let control = changeCell(task, PositionEncoding.none)
    let others = encodings.filter { $0 != PositionEncoding.none }
    let belowControl = others.filter { Comparison.of(changeCell(task, $0), control) == .clearlyWorse }
    let aboveControl = others.filter { Comparison.of(changeCell(task, $0), control) == .clearlyBetter }
    book.paragraph("On \(Markdown.code(task)), from \(trainedLength(task)) to \(fullLength(task)) bp, the change in test MCC ranks "
                   + ranking(encodings.map { ($0.displayName, changeCell(task, $0).mean) })
                   + ". Without positions the change is \(Format.fixed(control.mean, 3)), what the extra sequence alone is worth. "
                   + (belowControl.isEmpty ? "No encoding gains clearly less than that"
                      : "Clearly less: \(list(belowControl.map(\.displayName))), which \(belowControl.count == 1 ? "pays" : "pay") for \(belowControl.count == 1 ? "its" : "their") positions at lengths not trained on")
                   + (aboveControl.isEmpty ? "" : "; clearly more: \(list(aboveControl.map(\.displayName)))")
                   + (belowControl.count + aboveControl.count < others.count
                      ? "; within noise of it: \(list(others.filter { !belowControl.contains($0) && !aboveControl.contains($0) }.map(\.displayName)))" : "")
                   + ".")
    // For scale: the same encodings trained on whole sequences (the main grid), when the task is in it.
    let wholeTrained = encodings.map { cell(task, $0).mean }.filter(\.isFinite)
    if let low = wholeTrained.min(), let high = wholeTrained.max() {
        let atFull = encodings.map { cropCell(task, $0, fullLength(task)).mean }.filter(\.isFinite)
        book.paragraph("For scale: trained on whole sequences (step 4), the encodings reach \(Format.fixed(low, 3))–\(Format.fixed(high, 3)) "
                       + "test MCC on \(Markdown.code(task)); trained on \(part(shrinkFactors.first!)) and tested whole, "
                       + "\(Format.fixed(atFull.min() ?? .nan, 3))–\(Format.fixed(atFull.max() ?? .nan, 3)).")
    }
}

// MARK: 7. Verdict

// Verdict.beats's rule (clearly better on most tasks, clearly worse on none) for a quantity other
// than test MCC, with the evidence naming that quantity.
func beats(_ claim: String, a: String, b: String, quantity: String,
           pairs: [(task: String, a: CellScore, b: CellScore)], note: String = "") -> Verdict {
    capitalised(Verdict.beats(claim, a: a, b: b, pairs: pairs, quantity: quantity, note: note))
}
/// The evidence opens a sentence with the name of what is compared, which may be lower case.
func capitalised(_ verdict: Verdict) -> Verdict {
    var v = verdict
    v.evidence = v.evidence.prefix(1).uppercased() + v.evidence.dropFirst()
    return v
}
func notTested(_ claim: String, _ why: String) -> Verdict { Verdict(claim: claim, status: .notTested, evidence: "Not tested: \(why).") }
/// The rival with the higher (or lower) mean on a task, among `among`.
func pick(_ among: [PositionEncoding], _ task: String, highest: Bool, _ score: (String, PositionEncoding) -> CellScore) -> PositionEncoding {
    among.max { highest ? score(task, $0).mean < score(task, $1).mean : score(task, $0).mean > score(task, $1).mean }!
}

// Claim 1: RoPE beats the better of the paper's other two on each task (stricter than beating each
// on average). Learned and none are not in the claim, which the paper made about its three; the
// table of step 5 shows where RoPE stands against them.
let ropeClaim = "RoPE gives the best results of the paper's three encodings"
let ropeVerdict = completeTasks.isEmpty ? notTested(ropeClaim, "no task has a score for every encoding")
    : Verdict.beats(ropeClaim, a: "RoPE", b: "the better of sinusoidal and ALiBi",
                    pairs: completeTasks.map { task in (task, cell(task, .rope), cell(task, pick([.sinusoidal, .alibi], task, highest: true, cell))) })

// Claim 2: on every local task ALiBi is level with the best of the paper's other two (not clearly
// worse than either), and ahead of both (by its mean) on at least one: the paper names ALiBi for
// local tasks, so being level but never ahead counts as partly. The evidence adds whether ALiBi stands
// closer to the best on local tasks than on long ones, which is what singling out local tasks implies.
let alibiClaim = "ALiBi performs well on local-dependency tasks (≤ \(localLength) bp)"
let localComplete = completeTasks.filter(isLocal)
let alibiVerdict: Verdict
if localComplete.isEmpty {
    alibiVerdict = notTested(alibiClaim, "no local task in this rendering")
} else {
    func gap(_ task: String) -> Double { cell(task, .alibi).mean - cell(task, pick([.sinusoidal, .rope], task, highest: true, cell)).mean }
    let level = localComplete.filter { task in [.sinusoidal, .rope].allSatisfy { Comparison.of(cell(task, .alibi), cell(task, $0)) != .clearlyWorse } }
    let highest = localComplete.filter { gap($0) > 0 }
    let detail = localComplete.map { task in
        let rival = pick([.sinusoidal, .rope], task, highest: true, cell)
        return "\(task) \(Format.fixed(cell(task, .alibi).mean, 3)) vs \(Format.fixed(cell(task, rival).mean, 3)) (\(rival.displayName))"
            + (level.contains(task) ? "" : ", clearly behind")
    }.joined(separator: "; ")
    let longComplete = completeTasks.filter { !isLocal($0) }
    alibiVerdict = Verdict(
        claim: alibiClaim,
        status: level.count == localComplete.count && !highest.isEmpty ? .reproduced : level.isEmpty ? .notReproduced : .partly,
        evidence: "ALiBi is level with the best of sinusoidal and RoPE (not clearly worse than either) on \(level.count) of "
            + "\(localComplete.count) local tasks and has the highest mean of the three on \(highest.count). Test MCC, ALiBi vs "
            + "the better of the two: \(detail). ALiBi's mean gap to that better one: \(Format.fixed(Statistics.meanOrNaN(localComplete.map(gap)), 3)) on local tasks"
            + (longComplete.isEmpty ? "." : ", \(Format.fixed(Statistics.meanOrNaN(longComplete.map(gap)), 3)) on long ones."))
}

// Claim 3: on the long tasks even the weaker of ALiBi and RoPE beats sinusoidal.
let sinusoidalClaim = "Sinusoidal underperforms on long-sequence tasks (> \(localLength) bp)"
let longComplete = completeTasks.filter { !isLocal($0) }
let sinusoidalVerdict = longComplete.isEmpty ? notTested(sinusoidalClaim, "no long task in this rendering")
    : capitalised(Verdict.beats(sinusoidalClaim, a: "the weaker of ALiBi and RoPE", b: "sinusoidal",
                    pairs: longComplete.map { task in (task, cell(task, pick([.alibi, .rope], task, highest: false, cell)), cell(task, .sinusoidal)) }))

// Claims 4 and 5, on the change in test MCC from the trained length to four times it (per seed).
func atFull(_ task: String, _ encoding: PositionEncoding) -> String {
    "\(encoding.displayName) \(Format.fixed(cropCell(task, encoding, fullLength(task)).mean, 3))"
}
let changeQuantity = "Change in test MCC from the trained length to \(stretches.last!)×"
let extrapolateClaim = "RoPE extrapolates best to longer sequences than it was trained on"
let extrapolateVerdict = completeExtrapolationTasks.isEmpty ? notTested(extrapolateClaim, "no extrapolation task has a result for every encoding")
    : beats(extrapolateClaim, a: "RoPE", b: "the better of sinusoidal and ALiBi", quantity: changeQuantity,
            pairs: completeExtrapolationTasks.map { task in (task, changeCell(task, .rope), changeCell(task, pick([.sinusoidal, .alibi], task, highest: true, changeCell))) },
            note: " Test MCC at full length: " + completeExtrapolationTasks.map { task in
                "\(task) " + paperEncodings.map { atFull(task, $0) }.joined(separator: ", ")
            }.joined(separator: "; ") + ".")
let limitedClaim = "Sinusoidal extrapolates worst (\"limited extrapolation\")"
let limitedVerdict = completeExtrapolationTasks.isEmpty ? notTested(limitedClaim, "no extrapolation task has a result for every encoding")
    : beats(limitedClaim, a: "the weaker of ALiBi and RoPE", b: "sinusoidal", quantity: changeQuantity,
            pairs: completeExtrapolationTasks.map { task in (task, changeCell(task, pick([.alibi, .rope], task, highest: false, changeCell)), changeCell(task, .sinusoidal)) })

try book.finish(verdicts: [ropeVerdict, alibiVerdict, sinusoidalVerdict, extrapolateVerdict, limitedVerdict])
