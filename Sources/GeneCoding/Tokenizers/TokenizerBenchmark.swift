// How fast BPE learns and encodes, on synthetic DNA that anyone can regenerate from a seed.
//
// The sequences are uniform random bases with motifs dropped in: a fixed library of short motifs
// (drawn from the same seed) makes up about half of the bases, so that BPE finds frequent,
// longer-than-chance tokens as it does in real promoters and binding sites. The comparison with
// Hugging Face `tokenizers` is scripts/bench_tokenizers.py, which reads the sequences file written
// here and checks that HF learns the same vocabulary.
import Foundation

public enum TokenizerBenchmark {
    public struct Result: Codable, Sendable {
        public let sequenceCount: Int
        public let sequenceLength: Int
        public let seed: UInt64
        /// The vocabulary size asked for, and the one learned.
        public let targetVocabularySize: Int
        public let vocabularySize: Int
        public let trainingSeconds: Double
        /// Encoding every sequence once, one after the other, on one thread.
        public let encodingSeconds: Double
        /// Encoding them all as one batch on the compute threads (`encodeBatch`); nil in older results.
        public var batchEncodingSeconds: Double? = nil
        public let meanTokensPerSequence: Double
    }

    /// `count` sequences of `length` bases, the same for the same seed.
    public static func sequences(count: Int, length: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        let motifs: [[UInt8]] = (0..<48).map { _ in
            (0..<(4 + random.next(below: 9))).map { _ in Alphabet.bases[random.next(below: 4)] }
        }
        return (0..<count).map { _ in
            var bases = [UInt8]()
            bases.reserveCapacity(length + 12)
            while bases.count < length {
                if random.next(below: 8) == 0 {
                    bases.append(contentsOf: motifs[random.next(below: motifs.count)])
                } else {
                    bases.append(Alphabet.bases[random.next(below: 4)])
                }
            }
            return String(decoding: bases.prefix(length), as: UTF8.self)
        }
    }

    /// Trains BPE on the sequences and encodes them all, timing both. Optionally writes the
    /// sequences (one a line) and the learned tokenizer.json, for scripts/bench_tokenizers.py.
    public static func run(count: Int = 50_000, length: Int = 300, vocabularySize: Int = 4096, seed: UInt64 = 1,
                           sequencesFile: URL? = nil, tokenizerFile: URL? = nil) throws -> Result {
        let data = sequences(count: count, length: length, seed: seed)
        if let sequencesFile {
            do {
                try Data(data.joined(separator: "\n").appending("\n").utf8).write(to: sequencesFile)
            } catch {
                throw InputError(file: sequencesFile.path, "cannot write the file: \(error.localizedDescription)")
            }
        }
        let clock = ContinuousClock()
        var tokenizer: BPETokenizer?
        let training = try clock.measure {
            tokenizer = try BPETrainer(vocabularySize: vocabularySize).train(data)
        }
        var tokenCount = 0
        let encoding = try clock.measure {
            for sequence in data { tokenCount += try tokenizer!.encode(sequence).count }
        }
        var batchTokens = 0
        let batchEncoding = try clock.measure {
            batchTokens = try tokenizer!.encodeBatch(data).reduce(0) { $0 + $1.count }
        }
        precondition(batchTokens == tokenCount, "the batch encoding must give the same tokens as one at a time")
        if let tokenizerFile { try tokenizer!.write(to: tokenizerFile) }
        var result = Result(sequenceCount: count, sequenceLength: length, seed: seed,
                            targetVocabularySize: vocabularySize, vocabularySize: tokenizer!.vocabularySize,
                            trainingSeconds: seconds(training), encodingSeconds: seconds(encoding),
                            meanTokensPerSequence: count == 0 ? 0 : Double(tokenCount) / Double(count))
        result.batchEncodingSeconds = seconds(batchEncoding)
        return result
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) * 1e-18
    }
}

/// Steele, Lea and Flood's SplitMix64: tiny, seedable and good enough to make test data. Private to
/// this file so that it cannot be mistaken for the project's training generator.
private struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (the modulo bias is irrelevant for bounds this small).
    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
