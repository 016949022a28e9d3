// One Transformer block: self-attention and a GELU feed-forward, each in a residual branch.
//
//   post-norm (BERT, the default):          pre-norm:
//     h = LN₁(x + drop(Attn(x)))               h = x + drop(Attn(LN₁(x)))
//     y = LN₂(h + drop(FFN(h)))                y = h + drop(FFN(LN₂(h)))
//
//   FFN(z) = W₂ GELU(W₁ z + b₁) + b₂        W₁ [F, C], W₂ [C, F]
//
// Shapes: x, h, y [B*T, C]; u, g [B*T, F].
//
// What a block keeps for its backward (`Kept`) is the caller's choice (`MemoryMode`, Classifier.swift):
// its whole cache; its cache without attention's probabilities (recomputed in backward); or only its
// input, from which backward first runs the block's forward again with the same dropout key
// (activation checkpointing), rebuilding the cache without the probabilities as well. Forward is
// deterministic, dropout's coins included, so the rebuilt cache is the one forward made, bit for bit. `infer` is the evaluation path: no dropout, nothing kept, GELU
// computed in place without keeping Φ; its output is forward's bit for bit.

struct EncoderLayer<S: Scalar> {
    let attention: SelfAttention<S>
    let norm1: LayerNorm<S>
    let intermediate: Linear<S>
    let output: Linear<S>
    let norm2: LayerNorm<S>
    let placement: NormPlacement
    let dropoutProbability: Double

    init(_ store: ParameterStore<S>, index: Int, config: ModelConfiguration, random: inout RandomSource) {
        let prefix = "encoder.layer.\(index)"
        let (c, f) = (config.width, config.feedForwardWidth)
        placement = config.normPlacement
        dropoutProbability = config.dropout
        attention = SelfAttention(store, prefix + ".attention", config: config, random: &random)
        // Hugging Face names: BERT's post-norm LayerNorms sit in the output blocks; the pre-norm
        // ones follow RoBERTa-PreLayerNorm (attention.LayerNorm, intermediate.LayerNorm).
        let names = placement == .post
            ? (prefix + ".attention.output.LayerNorm", prefix + ".output.LayerNorm")
            : (prefix + ".attention.LayerNorm", prefix + ".intermediate.LayerNorm")
        norm1 = LayerNorm(store, names.0, width: c, epsilon: config.layerNormEpsilon)
        intermediate = Linear(store, prefix + ".intermediate.dense", inputs: c, outputs: f, random: &random)
        output = Linear(store, prefix + ".output.dense", inputs: f, outputs: c, random: &random)
        norm2 = LayerNorm(store, names.1, width: c, epsilon: config.layerNormEpsilon)
    }

    struct Cache {
        let attention: SelfAttention<S>.Cache
        let norm1: LayerNorm<S>.Cache
        let norm2: LayerNorm<S>.Cache
        let ffnInput: Tensor<S>       // h (post) or LN₂(h) (pre)
        let u: Tensor<S>              // W₁ z + b₁
        let g: Tensor<S>              // GELU(u)
        let cdf: Tensor<S>            // Φ(u), kept for GELU's backward
        let dropoutAttention: Dropout
        let dropoutOutput: Dropout
        let queries: QueryRows?
    }

    /// What the block keeps from forward to backward.
    enum Kept {
        /// Everything backward reads (attention's probabilities included or not, as the cache says).
        case cache(Cache)
        /// Only the block's input and how forward ran: backward rebuilds the cache first.
        case input(Tensor<S>, dropoutKey: UInt64?, queries: QueryRows?)
    }

    private func dropouts(_ key: UInt64?) -> (Dropout, Dropout, Dropout) {
        func site(_ n: UInt64) -> Dropout {
            Dropout(probability: dropoutProbability, key: key.map { RandomSource.derive($0, n) })
        }
        return (site(1), site(2), site(3))
    }

    // MARK: forward

    /// x [B*T, C] -> y [B*T, C], or y [B, C] for the rows `queries` selects (the last layer of a
    /// classifier, whose head reads one row per sequence). Rows of x_q below are x's rows, or the
    /// selected ones: the residual branches and the feed-forward work on those rows only.
    /// With `keepsProbabilities` false the attention cache holds no P or P̃ (Attention.swift).
    func forward(_ x: Tensor<S>, layout: TokenLayout, dropoutKey: UInt64?, queries: QueryRows? = nil,
                 keepsProbabilities: Bool = true) -> (Tensor<S>, Cache) {
        let (dropProbabilities, dropAttention, dropOutput) = dropouts(dropoutKey)
        switch placement {
        case .post:
            let (a, ac) = attention.forward(x, layout: layout, dropout: dropProbabilities, queries: queries,
                                            keepsProbabilities: keepsProbabilities)
            dropAttention.apply(a, rows: queries)
            addInPlace(a, queries?.gather(x) ?? x)             // x_q + drop(Attn(x))
            let (h, n1) = norm1.forward(a)
            let u = intermediate.forward(h)
            let (g, cdf) = GELU.forward(u)
            let f = output.forward(g)
            dropOutput.apply(f, rows: queries)
            addInPlace(f, h)                                   // h + drop(FFN(h))
            let (y, n2) = norm2.forward(f)
            return (y, Cache(attention: ac, norm1: n1, norm2: n2, ffnInput: h, u: u, g: g, cdf: cdf,
                             dropoutAttention: dropAttention, dropoutOutput: dropOutput, queries: queries))
        case .pre:
            let (z1, n1) = norm1.forward(x)                    // every row: keys and values read LN₁(x)
            let (a, ac) = attention.forward(z1, layout: layout, dropout: dropProbabilities, queries: queries,
                                            keepsProbabilities: keepsProbabilities)
            dropAttention.apply(a, rows: queries)
            addInPlace(a, queries?.gather(x) ?? x)             // h = x_q + drop(Attn(LN₁(x)))
            let h = a
            let (z2, n2) = norm2.forward(h)
            let u = intermediate.forward(z2)
            let (g, cdf) = GELU.forward(u)
            let f = output.forward(g)
            dropOutput.apply(f, rows: queries)
            addInPlace(f, h)                                   // y = h + drop(FFN(LN₂(h)))
            return (f, Cache(attention: ac, norm1: n1, norm2: n2, ffnInput: z2, u: u, g: g, cdf: cdf,
                             dropoutAttention: dropAttention, dropoutOutput: dropOutput, queries: queries))
        }
    }

    /// The forward output and what `keeping` asks to keep of it: the cache, with or without attention's
    /// probabilities, or the input alone.
    func forward(_ x: Tensor<S>, layout: TokenLayout, dropoutKey: UInt64?, queries: QueryRows?, keeping: MemoryMode) -> (Tensor<S>, Kept) {
        let (y, cache) = forward(x, layout: layout, dropoutKey: dropoutKey, queries: queries, keepsProbabilities: keeping == .keepAll)
        switch keeping {
        case .keepAll, .recomputeAttention: return (y, .cache(cache))
        case .recomputeLayers: return (y, .input(x, dropoutKey: dropoutKey, queries: queries))
        }
    }

    // MARK: inference

    /// x [B*T, C] -> y [B*T, C] (or [B, C] for the rows `queries` selects) without dropout, keeping
    /// nothing: forward(x, dropoutKey: nil).0 bit for bit, holding at most one branch's tensors at a time.
    func infer(_ x: Tensor<S>, layout: TokenLayout, queries: QueryRows? = nil) -> Tensor<S> {
        switch placement {
        case .post:
            let h = norm1.forward(residual(attend(x, layout: layout, queries: queries), x, queries)).0      // LN₁(x_q + Attn(x))
            return norm2.forward(residual(feedForward(h), h, nil)).0                                        // LN₂(h + FFN(h))
        case .pre:
            let h = residual(attend(norm1.forward(x).0, layout: layout, queries: queries), x, queries)     // x_q + Attn(LN₁(x))
            return residual(feedForward(norm2.forward(h).0), h, nil)                                        // h + FFN(LN₂(h))
        }
    }

    /// Attn(z) without dropout, its cache let go on return.
    private func attend(_ z: Tensor<S>, layout: TokenLayout, queries: QueryRows?) -> Tensor<S> {
        attention.forward(z, layout: layout, dropout: .off, queries: queries, keepsProbabilities: false).0
    }

    /// FFN(z) = W₂ GELU(W₁ z + b₁) + b₂, GELU in place and Φ not kept.
    private func feedForward(_ z: Tensor<S>) -> Tensor<S> {
        let u = intermediate.forward(z)
        GELU.applyInPlace(u)
        return output.forward(u)
    }

    /// branch += the residual (at the rows `queries` selects), in place, as forward adds them.
    private func residual(_ branch: Tensor<S>, _ x: Tensor<S>, _ queries: QueryRows?) -> Tensor<S> {
        addInPlace(branch, queries?.gather(x) ?? x)
        return branch
    }

    // MARK: backward

    /// dy and what forward kept -> dx; rebuilds the cache first when only the input was kept.
    func backward(_ dy: Tensor<S>, _ kept: Kept, layout: TokenLayout) -> Tensor<S> {
        switch kept {
        case let .cache(cache):
            return backward(dy, cache, layout: layout)
        case let .input(x, dropoutKey, queries):
            // The rebuilt cache leaves out attention's probabilities too: the least memory, one block at a time.
            let cache = forward(x, layout: layout, dropoutKey: dropoutKey, queries: queries, keepsProbabilities: false).1
            return backward(dy, cache, layout: layout)
        }
    }

    /// dy [B*T, C] (or [B, C] for the selected rows) -> dx [B*T, C]
    func backward(_ dy: Tensor<S>, _ cache: Cache, layout: TokenLayout) -> Tensor<S> {
        let queries = cache.queries
        switch placement {
        case .post:
            // y = LN₂(h + f)
            let dSum2 = norm2.backward(dy, cache.norm2)
            // f = drop(W₂ GELU(W₁ h + b₁) + b₂), and the residual: dh = dSum2 + dFFN
            let df = dSum2.copy()
            cache.dropoutOutput.backward(df, rows: queries)
            let dg = output.backward(df, input: cache.g)
            let du = GELU.backward(dg, input: cache.u, cdf: cache.cdf)
            let dh = intermediate.backward(du, input: cache.ffnInput, accumulateInto: dSum2)
            // h = LN₁(x_q + a)
            let dSum1 = norm1.backward(dh, cache.norm1)
            // a = drop(Attn(x)), and the residual: dx = dAttn + dSum1 (at the query rows)
            let da = dSum1.copy()
            cache.dropoutAttention.backward(da, rows: queries)
            let dx = attention.backward(da, cache.attention, layout: layout)
            if let queries { queries.scatterAdd(dSum1, into: dx) } else { addInPlace(dx, dSum1) }
            return dx
        case .pre:
            // y = h + drop(FFN(LN₂(h)))
            let df = dy.copy()
            cache.dropoutOutput.backward(df, rows: queries)
            let dg = output.backward(df, input: cache.g)
            let du = GELU.backward(dg, input: cache.u, cdf: cache.cdf)
            let dz2 = intermediate.backward(du, input: cache.ffnInput)
            let dh = norm2.backward(dz2, cache.norm2)
            addInPlace(dh, dy)
            // h = x_q + drop(Attn(LN₁(x)))
            let da = dh.copy()
            cache.dropoutAttention.backward(da, rows: queries)
            let dz1 = attention.backward(da, cache.attention, layout: layout)
            let dx = norm1.backward(dz1, cache.norm1)
            if let queries { queries.scatterAdd(dh, into: dx) } else { addInPlace(dx, dh) }
            return dx
        }
    }
}
