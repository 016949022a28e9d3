// The sequence classifier the paper trains: embeddings, L encoder blocks, pooling, a linear head.
//
//   e = Embeddings(ids)                                  [B*T, C]
//   post-norm: x₀ = drop(LN_emb(e))    pre-norm: x₀ = drop(e)
//   x_l = Block_l(x_{l-1}),  l = 1..L
//   pre-norm:  x_L <- LN_final(x_L)
//   pooled = tanh(W_p x_L[b, 0] + b_p)    (cls: BERT's pooler)
//          | mean over the real tokens of b            (mean)
//          | x_L[b, length_b - 1]                      (last: for causal models)
//   z = W_c drop(pooled) + b_c                            [B, K]
//
// Padding is masked in attention and excluded from pooling, so a padded position never changes a
// real token's output (tested).
//
// With [CLS] or last-token pooling the head reads one row per sequence, so the last block computes
// only that row (`QueryRows`, Attention.swift): its keys and values still come from every token, but
// its queries, output projection, feed-forward and norms run on B rows instead of B x T. The logits
// and every gradient are those of the full computation up to rounding (tested to 1e-12 in Double).
// Mean pooling reads every row and runs the full last block.
//
// The encoder (embeddings to x_L) is `encode` / `backwardEncoder`, so that another head can sit on
// it: the masked-language-model head (MaskedLanguageModel.swift) pretrains the same parameters.
// `forward` / `backward` are those two plus pooling and the classification head.
//
// What forward keeps for backward is `memoryMode` (MemoryMode.swift): every activation, all but
// attention's probabilities, or each block's input alone; the results are the same bit for bit.
// `logits` is the evaluation path: no dropout and nothing kept, each block's input let go once its
// output is made, so a batch holds about one block's tensors instead of every block's cache; its
// logits are `forward`'s bit for bit (tested). Evaluation and prediction use it.

/// Token ids of a batch, padded with [PAD] to the longest sequence.
public struct TokenBatch: Sendable {
    public let ids: [Int32]
    public let lengths: [Int]
    public let labels: [Int]
    /// Padded length T.
    public let length: Int
    public var size: Int { lengths.count }
    /// Real tokens in the batch ([CLS] and [SEP] included).
    public var tokenCount: Int { lengths.reduce(0, +) }

    public init(sequences: [[Int32]], labels: [Int], padTo minimumLength: Int = 0) {
        precondition(sequences.count == labels.count && !sequences.isEmpty, "a batch needs sequences with labels")
        let t = Swift.max(minimumLength, sequences.map(\.count).max()!)
        var ids = [Int32](repeating: SpecialToken.padding.rawValue, count: sequences.count * t)
        for (b, s) in sequences.enumerated() {
            for (i, id) in s.enumerated() { ids[b * t + i] = id }
        }
        self.ids = ids
        self.lengths = sequences.map(\.count)
        self.labels = labels
        self.length = t
    }

    /// A batch already laid out: ids [B*T] padded to `length`.
    public init(ids: [Int32], lengths: [Int], labels: [Int], length: Int) {
        precondition(ids.count == lengths.count * length && lengths.allSatisfy { $0 <= length && $0 >= 1 },
                     "ids do not match \(lengths.count) sequences of padded length \(length)")
        self.ids = ids
        self.lengths = lengths
        self.labels = labels
        self.length = length
    }

    var layout: TokenLayout { TokenLayout(batch: size, length: length, lengths: lengths) }
}

public final class TransformerClassifier<S: Scalar> {
    public let configuration: ModelConfiguration
    public let parameters = ParameterStore<S>()
    let embeddings: Embeddings<S>
    let embeddingNorm: LayerNorm<S>       // post-norm: after the embeddings; pre-norm: after the last block
    let layers: [EncoderLayer<S>]
    let pooler: Linear<S>?
    let classifier: Linear<S>
    /// Compute the last block for the pooled rows only (see the header). Off only in the test that
    /// holds the two computations together.
    var computesPooledRowsOnly = true
    /// What forward keeps for backward (see the header); results do not depend on it.
    public var memoryMode: MemoryMode = .keepAll

    public init(_ configuration: ModelConfiguration, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        var random = RandomSource(seed: RandomSource.derive(seed, 0x1417))
        let c = configuration.width
        embeddings = Embeddings(parameters, config: configuration, random: &random)
        embeddingNorm = LayerNorm(parameters, configuration.normPlacement == .post ? "embeddings.LayerNorm" : "encoder.LayerNorm",
                                  width: c, epsilon: configuration.layerNormEpsilon)
        var blocks: [EncoderLayer<S>] = []
        for index in 0..<configuration.layers {
            blocks.append(EncoderLayer(parameters, index: index, config: configuration, random: &random))
        }
        layers = blocks
        pooler = configuration.pooling == .classToken
            ? Linear(parameters, "pooler.dense", inputs: c, outputs: c, random: &random) : nil
        classifier = Linear(parameters, "classifier", inputs: c, outputs: configuration.classCount, random: &random)
    }

    /// Everything the encoder's backward needs from one forward pass.
    public final class EncoderPass {
        /// x_L [B*T, C] (after the final norm for pre-norm), or [B, C]: the rows `queries` selects.
        public let encoded: Tensor<S>
        public let batch: TokenBatch
        let queries: QueryRows?
        let embeddingNorm: LayerNorm<S>.Cache?
        let finalNorm: LayerNorm<S>.Cache?
        let embeddingDropout: Dropout
        let layers: [EncoderLayer<S>.Kept]

        init(encoded: Tensor<S>, batch: TokenBatch, queries: QueryRows?, embeddingNorm: LayerNorm<S>.Cache?,
             finalNorm: LayerNorm<S>.Cache?, embeddingDropout: Dropout, layers: [EncoderLayer<S>.Kept]) {
            self.encoded = encoded; self.batch = batch; self.queries = queries; self.embeddingNorm = embeddingNorm
            self.finalNorm = finalNorm; self.embeddingDropout = embeddingDropout; self.layers = layers
        }
    }

    /// Everything backward needs from one forward pass.
    public final class Pass {
        public let logits: Tensor<S>
        let encoder: EncoderPass
        let gathered: Tensor<S>                // pooling input per sequence [B, C]
        let pooled: Tensor<S>                  // after the pooler, before dropout [B, C]
        let headInput: Tensor<S>               // drop(pooled)
        let headDropout: Dropout
        var batch: TokenBatch { encoder.batch }

        init(logits: Tensor<S>, encoder: EncoderPass, gathered: Tensor<S>, pooled: Tensor<S>, headInput: Tensor<S>,
             headDropout: Dropout) {
            self.logits = logits; self.encoder = encoder
            self.gathered = gathered; self.pooled = pooled; self.headInput = headInput; self.headDropout = headDropout
        }
    }

    private func dropout(_ key: UInt64?, site: UInt64) -> Dropout {
        Dropout(probability: configuration.dropout, key: key.map { RandomSource.derive($0, site) })
    }

    // MARK: forward

    /// ids -> x_L [B*T, C], the encoder alone. `dropoutKey` nil means evaluation (no dropout).
    public func encode(_ batch: TokenBatch, dropoutKey: UInt64? = nil) -> EncoderPass {
        encode(batch, dropoutKey: dropoutKey, queries: nil)
    }

    /// ids -> x_L [B*T, C], or [B, C] for the rows `queries` selects (computed by the last block alone).
    func encode(_ batch: TokenBatch, dropoutKey: UInt64?, queries: QueryRows?) -> EncoderPass {
        let layout = batch.layout
        var x = embeddings.forward(batch.ids, layout: layout)
        var embeddingCache: LayerNorm<S>.Cache? = nil
        if configuration.normPlacement == .post {
            let (n, cache) = embeddingNorm.forward(x)
            x = n
            embeddingCache = cache
        }
        let embeddingDropout = dropout(dropoutKey, site: 1)
        embeddingDropout.apply(x)
        var caches: [EncoderLayer<S>.Kept] = []
        for (l, layer) in layers.enumerated() {
            let key = dropoutKey.map { RandomSource.derive($0, 100 + UInt64(l)) }
            let (y, kept) = layer.forward(x, layout: layout, dropoutKey: key, queries: l == layers.count - 1 ? queries : nil,
                                          keeping: memoryMode)
            caches.append(kept)
            x = y
        }
        var finalCache: LayerNorm<S>.Cache? = nil
        if configuration.normPlacement == .pre {
            let (n, cache) = embeddingNorm.forward(x)
            x = n
            finalCache = cache
        }
        return EncoderPass(encoded: x, batch: batch, queries: queries, embeddingNorm: embeddingCache, finalNorm: finalCache,
                           embeddingDropout: embeddingDropout, layers: caches)
    }

    /// ids -> logits [B, K]. `dropoutKey` nil means evaluation (no dropout).
    public func forward(_ batch: TokenBatch, dropoutKey: UInt64? = nil) -> Pass {
        let encoder = encode(batch, dropoutKey: dropoutKey, queries: pooledRows(batch))
        let gathered = pool(encoder.encoded, batch, queries: encoder.queries)
        let pooled = pooler.map { Tanh.forward($0.forward(gathered)) } ?? gathered
        let headDropout = dropout(dropoutKey, site: 2)
        let headInput = headDropout.isActive ? pooled.copy() : pooled
        headDropout.apply(headInput)
        let logits = classifier.forward(headInput)
        return Pass(logits: logits, encoder: encoder, gathered: gathered, pooled: pooled, headInput: headInput,
                    headDropout: headDropout)
    }

    /// Pooling: one vector per sequence [B, C] from x_L, or x_L itself when the last block computed only
    /// the rows `queries` selects.
    private func pool(_ x: Tensor<S>, _ batch: TokenBatch, queries: QueryRows?) -> Tensor<S> {
        if queries != nil { return x }
        let (b, t, c) = (batch.size, batch.length, configuration.width)
        let gathered = Tensor<S>(shape: [b, c])
        for bi in 0..<b {
            let dst = gathered.pointer + bi * c
            switch configuration.pooling {
            case .classToken:
                dst.update(from: x.pointer + (bi * t) * c, count: c)
            case .last:
                dst.update(from: x.pointer + (bi * t + batch.lengths[bi] - 1) * c, count: c)
            case .mean:
                let n = batch.lengths[bi]
                for row in 0..<n {
                    let src = x.pointer + (bi * t + row) * c
                    for i in 0..<c { dst[i] += src[i] }
                }
                for i in 0..<c { dst[i] /= S(n) }
            }
        }
        return gathered
    }

    // MARK: inference

    /// ids -> logits [B, K] for evaluation: forward(batch).logits bit for bit, keeping nothing for
    /// backward (see the header).
    public func logits(_ batch: TokenBatch) -> Tensor<S> {
        let layout = batch.layout
        let queries = pooledRows(batch)
        var x = embeddings.forward(batch.ids, layout: layout)
        if configuration.normPlacement == .post { x = embeddingNorm.forward(x).0 }
        for (l, layer) in layers.enumerated() {
            x = layer.infer(x, layout: layout, queries: l == layers.count - 1 ? queries : nil)
        }
        if configuration.normPlacement == .pre { x = embeddingNorm.forward(x).0 }
        let gathered = pool(x, batch, queries: queries)
        return classifier.forward(pooler.map { Tanh.forward($0.forward(gathered)) } ?? gathered)
    }

    // MARK: backward

    /// dz [B, K] -> accumulates every parameter's gradient.
    public func backward(_ pass: Pass, logitGradient dz: Tensor<S>) {
        let batch = pass.batch
        let (b, t, c) = (batch.size, batch.length, configuration.width)
        // z = W_c drop(pooled) + b_c
        let dHead = classifier.backward(dz, input: pass.headInput)
        pass.headDropout.backward(dHead)
        // pooled = tanh(W_p gathered + b_p)
        var dGathered = dHead
        if let pooler {
            let dPre = Tanh.backward(dHead, output: pass.pooled)
            dGathered = pooler.backward(dPre, input: pass.gathered)
        }
        // gathered = x_L at the pooled rows (or x_L itself, when the last block computed only those)
        if pass.encoder.queries != nil { return backwardEncoder(pass.encoder, outputGradient: dGathered) }
        let dx = Tensor<S>(shape: [b * t, c])
        for bi in 0..<b {
            let src = dGathered.pointer + bi * c
            switch configuration.pooling {
            case .classToken:
                (dx.pointer + (bi * t) * c).update(from: src, count: c)
            case .last:
                (dx.pointer + (bi * t + batch.lengths[bi] - 1) * c).update(from: src, count: c)
            case .mean:
                let n = batch.lengths[bi]
                for row in 0..<n {
                    let dst = dx.pointer + (bi * t + row) * c
                    for i in 0..<c { dst[i] = src[i] / S(n) }
                }
            }
        }
        backwardEncoder(pass.encoder, outputGradient: dx)
    }

    /// The row the head reads of each sequence, when it reads one: [CLS], or the last real token.
    func pooledRows(_ batch: TokenBatch) -> QueryRows? {
        guard computesPooledRowsOnly else { return nil }
        switch configuration.pooling {
        case .classToken: return QueryRows(positions: [Int](repeating: 0, count: batch.size), length: batch.length)
        case .last: return QueryRows(positions: batch.lengths.map { $0 - 1 }, length: batch.length)
        case .mean: return nil
        }
    }

    /// dx_L [B*T, C] (or [B, C] for the rows the pass's last block computed) -> accumulates the gradients of every encoder parameter (embeddings, blocks, norms).
    /// `dx` may be overwritten (dropout's backward works in place).
    public func backwardEncoder(_ pass: EncoderPass, outputGradient dx: Tensor<S>) {
        let layout = pass.batch.layout
        var dx = dx
        // pre-norm: x_L <- LN_final(x_L)
        if let finalCache = pass.finalNorm { dx = embeddingNorm.backward(dx, finalCache) }
        // x_l = Block_l(x_{l-1})
        for (layer, kept) in zip(layers, pass.layers).reversed() {
            dx = layer.backward(dx, kept, layout: layout)
        }
        // x₀ = drop(LN_emb(e)) or drop(e)
        pass.embeddingDropout.backward(dx)
        if let embeddingCache = pass.embeddingNorm { dx = embeddingNorm.backward(dx, embeddingCache) }
        embeddings.backward(dx, ids: pass.batch.ids, layout: layout)
    }

    /// Mean cross-entropy of a pass and its gradient with respect to the logits.
    public func loss(_ pass: Pass) -> (loss: Double, logitGradient: Tensor<S>) {
        CrossEntropy.lossAndGradient(logits: pass.logits, labels: pass.batch.labels)
    }

    /// Mean cross-entropy of logits [B, K] against `labels` (the same loss `loss(_:)` gives).
    public func loss(logits: Tensor<S>, labels: [Int]) -> Double {
        CrossEntropy.lossAndGradient(logits: logits, labels: labels).0
    }

    /// Predicted class of each sequence.
    public func predictions(_ pass: Pass) -> [Int] { predictions(logits: pass.logits) }

    /// Predicted class of each row of logits [B, K] (the first on ties).
    public func predictions(logits: Tensor<S>) -> [Int] {
        let k = configuration.classCount
        return (0..<logits.rows).map { r in
            let row = logits.pointer + r * k
            var best = 0
            for j in 1..<k where row[j] > row[best] { best = j }
            return best
        }
    }
}
