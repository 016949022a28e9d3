// The whole classifier against finite differences, and the properties that make padding safe.
import XCTest
@testable import GeneCoding

final class ModelGradientTests: XCTestCase {
    private func tinyConfiguration(_ encoding: PositionEncoding, _ placement: NormPlacement,
                                   pooling: Pooling = .classToken, causal: Bool = false,
                                   dropout: Double = 0.1) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 11, classCount: 3, maxLength: 8, width: 8, heads: 2, feedForwardWidth: 12,
                           layers: 2, positionEncoding: encoding, normPlacement: placement, pooling: pooling,
                           dropout: dropout, causal: causal)
    }

    /// Larger weights than BERT's 0.02 initialisation, so that every path carries a signal a test can see.
    static func strengthen(_ model: TransformerClassifier<Double>) {
        var random = RandomSource(seed: 4)
        for p in model.parameters.all { initializeNormal(p.value, deviation: p.decays ? 0.3 : 0.2, random: &random) }
        for p in model.parameters.all where p.name.hasSuffix("LayerNorm.weight") { for i in 0..<p.value.count { p.value[i] += 1 } }
    }

    /// A batch with padding: lengths 6, 4 and 3 padded to 6.
    private let batch = TokenBatch(sequences: [[1, 5, 6, 7, 8, 2], [1, 9, 10, 2], [1, 6, 2]], labels: [0, 2, 1])

    private func checkModel(_ config: ModelConfiguration, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try TransformerClassifier<Double>(config, seed: 3)
        Self.strengthen(model)
        let key: UInt64? = config.dropout > 0 ? 1234 : nil
        func loss() -> Double { model.loss(model.forward(batch, dropoutKey: key)).loss }
        let pass = model.forward(batch, dropoutKey: key)
        model.parameters.zeroGradients()
        model.backward(pass, logitGradient: model.loss(pass).logitGradient)
        let tensors = model.parameters.all.map { CheckedTensor(name: $0.name, tensor: $0.value, analytic: $0.gradient.values) }
        let label = "\(config.positionEncoding) \(config.normPlacement)-norm pooling=\(config.pooling) causal=\(config.causal) dropout=\(config.dropout)"
        GradientCheck.verify(tensors, configuration: label, samples: 12, loss: loss, file: file, line: line)
    }

    func testEveryPositionEncodingAndNormPlacement() throws {
        for encoding in PositionEncoding.allCases {
            for placement in NormPlacement.allCases {
                try checkModel(tinyConfiguration(encoding, placement))
            }
        }
    }

    func testPoolingsAndCausalAttention() throws {
        try checkModel(tinyConfiguration(.rope, .post, pooling: .mean))
        try checkModel(tinyConfiguration(.alibi, .pre, pooling: .last, causal: true))
        try checkModel(tinyConfiguration(.sinusoidal, .post, pooling: .mean, dropout: 0))
    }

    /// The last block computed for the pooled rows only gives the logits and every gradient of the full
    /// last block (the same dropout coins included), for each encoding, norm placement and the two
    /// poolings that read one row.
    func testPooledRowsOnlyEqualsTheFullLastBlock() throws {
        for encoding in PositionEncoding.allCases {
            for placement in NormPlacement.allCases {
                for (pooling, causal) in [(Pooling.classToken, false), (.last, true), (.last, false)] {
                    let config = tinyConfiguration(encoding, placement, pooling: pooling, causal: causal)
                    let model = try TransformerClassifier<Double>(config, seed: 5)
                    Self.strengthen(model)
                    func logitsAndGradients(pooledOnly: Bool) -> ([Double], [[Double]]) {
                        model.computesPooledRowsOnly = pooledOnly
                        let pass = model.forward(batch, dropoutKey: 99)
                        model.parameters.zeroGradients()
                        model.backward(pass, logitGradient: model.loss(pass).logitGradient)
                        return (pass.logits.values, model.parameters.all.map(\.gradient.values))
                    }
                    let (fullLogits, fullGradients) = logitsAndGradients(pooledOnly: false)
                    let (logits, gradients) = logitsAndGradients(pooledOnly: true)
                    let label = "\(encoding) \(placement)-norm pooling=\(pooling) causal=\(causal)"
                    for (a, b) in zip(logits, fullLogits) { XCTAssertEqual(a, b, accuracy: 1e-12, "logits, \(label)") }
                    for (p, (g, full)) in zip(model.parameters.all, zip(gradients, fullGradients)) {
                        let worst = zip(g, full).map { abs($0 - $1) }.max() ?? 0
                        XCTAssertLessThan(worst, 1e-12, "gradient of \(p.name), \(label)")
                    }
                    // The check must be able to fail: the pooled rows carry gradient into every block.
                    XCTAssertGreaterThan(gradients.flatMap { $0 }.map(abs).max() ?? 0, 1e-3, label)
                }
            }
        }
    }

    /// Padding never reaches a real token: a sequence alone and padded inside a longer batch, with
    /// arbitrary ids in the padded slots, gives the same logits.
    func testPaddingChangesNothing() throws {
        for encoding in PositionEncoding.allCases {
            for pooling in Pooling.allCases {
                for placement in NormPlacement.allCases {
                    let config = tinyConfiguration(encoding, placement, pooling: pooling, causal: pooling == .last)
                    let model = try TransformerClassifier<Double>(config, seed: 9)
                    let short: [Int32] = [1, 6, 9, 2]
                    let alone = model.forward(TokenBatch(sequences: [short], labels: [0])).logits.values
                    let padded = TokenBatch(sequences: [short, [1, 5, 5, 6, 7, 8, 2]], labels: [0, 1])
                    // Scribble over the padding of the first sequence.
                    var ids = padded.ids
                    for i in short.count..<padded.length { ids[i] = Int32(5 + i % 4) }
                    let scribbled = TokenBatch(ids: ids, lengths: padded.lengths, labels: padded.labels, length: padded.length)
                    for batch in [padded, scribbled] {
                        let logits = model.forward(batch).logits.values
                        for k in 0..<config.classCount {
                            XCTAssertEqual(logits[k], alone[k], accuracy: 1e-12,
                                           "\(encoding) \(placement) \(pooling): padding changed logit \(k)")
                        }
                    }
                }
            }
        }
    }

    /// Without position encoding the model sees a bag of tokens; with any encoding, order matters.
    func testPositionEncodingsSeeOrder() throws {
        let forward: [Int32] = [1, 5, 6, 7, 8, 9, 2], shuffled: [Int32] = [1, 9, 7, 5, 8, 6, 2]
        for encoding in PositionEncoding.allCases {
            let model = try TransformerClassifier<Double>(tinyConfiguration(encoding, .post, dropout: 0), seed: 5)
            Self.strengthen(model)
            let a = model.forward(TokenBatch(sequences: [forward], labels: [0])).logits.values
            let b = model.forward(TokenBatch(sequences: [shuffled], labels: [0])).logits.values
            let difference = zip(a, b).map { abs($0 - $1) }.max()!
            if encoding == .none {
                XCTAssertLessThan(difference, 1e-12, "no position encoding must be blind to order")
            } else {
                XCTAssertGreaterThan(difference, 1e-6, "\(encoding) must see token order")
            }
        }
    }

    func testParameterCountMatchesTheStore() throws {
        for encoding in PositionEncoding.allCases {
            for pooling in Pooling.allCases {
                let config = tinyConfiguration(encoding, .post, pooling: pooling)
                let model = try TransformerClassifier<Double>(config, seed: 1)
                XCTAssertEqual(model.parameters.count, config.parameterCount, "\(encoding) \(pooling)")
            }
        }
    }
}
