// Multi-head self-attention with a padding mask (Vaswani et al. 2017, §3.2).
//
//   Q = x Wqᵀ + bq,  K = x Wkᵀ + bk,  V = x Wvᵀ + bv                  [B*T, C]
//   RoPE only:  Q, K <- rotate(Q), rotate(K)
//   S_bh = Q_bh K_bhᵀ / √D  (+ ALiBi bias_h)  (masked: -∞)              [T, T] per (b, h)
//   P_bh = softmax_rows(S_bh),  P̃_bh = dropout(P_bh)                   (BERT drops attention probabilities)
//   O_bh = P̃_bh V_bh                                                    [T, D], written at columns h*D of O
//   y = O Woᵀ + bo                                                      [B*T, C]
//
// Masked: key j is a padding token of sequence b (j >= length_b), or, for a causal model, j > i.
// Head slices are read in place from the [B*T, C] matrices with row stride C: no transposes.
// The (b, h) products are small, so they are split across threads with BLAS single-threaded.

struct TokenLayout {
    let batch: Int
    /// Padded length T.
    let length: Int
    /// Real tokens of each sequence, [CLS] and [SEP] included.
    let lengths: [Int]
    var rows: Int { batch * length }
}

struct SelfAttention<S: Scalar> {
    let query: Linear<S>
    let key: Linear<S>
    let value: Linear<S>
    let output: Linear<S>
    let heads: Int
    let headSize: Int
    let positionEncoding: PositionEncoding
    let causal: Bool
    let slopes: [S]

    init(_ store: ParameterStore<S>, _ prefix: String, config: ModelConfiguration, random: inout RandomSource) {
        let c = config.width
        query = Linear(store, prefix + ".self.query", inputs: c, outputs: c, random: &random)
        key = Linear(store, prefix + ".self.key", inputs: c, outputs: c, random: &random)
        value = Linear(store, prefix + ".self.value", inputs: c, outputs: c, random: &random)
        output = Linear(store, prefix + ".output.dense", inputs: c, outputs: c, random: &random)
        heads = config.heads
        headSize = config.headSize
        positionEncoding = config.positionEncoding
        causal = config.causal
        slopes = ALiBi.slopes(heads: config.heads).map { S($0) }
    }

    struct Cache {
        let input: Tensor<S>
        let q: Tensor<S>, k: Tensor<S>, v: Tensor<S>   // after RoPE where used
        let probabilities: Tensor<S>                     // P before dropout [B, H, T, T]
        let dropped: Tensor<S>                           // P̃ = dropout(P), the same tensor as P without dropout
        let context: Tensor<S>                           // O [B*T, C]
        let dropout: Dropout
        let rotary: Rotary<S>?
    }

    /// Query i sees keys 0..<visibleKeys: the real tokens of its sequence, and for a causal model
    /// only those up to itself. Padding is always at the end, so the visible keys are a prefix.
    @inline(__always)
    private func visibleKeys(row i: Int, validLength: Int) -> Int {
        causal ? Swift.min(validLength, i + 1) : validLength
    }

    // MARK: forward

    /// x [B*T, C] -> y [B*T, C]
    func forward(_ x: Tensor<S>, layout: TokenLayout, dropout: Dropout) -> (Tensor<S>, Cache) {
        let (b, t, h, d) = (layout.batch, layout.length, heads, headSize)
        let c = h * d
        let q = query.forward(x), k = key.forward(x), v = value.forward(x)
        var rotary: Rotary<S>? = nil
        if positionEncoding == .rope {
            let r = Rotary<S>(length: t, headSize: d)
            r.rotate(q, batch: b, heads: h)
            r.rotate(k, batch: b, heads: h)
            rotary = r
        }
        let probabilities = Tensor<S>(uninitialized: [b, h, t, t])
        // P̃ is kept for backward when dropout is on (recomputing its mask there cost more than the memory).
        let dropped = dropout.isActive ? Tensor<S>(uninitialized: [b, h, t, t]) : probabilities
        let context = Tensor<S>(uninitialized: [b * t, c])
        let scale = 1 / S(d).squareRoot()
        let alibi = positionEncoding == .alibi
        let (pq, pk, pv, pp, pd, po) = (q.pointer, k.pointer, v.pointer, probabilities.pointer, dropped.pointer, context.pointer)
        ComputeThreads.forRanges(b * h) { items in
            for item in items {
                let (bi, hi) = (item / h, item % h)
                let offset = bi * t * c + hi * d
                let sbh = pp + item * t * t
                // S = Q Kᵀ / √D
                S.gemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: scale,
                       a: pq + offset, lda: c, b: pk + offset, ldb: c, beta: 0, c: sbh, ldc: t)
                // + ALiBi, mask, softmax by rows. Row i sees keys 0..<visible(i); the rest are masked.
                let valid = layout.lengths[bi]
                let slope = alibi ? slopes[hi] : 0
                for i in 0..<t {
                    let row = sbh + i * t
                    let visible = visibleKeys(row: i, validLength: valid)
                    if alibi { for j in 0..<visible { row[j] -= slope * S(abs(i - j)) } }
                    softmaxRow(row, count: visible)
                    for j in visible..<t { row[j] = 0 }
                    // P̃ = dropout(P), row by row while the row is in cache
                    if dropout.isActive {
                        dropout.multiply(UnsafePointer(row), into: pd + item * t * t + i * t, count: t, base: item * t * t + i * t)
                    }
                }
                // O = P̃ V
                S.gemm(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: 1,
                       a: pd + item * t * t, lda: t, b: pv + offset, ldb: c, beta: 0, c: po + offset, ldc: c)
            }
        }
        let y = output.forward(context)
        return (y, Cache(input: x, q: q, k: k, v: v, probabilities: probabilities, dropped: dropped,
                         context: context, dropout: dropout, rotary: rotary))
    }

    // MARK: backward

    /// dy [B*T, C] -> dx [B*T, C]
    func backward(_ dy: Tensor<S>, _ cache: Cache, layout: TokenLayout) -> Tensor<S> {
        let (b, t, h, d) = (layout.batch, layout.length, heads, headSize)
        let c = h * d
        // y = O Woᵀ + bo
        let dContext = output.backward(dy, input: cache.context)
        let dq = Tensor<S>(uninitialized: [b * t, c])
        let dk = Tensor<S>(uninitialized: [b * t, c])
        let dv = Tensor<S>(uninitialized: [b * t, c])
        let scale = 1 / S(d).squareRoot()
        let dropout = cache.dropout
        let (pq, pk, pv, pp, pd) = (cache.q.pointer, cache.k.pointer, cache.v.pointer,
                                    cache.probabilities.pointer, cache.dropped.pointer)
        let (pdo, pdq, pdk, pdv) = (dContext.pointer, dq.pointer, dk.pointer, dv.pointer)
        let keep = S(1 / (1 - dropout.probability))
        ComputeThreads.forRanges(b * h) { items in
            let dP = Tensor<S>(uninitialized: [t, t])
            for item in items {
                let offset = (item / h) * t * c + (item % h) * d
                let pbh = pp + item * t * t, dbh = pd + item * t * t
                // O = P̃ V  =>  dV = P̃ᵀ dO,  dP̃ = dO Vᵀ
                S.gemm(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: 1,
                       a: dbh, lda: t, b: pdo + offset, ldb: c, beta: 0, c: pdv + offset, ldc: c)
                S.gemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: 1,
                       a: pdo + offset, lda: c, b: pv + offset, ldb: c, beta: 0, c: dP.pointer, ldc: t)
                // P̃ = P ⊙ mask  =>  dP = dP̃ ⊙ mask. The mask is read off P̃: where P̃ = 0 either the
                // element was dropped, or P = 0 and dS below is 0 whatever dP is.
                // P = softmax(S)  =>  dS = P ⊙ (dP - Σⱼ dP ⊙ P). Masked entries have P = 0, so dS = 0
                // there; the ALiBi bias is a constant and passes dS through unchanged.
                for i in 0..<t {
                    if dropout.isActive { keepWhereNonzero(dP.pointer + i * t, reference: dbh + i * t, scale: keep, count: t) }
                    softmaxBackwardRow(probabilities: pbh + i * t, gradient: dP.pointer + i * t, count: t)
                }
                // S = Q Kᵀ / √D  =>  dQ = dS K / √D,  dK = dSᵀ Q / √D
                S.gemm(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: scale,
                       a: dP.pointer, lda: t, b: pk + offset, ldb: c, beta: 0, c: pdq + offset, ldc: c)
                S.gemm(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: scale,
                       a: dP.pointer, lda: t, b: pq + offset, ldb: c, beta: 0, c: pdk + offset, ldc: c)
            }
        }
        // Q, K <- rotate(Q), rotate(K)  =>  the gradients rotate back
        if let rotary = cache.rotary {
            rotary.rotateBack(dq, batch: b, heads: h)
            rotary.rotateBack(dk, batch: b, heads: h)
        }
        // Q, K, V = x W{q,k,v}ᵀ + b  =>  dx = dQ Wq + dK Wk + dV Wv
        let dx = query.backward(dq, input: cache.input)
        _ = key.backward(dk, input: cache.input, accumulateInto: dx)
        _ = value.backward(dv, input: cache.input, accumulateInto: dx)
        return dx
    }
}
