// Multi-head self-attention with a padding mask (Vaswani et al. 2017, §3.2).
//
//   Q = x_q Wqᵀ + bq,  K = x Wkᵀ + bk,  V = x Wvᵀ + bv                 Q [B*R, C];  K, V [B*T, C]
//   RoPE only:  Q, K <- rotate(Q), rotate(K), each row by its position
//   S_bh = Q_bh K_bhᵀ / √D  (+ ALiBi bias_h)  (masked: -∞)              [R, T] per (b, h)
//   P_bh = softmax_rows(S_bh),  P̃_bh = dropout(P_bh)                   (BERT drops attention probabilities)
//   O_bh = P̃_bh V_bh                                                    [R, D], written at columns h*D of O
//   y = O Woᵀ + bo                                                      [B*R, C]
//
// Every token is a key and a value; the queries are every token (R = T, x_q = x) or, in the last
// layer of a classifier, only the row the head reads of each sequence (R = 1: [CLS], or the last
// token of a causal model). That is `QueryRows`: the outputs of the other rows of the last layer
// are never read, so their queries, output projection and feed-forward need not be computed
// (a quarter of a 3-layer model's work). The rows that are computed come out exactly as in the full
// layer: the same positions, the same mask, the same dropout coins (each drawn at the element's
// index in the full [B, H, T, T] layout).
//
// Masked: key j is a padding token of sequence b (j >= length_b), or, for a causal model, j > i.
// Head slices are read in place from the [rows, C] matrices with row stride C: no transposes.
// The (b, h) products are small, so they are split across threads with BLAS single-threaded;
// each (b, h) is computed whole by one thread, so the results do not depend on the thread count.
//
// Keeping P and P̃ for backward costs two B x H x R x T tensors per layer, the term that outgrows
// every other with length (2 x 32 x 12 x 502² floats, 774 MB, per layer of the paper's model on
// 500 bp 1-mers). With `keepsProbabilities` false, forward writes each (b, h)'s rows into a scratch
// buffer of its worker and keeps nothing of them; backward computes them again, (b, h) by (b, h),
// with the very routine forward ran (`probabilities(of:)`: the same score product on the same Q and
// K, the same softmax kernel on the same row, the dropout coins of the same indices), so P and P̃
// come back bit for bit and so do the gradients (tested with memcmp). Memory-efficient attention
// keeps each row's max and sum of exponentials instead and rebuilds P from those; here forward
// holds whole rows, so nothing needs keeping: running the row's softmax again is a maximum and a
// sum more than rebuilding it, little beside the score product, and it cannot drift from forward
// when the softmax kernel changes.
//
// Backward takes the typed cache and, beside it, the batch's `TokenLayout` (as EncoderLayer's does):
// the layout belongs to the batch, is the same for every layer, and the caller holds it, so it is
// passed again rather than copied into each layer's cache.

struct TokenLayout {
    let batch: Int
    /// Padded length T.
    let length: Int
    /// Real tokens of each sequence, [CLS] and [SEP] included.
    let lengths: [Int]
    var rows: Int { batch * length }
}

/// One query row per sequence: the row of the full [B*T, C] layout at position `positions[b]` of
/// sequence b. The layer computes its outputs for these rows only, in this order ([B, C]).
struct QueryRows {
    let positions: [Int]
    let length: Int

    /// Row b*T + positions[b] of the full layout.
    func fullRow(_ b: Int) -> Int { b * length + positions[b] }

    /// The selected rows of x [B*T, C]: [B, C].
    func gather<S: Scalar>(_ x: Tensor<S>) -> Tensor<S> {
        let c = x.columns
        let y = Tensor<S>(uninitialized: [positions.count, c])
        for b in positions.indices { (y.pointer + b * c).update(from: x.pointer + fullRow(b) * c, count: c) }
        return y
    }

    /// dx [B*T, C] += the gradient dy [B, C] of the selected rows.
    func scatterAdd<S: Scalar>(_ dy: Tensor<S>, into dx: Tensor<S>) {
        let c = dx.columns
        for b in positions.indices {
            let (src, dst) = (dy.pointer + b * c, dx.pointer + fullRow(b) * c)
            for i in 0..<c { dst[i] += src[i] }
        }
    }
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
        let input: Tensor<S>                             // x [B*T, C]
        let queryInput: Tensor<S>                        // x_q [B*R, C] (x itself when R = T)
        let q: Tensor<S>, k: Tensor<S>, v: Tensor<S>     // after RoPE where used
        let probabilities: Tensor<S>?                    // P before dropout [B, H, R, T]; nil: recomputed in backward
        let dropped: Tensor<S>?                          // P̃ = dropout(P), the same tensor as P without dropout
        let context: Tensor<S>                           // O [B*R, C]
        let dropout: Dropout
        let rotary: Rotary<S>?
        let queries: QueryRows?
    }

    /// Query row r of sequence b sees keys 0..<visibleKeys: the real tokens of its sequence, and for a
    /// causal model only those up to its own position. Padding is always at the end, so the visible
    /// keys are a prefix.
    @inline(__always)
    private func visibleKeys(position i: Int, validLength: Int) -> Int {
        causal ? Swift.min(validLength, i + 1) : validLength
    }

    /// One per-(b, h) product, C = α op(A) op(B): our small-matrix loops for the short sequences the
    /// chapters train (SmallProducts.swift), BLAS for long ones.
    @inline(__always)
    private func product(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: S,
                         a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
                         c: UnsafeMutablePointer<S>, ldc: Int, tokens t: Int) {
        ProductTimer.timed {
            if usesSmallProducts(tokens: t, headSize: headSize) {
                smallProduct(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                             a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
            } else {
                S.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
            }
        }
    }

    /// P and P̃ of one (b, h), item = b·H + h: its rows of S = Q Kᵀ / √D (+ ALiBi), masked, softmax by
    /// rows, and P̃ = dropout(P) with the coins of the full [B, H, T, T] layout. `dropped` is `p` itself
    /// when dropout is off. Forward runs it, and backward runs it again when P was not kept: one routine
    /// on the same inputs, so both see the same bits.
    @inline(__always)
    private func probabilities(of item: Int, q: UnsafePointer<S>, k: UnsafePointer<S>, layout: TokenLayout, queries: QueryRows?,
                               dropout: Dropout, into p: UnsafeMutablePointer<S>, dropped pd: UnsafeMutablePointer<S>) {
        let (t, h, d) = (layout.length, heads, headSize)
        let c = h * d
        let r = queries == nil ? t : 1
        let (bi, hi) = (item / h, item % h)
        let (queryOffset, keyOffset) = (bi * r * c + hi * d, bi * t * c + hi * d)
        // S = Q Kᵀ / √D
        product(transposeA: false, transposeB: true, m: r, n: t, k: d, alpha: 1 / S(d).squareRoot(),
               a: q + queryOffset, lda: c, b: k + keyOffset, ldb: c, c: p, ldc: t, tokens: t)
        // + ALiBi, mask, softmax by rows. Row i sees keys 0..<visible(i); the rest are masked.
        let valid = layout.lengths[bi]
        let slope = positionEncoding == .alibi ? slopes[hi] : 0
        for row in 0..<r {
            let i = queries?.positions[bi] ?? row      // the query's position
            let scores = p + row * t
            let visible = visibleKeys(position: i, validLength: valid)
            if positionEncoding == .alibi { for j in 0..<visible { scores[j] -= slope * S(abs(i - j)) } }
            softmaxRow(scores, count: visible)
            for j in visible..<t { scores[j] = 0 }
            // P̃ = dropout(P), row by row while the row is in cache, with the coins of row i of the full layout
            if dropout.isActive {
                dropout.multiply(UnsafePointer(scores), into: pd + row * t, count: t, base: (item * t + i) * t)
            }
        }
    }

    // MARK: forward

    /// x [B*T, C] -> y [B*T, C], or y [B, C] for the rows `queries` selects. With `keepsProbabilities`
    /// false the cache holds no P or P̃ (backward recomputes them; see the header).
    func forward(_ x: Tensor<S>, layout: TokenLayout, dropout: Dropout, queries: QueryRows? = nil,
                 keepsProbabilities: Bool = true) -> (Tensor<S>, Cache) {
        let (b, t, h, d) = (layout.batch, layout.length, heads, headSize)
        let c = h * d
        let r = queries == nil ? t : 1                    // query rows per sequence
        let queryInput = queries?.gather(x) ?? x
        let q = query.forward(queryInput), k = key.forward(x), v = value.forward(x)
        var rotary: Rotary<S>? = nil
        if positionEncoding == .rope {
            let rotation = Rotary<S>(length: t, headSize: d)
            rotation.rotate(k, batch: b, heads: h)
            if let queries { rotation.rotate(rows: q, positions: queries.positions, heads: h) } else { rotation.rotate(q, batch: b, heads: h) }
            rotary = rotation
        }
        let probabilities = keepsProbabilities ? Tensor<S>(uninitialized: [b, h, r, t]) : nil
        // P̃ is kept for backward when dropout is on (recomputing its mask there cost more than the memory).
        let dropped = keepsProbabilities && dropout.isActive ? Tensor<S>(uninitialized: [b, h, r, t]) : probabilities
        let context = Tensor<S>(uninitialized: [b * r, c])
        let (pq, pk, pv, po) = (UnsafePointer(q.pointer), UnsafePointer(k.pointer), v.pointer, context.pointer)
        ComputeThreads.forRanges(b * h) { items in
            // Not kept: each worker's rows of P and P̃ live in its own scratch, one (b, h) at a time.
            let scratch = keepsProbabilities ? nil : Tensor<S>(uninitialized: [r, t])
            let scratchDropped = !keepsProbabilities && dropout.isActive ? Tensor<S>(uninitialized: [r, t]) : scratch
            for item in items {
                let (bi, hi) = (item / h, item % h)
                let (queryOffset, keyOffset) = (bi * r * c + hi * d, bi * t * c + hi * d)
                let pp = probabilities.map { $0.pointer + item * r * t } ?? scratch!.pointer
                let pd = dropped.map { $0.pointer + item * r * t } ?? scratchDropped!.pointer
                self.probabilities(of: item, q: pq, k: pk, layout: layout, queries: queries, dropout: dropout, into: pp, dropped: pd)
                // O = P̃ V
                product(transposeA: false, transposeB: false, m: r, n: d, k: t, alpha: 1,
                       a: pd, lda: t, b: pv + keyOffset, ldb: c, c: po + queryOffset, ldc: c, tokens: t)
            }
        }
        let y = output.forward(context)
        return (y, Cache(input: x, queryInput: queryInput, q: q, k: k, v: v, probabilities: probabilities, dropped: dropped,
                         context: context, dropout: dropout, rotary: rotary, queries: queries))
    }

    // MARK: backward

    /// dy [B*R, C] -> dx [B*T, C]
    func backward(_ dy: Tensor<S>, _ cache: Cache, layout: TokenLayout) -> Tensor<S> {
        let (b, t, h, d) = (layout.batch, layout.length, heads, headSize)
        let c = h * d
        let r = cache.queries == nil ? t : 1
        // y = O Woᵀ + bo
        let dContext = output.backward(dy, input: cache.context)
        let dq = Tensor<S>(uninitialized: [b * r, c])
        let dk = Tensor<S>(uninitialized: [b * t, c])
        let dv = Tensor<S>(uninitialized: [b * t, c])
        let scale = 1 / S(d).squareRoot()
        let dropout = cache.dropout
        let (pq, pk, pv) = (cache.q.pointer, cache.k.pointer, cache.v.pointer)
        let (pdo, pdq, pdk, pdv) = (dContext.pointer, dq.pointer, dk.pointer, dv.pointer)
        let keep = S(1 / (1 - dropout.probability))
        let (kept, keptDropped) = (cache.probabilities, cache.dropped)
        ComputeThreads.forRanges(b * h) { items in
            let dP = Tensor<S>(uninitialized: [r, t])
            // P and P̃ not kept: recomputed here, (b, h) by (b, h), into this worker's scratch.
            let scratch = kept == nil ? Tensor<S>(uninitialized: [r, t]) : nil
            let scratchDropped = kept == nil && dropout.isActive ? Tensor<S>(uninitialized: [r, t]) : scratch
            for item in items {
                let (bi, hi) = (item / h, item % h)
                let (queryOffset, keyOffset) = (bi * r * c + hi * d, bi * t * c + hi * d)
                let pbh: UnsafeMutablePointer<S>, dbh: UnsafeMutablePointer<S>
                if let kept, let keptDropped {
                    (pbh, dbh) = (kept.pointer + item * r * t, keptDropped.pointer + item * r * t)
                } else {
                    (pbh, dbh) = (scratch!.pointer, scratchDropped!.pointer)
                    probabilities(of: item, q: pq, k: pk, layout: layout, queries: cache.queries, dropout: dropout, into: pbh, dropped: dbh)
                }
                // O = P̃ V  =>  dV = P̃ᵀ dO,  dP̃ = dO Vᵀ
                product(transposeA: true, transposeB: false, m: t, n: d, k: r, alpha: 1,
                       a: dbh, lda: t, b: pdo + queryOffset, ldb: c, c: pdv + keyOffset, ldc: c, tokens: t)
                product(transposeA: false, transposeB: true, m: r, n: t, k: d, alpha: 1,
                       a: pdo + queryOffset, lda: c, b: pv + keyOffset, ldb: c, c: dP.pointer, ldc: t, tokens: t)
                // P̃ = P ⊙ mask  =>  dP = dP̃ ⊙ mask. The mask is read off P̃: where P̃ = 0 either the
                // element was dropped, or P = 0 and dS below is 0 whatever dP is.
                // P = softmax(S)  =>  dS = P ⊙ (dP - Σⱼ dP ⊙ P). Masked entries have P = 0, so dS = 0
                // there; the ALiBi bias is a constant and passes dS through unchanged.
                for row in 0..<r {
                    if dropout.isActive { keepWhereNonzero(dP.pointer + row * t, reference: dbh + row * t, scale: keep, count: t) }
                    softmaxBackwardRow(probabilities: pbh + row * t, gradient: dP.pointer + row * t, count: t)
                }
                // S = Q Kᵀ / √D  =>  dQ = dS K / √D,  dK = dSᵀ Q / √D
                product(transposeA: false, transposeB: false, m: r, n: d, k: t, alpha: scale,
                       a: dP.pointer, lda: t, b: pk + keyOffset, ldb: c, c: pdq + queryOffset, ldc: c, tokens: t)
                product(transposeA: true, transposeB: false, m: t, n: d, k: r, alpha: scale,
                       a: dP.pointer, lda: t, b: pq + queryOffset, ldb: c, c: pdk + keyOffset, ldc: c, tokens: t)
            }
        }
        // Q, K <- rotate(Q), rotate(K)  =>  the gradients rotate back
        if let rotary = cache.rotary {
            rotary.rotateBack(dk, batch: b, heads: h)
            if let queries = cache.queries { rotary.rotateBack(rows: dq, positions: queries.positions, heads: h) } else { rotary.rotateBack(dq, batch: b, heads: h) }
        }
        // K, V = x W{k,v}ᵀ + b,  Q = x_q Wqᵀ + b  =>  dx = dK Wk + dV Wv + (dQ Wq at the query rows)
        guard let queries = cache.queries else {
            let dx = query.backward(dq, input: cache.input)
            _ = key.backward(dk, input: cache.input, accumulateInto: dx)
            _ = value.backward(dv, input: cache.input, accumulateInto: dx)
            return dx
        }
        let dx = key.backward(dk, input: cache.input)
        _ = value.backward(dv, input: cache.input, accumulateInto: dx)
        queries.scatterAdd(query.backward(dq, input: cache.queryInput), into: dx)
        return dx
    }
}
