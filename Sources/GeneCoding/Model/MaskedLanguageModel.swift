// Masked-language-model pretraining head (BERT, Devlin et al. 2019, §3.1 "Task #1: Masked LM"),
// on the encoder of a TransformerClassifier, with the output projection tied to the token embeddings.
//
//   x = Encoder(corrupted ids)                  [B*T, C]   (TransformerClassifier.encode)
//   x_m = x at the N masked rows                [N, C]
//   u = x_m W_tᵀ + b_t                          [N, C]     W_t [C, C]
//   h = LN(GELU(u))                             [N, C]
//   z = h Eᵀ + b_v                              [N, V]     E [V, C], the input embedding table
//   L = -(1/N) Σ_n log softmax(z_n)[y_n]                   y_n: the original id of masked row n
//
// Legend: B batch, T padded tokens, C channels, V vocabulary, N masked positions of the batch.
//
// Choices:
// - Only the N masked rows go through the head (Hugging Face computes all B*T and ignores the rest):
//   the unmasked rows would cost a [B*T, V] product for nothing.
// - E is shared with the input embedding; both uses add into E's one gradient.
// - The tied projection uses E itself, not E times the embedding's `tokenScale` (√C for sinusoidal).
//   E is what the table stores and what Hugging Face ties, so a checkpoint reads as BERT's; and it
//   keeps the first logits small: h leaves the LayerNorm with unit-variance channels, so h·E_v has
//   the standard deviation of a row norm of E, 1 under sinusoidal's initialisation (deviation C^-½)
//   and 0.02 √C under BERT's (0.02). √C E would start sinusoidal models at √C and saturate the softmax.
// - The encoder keeps its dropout; the head has none (BERT's transform has none either).
//
// Corruption (`TokenMasking`): each ordinary token (id >= 5, never a special token, never padding)
// is chosen with probability p; of the chosen, 80% become [MASK], 10% a uniformly random ordinary id,
// 10% stay (BERT's split, so the encoder cannot rely on [MASK] marking the rows it is scored on).

/// A batch after corruption, with what the model must recover.
public struct MaskedBatch: Sendable {
    /// The corrupted ids (same layout as the original batch).
    public let batch: TokenBatch
    /// Row b*T + t of each chosen position, ascending.
    public let rows: [Int]
    /// The original id at each of `rows`.
    public let targets: [Int32]

    public init(batch: TokenBatch, rows: [Int], targets: [Int32]) {
        precondition(rows.count == targets.count, "\(rows.count) masked rows with \(targets.count) targets")
        self.batch = batch
        self.rows = rows
        self.targets = targets
    }
}

public enum TokenMasking {
    /// BERT's corruption of `batch`, a pure function of (seed, step) and the batch: the same
    /// arguments give the same mask on any machine and thread count. At least one position is
    /// chosen whenever the batch holds an ordinary token.
    public static func mask(_ batch: TokenBatch, vocabularySize: Int, probability: Double = 0.15,
                            seed: UInt64, step: Int) -> MaskedBatch {
        mask(batch, vocabularySize: vocabularySize, probability: probability,
             key: RandomSource.derive(RandomSource.derive(seed, 0x3A5C), UInt64(truncatingIfNeeded: step)))
    }

    /// The same, keyed directly: coins are counter-based hashes of (key, row), not a drawn sequence,
    /// so a row's fate does not depend on how many rows came before it.
    public static func mask(_ batch: TokenBatch, vocabularySize: Int, probability: Double, key: UInt64) -> MaskedBatch {
        precondition((0...1).contains(probability), "mask probability \(probability) is not in [0, 1]")
        let first = SpecialToken.allCases.count                // special ids are 0..<first, ordinary ids follow
        precondition(vocabularySize > first, "a vocabulary of \(vocabularySize) has no ordinary tokens")
        let t = batch.length
        let chooseKey = RandomSource.derive(key, 1), splitKey = RandomSource.derive(key, 2), tokenKey = RandomSource.derive(key, 3)
        var ids = batch.ids
        var rows: [Int] = []
        // The ordinary position with the smallest coin, to choose when no coin fell below p.
        var fallback: (row: Int, coin: Double)? = nil
        for b in 0..<batch.size {
            // Only the real tokens: padded slots may hold anything (tests scribble on them).
            for row in (b * t)..<(b * t + batch.lengths[b]) where Int(ids[row]) >= first {
                let coin = RandomSource.uniform(key: chooseKey, index: row)
                if coin < probability { rows.append(row) }
                if fallback == nil || coin < fallback!.coin { fallback = (row, coin) }
            }
        }
        if rows.isEmpty, let fallback { rows = [fallback.row] }
        let targets = rows.map { ids[$0] }
        let span = UInt64(vocabularySize - first)
        for row in rows {
            let split = RandomSource.uniform(key: splitKey, index: row)
            if split < 0.8 {
                ids[row] = SpecialToken.mask.rawValue
            } else if split < 0.9 {
                ids[row] = Int32(first) + Int32(RandomSource.mix(tokenKey &+ UInt64(row) &* 0xD1B5_4A32_D192_ED03) % span)
            }   // else: the token stays
        }
        return MaskedBatch(batch: TokenBatch(ids: ids, lengths: batch.lengths, labels: batch.labels, length: t),
                           rows: rows, targets: targets)
    }
}

public final class MaskedLanguageModel<S: Scalar> {
    /// The classifier whose encoder is pretrained; its pooler and classification head are unused.
    public let encoder: TransformerClassifier<S>
    let transform: Linear<S>
    let transformNorm: LayerNorm<S>
    let outputBias: Parameter<S>
    /// The classifier's store, which also holds the head's parameters: one optimiser updates all.
    public var parameters: ParameterStore<S> { encoder.parameters }
    public var vocabularySize: Int { encoder.configuration.vocabularySize }

    public init(encoder: TransformerClassifier<S>, seed: UInt64) {
        self.encoder = encoder
        let (c, v) = (encoder.configuration.width, encoder.configuration.vocabularySize)
        var random = RandomSource(seed: RandomSource.derive(seed, 0x3A5D))
        transform = Linear(encoder.parameters, "cls.predictions.transform.dense", inputs: c, outputs: c, random: &random)
        transformNorm = LayerNorm(encoder.parameters, "cls.predictions.transform.LayerNorm", width: c,
                                  epsilon: encoder.configuration.layerNormEpsilon)
        outputBias = encoder.parameters.make("cls.predictions.bias", [v], decays: false)
    }

    /// The tied table E [V, C].
    var table: Parameter<S> { encoder.embeddings.tokens }

    /// Everything backward needs from one forward pass.
    public final class Pass {
        /// z [N, V]
        public let logits: Tensor<S>
        public let masked: MaskedBatch
        let encoder: TransformerClassifier<S>.EncoderPass
        let gathered: Tensor<S>                 // x_m [N, C]
        let u: Tensor<S>                        // W_t x_m + b_t [N, C]
        let cdf: Tensor<S>                      // Φ(u), for GELU's backward
        let norm: LayerNorm<S>.Cache
        let h: Tensor<S>                        // LN(GELU(u)) [N, C]

        init(logits: Tensor<S>, masked: MaskedBatch, encoder: TransformerClassifier<S>.EncoderPass, gathered: Tensor<S>,
             u: Tensor<S>, cdf: Tensor<S>, norm: LayerNorm<S>.Cache, h: Tensor<S>) {
            self.logits = logits; self.masked = masked; self.encoder = encoder; self.gathered = gathered
            self.u = u; self.cdf = cdf; self.norm = norm; self.h = h
        }
    }

    // MARK: forward

    /// corrupted ids -> z [N, V] at the masked rows. `dropoutKey` nil means evaluation (no dropout).
    public func forward(_ masked: MaskedBatch, dropoutKey: UInt64? = nil) -> Pass {
        precondition(!masked.rows.isEmpty, "a masked batch needs at least one masked position")
        let c = encoder.configuration.width
        let encoded = encoder.encode(masked.batch, dropoutKey: dropoutKey)
        // x_m = x at the masked rows                                  [N, C]
        let gathered = Tensor<S>(uninitialized: [masked.rows.count, c])
        for (n, row) in masked.rows.enumerated() {
            (gathered.pointer + n * c).update(from: encoded.encoded.pointer + row * c, count: c)
        }
        // h = LN(GELU(x_m W_tᵀ + b_t))                               [N, C]
        let u = transform.forward(gathered)
        let (g, cdf) = GELU.forward(u)
        let (h, norm) = transformNorm.forward(g)
        // z = h Eᵀ + b_v                                              [N, V]
        let v = vocabularySize
        let logits = Tensor<S>(uninitialized: [masked.rows.count, v])
        for n in 0..<masked.rows.count { (logits.pointer + n * v).update(from: outputBias.value.pointer, count: v) }
        matmul(h, table.value, into: logits, transposeB: true, accumulate: true)
        return Pass(logits: logits, masked: masked, encoder: encoded, gathered: gathered, u: u, cdf: cdf, norm: norm, h: h)
    }

    // MARK: backward

    /// dz [N, V] -> accumulates the gradients of the head and of every encoder parameter.
    public func backward(_ pass: Pass, logitGradient dz: Tensor<S>) {
        let c = encoder.configuration.width
        // z = h Eᵀ + b_v  =>  dE += dzᵀ h (added to the input embedding's share),  db_v += Σₙ dz[n],  dh = dz E
        matmul(dz, pass.h, into: table.gradient, transposeA: true, accumulate: true)
        accumulateColumnSums(dz, into: outputBias.gradient)
        let dh = Tensor<S>(uninitialized: pass.h.shape)
        matmul(dz, table.value, into: dh)
        // h = LN(g),  g = GELU(u),  u = x_m W_tᵀ + b_t
        let dg = transformNorm.backward(dh, pass.norm)
        let du = GELU.backward(dg, input: pass.u, cdf: pass.cdf)
        let dGathered = transform.backward(du, input: pass.gathered)
        // x_m = x at the masked rows: scatter back, every other row of dx is 0
        let batch = pass.masked.batch
        let dx = Tensor<S>(shape: [batch.size * batch.length, c])
        for (n, row) in pass.masked.rows.enumerated() {
            (dx.pointer + row * c).update(from: dGathered.pointer + n * c, count: c)
        }
        encoder.backwardEncoder(pass.encoder, outputGradient: dx)
    }

    /// Mean cross-entropy over the masked positions, and its gradient with respect to the logits.
    public func loss(_ pass: Pass) -> (loss: Double, logitGradient: Tensor<S>) {
        CrossEntropy.lossAndGradient(logits: pass.logits, labels: pass.masked.targets.map(Int.init))
    }

    /// The most likely id at each masked position (first on ties).
    public func predictions(_ pass: Pass) -> [Int32] {
        let v = vocabularySize
        return (0..<pass.masked.rows.count).map { n in
            let row = pass.logits.pointer + n * v
            var best = 0
            for j in 1..<v where row[j] > row[best] { best = j }
            return Int32(best)
        }
    }
}
