// How a tokenizer is named on the command line, in configurations and in reports.
//
//   kmer:K           consecutive k-mers, K in 1...6 (the paper's k-mer coding)
//   kmer:K:overlap   overlapping k-mers with stride 1 (DNABERT-1)
//   bpe:SIZE         BPE with SIZE ids, learned from the task's training sequences (paper: 4096)
//   PATH.json        a Hugging Face tokenizer.json: BPE (e.g. DNABERT-2's vocabulary) or a k-mer WordLevel file
//
// A spec is encoded in JSON as its text, so configurations read as they are typed.
import Foundation

public enum TokenizerSpec: Hashable, Codable, Sendable, CustomStringConvertible {
    case kmer(k: Int, overlapping: Bool)
    case bpe(vocabularySize: Int)
    case file(path: String)

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let text: String
        public let reason: String
        public var description: String {
            "'\(text)' is not a tokenizer: \(reason). Valid forms: kmer:K or kmer:K:overlap with K in 1...6, "
                + "bpe:SIZE with SIZE >= \(TokenizerSpec.smallestBPEVocabulary), or a path to a tokenizer.json"
        }
    }

    /// Five special tokens and four bases.
    public static let smallestBPEVocabulary = SpecialToken.allCases.count + Alphabet.bases.count

    public static func parse(_ text: String) throws -> TokenizerSpec {
        if text.hasSuffix(".json") { return .file(path: text) }
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch fields.first {
        case "kmer":
            guard fields.count == 2 || (fields.count == 3 && fields[2] == "overlap") else {
                throw ParseError(text: text, reason: "a k-mer spec is kmer:K or kmer:K:overlap")
            }
            guard let k = Int(fields[1]), (1...6).contains(k) else {
                throw ParseError(text: text, reason: "K must be a whole number from 1 to 6")
            }
            return .kmer(k: k, overlapping: fields.count == 3)
        case "bpe":
            guard fields.count == 2, let size = Int(fields[1]), size >= smallestBPEVocabulary else {
                throw ParseError(text: text, reason: "SIZE must be a whole number of at least \(smallestBPEVocabulary)")
            }
            return .bpe(vocabularySize: size)
        default:
            throw ParseError(text: text, reason: "unknown kind '\(fields.first ?? "")'")
        }
    }

    public var description: String {
        switch self {
        case let .kmer(k, overlapping): return overlapping ? "kmer:\(k):overlap" : "kmer:\(k)"
        case let .bpe(size): return "bpe:\(size)"
        case let .file(path): return path
        }
    }

    /// The tokenizer the spec names. A BPE spec learns its vocabulary from `trainingSequences`;
    /// k-mers ignore them; a file is loaded (relative paths from the current directory).
    public func makeTokenizer(trainingSequences: [String]) throws -> any Tokenizer {
        switch self {
        case let .kmer(k, overlapping):
            return KmerTokenizer(k: k, overlapping: overlapping)
        case let .bpe(size):
            return try BPETrainer(vocabularySize: size).train(trainingSequences, name: description)
        case let .file(path):
            return try HuggingFaceTokenizerFile.load(URL(fileURLWithPath: path), name: path)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try TokenizerSpec.parse(text)
        } catch let error as ParseError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension TokenizerSpec {
    /// The name reports use: "3-mer", "3-mer (overlapping)", "BPE-4096", or a vocabulary file's name
    /// without its extension.
    public var displayName: String {
        switch self {
        case let .kmer(k, overlapping): return overlapping ? "\(k)-mer (overlapping)" : "\(k)-mer"
        case let .bpe(size): return "BPE-\(size)"
        case let .file(path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
    }
}
