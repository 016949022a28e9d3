// What a tokenizer does to a set of sequences: how long the token sequences get, how many bases a
// token stands for, how much of the vocabulary is used, and how often it gives up ([UNK]).
//
// Counts leave out [CLS] and [SEP] (they are the model's, not the tokenizer's). Bases per token is
// input bases over output tokens: k for consecutive k-mers (a little less with tails), about 1 for
// overlapping k-mers, and BPE's compression for BPE.

public struct TokenizerStatistics: Codable, Sendable, Equatable {
    /// The tokenizer's name (its spec).
    public let tokenizer: String
    public let sequenceCount: Int
    public let vocabularySize: Int
    public let meanTokensPerSequence: Double
    public let maxTokensPerSequence: Int
    public let meanBasesPerToken: Double
    /// Distinct ids that occur in the encoded sequences.
    public let vocabularyUsed: Int
    /// `vocabularyUsed` over `vocabularySize`.
    public let vocabularyShareUsed: Double
    /// [UNK] tokens over all tokens.
    public let unknownShare: Double

    public init(tokenizer: any Tokenizer, sequences: [String]) throws {
        var tokenCount = 0
        var baseCount = 0
        var maxTokens = 0
        var unknownCount = 0
        var used = [Bool](repeating: false, count: tokenizer.vocabularySize)
        for sequence in sequences {
            let ids = try tokenizer.encode(sequence)
            tokenCount += ids.count
            baseCount += sequence.utf8.count
            maxTokens = max(maxTokens, ids.count)
            for id in ids {
                used[Int(id)] = true
                if id == SpecialToken.unknown.rawValue { unknownCount += 1 }
            }
        }
        self.tokenizer = tokenizer.name
        self.sequenceCount = sequences.count
        self.vocabularySize = tokenizer.vocabularySize
        self.meanTokensPerSequence = sequences.isEmpty ? 0 : Double(tokenCount) / Double(sequences.count)
        self.maxTokensPerSequence = maxTokens
        self.meanBasesPerToken = tokenCount == 0 ? 0 : Double(baseCount) / Double(tokenCount)
        self.vocabularyUsed = used.lazy.filter { $0 }.count
        self.vocabularyShareUsed = Double(vocabularyUsed) / Double(tokenizer.vocabularySize)
        self.unknownShare = tokenCount == 0 ? 0 : Double(unknownCount) / Double(tokenCount)
    }
}
