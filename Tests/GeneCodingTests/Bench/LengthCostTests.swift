// Tensor memory accounting and the cost-against-length measurement of chapter 4.
import XCTest
@testable import GeneCoding

final class LengthCostTests: XCTestCase {
    func testTensorMemoryCountsLiveBytesAndPeak() {
        let before = TensorMemory.current
        TensorMemory.resetPeak()
        do {
            let a = Tensor<Float>(shape: [1000])
            XCTAssertEqual(TensorMemory.current - before, 4000)
            let b = Tensor<Double>(shape: [10, 10])
            XCTAssertEqual(TensorMemory.current - before, 4800)
            _ = (a, b)
        }
        XCTAssertEqual(TensorMemory.current, before, "freed tensors are released")
        XCTAssertGreaterThanOrEqual(TensorMemory.peak - before, 4800, "the peak remembers")
    }

    /// Two blocks with [CLS] pooling, as chapter 4 measures: the last block computes the [CLS] row
    /// alone (its probabilities are [1, H, 1, T]), so the T² term is the first block's, which a
    /// one-block model would no longer have.
    func testActivationMemoryGrowsQuadraticallyWithLength() throws {
        ComputeThreads.set(1)
        let configuration = ModelConfiguration(vocabularySize: 64, classCount: 2, maxLength: 1024, width: 16, heads: 2, feedForwardWidth: 32,
                                               layers: 2, positionEncoding: .rope, normPlacement: .post, pooling: .classToken, dropout: 0.1, causal: false)
        let points = try LengthCost.measure(configuration, lengths: [(100, 256), (200, 512), (400, 1024)], repeats: 1)
        XCTAssertEqual(points.map(\.tokens), [256, 512, 1024])
        // The first block's attention probabilities, stored twice (before and after dropout) per head: 2 x H x T² floats at least.
        for p in points { XCTAssertGreaterThan(p.trainingStepBytes, 2 * 2 * p.tokens * p.tokens * 4) }
        let growth = Double(points[2].trainingStepBytes) / Double(points[1].trainingStepBytes)
        XCTAssertGreaterThan(growth, 3.0, "doubling the length must cost close to 4x once T² dominates, not 2x")
        XCTAssertLessThanOrEqual(points[2].forwardBytes, points[2].trainingStepBytes)
        XCTAssertTrue(points.allSatisfy { $0.trainingStepSeconds > 0 && $0.forwardSeconds > 0 })
    }

    /// With attention's probabilities recomputed, a step holds one (sequence, head)'s [T, T] at a time
    /// instead of every block's: four blocks of four heads hold several times less at 1,024 tokens, and
    /// the evaluation pass (which keeps nothing) holds one worker's scores.
    func testRecomputedAttentionCutsTheQuadraticTerm() throws {
        ComputeThreads.set(1)
        let configuration = ModelConfiguration(vocabularySize: 64, classCount: 2, maxLength: 1024, width: 16, heads: 4, feedForwardWidth: 32,
                                               layers: 4, positionEncoding: .alibi, normPlacement: .post, pooling: .classToken, dropout: 0.1, causal: false)
        let lengths = [(bases: 400, tokens: 1024)]
        let kept = try LengthCost.measure(configuration, lengths: lengths, repeats: 1)[0]
        let recomputed = try LengthCost.measure(configuration, lengths: lengths, repeats: 1, memoryMode: .recomputeAttention)[0]
        // keepAll: three full blocks keep P and P̃ of four heads (24 T²); recomputed, backward holds dP, P and P̃ of one (3 T²).
        XCTAssertGreaterThan(kept.trainingStepBytes, 24 * 1024 * 1024 * 4)
        XCTAssertLessThan(Double(recomputed.trainingStepBytes), Double(kept.trainingStepBytes) / 5, "\(recomputed.trainingStepBytes) against \(kept.trainingStepBytes)")
        XCTAssertLessThan(kept.forwardBytes, 2 * 1024 * 1024 * 4, "the evaluation pass keeps no probabilities")
    }
}
