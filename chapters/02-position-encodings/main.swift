// Chapter 2 — How does the model know where each token is?
//
// The paper's second study: sinusoidal, ALiBi and RoPE position encodings, with tokenization (BPE-4096)
// and depth held fixed, on six GUE tasks, scored by test MCC. We add two references the paper leaves
// out, learned absolute positions (BERT's and DNABERT's choice) and no positions at all, and an
// extrapolation study for the paper's words about long sequences: train on the first quarter of each
// sequence, then test on the first quarter, half and whole.
//
// Run: `make chapter-position-encodings` (or `swift run -c release Chapter02PositionEncodings --profile smoke`;
// `--help` lists the options).
import Foundation
import GeneCoding

let book = Notebook(name: "02-position-encodings", title: "Chapter 2 — Position encodings: sinusoidal, ALiBi, RoPE")

book.claim(
    paper: PaperClaims.positionEncodings.quote,
    source: PaperClaims.positionEncodings.source,
    ours: "Five claims to test, with the tokenizer and the depth fixed so that a difference is the encoding's doing: "
        + "(1) RoPE has the best test MCC of the paper's three encodings; (2) ALiBi is among the best on local-dependency "
        + "tasks; (3) sinusoidal falls behind on the long-sequence tasks; trained on short sequences and tested on longer "
        + "ones, (4) RoPE loses the least MCC and (5) sinusoidal the most. \"Periodic motifs\" names a mechanism, not an "
        + "outcome we can score on these tasks, so that part is left to chapter 4's synthetic periodic task.")

// MARK: 1. Setup

let encodings = PositionEncoding.allCases
let bpe = TokenizerSpec.bpe(vocabularySize: 4096)
// The paper does not say which of its tasks are the "local dependency" ones. We read it as the short
// windows: a 70 bp core promoter, 101 bp around a ChIP-seq peak summit, where the label rests on a
// motif or two close together. The long tasks (300-500 bp) span regions where what matters can lie
// far apart. The threshold sits between the two groups of GUE lengths.
let localLength = 128
let longest = Dictionary(uniqueKeysWithValues: book.tasks.map { ($0, book.task($0).train.summary.longest) })
func isLocal(_ task: String) -> Bool { longest[task]! <= localLength }

book.step("Setup", """
    Encodings: the paper's three, `sinusoidal` (fixed sine and cosine vectors added to the token embeddings), `ALiBi` \
    (a penalty on attention scores growing linearly with the distance |i − j| between tokens, one slope per head; \
    symmetric because an encoder looks both ways) and `RoPE` (each head's queries and keys rotated by an angle \
    proportional to their position, so that attention sees only their offset); and two references, `learned` (a \
    trained table of absolute position vectors) and `none` (attention sees a bag of tokens, which is what any encoding \
    is measured against). Fixed for every run: \(bpe.displayName) learned from each task's training split (the \
    paper's best tokenizer; chapter 1 tests that), and \(Format.plural(book.profile.layers, "layer")) of width \
    \(book.profile.width) with \(book.profile.heads) heads, the profile's depth (\(ScaleProfile.paper.layers) at paper scale). \
    \(Format.plural(book.seeds.count, "seed")) per cell.
    """)
book.paragraph("""
    Which tasks are "local"? The paper does not say; we count a task as local when its sequences are at most \
    \(localLength) bp long (short windows around a core promoter or a binding-site summit, where the label rests on \
    nearby bases) and as long otherwise. Here that makes local: \(Format.list(book.tasks.filter(isLocal).map(Markdown.code))); \
    long: \(Format.list(book.tasks.filter { !isLocal($0) }.map(Markdown.code))).
    """)

// MARK: 2. Data

book.step("Data", "The tasks, with their sizes and the examples used at this profile (\(subsetRule)).")
book.table(book.dataTable(extra: [("group", { isLocal($0) ? "local" : "long" })]))
book.bullets(book.taskNotes())

// MARK: 3. Runs

let grid: [Run] = book.tasks.flatMap { task in
    encodings.flatMap { encoding in
        book.seeds.map { Run(task: task, tokenizer: bpe, positionEncoding: encoding, profile: book.profile, seed: $0) }
    }
}
book.step("Runs", """
    \(grid.count) runs: \(Format.plural(book.tasks.count, "task")) × \(Format.plural(encodings.count, "encoding")) × \
    \(Format.plural(book.seeds.count, "seed")). Each keeps the parameters with the best dev MCC and reports the test \
    MCC of those (the GUE protocol). The RoPE column is chapter 1's \(bpe.displayName) column run for run\
    \(book.profile.depths.contains(book.profile.layers) ? ", and chapter 3's \(book.profile.layers)-layer row" : ""): the \
    settings are the same, so are the result-store keys, and whichever chapter runs first trains them while the others reuse them.
    """)
let records = book.run(grid)
let mcc = book.cells(records, rows: book.tasks, columns: encodings, name: { $0.displayName }) { run, task, encoding in
    run.task == task && run.positionEncoding == encoding
}
let complete = mcc.completeRows()
if complete.count < book.tasks.count {
    book.paragraph("Left out of averages and verdicts, because some encoding has no finished run: "
                   + Format.list(book.tasks.filter { !complete.contains($0) }.map(Markdown.code)) + ".")
}

// MARK: 4. Table: test MCC

book.step("Test MCC by task and encoding", """
    Mean ± standard deviation over \(Format.plural(book.seeds.count, "seed")) (n = \(book.seeds.count) a cell; a cell with fewer finished runs shows its n); the best mean of each row in bold. Below the tasks, the means over local \
    tasks and over long tasks (when there are several), over all, and on how many tasks each encoding has the best mean.
    """)
let groups = [("local", book.tasks.filter(isLocal)), ("long", book.tasks.filter { !isLocal($0) })].filter { $0.1.count > 1 }
book.table(mcc.table(rowTitles: ["task", "group"], rowLabel: { [Markdown.code($0), isLocal($0) ? "local" : "long"] },
                     groups: groups.map { (name: $0.0, rows: $0.1) }, bestRow: true))
book.figure(mcc.barChart(name: "02-mcc-by-encoding", title: "Test MCC by position encoding, \(bpe.displayName) (\(book.profile.name) profile)",
                         yLabel: "test MCC (mean ± sd over seeds)"),
            alt: "grouped bars of test MCC per task and position encoding")
if !complete.isEmpty { book.paragraph("Averaged over tasks, the encodings rank: \(mcc.ranking()).") }

// MARK: 5. RoPE against each encoding

book.step("RoPE against each other encoding", """
    Per task, RoPE's test MCC against each other encoding's, judged as the verdicts are: clearly better, no clear \
    difference, or clearly worse, with Holm's correction over the tasks of each row. Where no difference is found, the \
    last column gives the median of what the design could have detected.
    """)
book.table(ContrastFamily.countTable(encodings.filter { $0 != .rope }.map { other in
    (other.displayName, book.family(mcc, a: { _ in .rope }, b: { _ in other }))
}, rowTitle: "RoPE against", a: "RoPE", b: "other"), caption: "Counts of tasks, out of \(complete.count).")

// MARK: 6. Extrapolation: train short, test long

// Two tasks with long sequences. EMP/H3 (histone occupancy) and the TATA promoters carry much of
// their signal in base composition, spread along the window, so a model trained on its first quarter
// still has something to learn; a splice site sits in the middle of its window, which a first-quarter
// crop would cut away. When neither is among the tasks given, the longest ones are used.
var extrapolationTasks = ["EMP/H3", "prom/prom_300_tata"].filter(book.tasks.contains)
for task in book.tasks.sorted(by: { longest[$0]! > longest[$1]! }) where extrapolationTasks.count < 2 && !extrapolationTasks.contains(task) {
    extrapolationTasks.append(task)
}
// Test lengths double from the training length to the whole sequence; the shortest test sequence
// sets "whole", so that every test sequence is really cut at every length.
let shrinkFactors = [4, 2, 1]
let testLengths = Dictionary(uniqueKeysWithValues: extrapolationTasks.map { task in
    (task, shrinkFactors.map { book.task(task).test.summary.shortest / $0 })
})
/// "the first quarter", "the first half", "the whole".
func part(_ factor: Int) -> String { [1: "the whole", 2: "the first half", 4: "the first quarter"][factor] ?? "the first 1/\(factor)" }
let trainedPart = part(shrinkFactors.first!)
let stretches = shrinkFactors.map { shrinkFactors.first! / $0 }
func trainedLength(_ task: String) -> Int { testLengths[task]!.first! }
func fullLength(_ task: String) -> Int { testLengths[task]!.last! }

let extrapolationGrid: [Run] = extrapolationTasks.flatMap { task in
    encodings.flatMap { encoding in
        book.seeds.map { seed -> Run in
            var run = Run(task: task, tokenizer: bpe, positionEncoding: encoding, profile: book.profile, seed: seed)
            run.trainCrop = trainedLength(task)
            run.testCrops = testLengths[task]!
            return run
        }
    }
}
book.step("Extrapolation: train on \(trainedPart), test on the whole", """
    The paper credits RoPE with extrapolating to long sequences and blames sinusoidal's "limited extrapolation", but \
    GUE's splits share one length, so its main table never asks a model to extrapolate. Here we make it: on \
    \(Format.list(extrapolationTasks.map { "\(Markdown.code($0)) (\(fullLength($0)) bp)" })), every encoding is trained \
    (and selected on dev) with each sequence cut to \(trainedPart) of its length, then scored on the test split with each \
    sequence cut to \(Format.list(shrinkFactors.map(part))) of it: \(Format.list(stretches.map { "\($0)×" })) the length \
    the model was trained on. \(extrapolationGrid.count) runs (\(Format.plural(extrapolationTasks.count, "task")) × \
    \(Format.plural(encodings.count, "encoding")) × \(Format.plural(book.seeds.count, "seed"))), cheap ones: they \
    train on \(trainedPart) of the tokens. The BPE vocabulary is the same as in the main grid (learned from the whole \
    training sequences).
    """)
book.paragraph("""
    Two effects add up in a longer test sequence: more bases to read, which can only help a model that reads them \
    well, and positions (or distances) never met in training, which can hurt. `none` has only the first, so its change \
    is the control: what the extra sequence alone is worth to a model trained on \(trainedPart). What each encoding \
    does with new positions: sinusoidal's vectors and RoPE's angles are defined at any position but were never seen \
    there; ALiBi's penalty simply keeps growing with distance; learned positions have no trained vector at all beyond \
    the training length (the table is sized for the longest test, but its later rows never receive a gradient and keep \
    their random initial values, shrunk only by weight decay).
    """)
let extrapolationRecords = book.run(extrapolationGrid)
let extrapolation = book.cells(extrapolationRecords, rows: extrapolationTasks, columns: encodings, name: { $0.displayName }) { run, task, encoding in
    run.task == task && run.positionEncoding == encoding
}
/// Whole-length MCC minus trained-length MCC, per seed: the same model on the same test examples,
/// so the pairing removes the seed-to-seed spread of the models themselves.
let change = Quantity.custom("Change in test MCC from the trained length to \(stretches.last!)×") { record in
    guard let crops = record.run.testCrops, let trained = crops.first, let whole = crops.last,
          let atTrained = Quantity.croppedMCC(bases: trained).value(record), let atWhole = Quantity.croppedMCC(bases: whole).value(record) else { return nil }
    return atWhole - atTrained
}
/// Mean tokens per test sequence cut to `bases`, without [CLS] and [SEP].
func tokens(_ task: String, _ bases: Int) -> Double {
    book.cell(extrapolationRecords, name: task) { $0.task == task }
        .score(.custom("tokens") { $0.croppedTests?.first { $0.bases == bases }.map { $0.meanTokens - 2 } }).mean
}

for task in extrapolationTasks {
    let readings = testLengths[task]!.map { bases in
        Reading("\(bases) bp" + (bases == trainedLength(task) ? " (trained)" : ""), .croppedMCC(bases: bases), x: Double(bases),
                boldBest: bases == fullLength(task))
    } + [Reading("change \(trainedLength(task)) → \(fullLength(task)) bp", change, boldBest: true)]
    book.table(extrapolation.readings(readings, rows: [task], rowTitles: ["encoding"], rowLabel: { _, encoding in [encoding.displayName] }),
               caption: "\(Markdown.code(task)): test MCC (mean ± sd over seeds) with every sequence cut to its first "
                   + testLengths[task]!.map { "\($0) bp (\(Format.fixed(tokens(task, $0), 0)) tokens)" }.joined(separator: ", ")
                   + ", and the change per seed from the trained length to the whole. Bold: the best at full length, the best change.")
    if let rows = extrapolation[task, .learned].done.map(\.maxLength).max() {
        book.paragraph("On \(Markdown.code(task)) the learned table has \(rows) rows ([CLS] and [SEP] included); a training "
                       + "sequence fills about the first \(Format.fixed(tokens(task, trainedLength(task)) + 2, 0)) of them.")
    }
    book.figure(extrapolation.lineChart(of: task, readings, name: "02-extrapolation-" + task.replacingOccurrences(of: "/", with: "-"),
                                        title: "\(task): trained on the first \(trainedLength(task)) bp (\(book.profile.name) profile)",
                                        xLabel: "test sequence length (bp, log scale)", yLabel: "test MCC (mean ± sd over seeds)",
                                        markers: [LineChart.Marker(x: Double(trainedLength(task)), label: "trained length")]),
                alt: "test MCC against test sequence length on \(task), one line per position encoding")
}
let extrapolationComplete = extrapolation.completeRows(change)
for task in extrapolationComplete {
    // Each encoding's change against the control's, Holm over the encodings.
    let control = extrapolation[task, PositionEncoding.none]
    let family = ContrastFamily(encodings.filter { $0 != PositionEncoding.none }.map {
        book.contrast($0.displayName, extrapolation[task, $0], control, change)
    })
    let (less, more, undecided) = (family.lower.map(\.name), family.higher.map(\.name), family.undecided)
    let verdicts = (less.isEmpty ? [] : ["clearly less: \(Format.list(less)), which " + (less.count == 1 ? "pays for its" : "pay for their")
                                         + " positions at lengths not trained on"])
        + (more.isEmpty ? [] : ["clearly more: \(Format.list(more))"])
        + (undecided.isEmpty ? [] : ["no difference found for \(Format.list(undecided.map(\.name))) (the design could detect about "
                                     + Format.list(undecided.map { Format.fixed($0.estimate!.detectable, 2) }) + " respectively)"])
    book.paragraph("On \(Markdown.code(task)), from \(trainedLength(task)) to \(fullLength(task)) bp, the change in test MCC ranks "
                   + Format.ranking(encodings.map { ($0.displayName, extrapolation[task, $0].score(change).mean) })
                   + ". Without positions the change is \(Format.fixed(control.score(change).mean, 3)), what the extra sequence alone "
                   + "is worth. Against it, with Holm's correction over the other encodings: " + verdicts.joined(separator: "; ") + ".")
    let wholeTrained = encodings.map { mcc[task, $0].mean }.filter(\.isFinite)
    let atFull = encodings.map { extrapolation[task, $0].score(.croppedMCC(bases: fullLength(task))).mean }.filter(\.isFinite)
    if let low = wholeTrained.min(), let high = wholeTrained.max() {
        book.paragraph("For scale: trained on whole sequences (step 4), the encodings reach \(Format.fixed(low, 3))–\(Format.fixed(high, 3)) "
                       + "test MCC on \(Markdown.code(task)); trained on \(trainedPart) and tested whole, "
                       + "\(Format.fixed(atFull.min() ?? .nan, 3))–\(Format.fixed(atFull.max() ?? .nan, 3)).")
    }
}

// MARK: 7. Verdict

// Claim 1: RoPE beats the better of the paper's other two on each task (stricter than beating each on
// average). Learned and none are not in the claim, which the paper made about its three; step 5 shows
// where RoPE stands against them.
let ropeVerdict = Verdict.beats("RoPE gives the best results of the paper's three encodings", a: "RoPE", b: "the better of sinusoidal and ALiBi",
                                family: book.family(mcc, a: { _ in .rope }, b: { mcc.best(in: $0, among: [.sinusoidal, .alibi]) }), id: "rope-best")

// Claim 2: on every local task ALiBi is not clearly behind either of the paper's other two, and ahead
// of both on at least one (Verdict.levelWithBest states the rule). The note adds whether ALiBi stands
// closer to the best on local tasks than on long ones, which is what singling out local tasks implies.
let alibiClaim = "ALiBi performs well on local-dependency tasks (≤ \(localLength) bp)"
let (localComplete, longComplete) = (complete.filter(isLocal), complete.filter { !isLocal($0) })
func alibiGap(_ tasks: [String]) -> String {
    Format.fixed(Statistics.meanOrNaN(tasks.compactMap { t in mcc.best(in: t, among: [.sinusoidal, .rope]).map { mcc[t, .alibi].mean - mcc[t, $0].mean } }), 3)
}
let alibiVerdict = localComplete.isEmpty ? Verdict.notTested(alibiClaim, "no local task among those given", id: "alibi-local")
    : Verdict.levelWithBest(alibiClaim, a: "ALiBi", rivals: "sinusoidal and RoPE",
                            tasks: localComplete.map { task in
                                (task, [PositionEncoding.sinusoidal, .rope].map { book.contrast("\(task) against \($0.displayName)", mcc[task, .alibi], mcc[task, $0]) })
                            },
                            unit: "local tasks", note: " ALiBi's mean gap to the better of the two: \(alibiGap(localComplete)) on local tasks"
                                + (longComplete.isEmpty ? "." : ", \(alibiGap(longComplete)) on long ones."), id: "alibi-local")

// Claim 3: on the long tasks even the weaker of ALiBi and RoPE beats sinusoidal.
let sinusoidalClaim = "Sinusoidal underperforms on long-sequence tasks (> \(localLength) bp)"
let sinusoidalVerdict = longComplete.isEmpty ? Verdict.notTested(sinusoidalClaim, "no long task among those given", id: "sinusoidal-long")
    : Verdict.beats(sinusoidalClaim, a: "the weaker of ALiBi and RoPE", b: "sinusoidal",
                    family: book.family(mcc, rows: longComplete, a: { mcc.best(in: $0, among: [.alibi, .rope], highest: false) }, b: { _ in .sinusoidal }),
                    id: "sinusoidal-long")

// Claims 4 and 5, on the change in test MCC from the trained length to the whole, per seed.
let atFullLength = " Test MCC at full length: " + extrapolationComplete.map { task in
    "\(task) " + [PositionEncoding.sinusoidal, .alibi, .rope].map {
        "\($0.displayName) \(Format.fixed(extrapolation[task, $0].score(.croppedMCC(bases: fullLength(task))).mean, 3))"
    }.joined(separator: ", ")
}.joined(separator: "; ") + "."
let extrapolateVerdict = Verdict.beats(
    "RoPE extrapolates best to longer sequences than it was trained on", a: "RoPE", b: "the better of sinusoidal and ALiBi",
    family: book.family(extrapolation, change, a: { _ in .rope }, b: { extrapolation.best(in: $0, among: [.sinusoidal, .alibi], change) }),
    quantity: change.name, note: atFullLength, id: "rope-extrapolates")
let limitedVerdict = Verdict.beats(
    "Sinusoidal extrapolates worst (\"limited extrapolation\")", a: "the weaker of ALiBi and RoPE", b: "sinusoidal",
    family: book.family(extrapolation, change, a: { extrapolation.best(in: $0, among: [.alibi, .rope], change, highest: false) }, b: { _ in .sinusoidal }),
    quantity: change.name, id: "sinusoidal-extrapolates-worst")

book.finish(verdicts: [ropeVerdict, alibiVerdict, sinusoidalVerdict, extrapolateVerdict, limitedVerdict])
