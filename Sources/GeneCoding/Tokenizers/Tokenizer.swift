// What every tokenizer of the study shares: the special tokens, fixed at the same ids for every
// vocabulary, and the encode/decode contract.
//
// The ids follow DNABERT-2's vocabulary ([UNK] 0, [CLS] 1, [SEP] 2, [PAD] 3, [MASK] 4), so a model
// sees the same special ids whichever tokenizer fed it, and DNABERT-2's file loads unchanged.

public enum SpecialToken: Int32, CaseIterable, Sendable {
    case unknown = 0
    case classification = 1
    case separator = 2
    case padding = 3
    case mask = 4

    /// The token's text as Hugging Face `tokenizers` writes it.
    public var text: String {
        switch self {
        case .unknown: return "[UNK]"
        case .classification: return "[CLS]"
        case .separator: return "[SEP]"
        case .padding: return "[PAD]"
        case .mask: return "[MASK]"
        }
    }
}

public protocol Tokenizer: Sendable {
    /// The spec that names this tokenizer on the command line and in reports: `kmer:6`, `bpe:4096`, ...
    var name: String { get }
    /// Number of ids, special tokens included.
    var vocabularySize: Int { get }
    /// The text of one id (`"ACG"`, `"[CLS]"`).
    func token(for id: Int32) -> String
    /// Ids of a DNA sequence, without special tokens. Lower case is upper-cased; an IUPAC ambiguity
    /// code becomes [UNK]; any other character throws `AlphabetError`.
    func encode(_ sequence: String) throws -> [Int32]
    /// Text of ids, special tokens dropped. `decode(encode(s)) == s` for a clean upper-case sequence.
    func decode(_ ids: [Int32]) -> String
}

extension Tokenizer {
    /// The model's input: `[CLS] ids [SEP]`, cut so that it holds at most `maxLength` ids.
    public func encodeForModel(_ sequence: String, maxLength: Int) throws -> [Int32] {
        precondition(maxLength >= 2, "a model input holds at least [CLS] and [SEP]")
        var ids = try encode(sequence)
        if ids.count > maxLength - 2 { ids.removeLast(ids.count - (maxLength - 2)) }
        return [SpecialToken.classification.rawValue] + ids + [SpecialToken.separator.rawValue]
    }
}

extension Tokenizer {
    /// Every sequence encoded, in order, the work shared by the compute threads in fixed contiguous
    /// blocks (a tokenizer is a value that only reads its tables, so encoding is safe side by side):
    /// the same ids as `encode` one at a time. Throws the first error in the sequences' order.
    public func encodeBatch(_ sequences: [String]) throws -> [[Int32]] {
        var results = [Result<[Int32], Error>?](repeating: nil, count: sequences.count)
        results.withUnsafeMutableBufferPointer { slots in
            let out = slots
            ComputeThreads.forRanges(sequences.count, minimum: 256) { range in
                for i in range { out[i] = Result { try encode(sequences[i]) } }
            }
        }
        return try results.map { try $0!.get() }
    }
}
