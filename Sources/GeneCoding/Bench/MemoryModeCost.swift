// What each memory mode costs in time and saves in memory, on one shape: training steps (forward,
// backward, AdamW) on random ids, the modes interleaved round by round (each round runs every mode
// once, in an order rotated by the round), so that a machine shared with other work slows every mode
// alike; the figure is each mode's median. Memory is the peak of live tensor bytes a step adds to the
// model and the optimiser (`TensorMemory`), beside the estimate of the same (`RunMemoryEstimate`).
import Foundation

public struct MemoryModeCostPoint: Codable, Sendable, Hashable {
    public var mode: MemoryMode
    /// Seconds of each timed step, in round order.
    public var seconds: [Double]
    public var medianSeconds: Double
    /// Peak activation bytes of a step, measured and estimated.
    public var measuredBytes: Int
    public var estimatedBytes: Int
}

public enum MemoryModeCost {
    /// `rounds` timed steps of `configuration` in every mode at `batch` sequences of `tokens` ids, after
    /// one untimed step of each (warm-up), on the current compute threads.
    public static func measure(_ configuration: ModelConfiguration, batch: Int, tokens: Int, rounds: Int,
                               seed: UInt64 = 1) throws -> [MemoryModeCostPoint] {
        let model = try TransformerClassifier<Float>(configuration, seed: seed)
        let optimizer = AdamW(model.parameters, settings: OptimizerSettings(learningRate: 1e-4, weightDecay: 0.01))
        var random = RandomSource(seed: RandomSource.derive(seed, 0x3E3))
        let input = TokenBatch.random(count: batch, tokens: tokens, vocabularySize: configuration.vocabularySize,
                                      classCount: configuration.classCount, random: &random)
        var seconds = [MemoryMode: [Double]](), peaks = [MemoryMode: Int]()
        var step: UInt64 = 0
        func train(_ mode: MemoryMode) -> (seconds: Double, bytes: Int) {
            model.memoryMode = mode
            let before = TensorMemory.current
            TensorMemory.resetPeak()
            let started = ContinuousClock.now
            model.benchmarkStep(input, dropoutKey: step, optimizer: optimizer, learningRate: 1e-4)
            let elapsed = ContinuousClock.now - started
            step += 1
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, TensorMemory.peak - before)
        }
        let modes = MemoryMode.fastestFirst
        for mode in modes { peaks[mode] = train(mode).bytes }
        for round in 0..<rounds {
            for k in modes.indices {
                let mode = modes[(k + round) % modes.count]
                let (s, bytes) = train(mode)
                seconds[mode, default: []].append(s)
                peaks[mode] = max(peaks[mode]!, bytes)
            }
        }
        return modes.map { mode in
            let estimate = RunMemoryEstimate.floatBytes * RunMemoryEstimate.activationTerms(
                configuration, .init(sequences: batch, tokens: input.length), training: true, threads: ComputeThreads.count, mode: mode).total
            let timed = seconds[mode] ?? []
            return MemoryModeCostPoint(mode: mode, seconds: timed, medianSeconds: median(timed), measuredBytes: peaks[mode]!, estimatedBytes: estimate)
        }
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// One row per mode: median seconds a step (and the range), against keepAll, tokens a second, and
    /// the activations measured against the estimate.
    public static func table(_ points: [MemoryModeCostPoint], tokensPerStep: Int) -> Table {
        var table = Table(columns: [Table.Column("memory mode"), Table.Column("s / step (median)", alignment: .right),
                                    Table.Column("range", alignment: .right), Table.Column("vs keep", alignment: .right),
                                    Table.Column("tokens / s", alignment: .right), Table.Column("activations measured", alignment: .right),
                                    Table.Column("estimated", alignment: .right)])
        let keep = points.first { $0.mode == .keepAll }?.medianSeconds ?? .nan
        for p in points {
            table.append([p.mode.rawValue, Format.fixed(p.medianSeconds, 3),
                          "\(Format.fixed(p.seconds.min() ?? .nan, 3))–\(Format.fixed(p.seconds.max() ?? .nan, 3))",
                          "\(Format.fixed(p.medianSeconds / keep, 2))×", Format.fixed(Double(tokensPerStep) / p.medianSeconds, 0),
                          Format.bytes(p.measuredBytes), Format.bytes(p.estimatedBytes)])
        }
        return table
    }
}
