// What defines a model: a value, hashed into the result store's keys.

/// How token positions reach the model.
public enum PositionEncoding: String, Codable, CaseIterable, Sendable {
    /// Fixed sine/cosine vectors added to the token embeddings (Vaswani et al. 2017, section 3.5).
    case sinusoidal
    /// A linear distance penalty added to attention scores, one slope per head (Press et al. 2022).
    case alibi
    /// Rotary embeddings: queries and keys rotated by position, per head (Su et al. 2021).
    case rope
    /// A trained table of absolute position vectors (BERT).
    case learned
    /// No position information: attention sees a bag of tokens.
    case none
}

extension PositionEncoding {
    /// The name reports use: "sinusoidal", "ALiBi", "RoPE", "learned", "none".
    public var displayName: String {
        switch self {
        case .sinusoidal: return "sinusoidal"
        case .alibi: return "ALiBi"
        case .rope: return "RoPE"
        case .learned: return "learned"
        case .none: return "none"
        }
    }
}

public enum NormPlacement: String, Codable, CaseIterable, Sendable {
    /// LayerNorm after each residual sum, as BERT and DNABERT do.
    case post
    /// LayerNorm before each sublayer, plus one at the end (GPT-2 style).
    case pre
}

public enum Pooling: String, Codable, CaseIterable, Sendable {
    /// The [CLS] vector through BERT's pooler (dense + tanh).
    case classToken = "cls"
    /// The mean over the sequence's real (unpadded) tokens.
    case mean
    /// The last real token; the natural reading for a causal (decoder-only) model.
    case last
}

public struct ModelConfiguration: Codable, Hashable, Sendable {
    public var vocabularySize: Int
    public var classCount: Int
    /// Longest input in tokens, [CLS] and [SEP] included.
    public var maxLength: Int
    public var width: Int
    public var heads: Int
    public var feedForwardWidth: Int
    public var layers: Int
    public var positionEncoding: PositionEncoding
    public var normPlacement: NormPlacement
    public var pooling: Pooling
    public var dropout: Double
    /// Causal attention: token i sees only tokens j <= i (a decoder-only model).
    public var causal: Bool
    public var layerNormEpsilon: Double

    public init(vocabularySize: Int, classCount: Int, maxLength: Int,
                width: Int = 128, heads: Int = 4, feedForwardWidth: Int? = nil, layers: Int = 3,
                positionEncoding: PositionEncoding = .rope, normPlacement: NormPlacement = .post,
                pooling: Pooling = .classToken, dropout: Double = 0.1, causal: Bool = false,
                layerNormEpsilon: Double = 1e-12) {
        self.vocabularySize = vocabularySize
        self.classCount = classCount
        self.maxLength = maxLength
        self.width = width
        self.heads = heads
        self.feedForwardWidth = feedForwardWidth ?? 4 * width
        self.layers = layers
        self.positionEncoding = positionEncoding
        self.normPlacement = normPlacement
        self.pooling = pooling
        self.dropout = dropout
        self.causal = causal
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// The paper's encoder: BERT-base width (768, 12 heads, feed-forward 3072).
    public static func paper(vocabularySize: Int, classCount: Int, maxLength: Int, layers: Int = 12,
                             positionEncoding: PositionEncoding = .rope) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: vocabularySize, classCount: classCount, maxLength: maxLength,
                           width: 768, heads: 12, feedForwardWidth: 3072, layers: layers,
                           positionEncoding: positionEncoding)
    }

    public var headSize: Int { width / heads }

    public func validate() throws {
        func fail(_ m: String) -> ConfigurationError { ConfigurationError(message: m) }
        guard width > 0, heads > 0, width % heads == 0 else { throw fail("width \(width) is not a multiple of heads \(heads)") }
        if positionEncoding == .rope, headSize % 2 != 0 { throw fail("RoPE rotates pairs: head size \(headSize) must be even") }
        if positionEncoding == .sinusoidal, width % 2 != 0 { throw fail("sinusoidal encoding needs an even width, not \(width)") }
        guard layers >= 1 else { throw fail("at least one layer, not \(layers)") }
        guard classCount >= 2 else { throw fail("a classifier needs at least 2 classes, not \(classCount)") }
        guard maxLength >= 2 else { throw fail("maxLength \(maxLength) cannot hold [CLS] and [SEP]") }
        guard (0..<1).contains(dropout) else { throw fail("dropout \(dropout) is not in [0, 1)") }
        guard vocabularySize > SpecialToken.allCases.count else { throw fail("vocabulary of \(vocabularySize) has no room past the special tokens") }
    }

    /// Trainable parameters, the count used by "6 x parameters x tokens".
    public var parameterCount: Int {
        let c = width, f = feedForwardWidth
        var n = vocabularySize * c
        if positionEncoding == .learned { n += maxLength * c }
        let perLayer = 4 * (c * c + c) + (c * f + f) + (f * c + c) + 2 * 2 * c
        n += layers * perLayer + 2 * c  // embedding or final LayerNorm
        if pooling == .classToken { n += c * c + c }
        n += c * classCount + classCount
        return n
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
