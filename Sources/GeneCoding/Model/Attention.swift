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
        let context: Tensor<S>                           // O [B*T, C]
        let dropout: Dropout
        let rotary: Rotary<S>?
    }

    @inline(__always)
    private func isMasked(_ i: Int, _ j: Int, validLength: Int) -> Bool {
        j >= validLength || (causal && j > i)
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
        let context = Tensor<S>(uninitialized: [b * t, c])
        let scale = 1 / S(d).squareRoot()
        let alibi = positionEncoding == .alibi
        let (pq, pk, pv, pp, po) = (q.pointer, k.pointer, v.pointer, probabilities.pointer, context.pointer)
        ComputeThreads.forRangesCallingBLAS(b * h) { items in
            let dropped = dropout.isActive ? Tensor<S>(uninitialized: [t, t]) : nil
            for item in items {
                let (bi, hi) = (item / h, item % h)
                let offset = bi * t * c + hi * d
                let sbh = pp + item * t * t
                // S = Q Kᵀ / √D
                S.gemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: scale,
                       a: pq + offset, lda: c, b: pk + offset, ldb: c, beta: 0, c: sbh, ldc: t)
                // + ALiBi, mask, softmax by rows
                let valid = layout.lengths[bi]
                let slope = alibi ? slopes[hi] : 0
                for i in 0..<t {
                    let row = sbh + i * t
                    var maximum = -S.infinity
                    for j in 0..<t where !isMasked(i, j, validLength: valid) {
                        if alibi { row[j] -= slope * S(abs(i - j)) }
                        maximum = Swift.max(maximum, row[j])
                    }
                    var sum = S.zero
                    for j in 0..<t {
                        if isMasked(i, j, validLength: valid) { row[j] = 0; continue }
                        let e = S.exp(row[j] - maximum)
                        row[j] = e
                        sum += e
                    }
                    let inverse = 1 / sum
                    for j in 0..<t { row[j] *= inverse }
                }
                // O = dropout(P) V
                var pUsed = UnsafePointer(sbh)
                if let dropped {
                    for e in 0..<(t * t) { dropped.pointer[e] = sbh[e] * dropout.scale(at: item * t * t + e) }
                    pUsed = UnsafePointer(dropped.pointer)
                }
                S.gemm(transposeA: false, transposeB: false, m: t, n: d, k: t, alpha: 1,
                       a: pUsed, lda: t, b: pv + offset, ldb: c, beta: 0, c: po + offset, ldc: c)
            }
        }
        let y = output.forward(context)
        return (y, Cache(input: x, q: q, k: k, v: v, probabilities: probabilities, context: context,
                         dropout: dropout, rotary: rotary))
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
        let (pq, pk, pv, pp) = (cache.q.pointer, cache.k.pointer, cache.v.pointer, cache.probabilities.pointer)
        let (pdo, pdq, pdk, pdv) = (dContext.pointer, dq.pointer, dk.pointer, dv.pointer)
        ComputeThreads.forRangesCallingBLAS(b * h) { items in
            let dP = Tensor<S>(uninitialized: [t, t])
            let dropped = dropout.isActive ? Tensor<S>(uninitialized: [t, t]) : nil
            for item in items {
                let (bi, hi) = (item / h, item % h)
                let offset = bi * t * c + hi * d
                let pbh = pp + item * t * t
                var pUsed = UnsafePointer(pbh)
                if let dropped {
                    for e in 0..<(t * t) { dropped.pointer[e] = pbh[e] * dropout.scale(at: item * t * t + e) }
                    pUsed = UnsafePointer(dropped.pointer)
                }
                // O = P̃ V  =>  dV = P̃ᵀ dO,  dP̃ = dO Vᵀ
                S.gemm(transposeA: true, transposeB: false, m: t, n: d, k: t, alpha: 1,
                       a: pUsed, lda: t, b: pdo + offset, ldb: c, beta: 0, c: pdv + offset, ldc: c)
                S.gemm(transposeA: false, transposeB: true, m: t, n: t, k: d, alpha: 1,
                       a: pdo + offset, lda: c, b: pv + offset, ldb: c, beta: 0, c: dP.pointer, ldc: t)
                // P̃ = dropout(P)  =>  dP = dP̃ ⊙ mask
                if dropout.isActive {
                    for e in 0..<(t * t) { dP.pointer[e] *= dropout.scale(at: item * t * t + e) }
                }
                // P = softmax(S)  =>  dS = P ⊙ (dP - Σⱼ dP ⊙ P). Masked entries have P = 0, so dS = 0
                // there; the ALiBi bias is a constant and passes dS through unchanged.
                for i in 0..<t {
                    let pr = pbh + i * t, dr = dP.pointer + i * t
                    var dot = S.zero
                    for j in 0..<t { dot += dr[j] * pr[j] }
                    for j in 0..<t { dr[j] = pr[j] * (dr[j] - dot) }
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
