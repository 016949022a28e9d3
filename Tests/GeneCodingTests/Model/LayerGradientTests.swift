// Every layer's backward against finite differences: every parameter and the input.
import XCTest
@testable import GeneCoding

final class LayerGradientTests: XCTestCase {
    /// Checks a layer: run forward, project with R, backward with R, compare every parameter and the input.
    private func checkLayer(_ name: String, store: ParameterStore<Double>, input x: Tensor<Double>,
                            forward: @escaping (Tensor<Double>) -> Tensor<Double>,
                            backward: (Tensor<Double>) -> Tensor<Double>,
                            file: StaticString = #filePath, line: UInt = #line) {
        let y = forward(x)
        let r = GradientCheck.projection(like: y, seed: 99)
        store.zeroGradients()
        let dx = backward(r)
        var tensors = store.all.map { CheckedTensor(name: $0.name, tensor: $0.value, analytic: $0.gradient.values) }
        tensors.append(CheckedTensor(name: "input", tensor: x, analytic: dx.values))
        GradientCheck.verify(tensors, configuration: name, loss: { GradientCheck.project(forward(x), r) },
                             file: file, line: line)
    }

    func testLinear() {
        let store = ParameterStore<Double>()
        var random = RandomSource(seed: 1)
        let layer = Linear(store, "dense", inputs: 5, outputs: 3, random: &random)
        initializeNormal(layer.bias.value, deviation: 0.5, random: &random)
        let x = GradientCheck.randomTensor([4, 5], seed: 2)
        checkLayer("Linear 5->3", store: store, input: x, forward: { layer.forward($0) },
                   backward: { layer.backward($0, input: x) })
    }

    func testLayerNorm() {
        let store = ParameterStore<Double>()
        var random = RandomSource(seed: 3)
        let norm = LayerNorm(store, "LayerNorm", width: 6, epsilon: 1e-12)
        initializeNormal(norm.gamma.value, deviation: 1, random: &random)
        initializeNormal(norm.beta.value, deviation: 1, random: &random)
        let x = GradientCheck.randomTensor([5, 6], seed: 4, scale: 2)
        var cache: LayerNorm<Double>.Cache!
        checkLayer("LayerNorm(6)", store: store, input: x,
                   forward: { let (y, c) = norm.forward($0); cache = c; return y },
                   backward: { norm.backward($0, cache) })
    }

    func testGELU() {
        let x = GradientCheck.randomTensor([3, 7], seed: 5, scale: 2)
        checkLayer("GELU", store: ParameterStore(), input: x, forward: { GELU.forward($0).output },
                   backward: { GELU.backward($0, input: x, cdf: GELU.forward(x).cdf) })
    }

    func testTanh() {
        let x = GradientCheck.randomTensor([3, 4], seed: 6)
        checkLayer("tanh", store: ParameterStore(), input: x, forward: { Tanh.forward($0) },
                   backward: { Tanh.backward($0, output: Tanh.forward(x)) })
    }

    func testDropoutIsItsOwnGradient() {
        let x = GradientCheck.randomTensor([4, 8], seed: 7)
        let dropout = Dropout(probability: 0.3, key: 42)
        checkLayer("Dropout p=0.3", store: ParameterStore(), input: x,
                   forward: { let y = $0.copy(); dropout.apply(y); return y },
                   backward: { let d = $0.copy(); dropout.backward(d); return d })
    }

    /// Attention for every position encoding, bidirectional and causal, with padding and dropout.
    func testAttention() {
        for encoding in PositionEncoding.allCases {
            for causal in [false, true] {
                for dropout in [0.0, 0.2] {
                    let config = ModelConfiguration(vocabularySize: 12, classCount: 2, maxLength: 16, width: 8, heads: 2,
                                                    layers: 1, positionEncoding: encoding, dropout: dropout, causal: causal)
                    let store = ParameterStore<Double>()
                    var random = RandomSource(seed: 11)
                    let attention = SelfAttention(store, "attention", config: config, random: &random)
                    for p in store.all where !p.decays { initializeNormal(p.value, deviation: 0.3, random: &random) }
                    for p in store.all where p.decays { initializeNormal(p.value, deviation: 0.4, random: &random) }
                    let layout = TokenLayout(batch: 3, length: 5, lengths: [5, 3, 2])
                    let x = GradientCheck.randomTensor([15, 8], seed: 12)
                    let drop = Dropout(probability: dropout, key: dropout > 0 ? 5 : nil)
                    var cache: SelfAttention<Double>.Cache!
                    checkLayer("attention \(encoding) causal=\(causal) dropout=\(dropout) lengths=[5,3,2]",
                               store: store, input: x,
                               forward: { let (y, c) = attention.forward($0, layout: layout, dropout: drop); cache = c; return y },
                               backward: { attention.backward($0, cache, layout: layout) })
                }
            }
        }
    }

    func testEncoderLayer() {
        for placement in NormPlacement.allCases {
            for encoding in [PositionEncoding.rope, .alibi] {
                let config = ModelConfiguration(vocabularySize: 12, classCount: 2, maxLength: 16, width: 8, heads: 2,
                                                feedForwardWidth: 12, layers: 1, positionEncoding: encoding,
                                                normPlacement: placement, dropout: 0.1)
                let store = ParameterStore<Double>()
                var random = RandomSource(seed: 21)
                let layer = EncoderLayer(store, index: 0, config: config, random: &random)
                for p in store.all { initializeNormal(p.value, deviation: p.decays ? 0.4 : 0.3, random: &random) }
                let layout = TokenLayout(batch: 2, length: 4, lengths: [4, 2])
                let x = GradientCheck.randomTensor([8, 8], seed: 22)
                var cache: EncoderLayer<Double>.Cache!
                checkLayer("encoder layer \(placement)-norm \(encoding)", store: store, input: x,
                           forward: { let (y, c) = layer.forward($0, layout: layout, dropoutKey: 77); cache = c; return y },
                           backward: { layer.backward($0, cache, layout: layout) })
            }
        }
    }

    func testEmbeddings() {
        for encoding in PositionEncoding.allCases {
            let config = ModelConfiguration(vocabularySize: 9, classCount: 2, maxLength: 6, width: 4, heads: 2,
                                            layers: 1, positionEncoding: encoding)
            let store = ParameterStore<Double>()
            var random = RandomSource(seed: 31)
            let embeddings = Embeddings(store, config: config, random: &random)
            let layout = TokenLayout(batch: 2, length: 3, lengths: [3, 2])
            let ids: [Int32] = [1, 5, 7, 1, 7, 3]
            let y0 = embeddings.forward(ids, layout: layout)
            let r = GradientCheck.projection(like: y0, seed: 32)
            store.zeroGradients()
            embeddings.backward(r, ids: ids, layout: layout)
            let tensors = store.all.map { CheckedTensor(name: $0.name, tensor: $0.value, analytic: $0.gradient.values) }
            GradientCheck.verify(tensors, configuration: "embeddings \(encoding)",
                                 loss: { GradientCheck.project(embeddings.forward(ids, layout: layout), r) })
        }
    }

    func testCrossEntropy() {
        let z = GradientCheck.randomTensor([4, 3], seed: 41, scale: 2)
        let labels = [0, 2, 1, 2]
        let (_, dz) = CrossEntropy.lossAndGradient(logits: z, labels: labels)
        GradientCheck.verify([CheckedTensor(name: "logits", tensor: z, analytic: dz.values)],
                             configuration: "cross-entropy K=3",
                             loss: { CrossEntropy.lossAndGradient(logits: z, labels: labels).0 })
    }
}
