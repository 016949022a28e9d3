// What defines a model: a value, hashed into the result store's keys, and checked (`validate`)
// before any tensor is allocated.
import Foundation

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

    /// Throws one `ConfigurationError` listing every setting that cannot make a model, each with what
    /// is allowed, and refuses a model whose parameters alone would not fit in `memoryLimit` bytes
    /// (this machine's memory by default), before anything is allocated.
    public func validate(memoryLimit: Double = ModelConfiguration.memoryLimit) throws {
        let found = problems(memoryLimit: memoryLimit, training: nil)
        if !found.isEmpty { throw ConfigurationError(problems: found) }
    }

    /// The same, for training at `batchSize` sequences of `tokens` tokens in `memoryMode`: activations
    /// kept for the backward pass and the optimiser's state count as well as the parameters.
    public func validateTraining(batchSize: Int, tokens: Int, memoryMode: MemoryMode = .keepAll,
                                 memoryLimit: Double = ModelConfiguration.memoryLimit) throws {
        let found = problems(memoryLimit: memoryLimit, training: (batchSize, tokens), memoryMode: memoryMode)
        if !found.isEmpty { throw ConfigurationError(problems: found) }
    }

    /// Every problem of the configuration, in words a user can act on (empty when there is none).
    /// Sizes are checked in `Double`, so that no product of hostile integers can overflow.
    func problems(memoryLimit: Double, training: (batchSize: Int, tokens: Int)?, memoryMode: MemoryMode = .keepAll) -> [String] {
        var found: [String] = []
        func atLeast(_ name: String, _ value: Int, _ least: Int) {
            if value < least { found.append("\(name) is \(value): give a whole number of at least \(least)") }
        }
        atLeast("width", width, 1)
        atLeast("heads", heads, 1)
        atLeast("feed-forward width", feedForwardWidth, 1)
        atLeast("layers", layers, 1)
        if classCount < 2 { found.append("a classifier needs at least 2 classes, not \(classCount)") }
        if maxLength < 2 { found.append("the longest input of \(maxLength) tokens cannot hold [CLS] and [SEP]: give at least 2") }
        if vocabularySize <= SpecialToken.allCases.count {
            found.append("a vocabulary of \(vocabularySize) has no room past the \(SpecialToken.allCases.count) special tokens")
        }
        if !(0..<1).contains(dropout) { found.append("dropout is \(dropout): give a probability from 0 up to (not including) 1") }
        if !(layerNormEpsilon.isFinite && layerNormEpsilon > 0) {
            found.append("the LayerNorm epsilon is \(layerNormEpsilon): give a small positive number")
        }
        if width >= 1, heads >= 1 {
            if width % heads != 0 {
                found.append("width \(width) is not a multiple of the \(heads) heads: each head takes width / heads channels, a whole number")
            } else if positionEncoding == .rope, headSize % 2 != 0 {
                found.append("RoPE rotates pairs of channels: the head size (width \(width) / \(heads) heads = \(headSize)) must be even")
            }
        }
        if positionEncoding == .sinusoidal, width >= 1, width % 2 != 0 {
            found.append("sinusoidal encoding pairs sines with cosines: the width must be even, not \(width)")
        }
        guard found.isEmpty else { return found }

        let needed = training.map { memoryBytes(batchSize: $0.batchSize, tokens: $0.tokens, memoryMode: memoryMode) } ?? parameterBytes(copies: 2)
        if needed > memoryLimit {
            let what = training.map { "training it (batch \($0.batchSize), \($0.tokens) tokens a sequence)" } ?? "holding it"
            found.append("the model has \(Self.count(parameterEstimate)) parameters; \(what) would need at least \(Self.bytes(needed)) "
                         + "but this machine has \(Self.bytes(memoryLimit)) of memory: choose a smaller width, feed-forward width, depth or vocabulary")
        }
        return found
    }

    // MARK: memory

    /// The memory a configuration may use: the machine's physical memory. A model that needs more
    /// can only fail, after minutes of swapping or at the first allocation that the system refuses.
    public static var memoryLimit: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// `parameterCount` in floating point: the same count, safe from overflow for any sizes.
    /// Learned positions have a table of maxLength rows; the other encodings are counted as if they
    /// had one too (sinusoidal keeps its table, RoPE and ALiBi theirs are smaller), an upper bound.
    var parameterEstimate: Double {
        let c = Double(width), f = Double(feedForwardWidth), v = Double(vocabularySize)
        let perLayer = 4 * (c * c + c) + (c * f + f) + (f * c + c) + 2 * 2 * c
        return v * c + Double(maxLength) * c + Double(layers) * perLayer + 2 * c + (c * c + c) + c * Double(classCount) + Double(classCount)
    }

    /// Bytes of `copies` float copies of the parameters (a model holds two: values and gradients).
    func parameterBytes(copies: Double) -> Double { parameterEstimate * copies * Double(MemoryLayout<Float>.size) }

    /// A lower bound on the bytes a training step takes in `memoryMode`: five copies of the parameters
    /// (values, gradients, AdamW's two moments, the best-on-dev copy) and, per token, what the blocks
    /// keep for the backward pass. A full block keeps its input, Q, K, V, the attention output, two
    /// LayerNorm caches and the feed-forward input (8C), the feed-forward's u, GELU(u) and Φ(u) (3F),
    /// and H attention probabilities per key (twice with dropout: before and after), but not those
    /// with `recomputeAttention`. With [CLS] or last-token pooling the last block keeps only its K and
    /// V for every token (2C); the rest of it is per sequence. With `recomputeLayers` the blocks keep
    /// their inputs (C), and backward rebuilds one block's cache at a time (all of it but its output
    /// and the probabilities).
    /// Beside what is kept, backward holds a block's gradients at once (8C + 2F: the residual sums,
    /// the attention output and context, Q, K, V; the feed-forward's two). Other temporaries come on
    /// top, so the true peak is higher (`RunMemoryEstimate` counts them); a run refused by this bound
    /// cannot run.
    public func memoryBytes(batchSize: Int, tokens: Int, memoryMode: MemoryMode = .keepAll) -> Double {
        let c = Double(width), f = Double(feedForwardWidth), h = Double(heads), t = Double(tokens), l = Double(layers)
        let probabilities = (dropout > 0 ? 2 : 1) * h * t
        let fullBlock = 8 * c + 3 * f + (memoryMode == .keepAll ? probabilities : 0)
        let lastBlock = pooling == .mean ? fullBlock : 2 * c
        let perToken: Double
        switch memoryMode {
        case .keepAll, .recomputeAttention:
            perToken = (l - 1) * fullBlock + lastBlock
        case .recomputeLayers:
            perToken = (l - 1) * c + (layers >= 2 || pooling == .mean ? 7 * c + 3 * f : lastBlock)
        }
        let gradients = layers >= 2 || pooling == .mean ? 8 * c + 2 * f : 2 * c
        let activations = Double(batchSize) * t * (perToken + gradients) * Double(MemoryLayout<Float>.size)
        return parameterBytes(copies: 5) + activations
    }

    static func bytes(_ n: Double) -> String {
        for (unit, size) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6)] where n >= size { return String(format: "%.1f %@", n / size, unit) }
        return String(format: "%.0f kB", n / 1e3)
    }

    static func count(_ n: Double) -> String {
        n >= 1e9 ? String(format: "%.1f billion", n / 1e9) : n >= 1e6 ? String(format: "%.1f million", n / 1e6) : String(format: "%.0f", n)
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

/// Settings that cannot work, said so that the user can fix them: one message for all of them.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// Each problem on its own (one entry when the error was made from a message).
    public let problems: [String]

    public init(message: String) {
        self.message = message
        problems = [message]
    }

    public init(problems: [String]) {
        self.problems = problems
        message = problems.joined(separator: "; ")
    }

    public var description: String { message }
}
