// How fast the engine trains, measured against this machine's own matrix-product rate.
//
// Model FLOPs of a training step follow the usual accounting (Kaplan et al. 2020; PaLM's MFU):
//   6 x N x tokens                 N = parameters of the matrix products (the embedding table is a
//                                  lookup, not a product, and is left out)
//   + 12 x L x T x C x tokens      attention scores and their weighted sums, forward and backward
// The rate is those FLOPs over wall time; it is compared with sgemm's rate on the same threads.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct SgemmMeasurement: Codable, Sendable {
    public var size: Int
    public var threads: Int
    public var gflops: Double
}

public struct TrainingMeasurement: Codable, Sendable {
    public var label: String
    public var width: Int, heads: Int, feedForwardWidth: Int, layers: Int, batch: Int, tokens: Int
    public var positionEncoding: String
    public var dropout: Double
    public var steps: Int
    public var secondsPerStep: Double
    public var tokensPerSecond: Double
    public var modelGflops: Double
    /// modelGflops / sgemm GFLOP/s.
    public var shareOfSgemm: Double
}

public enum EngineBenchmark {
    /// GFLOP/s of an n x n x n sgemm, best of several repetitions.
    public static func sgemm(size n: Int = 2048, repetitions: Int = 5) -> SgemmMeasurement {
        let a = Tensor<Float>(shape: [n, n], filledWith: 0.5), b = Tensor<Float>(shape: [n, n], filledWith: 0.25)
        let c = Tensor<Float>(shape: [n, n])
        matmul(a, b, into: c)  // warm-up: thread pool and caches
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            matmul(a, b, into: c)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return SgemmMeasurement(size: n, threads: ComputeThreads.count, gflops: 2 * Double(n * n * n) / best / 1e9)
    }

    /// Model FLOPs of one training step over `tokens` tokens.
    public static func trainingFlops(_ config: ModelConfiguration, batch: Int, length: Int) -> Double {
        var matrixParameters = config.parameterCount - config.vocabularySize * config.width
        if config.positionEncoding == .learned { matrixParameters -= config.maxLength * config.width }
        let tokens = Double(batch * length)
        return 6 * Double(matrixParameters) * tokens
            + 12 * Double(config.layers) * Double(length) * Double(config.width) * tokens
    }

    /// Times full training steps (forward, loss, backward, AdamW) on random full-length sequences.
    public static func training(label: String, width: Int, heads: Int, feedForwardWidth: Int, layers: Int,
                                batch: Int, length: Int, positionEncoding: PositionEncoding = .learned,
                                dropout: Double = 0.1, vocabularySize: Int = 4096,
                                minimumSeconds: Double = 8, sgemmGflops: Double) throws -> TrainingMeasurement {
        let config = ModelConfiguration(vocabularySize: vocabularySize, classCount: 2, maxLength: length, width: width,
                                        heads: heads, feedForwardWidth: feedForwardWidth, layers: layers,
                                        positionEncoding: positionEncoding, dropout: dropout)
        let model = try TransformerClassifier<Float>(config, seed: 1)
        let optimizer = AdamW(model.parameters, settings: .paper)
        var random = RandomSource(seed: 2)
        let data = TokenBatch.random(count: batch, tokens: length, vocabularySize: vocabularySize, classCount: 2, random: &random)
        func step(_ i: Int) { model.benchmarkStep(data, dropoutKey: UInt64(i), optimizer: optimizer, learningRate: 1e-4) }
        step(0)  // warm-up
        var steps = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        while steps < 3 || elapsed < minimumSeconds {
            steps += 1
            step(steps)
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let perStep = elapsed / Double(steps)
        let gflops = trainingFlops(config, batch: batch, length: length) / perStep / 1e9
        return TrainingMeasurement(label: label, width: width, heads: heads, feedForwardWidth: feedForwardWidth, layers: layers,
                                   batch: batch, tokens: length, positionEncoding: positionEncoding.rawValue, dropout: dropout,
                                   steps: steps, secondsPerStep: perStep, tokensPerSecond: Double(batch * length) / perStep,
                                   modelGflops: gflops, shareOfSgemm: gflops / sgemmGflops)
    }

    /// Peak resident memory of this process so far, in bytes.
    public static func peakMemoryBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
