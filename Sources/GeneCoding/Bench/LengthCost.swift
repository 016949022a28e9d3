// What one sequence costs as it grows: seconds and activation memory of a training step (forward
// and backward, dropout on) and of an evaluation pass (the path Trainer.evaluate takes, which keeps
// nothing for backward), at batch size 1 (chapter 4).
//
// Attention holds B x H x T² probabilities per block (twice: before and after dropout) and spends
// O(T² C) on its two products, while everything else grows like T. So time and memory per sequence
// grow linearly while T is small against the width and quadratically beyond; the chart makes the
// crossing visible. (A classifier's last block computes only the row its head reads, so its
// probabilities are [B, H, 1, T]: the T² term lives in the blocks below it.) Memory is the peak of
// bytes held by live tensors during the step minus what was held before it (parameters, gradients):
// activations only, deterministic, free of allocator slack. `memoryMode` measures a step that keeps
// less (MemoryMode.swift): with `recomputeAttention` the T² term is one (sequence, head) at a time.
import Foundation

public struct LengthCostPoint: Codable, Sendable, Hashable {
    public var bases: Int
    public var tokens: Int
    /// Best of the repeats, seconds.
    public var trainingStepSeconds: Double
    public var forwardSeconds: Double
    /// Peak activation bytes of a training step and of an evaluation pass.
    public var trainingStepBytes: Int
    public var forwardBytes: Int
}

public enum LengthCost {
    /// Measures a model of `configuration` (its maxLength must cover the longest input) on random
    /// token ids of each length, `repeats` times each, on the current compute threads.
    public static func measure(_ configuration: ModelConfiguration, lengths: [(bases: Int, tokens: Int)], repeats: Int,
                               seed: UInt64 = 1, memoryMode: MemoryMode = .keepAll) throws -> [LengthCostPoint] {
        let model = try TransformerClassifier<Float>(configuration, seed: seed)
        model.memoryMode = memoryMode
        var random = RandomSource(seed: RandomSource.derive(seed, 0x1E76))
        return lengths.map { length in
            let batch = TokenBatch.random(count: 1, tokens: length.tokens, vocabularySize: configuration.vocabularySize,
                                          classCount: configuration.classCount, random: &random)
            var stepSeconds = Double.infinity, forwardSeconds = Double.infinity
            var stepBytes = 0, forwardBytes = 0
            for r in 0..<repeats {
                let before = TensorMemory.current
                TensorMemory.resetPeak()
                var started = Date()
                model.benchmarkStep(batch, dropoutKey: RandomSource.derive(seed, UInt64(r)))
                stepSeconds = min(stepSeconds, Date().timeIntervalSince(started))
                stepBytes = max(stepBytes, TensorMemory.peak - before)

                TensorMemory.resetPeak()
                started = Date()
                do { _ = model.logits(batch) }
                forwardSeconds = min(forwardSeconds, Date().timeIntervalSince(started))
                forwardBytes = max(forwardBytes, TensorMemory.peak - before)
            }
            return LengthCostPoint(bases: length.bases, tokens: batch.length, trainingStepSeconds: stepSeconds, forwardSeconds: forwardSeconds,
                                   trainingStepBytes: stepBytes, forwardBytes: forwardBytes)
        }
    }
}
