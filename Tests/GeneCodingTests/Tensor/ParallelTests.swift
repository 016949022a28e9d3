// ComputeThreads.forRanges on the pool's threads (CKernels/pool.c) against the same loop on Dispatch:
// the same ranges, every element once, nested and concurrent calls, and the same training bits.
import Dispatch
import XCTest
@testable import GeneCoding

final class ParallelTests: XCTestCase {
    override func tearDown() {
        ComputeThreads.runsOnDispatch = false
        ComputeThreads.set(1)
    }

    /// The ranges each way hands out, sorted (the parts run in any order).
    private func ranges(_ n: Int, minimum: Int, dispatch: Bool) -> [Range<Int>] {
        let lock = NSLock()
        var seen: [Range<Int>] = []
        let record: (Range<Int>) -> Void = { r in lock.lock(); seen.append(r); lock.unlock() }
        if dispatch { ComputeThreads.forRangesByDispatch(n, minimum: minimum, record) } else { ComputeThreads.forRanges(n, minimum: minimum, record) }
        return seen.sorted { $0.lowerBound < $1.lowerBound }
    }

    func testThePoolHandsOutDispatchsRangesAndCoversEveryElementOnce() {
        for threads in 1...4 {
            ComputeThreads.set(threads)
            for (n, minimum) in [(0, 1), (1, 1), (2, 1), (7, 1), (100, 1), (100, 30), (100, 60), (1 << 16, 1 << 14), (12_345, 64)] {
                let pool = ranges(n, minimum: minimum, dispatch: false)
                XCTAssertEqual(pool, ranges(n, minimum: minimum, dispatch: true), "n \(n), minimum \(minimum), \(threads) threads")
                XCTAssertEqual(pool.reduce(0) { $0 + $1.count }, n)
                XCTAssertEqual(pool.first?.lowerBound ?? 0, 0)
                for (a, b) in zip(pool, pool.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                XCTAssertEqual(pool.count, n == 0 ? 0 : max(1, min(threads, n / max(minimum, 1))))
            }
        }
    }

    /// A parallel loop inside a parallel loop runs its parts in order on its caller, and finishes.
    func testNestedLoopsFinishAndCoverEveryElement() {
        ComputeThreads.set(2)
        let outer = 10, inner = 1_000
        var counts = [Int](repeating: 0, count: outer * inner)
        counts.withUnsafeMutableBufferPointer { slots in
            let out = slots
            ComputeThreads.forRanges(outer) { rows in
                for row in rows {
                    ComputeThreads.forRanges(inner) { columns in
                        for column in columns { out[row * inner + column] += 1 }
                    }
                }
            }
        }
        XCTAssertEqual(counts, [Int](repeating: 1, count: outer * inner))
    }

    /// Several threads starting parallel loops at once (runs side by side in one process): each loop
    /// is whole, whichever gets the pool.
    func testLoopsStartedFromSeveralThreadsAtOnceAreEachComplete() {
        ComputeThreads.set(2)
        let callers = 4, loops = 300, n = 5_000
        let lock = NSLock()
        var sums: [Int] = []
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            var total = 0
            for loop in 0..<loops {
                var values = [Int](repeating: 0, count: n)
                values.withUnsafeMutableBufferPointer { slots in
                    let out = slots
                    ComputeThreads.forRanges(n) { r in for i in r { out[i] = i + loop + caller } }
                }
                total += values.reduce(0, +) - (n * (n - 1) / 2 + n * (loop + caller))
            }
            lock.lock(); sums.append(total); lock.unlock()
        }
        XCTAssertEqual(sums, [Int](repeating: 0, count: callers))
    }

    /// Training steps on the pool and on Dispatch give the same parameters, bit for bit.
    func testTrainingOnThePoolEqualsTrainingOnDispatchBitForBit() throws {
        let config = ModelConfiguration(vocabularySize: 40, classCount: 3, maxLength: 70, width: 64, heads: 4,
                                        feedForwardWidth: 256, layers: 2, positionEncoding: .rope, dropout: 0.1)
        var random = RandomSource(seed: 5)
        let sequences = (0..<16).map { i in
            [SpecialToken.classification.rawValue] + (0..<(30 + i)).map { _ in Int32(5 + random.next() % 35) } + [SpecialToken.separator.rawValue]
        }
        let batch = TokenBatch(sequences: sequences, labels: (0..<16).map { $0 % 3 })
        func train(dispatch: Bool) throws -> [[UInt32]] {
            ComputeThreads.set(2)
            ComputeThreads.runsOnDispatch = dispatch
            let model = try TransformerClassifier<Float>(config, seed: 3)
            let adamW = AdamW(model.parameters, settings: .paper)
            for step in 0..<3 { model.benchmarkStep(batch, dropoutKey: UInt64(step), optimizer: adamW, learningRate: 1e-3) }
            return model.parameters.all.map { $0.value.values.map(\.bitPattern) }
        }
        XCTAssertEqual(try train(dispatch: false), try train(dispatch: true))
    }
}
