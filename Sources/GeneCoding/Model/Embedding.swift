// Token embeddings, with the absolute position encodings added here (sinusoidal, learned).
//
//   e[b, t] = E[id[b, t]]  (+ PE[t] or P[t])          E [V, C], P [maxLength, C], e [B*T, C]
//
// ALiBi and RoPE act inside attention, so for them (and for `none`) e is the token vector alone.
//
// Sinusoidal follows the original Transformer (Vaswani et al. 2017, §3.4): token vectors are
// multiplied by √C, with E drawn from N(0, C^-½) (fairseq's choice), so that token and position
// vectors start at the same scale. With BERT's N(0, 0.02) and no scaling, the fixed unit-scale
// sin/cos vectors drown the token identity and a small model does not learn (we saw it stay at chance).
//
// Backward returns nothing: the input is token ids, which have no gradient, so it only accumulates dE
// (and dP) into the parameters. It takes the ids and the layout again instead of a cache, since they
// are all it needs (a row's position is its index modulo T) and the caller holds both for the batch.

struct Embeddings<S: Scalar> {
    let tokens: Parameter<S>
    let positions: Parameter<S>?
    let encoding: PositionEncoding
    let width: Int
    /// √C for sinusoidal, 1 otherwise.
    let tokenScale: S

    init(_ store: ParameterStore<S>, config: ModelConfiguration, random: inout RandomSource) {
        width = config.width
        encoding = config.positionEncoding
        tokens = store.make("embeddings.word_embeddings.weight", [config.vocabularySize, config.width], decays: true)
        let sinusoidal = encoding == .sinusoidal
        tokenScale = sinusoidal ? S(config.width).squareRoot() : 1
        initializeNormal(tokens.value, deviation: sinusoidal ? 1 / Double(config.width).squareRoot() : 0.02, random: &random)
        if encoding == .learned {
            let p = store.make("embeddings.position_embeddings.weight", [config.maxLength, config.width], decays: true)
            initializeNormal(p.value, deviation: 0.02, random: &random)
            positions = p
        } else {
            positions = nil
        }
    }

    // MARK: forward

    /// ids [B*T] -> e [B*T, C]
    func forward(_ ids: [Int32], layout: TokenLayout) -> Tensor<S> {
        let (c, t) = (width, layout.length)
        let e = Tensor<S>(uninitialized: [ids.count, c])
        let table = tokens.value.pointer
        let vocabulary = tokens.value.shape[0]
        for (row, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < vocabulary, "token id \(id) outside the vocabulary of \(vocabulary)")
            (e.pointer + row * c).update(from: table + Int(id) * c, count: c)
        }
        if tokenScale != 1 { for i in 0..<e.count { e.pointer[i] *= tokenScale } }
        switch encoding {
        case .sinusoidal:
            let pe: Tensor<S> = Sinusoidal.table(length: t, width: c)
            for row in 0..<ids.count {
                let er = e.pointer + row * c, pr = pe.pointer + (row % t) * c
                for i in 0..<c { er[i] += pr[i] }
            }
        case .learned:
            let p = positions!.value
            precondition(t <= p.shape[0], "learned positions stop at \(p.shape[0]) tokens; this batch has \(t)")
            for row in 0..<ids.count {
                let er = e.pointer + row * c, pr = p.pointer + (row % t) * c
                for i in 0..<c { er[i] += pr[i] }
            }
        case .alibi, .rope, .none:
            break
        }
        return e
    }

    // MARK: backward

    /// de [B*T, C] -> dE (scatter-add by id, times the token scale), dP (sum over the batch by position)
    func backward(_ de: Tensor<S>, ids: [Int32], layout: TokenLayout) {
        let c = width
        let dTable = tokens.gradient.pointer
        for (row, id) in ids.enumerated() {
            let dst = dTable + Int(id) * c, src = de.pointer + row * c
            for i in 0..<c { dst[i] += tokenScale * src[i] }
        }
        if let positions {
            let dp = positions.gradient.pointer
            for row in 0..<ids.count {
                let dst = dp + (row % layout.length) * c, src = de.pointer + row * c
                for i in 0..<c { dst[i] += src[i] }
            }
        }
    }
}
