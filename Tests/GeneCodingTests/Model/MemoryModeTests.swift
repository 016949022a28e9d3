// The memory modes and the evaluation path change what is kept, never what is computed: logits, every
// gradient and the parameters after AdamW steps are compared bit for bit (memcmp) with keepAll's, in
// Float through the kernels that train, for every position encoding, both norm placements, the three
// poolings (causal and not), dropout on, short sequences (our small products) and long ones (BLAS), on
// two threads. The gradients are also checked against finite differences with each mode on.
import Foundation
import XCTest
@testable import GeneCoding

final class MemoryModeTests: XCTestCase {
    override func tearDown() { ComputeThreads.set(1) }

    private func configuration(_ encoding: PositionEncoding, _ placement: NormPlacement, pooling: Pooling, causal: Bool,
                               maxLength: Int = 16, layers: Int = 3, dropout: Double = 0.1) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: 13, classCount: 3, maxLength: maxLength, width: 16, heads: 2, feedForwardWidth: 24,
                           layers: layers, positionEncoding: encoding, normPlacement: placement, pooling: pooling,
                           dropout: dropout, causal: causal)
    }

    /// Sequences of the given lengths ([CLS] ... [SEP]), so the batch is padded to the longest.
    private func batch(lengths: [Int], seed: UInt64 = 3) -> TokenBatch {
        var random = RandomSource(seed: seed)
        let sequences = lengths.map { n in
            [SpecialToken.classification.rawValue] + (0..<(n - 2)).map { _ in Int32(5 + random.next() % 8) } + [SpecialToken.separator.rawValue]
        }
        return TokenBatch(sequences: sequences, labels: lengths.indices.map { $0 % 3 })
    }

    /// The bytes of a tensor equal another's (memcmp).
    private func sameBits(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Bool {
        a.count == b.count && memcmp(a.pointer, b.pointer, a.count * MemoryLayout<Float>.stride) == 0
    }

    /// What three AdamW steps of a model in `mode` produce: the first step's logits and gradients, and
    /// the parameters after the third.
    private struct Trace {
        var logits: Tensor<Float>
        var gradients: [String: Tensor<Float>]
        var parameters: [String: Tensor<Float>]
        var losses: [Double]
    }

    private func train(_ config: ModelConfiguration, _ mode: MemoryMode, batches: [TokenBatch]) throws -> Trace {
        let model = try TransformerClassifier<Float>(config, seed: 11)
        model.memoryMode = mode
        let optimizer = AdamW(model.parameters, settings: OptimizerSettings(learningRate: 3e-3, weightDecay: 0.01))
        var trace = Trace(logits: Tensor(shape: [1]), gradients: [:], parameters: [:], losses: [])
        for (step, batch) in batches.enumerated() {
            let pass = model.forward(batch, dropoutKey: 500 + UInt64(step))
            let (loss, dz) = model.loss(pass)
            model.parameters.zeroGradients()
            model.backward(pass, logitGradient: dz)
            if step == 0 {
                trace.logits = pass.logits.copy()
                for p in model.parameters.all { trace.gradients[p.name] = p.gradient.copy() }
            }
            trace.losses.append(loss)
            optimizer.update(model.parameters, learningRate: 3e-3)
        }
        for p in model.parameters.all { trace.parameters[p.name] = p.value.copy() }
        return trace
    }

    private func assertModesAgree(_ config: ModelConfiguration, batches: [TokenBatch], label: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try train(config, .keepAll, batches: batches)
        // The check must be able to fail: the steps moved the parameters and every gradient is not zero.
        let initial = try TransformerClassifier<Float>(config, seed: 11)
        XCTAssertTrue(initial.parameters.all.contains { !sameBits($0.value, reference.parameters[$0.name]!) }, "\(label): training changed nothing",
                      file: file, line: line)
        for mode in MemoryMode.allCases where mode != .keepAll {
            let trace = try train(config, mode, batches: batches)
            XCTAssertTrue(sameBits(trace.logits, reference.logits), "\(label), \(mode): logits differ from keepAll's", file: file, line: line)
            XCTAssertEqual(trace.losses.map(\.bitPattern), reference.losses.map(\.bitPattern), "\(label), \(mode): losses", file: file, line: line)
            let gradients = reference.gradients.keys.filter { !sameBits(trace.gradients[$0]!, reference.gradients[$0]!) }.sorted()
            XCTAssertEqual(gradients, [], "\(label), \(mode): these gradients differ from keepAll's", file: file, line: line)
            let parameters = reference.parameters.keys.filter { !sameBits(trace.parameters[$0]!, reference.parameters[$0]!) }.sorted()
            XCTAssertEqual(parameters, [], "\(label), \(mode): these parameters differ from keepAll's after \(batches.count) AdamW steps",
                           file: file, line: line)
        }
    }

    func testEveryModeTrainsBitForBitAsKeepAll() throws {
        ComputeThreads.set(2)
        let batches = [batch(lengths: [12, 7, 4, 9], seed: 1), batch(lengths: [5, 12, 12], seed: 2), batch(lengths: [3, 8, 11, 6, 10], seed: 3)]
        for encoding in PositionEncoding.allCases {
            for placement in NormPlacement.allCases {
                for (pooling, causal) in [(Pooling.classToken, false), (.mean, false), (.last, true), (.mean, true)] {
                    try assertModesAgree(configuration(encoding, placement, pooling: pooling, causal: causal), batches: batches,
                                         label: "\(encoding) \(placement)-norm pooling=\(pooling) causal=\(causal)")
                }
            }
        }
    }

    /// Sequences longer than our small products take: attention's products go to BLAS, recomputed into
    /// a worker's scratch instead of the kept tensor, and must still give the same bits.
    func testLongSequencesThroughBLAS() throws {
        ComputeThreads.set(2)
        let long = [batch(lengths: [130, 97, 120], seed: 4), batch(lengths: [101, 130], seed: 5), batch(lengths: [130, 60, 99, 128], seed: 6)]
        XCTAssertFalse(usesSmallProducts(tokens: 130, headSize: 8), "the shape must reach BLAS")
        for (encoding, placement, pooling, causal) in [(PositionEncoding.rope, NormPlacement.post, Pooling.classToken, false),
                                                       (.alibi, .pre, .mean, true)] {
            try assertModesAgree(configuration(encoding, placement, pooling: pooling, causal: causal, maxLength: 130, layers: 2),
                                 batches: long, label: "\(encoding) \(placement)-norm pooling=\(pooling) causal=\(causal), 130 tokens")
        }
    }

    /// The evaluation path (`logits`) gives forward's logits bit for bit, on one and two threads.
    func testTheEvaluationPathEqualsTheCachedForward() throws {
        for threads in [1, 2] {
            ComputeThreads.set(threads)
            for encoding in PositionEncoding.allCases {
                for placement in NormPlacement.allCases {
                    for (pooling, causal) in [(Pooling.classToken, false), (.mean, false), (.last, true)] {
                        for (lengths, maxLength) in [([12, 7, 4, 9], 16), ([130, 97, 120], 130)] {
                            let config = configuration(encoding, placement, pooling: pooling, causal: causal, maxLength: maxLength, layers: 2)
                            let model = try TransformerClassifier<Float>(config, seed: 12)
                            let input = batch(lengths: lengths)
                            let cached = model.forward(input).logits
                            let evaluated = model.logits(input)
                            XCTAssertTrue(sameBits(evaluated, cached), "\(encoding) \(placement)-norm pooling=\(pooling) causal=\(causal) "
                                          + "T=\(input.length) threads=\(threads): logits \(evaluated.values) against \(cached.values)")
                            XCTAssertEqual(model.predictions(logits: evaluated), model.predictions(model.forward(input)))
                        }
                    }
                }
            }
        }
    }

    /// The evaluation path holds less than the cached forward: with four layers, every block's cache
    /// against about one block's tensors.
    func testTheEvaluationPathKeepsNoCaches() throws {
        ComputeThreads.set(1)
        let model = try TransformerClassifier<Float>(configuration(.rope, .post, pooling: .mean, causal: false, maxLength: 64, layers: 4), seed: 1)
        let input = batch(lengths: [64, 64, 64, 64])
        func peak(_ body: () -> Void) -> Int {
            let before = TensorMemory.current
            TensorMemory.resetPeak()
            body()
            return TensorMemory.peak - before
        }
        let cached = peak { _ = model.forward(input) }
        let evaluated = peak { _ = model.logits(input) }
        XCTAssertLessThan(Double(evaluated), 0.3 * Double(cached), "evaluation path \(evaluated) bytes against the cached forward's \(cached)")
    }

    /// Each mode keeps a part of what the one before it keeps: a step's measured activations never grow
    /// from keep to attention to layers, and shrink where the mode has something to leave out.
    func testEachModeHoldsLessThanTheOneBefore() throws {
        // One thread: with two, the estimate counts both workers' attention scratch, which on shapes this
        // small need not be alive at once (RunMemoryEstimateTests holds two-thread shapes).
        ComputeThreads.set(1)
        for (pooling, layers, tokens) in [(Pooling.classToken, 3, 160), (.mean, 4, 64), (.classToken, 1, 96)] {
            let config = configuration(.rope, .post, pooling: pooling, causal: false, maxLength: tokens, layers: layers)
            let points = try MemoryModeCost.measure(config, batch: 4, tokens: tokens, rounds: 0)
            XCTAssertEqual(points.map(\.mode), MemoryMode.fastestFirst)
            let bytes = points.map(\.measuredBytes)
            let label = "pooling=\(pooling), \(layers) layers, \(tokens) tokens: \(bytes)"
            XCTAssertLessThan(bytes[1], bytes[0], label)
            XCTAssertLessThanOrEqual(bytes[2], bytes[1], label)
            if layers >= 2 { XCTAssertLessThan(bytes[2], bytes[1], label) }
            for p in points {
                // RunMemoryEstimateTests' tolerance: at most 5% under, 20% over.
                XCTAssertTrue((0.95...1.2).contains(Double(p.estimatedBytes) / Double(p.measuredBytes)), "\(p.mode) estimated \(p.estimatedBytes), \(label)")
            }
        }
    }

    /// GELU in place (evaluation) gives GELU.forward's values bit for bit, across the scratch's chunks.
    func testGELUInPlaceEqualsForward() {
        ComputeThreads.set(2)
        var random = RandomSource(seed: 9)
        let u = Tensor<Float>(shape: [3, 12_345])
        for i in 0..<u.count { u[i] = Float(random.normal() * 3) }
        let (g, _) = GELU.forward(u)
        let inPlace = u.copy()
        GELU.applyInPlace(inPlace)
        XCTAssertTrue(sameBits(inPlace, g))
        XCTAssertFalse(sameBits(inPlace, u), "GELU changed nothing")
    }

    /// Every mode's gradients against central differences in Double (a tiny model, dropout on).
    func testGradientChecksInEveryMode() throws {
        ComputeThreads.set(1)
        let input = TokenBatch(sequences: [[1, 5, 6, 7, 8, 2], [1, 9, 10, 2], [1, 6, 2]], labels: [0, 2, 1])
        for mode in MemoryMode.allCases {
            for (encoding, placement, pooling, causal) in [(PositionEncoding.rope, NormPlacement.post, Pooling.classToken, false),
                                                           (.alibi, .pre, .mean, false), (.sinusoidal, .post, .last, true),
                                                           (.learned, .pre, .classToken, false)] {
                let config = ModelConfiguration(vocabularySize: 11, classCount: 3, maxLength: 8, width: 8, heads: 2, feedForwardWidth: 12,
                                                layers: 2, positionEncoding: encoding, normPlacement: placement, pooling: pooling,
                                                dropout: 0.1, causal: causal)
                let model = try TransformerClassifier<Double>(config, seed: 3)
                model.memoryMode = mode
                ModelGradientTests.strengthen(model)
                func loss() -> Double { model.loss(model.forward(input, dropoutKey: 1234)).loss }
                let pass = model.forward(input, dropoutKey: 1234)
                model.parameters.zeroGradients()
                model.backward(pass, logitGradient: model.loss(pass).logitGradient)
                let tensors = model.parameters.all.map { CheckedTensor(name: $0.name, tensor: $0.value, analytic: $0.gradient.values) }
                GradientCheck.verify(tensors, configuration: "\(mode): \(encoding) \(placement)-norm pooling=\(pooling) causal=\(causal)",
                                     samples: 10, loss: loss)
            }
        }
    }
}
