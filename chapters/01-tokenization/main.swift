// Chapter 1 — How should DNA be cut into tokens?
//
// The paper's first study: non-overlapping k-mers (k = 1, 3, 4, 5, 6) against a 4,096-entry BPE
// vocabulary, with position encoding and depth held fixed, on six GUE tasks, scored by test MCC.
// We add DNABERT-2's own 4,096-entry vocabulary (learned on genomes, not on the task) as a seventh.
//
// Run: `make chapter-tokenization` (or `swift run -c release Chapter01Tokenization --profile smoke`).
import Foundation
import GeneCoding

let book = try Notebook(name: "01-tokenization", title: "Chapter 1 — Tokenization: k-mers against BPE")

book.claim(
    paper: "BPE consistently outperforms k-mer tokenization by capturing variable-length biological motifs and "
        + "reducing sequence length, improving generalization. [...] 1-mer tokenization consistently underperforms "
        + "(MCC ~0.10–0.47): too fine-grained, loses local context.",
    source: "arXiv 2507.15087, as summarised in PAPER.md",
    ours: "Two claims to test: (1) BPE-4096 beats every k-mer on test MCC; (2) 1-mer is the worst tokenizer. "
        + "Everything else is held fixed, so a difference is the tokenizer's doing.")

// MARK: 1. Setup

let dnabert2 = ProcessInfo.processInfo.environment["DNABERT2_TOKENIZER"]
    ?? book.executor.gue.root.deletingLastPathComponent().appendingPathComponent("tokenizers/dnabert2-bpe4096.json").path
var tokenizers: [TokenizerSpec] = [1, 3, 4, 5, 6].map { .kmer(k: $0, overlapping: false) } + [.bpe(vocabularySize: 4096)]
if FileManager.default.fileExists(atPath: dnabert2) { tokenizers.append(.file(path: dnabert2)) }
/// The only vocabulary file used here is DNABERT-2's.
func columnName(_ t: TokenizerSpec) -> String { if case .file = t { return "DNABERT-2 BPE" }; return t.displayName }

book.step("Setup", """
    Tokenizers: \(tokenizers.map { Markdown.code(columnName($0)) }.joined(separator: ", ")). k-mers are cut without overlap \
    from the first base; a remainder shorter than k becomes one shorter "tail" token (its own vocabulary entry), so no \
    base is dropped. BPE-4096 is learned by our trainer from each task's training split (identical merges to Hugging \
    Face `tokenizers`, tested). DNABERT-2's vocabulary\(FileManager.default.fileExists(atPath: dnabert2) ? "" : " (not found: set DNABERT2_TOKENIZER to include it)") \
    was learned on multi-species genomes. Fixed for every run: RoPE position encoding and \(book.profile.layers) layers \
    of width \(book.profile.width) — RoPE because it is the paper's best encoding, so the tokenizer comparison is made \
    where the paper recommends working; the depth is the profile's (12 at paper scale), chosen for cost. \
    \(book.profile.seeds.count) seeds per cell.
    """)

// MARK: 2. Data

book.step("Data", "The tasks (by default six, one per GUE family), with their sizes. Reduced tasks (no official train split offline) say so.")
var dataTable = Table(["task", "classes", "train", "dev", "test", "length (bp)", "used for training"])
for name in book.tasks {
    let t = try book.executor.task(name)
    dataTable.append([Markdown.code(name) + (t.isReduced ? " (reduced)" : ""), "\(t.classCount)", "\(t.train.count)", "\(t.dev.count)",
                      "\(t.test.count)", "\(t.train.summary.shortest)–\(t.train.summary.longest)",
                      book.usedExamples(t)])
}
book.table(dataTable, caption: "Last column: train / dev / test examples used at this profile (the first rows of each split).")
let notes = book.taskNotes()
if !notes.isEmpty { book.bullets(notes) }

// MARK: 3. Runs

let grid: [Run] = book.tasks.flatMap { task in
    tokenizers.flatMap { tokenizer in
        book.profile.seeds.map { Run(task: task, tokenizer: tokenizer, positionEncoding: .rope, profile: book.profile, seed: $0) }
    }
}
book.step("Runs", "\(grid.count) runs: \(book.tasks.count) tasks × \(tokenizers.count) tokenizers × \(book.profile.seeds.count) seeds. "
          + "Each keeps the parameters with the best dev MCC and reports test MCC of those (the GUE protocol).")
let records = try book.run(grid)
func cell(_ task: String, _ tokenizer: TokenizerSpec) -> CellScore {
    book.score(records) { $0.task == task && $0.tokenizer == tokenizer }
}

// MARK: 4. Table: test MCC

book.step("Test MCC by task and tokenizer", "Mean ± standard deviation over seeds; the best mean of each row in bold.")
var mccTable = Table(["task"] + tokenizers.map(columnName))
for task in book.tasks {
    let cells = tokenizers.map { cell(task, $0) }
    let best = cells.map(\.mean).max()
    mccTable.append([Markdown.code(task)] + cells.map { $0.mean == best ? Markdown.bold($0.text) : $0.text })
}
let averages = tokenizers.map { t in Statistics.mean(book.tasks.map { cell($0, t).mean }) }
mccTable.append(["**mean over tasks**"] + averages.map { Format.fixed($0, 3) })
book.table(mccTable)
// A test MCC of exactly 0 means one predicted class for every test sequence: the run never left chance.
let stuck = tokenizers.map { t in records.filter { $0.run.tokenizer == t && $0.outcome?.test.mcc == 0 } }
if stuck.contains(where: { !$0.isEmpty }) {
    book.paragraph("Runs that never left chance (test MCC exactly 0: one class predicted for every test sequence): "
                   + zip(tokenizers, stuck).filter { !$0.1.isEmpty }.map { t, runs in
                       "\(columnName(t)) \(runs.count) of \(records.filter { $0.run.tokenizer == t }.count) "
                           + "(\(Set(runs.map(\.run.task)).sorted().joined(separator: ", ")))"
                   }.joined(separator: "; ")
                   + ". At this profile's budget of optimiser steps such runs say more about how fast a tokenizer's "
                   + "model starts to learn than about how well it can do.")
}

// MARK: 5. Table: what each tokenizer makes of the sequences

book.step("Sequence length and vocabulary use", """
    Tokens per sequence (without [CLS]/[SEP]), bases per token, and how much of the vocabulary the training split \
    uses. BPE's shorter sequences are the paper's proposed mechanism; large k-mers use a thin slice of a large vocabulary.
    """)
var statsTable = Table(["task", "tokenizer", "vocabulary", "tokens / sequence", "max", "bases / token", "ids used", "[UNK]"])
for task in book.tasks {
    for tokenizer in tokenizers {
        guard let r = records.first(where: { $0.run.task == task && $0.run.tokenizer == tokenizer }),
              let s = r.tokenizerStatistics else { continue }
        statsTable.append([Markdown.code(task), columnName(tokenizer), "\(s.vocabularySize)", Format.fixed(s.meanTokensPerSequence, 1),
                           "\(s.maxTokensPerSequence)", Format.fixed(s.meanBasesPerToken, 2),
                           "\(s.vocabularyUsed) (\(Format.percent(s.vocabularyShareUsed)))", Format.percent(s.unknownShare, 2)])
    }
}
book.table(statsTable, caption: "Measured on the training examples used at this profile.")

// MARK: 6. Figures

book.step("Figures", "Test MCC by tokenizer for each task, and sequence length in tokens.")
try book.figure(BarChart(name: "01-mcc-by-tokenizer", title: "Test MCC by tokenizer (\(book.profile.name) profile)",
                         xLabel: "task", yLabel: "test MCC (mean ± sd over seeds)", categories: book.tasks,
                         groups: tokenizers.map { t in
                             BarChart.Group(name: columnName(t), means: book.tasks.map { cell($0, t).mean },
                                            deviations: book.tasks.map { cell($0, t).errorBar })
                         }),
                alt: "grouped bars of test MCC per task and tokenizer")
try book.figure(BarChart(name: "01-tokens-per-sequence", title: "Tokens per sequence (\(book.profile.name) profile)",
                         xLabel: "task", yLabel: "mean tokens per sequence", categories: book.tasks,
                         groups: tokenizers.map { t in
                             BarChart.Group(name: columnName(t), means: book.tasks.map { task in
                                 records.first { $0.run.task == task && $0.run.tokenizer == t }?.tokenizerStatistics?.meanTokensPerSequence ?? .nan
                             })
                         }),
                alt: "grouped bars of tokens per sequence per task and tokenizer")

// MARK: 7. Verdict

let bpe = TokenizerSpec.bpe(vocabularySize: 4096)
let kmers = tokenizers.filter { if case .kmer = $0 { return true }; return false }
// Claim 1: BPE beats the best k-mer of each task (a stronger test than beating their average).
let bestKmerPairs = book.tasks.map { task -> (task: String, a: CellScore, b: CellScore) in
    let best = kmers.map { cell(task, $0) }.max { $0.mean < $1.mean }!
    return (task, cell(task, bpe), best)
}
let bpeVerdict = Verdict.beats("BPE outperforms every k-mer tokenization", a: "BPE-4096", b: "the best k-mer of each task",
                               pairs: bestKmerPairs)
// Claim 2: 1-mer is the worst: its mean must be strictly below every other tokenizer's on most tasks.
let oneMer = TokenizerSpec.kmer(k: 1, overlapping: false)
let worstCount = book.tasks.filter { task in
    let mean = cell(task, oneMer).mean
    return tokenizers.allSatisfy { $0 == oneMer || cell(task, $0).mean > mean }
}.count
let oneMerRange = book.tasks.map { cell($0, oneMer).mean }
let oneMerVerdict = Verdict(
    claim: "1-mer tokenization is the worst (paper: MCC ~0.10–0.47)",
    status: worstCount >= book.tasks.count / 2 + 1 ? .reproduced : worstCount > 0 ? .partly : .notReproduced,
    evidence: "1-mer has the strictly lowest mean test MCC on \(worstCount) of \(book.tasks.count) tasks; its MCC ranges "
        + "\(Format.fixed(oneMerRange.min() ?? .nan, 3))–\(Format.fixed(oneMerRange.max() ?? .nan, 3)).")
book.paragraph("Averaged over tasks, the tokenizers rank: "
               + zip(tokenizers, averages).sorted { $0.1 > $1.1 }.map { "\(columnName($0.0)) \(Format.fixed($0.1, 3))" }.joined(separator: " > ") + ".")
try book.finish(verdicts: [bpeVerdict, oneMerVerdict])
