// Does a BPE vocabulary track known motifs? (chapter 4, question 5), as tables and a chart.
//
// For each task: its BPE vocabulary, profiled on its training sequences (the most used tokens of
// at least `VocabularyMotifs.minimumBases` bases, and which catalogue motifs they match); the same
// vocabulary size learned from those sequences shuffled base by base with a few seeds, each profiled
// on its own shuffled corpus (the baseline: same composition, no order); and, when given, a
// vocabulary learned elsewhere (DNABERT-2's) profiled on the task's sequences. Tokenizers/
// VocabularyMotifs.swift does the profiling; this file gathers it per task and lays it out.
import Foundation

public struct MotifEnrichment: Sendable {
    public struct Row: Sendable {
        public var task: String
        public var vocabulary: VocabularyMotifs.Profile
        public var shuffled: [VocabularyMotifs.Profile]
        public var genome: VocabularyMotifs.Profile?
    }

    public var rows: [Row]
    /// How many of the most used tokens each profile judges.
    public var top: Int
    /// The name of the genome-learned vocabulary ("DNABERT-2"), when there is one.
    public var genomeName: String?

    /// Tokens of a profile that match any motif.
    public static func motifTokens(_ profile: VocabularyMotifs.Profile) -> Double { Double(profile.counts["any"] ?? 0) }

    /// The catalogue: name, consensus, source.
    public static func catalogueTable() -> Table {
        var table = Table(["motif", "consensus", "source"])
        for m in KnownMotif.catalogue { table.append([m.name, m.consensus.map(Markdown.code) ?? "—", m.source]) }
        return table
    }

    /// Per task: motif tokens of its vocabulary, of the shuffled ones (mean ± sd), of the genome's,
    /// and the first few matching tokens of its vocabulary.
    public func enrichmentTable(examples: Int = 6) -> Table {
        var table = Table(columns: [Table.Column("task"), Table.Column("task vocabulary", alignment: .right),
                                    Table.Column("shuffled (mean ± sd)", alignment: .right)]
                          + (genomeName.map { [Table.Column($0, alignment: .right)] } ?? [])
                          + [Table.Column("motif tokens among the task vocabulary's top \(top)")])
        for row in rows {
            let shuffled = CellScore(row.shuffled.map(Self.motifTokens))
            let matching = zip(row.vocabulary.tokens, row.vocabulary.matches).filter { !$0.1.isEmpty }.prefix(examples)
                .map { Markdown.code("\($0.0) (\($0.1.joined(separator: ", ")))") }
            table.append([Markdown.code(row.task), "\(Int(Self.motifTokens(row.vocabulary)))", Format.meanSD(shuffled.mean, shuffled.deviation, 1)]
                         + (genomeName == nil ? [] : [row.genome.map { "\(Int(Self.motifTokens($0)))" } ?? "–"])
                         + [matching.isEmpty ? "—" : matching.joined(separator: ", ")])
        }
        return table
    }

    /// Matches per motif summed over the tasks: task vocabularies, shuffled (mean over seeds), genome.
    public func byMotifTable() -> Table {
        var table = Table(columns: [Table.Column("motif"), Table.Column("task vocabularies", alignment: .right),
                                    Table.Column("shuffled (mean)", alignment: .right)]
                          + (genomeName.map { [Table.Column($0, alignment: .right)] } ?? []))
        let draws = rows.map(\.shuffled.count).min() ?? 0
        for m in KnownMotif.catalogue {
            let sum = { (profile: (Row) -> VocabularyMotifs.Profile?) in rows.reduce(0) { $0 + (profile($1)?.counts[m.name] ?? 0) } }
            table.append([m.name, "\(sum { $0.vocabulary })", Format.fixed(Statistics.meanOrNaN((0..<draws).map { i in Double(sum { $0.shuffled[i] }) }), 1)]
                         + (genomeName == nil ? [] : ["\(sum { $0.genome })"]))
        }
        return table
    }

    /// Bars per task: the task vocabulary's motif tokens, the shuffled ones' (with their sd), the genome's.
    public func barChart(name: String) -> BarChart {
        BarChart(name: name, title: "Known-motif tokens among the \(top) most used BPE tokens", xLabel: "task",
                 yLabel: "tokens matching a known motif", categories: rows.map(\.task),
                 groups: [BarChart.Group(name: "task vocabulary", means: rows.map { Self.motifTokens($0.vocabulary) }),
                          BarChart.Group(name: "shuffled sequences", means: rows.map { CellScore($0.shuffled.map(Self.motifTokens)).mean },
                                         deviations: rows.map { CellScore($0.shuffled.map(Self.motifTokens)).errorBar })]
                     + (genomeName.map { [BarChart.Group(name: $0, means: rows.map { $0.genome.map(Self.motifTokens) ?? .nan })] } ?? []))
    }

    /// Per task, its vocabulary's motif tokens against the shuffled draws: what `Verdict.exceedsBaseline` takes.
    public var againstShuffled: [(name: String, value: Double, baseline: [Double])] {
        rows.map { ($0.task, Self.motifTokens($0.vocabulary), $0.shuffled.map(Self.motifTokens)) }
    }
}

extension Notebook {
    /// Profiles, for each task, the BPE vocabulary of `size` entries its runs use, vocabularies of the
    /// same size learned from its training sequences shuffled with each of `shuffleSeeds` (learned
    /// once, kept in the store), and the vocabulary file `genome` when given. Each is profiled on at
    /// most `profileLimit` sequences of its own corpus (the genome's on the task's).
    public func motifEnrichment(size: Int, shuffleSeeds: [UInt64], top: Int, profileLimit: Int,
                                genome: (name: String, path: String)? = nil) -> MotifEnrichment {
        let genomeTokenizer = genome.map { g in orStop { try TokenizerSpec.file(path: g.path).makeTokenizer(trainingSequences: []) } }
        let rows = tasks.map { name -> MotifEnrichment.Row in
            let task = self.task(name), limit = profile.tokenizerTrainingLimit
            let sequences = Array(task.train.rows.prefix(limit ?? Int.max).map(\.sequence))
            let vocabulary = tokenizer(for: Run(task: name, tokenizer: .bpe(vocabularySize: size), profile: profile, seed: 1))
            let shuffled = shuffleSeeds.map { seed -> VocabularyMotifs.Profile in
                // Cached like the task vocabularies: named by task, size, seed and the training file's hash.
                let file = "\(name.replacingOccurrences(of: "/", with: "_"))-bpe\(size)-shuffled\(seed)-"
                    + "\(limit.map { "first\($0)" } ?? "all")-\(task.train.sha256.prefix(12)).json"
                let corpus = VocabularyMotifs.shuffled(sequences, seed: seed)
                let learned = learnedBPE(file, size: size, name: "bpe:\(size) shuffled \(seed)", from: "shuffled \(name)") { corpus }
                return orStop { try VocabularyMotifs.profile(learned, sequences: Array(corpus.prefix(profileLimit)), top: top) }
            }
            let profiled = Array(sequences.prefix(profileLimit))
            return orStop {
                MotifEnrichment.Row(task: name, vocabulary: try VocabularyMotifs.profile(vocabulary, sequences: profiled, top: top), shuffled: shuffled,
                                    genome: try genomeTokenizer.map { try VocabularyMotifs.profile($0, sequences: profiled, top: top) })
            }
        }
        return MotifEnrichment(rows: rows, top: top, genomeName: genome?.name)
    }
}
