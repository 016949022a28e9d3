// The masked-language-model head (with its tied embedding) against finite differences, BERT's
// corruption rule, and the encoder/head split of the classifier that the head relies on.
import XCTest
@testable import GeneCoding

final class MaskedLanguageModelTests: XCTestCase {
    private func tinyConfiguration(_ encoding: PositionEncoding, _ placement: NormPlacement,
                                   pooling: Pooling = .classToken, dropout: Double = 0.1) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 11, classCount: 3, maxLength: 8, width: 8, heads: 2, feedForwardWidth: 12,
                           layers: 2, positionEncoding: encoding, normPlacement: placement, pooling: pooling,
                           dropout: dropout)
    }

    /// Padded to T = 6 (lengths 6, 4, 3), with every kind of corruption: rows 1 and 8 hold [MASK],
    /// row 3 a random ordinary token (9 for 7), row 13 kept its own token.
    private let masked = MaskedBatch(
        batch: TokenBatch(sequences: [[1, 4, 6, 9, 8, 2], [1, 9, 4, 2], [1, 6, 2]], labels: [0, 0, 0]),
        rows: [1, 3, 8, 13], targets: [5, 7, 10, 6])

    // MARK: gradients

    /// Central differences in Double, tolerance |a - n| <= 1e-8 + 1e-6 max(|a|, |n|) at h = 1e-5:
    /// every element of the tied table E (both of its uses must be summed), 12 sampled elements of every
    /// other tensor. Checking every element of every tensor once, over the ten configurations, we
    /// measured a worst |a - n| of 1.8e-9, under 2% of what the tolerance allows.
    private func checkMaskedLanguageModel(_ config: ModelConfiguration, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = MaskedLanguageModel(encoder: try TransformerClassifier<Double>(config, seed: 3), seed: 3)
        ModelGradientTests.strengthen(model.encoder)     // the head's tensors are in the same store
        let key: UInt64? = config.dropout > 0 ? 1234 : nil
        func loss() -> Double { model.loss(model.forward(masked, dropoutKey: key)).loss }
        let pass = model.forward(masked, dropoutKey: key)
        model.parameters.zeroGradients()
        model.backward(pass, logitGradient: model.loss(pass).logitGradient)

        let label = "MLM \(config.positionEncoding) \(config.normPlacement)-norm dropout=\(config.dropout) V=\(config.vocabularySize) C=\(config.width) seed=3"
        let tolerance = GradientTolerance(absolute: 1e-8, relative: 1e-6, step: 1e-5)
        // The classifier's own head is not part of this loss: its gradient must be exactly zero.
        let unused = model.parameters.all.filter { $0.name.hasPrefix("classifier.") || $0.name.hasPrefix("pooler.") }
        for p in unused {
            XCTAssertTrue(p.gradient.values.allSatisfy { $0 == 0 }, "[\(label)] \(p.name) has a gradient from the MLM loss",
                          file: file, line: line)
        }
        let checked = model.parameters.all.filter { p in !unused.contains { $0 === p } }
        let table = "embeddings.word_embeddings.weight"
        XCTAssertTrue(checked.contains { $0.name == "cls.predictions.transform.dense.weight" }, "the head's parameters are in the store")
        func tensors(_ ps: [Parameter<Double>]) -> [CheckedTensor] {
            ps.map { CheckedTensor(name: $0.name, tensor: $0.value, analytic: $0.gradient.values) }
        }
        GradientCheck.verify(tensors(checked.filter { $0.name == table }), configuration: label, samples: Int.max,
                             tolerance: tolerance, loss: loss, file: file, line: line)
        GradientCheck.verify(tensors(checked.filter { $0.name != table }), configuration: label, samples: 12,
                             tolerance: tolerance, loss: loss, file: file, line: line)
    }

    func testGradientsForEveryPositionEncodingAndNormPlacement() throws {
        for encoding in PositionEncoding.allCases {
            for placement in NormPlacement.allCases {
                try checkMaskedLanguageModel(tinyConfiguration(encoding, placement))
            }
        }
    }

    /// The tie is real: E's gradient is the sum of the input share and the output share.
    func testTiedTableGetsBothShares() throws {
        let model = MaskedLanguageModel(encoder: try TransformerClassifier<Double>(tinyConfiguration(.rope, .post, dropout: 0), seed: 2), seed: 2)
        ModelGradientTests.strengthen(model.encoder)
        let pass = model.forward(masked)
        let dz = model.loss(pass).logitGradient
        model.parameters.zeroGradients()
        model.backward(pass, logitGradient: dz)
        let both = model.table.gradient.values
        // Output share alone: dE = dzᵀ h.
        let (v, c) = (model.vocabularySize, model.encoder.configuration.width)
        var output = [Double](repeating: 0, count: v * c)
        for n in 0..<masked.rows.count { for j in 0..<v { for i in 0..<c { output[j * c + i] += dz[n * v + j] * pass.h[n * c + i] } } }
        // Row 0 ([UNK]) appears in no input; its gradient is the output share alone, and not zero.
        for i in 0..<c { XCTAssertEqual(both[i], output[i], accuracy: 1e-12, "[UNK] row, channel \(i)") }
        XCTAssertGreaterThan(output[0..<c].map(abs).max()!, 1e-6)
        // Row 6 is an input token: the sum differs from the output share by the input share.
        XCTAssertGreaterThan((0..<c).map { abs(both[6 * c + $0] - output[6 * c + $0]) }.max()!, 1e-6)
    }

    // MARK: masking

    /// Many sequences of ordinary tokens with special ids sprinkled in, and ordinary ids scribbled
    /// over the padding, which must never be chosen.
    private func largeBatch(vocabularySize v: Int, sequences: Int = 200, length: Int = 100) -> TokenBatch {
        var random = RandomSource(seed: 17)
        var ids: [Int32] = [], lengths: [Int] = []
        let t = length + 2
        for s in 0..<sequences {
            let n = length - s % 7                          // varied lengths, so there is padding
            var row: [Int32] = [SpecialToken.classification.rawValue]
            for _ in 0..<n {
                row.append(random.uniform() < 0.05 ? Int32(random.next() % 5) : Int32(5 + random.next() % UInt64(v - 5)))
            }
            row.append(SpecialToken.separator.rawValue)
            lengths.append(row.count)
            while row.count < t { row.append(Int32(5 + random.next() % UInt64(v - 5))) }
            ids += row
        }
        return TokenBatch(ids: ids, lengths: lengths, labels: lengths.map { _ in 0 }, length: t)
    }

    func testMaskingChoosesOnlyOrdinaryRealTokens() {
        let v = 64
        let batch = largeBatch(vocabularySize: v)
        let masked = TokenMasking.mask(batch, vocabularySize: v, probability: 0.15, seed: 1, step: 0)
        XCTAssertEqual(masked.rows, masked.rows.sorted())
        let chosen = Set(masked.rows)
        XCTAssertEqual(chosen.count, masked.rows.count, "a row chosen twice")
        for (row, target) in zip(masked.rows, masked.targets) {
            let (b, position) = row.quotientAndRemainder(dividingBy: batch.length)
            XCTAssertLessThan(position, batch.lengths[b], "row \(row) is padding")
            XCTAssertGreaterThanOrEqual(batch.ids[row], 5, "row \(row) holds special id \(batch.ids[row])")
            XCTAssertEqual(target, batch.ids[row], "the target of row \(row) is not its original id")
        }
        for row in 0..<batch.ids.count where !chosen.contains(row) {
            XCTAssertEqual(masked.batch.ids[row], batch.ids[row], "row \(row) changed but was not chosen")
        }
        XCTAssertEqual(masked.batch.lengths, batch.lengths)
    }

    /// BERT's split on ~19,000 ordinary tokens (about 2,900 chosen), held to about four standard
    /// deviations: chosen 0.15 ± 0.01, [MASK] 0.8 ± 0.03, visibly random 0.1 (1 - 1/59) ± 0.025, and
    /// unchanged 0.1 (1 + 1/59) ± 0.025 (a random draw may give the original id back).
    func testMaskingSplitsEightyTenTen() {
        let v = 64, ordinary = Double(v - 5)
        let batch = largeBatch(vocabularySize: v)
        let masked = TokenMasking.mask(batch, vocabularySize: v, probability: 0.15, seed: 2, step: 5)
        var candidates = 0
        for b in 0..<batch.size { for i in 0..<batch.lengths[b] where batch.ids[b * batch.length + i] >= 5 { candidates += 1 } }
        let n = Double(masked.rows.count)
        XCTAssertEqual(n / Double(candidates), 0.15, accuracy: 0.01, "chosen share of \(candidates) ordinary tokens")
        var maskCount = 0, randomCount = 0, keptCount = 0
        var randomIds = Set<Int32>()
        for (row, target) in zip(masked.rows, masked.targets) {
            let id = masked.batch.ids[row]
            if id == SpecialToken.mask.rawValue { maskCount += 1 }
            else if id == target { keptCount += 1 }
            else {
                randomCount += 1
                randomIds.insert(id)
                XCTAssertTrue((5..<Int32(v)).contains(id), "random replacement \(id) is not an ordinary id")
            }
        }
        XCTAssertEqual(Double(maskCount) / n, 0.8, accuracy: 0.03, "[MASK] share of \(Int(n))")
        XCTAssertEqual(Double(randomCount) / n, 0.1 * (1 - 1 / ordinary), accuracy: 0.025, "random share of \(Int(n))")
        XCTAssertEqual(Double(keptCount) / n, 0.1 * (1 + 1 / ordinary), accuracy: 0.025, "kept share of \(Int(n))")
        XCTAssertGreaterThan(randomIds.count, 45, "random replacements should spread over the 59 ordinary ids")
    }

    func testMaskingIsAFunctionOfSeedAndStep() {
        let v = 64
        let batch = largeBatch(vocabularySize: v, sequences: 20)
        let a = TokenMasking.mask(batch, vocabularySize: v, seed: 3, step: 7)
        let b = TokenMasking.mask(batch, vocabularySize: v, seed: 3, step: 7)
        XCTAssertEqual(a.rows, b.rows)
        XCTAssertEqual(a.batch.ids, b.batch.ids)
        XCTAssertNotEqual(a.rows, TokenMasking.mask(batch, vocabularySize: v, seed: 3, step: 8).rows, "another step, the same mask")
        XCTAssertNotEqual(a.rows, TokenMasking.mask(batch, vocabularySize: v, seed: 4, step: 7).rows, "another seed, the same mask")
    }

    func testMaskingAlwaysChoosesOne() {
        // p = 0 still chooses one position (the ordinary token with the smallest coin), and only one.
        let batch = largeBatch(vocabularySize: 20, sequences: 5, length: 10)
        for step in 0..<20 {
            let masked = TokenMasking.mask(batch, vocabularySize: 20, probability: 0, seed: 9, step: step)
            XCTAssertEqual(masked.rows.count, 1, "step \(step)")
            XCTAssertGreaterThanOrEqual(masked.targets.first ?? 0, 5)
        }
        let short = TokenBatch(sequences: [[1, 2], [1, 7, 2]], labels: [0, 0])
        XCTAssertEqual(TokenMasking.mask(short, vocabularySize: 20, probability: 0.15, seed: 1, step: 0).rows, [4])
        // Nothing to choose: no targets (the pretrainer drops such sequences).
        let empty = TokenBatch(sequences: [[1, 0, 2], [1, 4, 2]], labels: [0, 0])
        XCTAssertTrue(TokenMasking.mask(empty, vocabularySize: 20, probability: 1, seed: 1, step: 0).rows.isEmpty)
    }

    // MARK: the classifier's encoder/head split

    /// encode() followed by a plain-loop pooling and head gives forward()'s logits, for each pooling.
    func testEncodeThenHeadIsForward() throws {
        let batch = TokenBatch(sequences: [[1, 5, 6, 7, 8, 2], [1, 9, 10, 2], [1, 6, 2]], labels: [0, 2, 1])
        for pooling in Pooling.allCases {
            for placement in NormPlacement.allCases {
                let config = tinyConfiguration(.alibi, placement, pooling: pooling)
                let model = try TransformerClassifier<Double>(config, seed: 8)
                ModelGradientTests.strengthen(model)
                let logits = model.forward(batch).logits
                let x = model.encode(batch).encoded
                let (t, c, k) = (batch.length, config.width, config.classCount)
                XCTAssertEqual(x.shape, [batch.size * t, c])
                let store = model.parameters
                for b in 0..<batch.size {
                    var pooled = [Double](repeating: 0, count: c)
                    switch pooling {
                    case .classToken: for i in 0..<c { pooled[i] = x[b * t * c + i] }
                    case .last: for i in 0..<c { pooled[i] = x[(b * t + batch.lengths[b] - 1) * c + i] }
                    case .mean:
                        for r in 0..<batch.lengths[b] { for i in 0..<c { pooled[i] += x[(b * t + r) * c + i] } }
                        for i in 0..<c { pooled[i] /= Double(batch.lengths[b]) }
                    }
                    if pooling == .classToken {
                        let (w, bias) = (store["pooler.dense.weight"]!.value, store["pooler.dense.bias"]!.value)
                        pooled = (0..<c).map { o in tanh(bias[o] + (0..<c).reduce(0) { $0 + w[o * c + $1] * pooled[$1] }) }
                    }
                    let (w, bias) = (store["classifier.weight"]!.value, store["classifier.bias"]!.value)
                    for o in 0..<k {
                        let expected = bias[o] + (0..<c).reduce(0) { $0 + w[o * c + $1] * pooled[$1] }
                        XCTAssertEqual(logits[b * k + o], expected, accuracy: 1e-12, "\(pooling) \(placement): sequence \(b), logit \(o)")
                    }
                }
            }
        }
    }
}
