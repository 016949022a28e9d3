// The same run gives the same bits on any number of threads: the products are cut into blocks fixed
// by their shape (Tensor.swift), attention is computed per (sequence, head), every reduction has a
// fixed order. So the thread count is not part of a run's key.
import XCTest
@testable import GeneCoding

final class ThreadIndependenceTests: XCTestCase {
    /// Parameters after a few full training steps (dropout on), on 1, 2 and 3 threads, for models large
    /// enough that the matrix products are split across threads, every position encoding.
    func testTrainingStepsAreTheSameBitForBitOnOneTwoAndThreeThreads() throws {
        let before = ComputeThreads.count
        defer { ComputeThreads.set(before) }
        for encoding in [PositionEncoding.rope, .alibi, .sinusoidal] {
            let config = ModelConfiguration(vocabularySize: 40, classCount: 3, maxLength: 70, width: 64, heads: 4,
                                            feedForwardWidth: 256, layers: 2, positionEncoding: encoding, dropout: 0.1)
            var random = RandomSource(seed: 8)
            let sequences = (0..<16).map { i in
                [SpecialToken.classification.rawValue] + (0..<(40 + i)).map { _ in Int32(5 + random.next() % 35) } + [SpecialToken.separator.rawValue]
            }
            let batch = TokenBatch(sequences: sequences, labels: (0..<16).map { $0 % 3 })
            // The largest product here (B*T rows x C x F) must be split, or the test would prove nothing.
            XCTAssertGreaterThan(gemmBlocks(m: batch.size * batch.length, n: config.feedForwardWidth, k: config.width), 1)
            func train(threads: Int) throws -> [[UInt32]] {
                ComputeThreads.set(threads)
                let model = try TransformerClassifier<Float>(config, seed: 3)
                let adamW = AdamW(model.parameters, settings: .paper)
                for step in 0..<3 {
                    let pass = model.forward(batch, dropoutKey: UInt64(step))
                    let (_, dz) = model.loss(pass)
                    model.parameters.zeroGradients()
                    model.backward(pass, logitGradient: dz)
                    adamW.update(model.parameters, learningRate: 1e-3)
                }
                return model.parameters.all.map { $0.value.values.map(\.bitPattern) }
            }
            let one = try train(threads: 1)
            for threads in [2, 3] {
                XCTAssertEqual(try train(threads: threads), one, "\(encoding): parameters after 3 steps on \(threads) threads differ from 1 thread's")
            }
        }
    }
}
