import ArgumentParser
import Foundation
import GeneCoding

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Statistics of a tokenizer on a task, or the ids of sequences read from standard input.",
        discussion: """
        With --ids, reads one sequence a line from standard input and prints its ids, space-separated,
        one line each (no [CLS]/[SEP]; add --special for the model's input). A BPE spec needs --task:
        its vocabulary is learned from that task's training split (and cached in the result store).
        """)

    @OptionGroup var data: DataOptions
    @Option(help: "GUE task.") var task: String?
    @Option(help: "kmer:K, kmer:K:overlap, bpe:SIZE or a tokenizer.json path.") var tokenizer: String
    @Flag(help: "Print the ids of sequences read from standard input.") var ids = false
    @Flag(help: "With --ids: surround with [CLS] and [SEP].") var special = false
    @Option(help: "Write the vocabulary as a Hugging Face tokenizer.json (BPE, or consecutive k-mers).") var save: String?

    func run() throws {
        try reported {
            let spec = try TokenizerSpec.parse(tokenizer)
            let tok: any Tokenizer
            var executor: RunExecutor? = nil
            if case .bpe = spec {
                guard let task else { throw ValidationError("a bpe:SIZE vocabulary is learned from a task: add --task") }
                let e = RunExecutor(gue: try data.benchmark(), store: data.store())
                var run = Run(task: task, tokenizer: spec, profile: .default, seed: 1)
                run.tokenizerTrainingLimit = nil
                tok = try e.tokenizer(for: run)
                executor = e
            } else {
                tok = try spec.makeTokenizer(trainingSequences: [])
            }
            if let save {
                switch tok {
                case let bpe as BPETokenizer: try bpe.write(to: URL(fileURLWithPath: save))
                case let kmer as KmerTokenizer where kmer.hasHuggingFaceEquivalent: try kmer.write(to: URL(fileURLWithPath: save))
                default: throw ValidationError("--save writes BPE and consecutive k-mer vocabularies; \(tok.name) has no tokenizer.json form")
                }
                if !ids && task == nil { return }
            }
            if ids {
                var lineNumber = 0
                while let line = readLine() {
                    lineNumber += 1
                    let text = line.trimmingCharacters(in: .whitespaces)
                    do {
                        var out = try tok.encode(text)
                        if special { out = [SpecialToken.classification.rawValue] + out + [SpecialToken.separator.rawValue] }
                        print(out.map(String.init).joined(separator: " "))
                    } catch {
                        throw ValidationError("standard input, line \(lineNumber): \(error)")
                    }
                }
                return
            }
            guard let task else { throw ValidationError("statistics need --task (or use --ids)") }
            let e = try executor ?? RunExecutor(gue: try data.benchmark(), store: data.store())
            let t = try e.task(task)
            print("\(tok.name) on \(task) (vocabulary \(tok.vocabularySize))")
            for split in t.splits {
                let s = try TokenizerStatistics(tokenizer: tok, sequences: split.sequences)
                print("  " + split.name.padding(toLength: 6, withPad: " ", startingAt: 0) + String(format: "%6d sequences: %.1f tokens/sequence (max %d), %.2f bases/token, %d ids used (%.1f%%), [UNK] %.3f%%",
                             s.sequenceCount, s.meanTokensPerSequence, s.maxTokensPerSequence, s.meanBasesPerToken,
                             s.vocabularyUsed, 100 * s.vocabularyShareUsed, 100 * s.unknownShare))
            }
        }
    }
}
