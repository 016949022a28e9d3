// The work the chapters actually do, timed: a GUE task's sequences, tokenized as a run tokenizes
// them, in the trainer's shuffled batches, through full training steps (forward, loss, backward,
// clipping, AdamW). The shapes `EngineBenchmark.training` times (128 tokens of random ids) are not
// the chapters': with BPE a GUE sequence is about 25 tokens, and at batch 16-32 and width 64-128 the
// time goes to per-step overhead and small products, not to large matrix products.
//
// Two measurements:
//   workload      one model on 2 threads over one epoch of real batches; the same batches are written
//                 to a file for scripts/bench_workload_torch.py, which trains the identical model in
//                 PyTorch on them, so both sides do exactly the same steps.
//   defaultShape  two runs side by side, one thread each, as `make` trains the default profile: BPE on a
//                 ~100 bp task and 1-mers on a 500 bp task; tokens/s of each, and the share of their time
//                 spent outside matrix products (BLAS and attention's small products, timed by ProductTimer).
import Foundation

public struct WorkloadMeasurement: Codable, Sendable, ThroughputMeasurement {
    public var label: String
    public var task: String
    public var tokenizer: String
    public var width: Int, heads: Int, feedForwardWidth: Int, layers: Int, batch: Int
    public var sequences: Int
    public var steps: Int
    /// Real (unpadded) tokens per second of training steps.
    public var tokensPerSecond: Double
    public var secondsPerEpoch: Double
    public var meanTokensPerSequence: Double
    /// Share of the steps' time spent outside matrix products (nil when not measured).
    public var shareOutsideProducts: Double?
}

public enum WorkloadBenchmark {
    public struct Workload: Sendable {
        public var label: String
        public var task: String
        public var tokenizer: TokenizerSpec
        public var sequences: Int
        public var width: Int, heads: Int, feedForwardWidth: Int, layers: Int, batch: Int
        public var positionEncoding: PositionEncoding = .rope
        public var dropout = 0.1
    }

    /// The real workload the speed targets are set on: BPE on tf/0, with a model and a training sample
    /// larger than the default profile's.
    public static let real = Workload(label: "real workload", task: "tf/0", tokenizer: .bpe(vocabularySize: 4096), sequences: 8000,
                                      width: 128, heads: 4, feedForwardWidth: 512, layers: 4, batch: 32)
    /// The default profile's two extremes, as `make` trains them (one thread each, side by side).
    public static let defaultBPE = Workload(label: "default profile, BPE", task: "tf/0", tokenizer: .bpe(vocabularySize: 4096), sequences: 1000,
                                            width: 64, heads: 4, feedForwardWidth: 256, layers: 3, batch: 16)
    public static let defaultOneMer = Workload(label: "default profile, 1-mer", task: "EMP/H3", tokenizer: .kmer(k: 1, overlapping: false),
                                               sequences: 1000, width: 64, heads: 4, feedForwardWidth: 256, layers: 3, batch: 16)

    /// A workload's batches for one epoch, in the trainer's order (seed 1), ready for the model.
    public struct Prepared: Sendable {
        public let workload: Workload
        public let configuration: ModelConfiguration
        public let batches: [TokenBatch]
        public var tokens: Int { batches.reduce(0) { $0 + $1.tokenCount } }
    }

    /// Reads the task's seeded training sample, learns (or reads, from `store`) its tokenizer as a run
    /// would, and cuts the trainer's batches.
    public static func prepare(_ w: Workload, executor: RunExecutor) throws -> Prepared {
        let task = try executor.task(w.task)
        var run = Run(task: w.task, tokenizer: w.tokenizer, profile: .default, seed: 1)
        run.trainLimit = w.sequences
        let tokenizer = try executor.tokenizer(for: run)
        let rows = try executor.trainingRows(run)
        let sequences = try rows.map { try tokenizer.encodeForModel($0.sequence, maxLength: run.maxTokens) }
        var random = RandomSource(seed: RandomSource.derive(1, 0xE90C + 1))
        var order = Array(sequences.indices)
        order.shuffle(using: &random)
        let batches = stride(from: 0, to: order.count, by: w.batch).map { start -> TokenBatch in
            let members = order[start..<min(start + w.batch, order.count)]
            return TokenBatch(sequences: members.map { sequences[$0] }, labels: members.map { rows[$0].label })
        }
        let configuration = ModelConfiguration(vocabularySize: tokenizer.vocabularySize, classCount: task.classCount,
                                               maxLength: sequences.map(\.count).max() ?? 2, width: w.width, heads: w.heads,
                                               feedForwardWidth: w.feedForwardWidth, layers: w.layers,
                                               positionEncoding: w.positionEncoding, dropout: w.dropout)
        return Prepared(workload: w, configuration: configuration, batches: batches)
    }

    /// One epoch of training steps (after one warm-up step), timed; `timeProducts` also times the matrix
    /// products (ProductTimer must be enabled by the caller, for the whole process).
    public static func measure(_ p: Prepared, optimizer: OptimizerSettings = .paper) throws -> WorkloadMeasurement {
        let model = try TransformerClassifier<Float>(p.configuration, seed: 1)
        let adamW = AdamW(model.parameters, settings: optimizer)
        func step(_ batch: TokenBatch, _ i: Int) {
            model.benchmarkStep(batch, dropoutKey: UInt64(i), optimizer: adamW, learningRate: optimizer.learningRate)
        }
        step(p.batches[0], 0)   // warm-up: allocator, thread pool
        let productsBefore = ProductTimer.seconds
        let start = DispatchTime.now().uptimeNanoseconds
        for (i, batch) in p.batches.enumerated() { step(batch, i + 1) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let inProducts = ProductTimer.seconds - productsBefore
        let w = p.workload
        return WorkloadMeasurement(label: w.label, task: w.task, tokenizer: w.tokenizer.displayName, width: w.width, heads: w.heads,
                                   feedForwardWidth: w.feedForwardWidth, layers: w.layers, batch: w.batch, sequences: w.sequences,
                                   steps: p.batches.count, tokensPerSecond: Double(p.tokens) / seconds, secondsPerEpoch: seconds,
                                   meanTokensPerSequence: Double(p.tokens) / Double(w.sequences),
                                   shareOutsideProducts: ProductTimer.enabled ? max(0, 1 - inProducts / seconds) : nil)
    }

    /// Two workloads trained side by side, one thread each (ComputeThreads 1), as `make` runs the default
    /// profile; each measured while the other runs. The share outside products is of both together.
    public static func sideBySide(_ a: Prepared, _ b: Prepared) throws -> [WorkloadMeasurement] {
        ComputeThreads.set(1)
        ProductTimer.enabled = true
        defer { ProductTimer.enabled = false }
        let lock = NSLock()
        var results: [Int: WorkloadMeasurement] = [:]
        var failure: Error?
        let before = ProductTimer.seconds
        let started = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                let m = try measure(i == 0 ? a : b)
                lock.lock(); results[i] = m; lock.unlock()
            } catch {
                lock.lock(); failure = error; lock.unlock()
            }
        }
        if let failure { throw failure }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let busy = (results[0]!.secondsPerEpoch + results[1]!.secondsPerEpoch)
        let share = max(0, 1 - (ProductTimer.seconds - before) / max(busy, wall))
        return [0, 1].map { var m = results[$0]!; m.shareOutsideProducts = share; return m }
    }

    /// The batches as JSON for scripts/bench_workload_torch.py: the model's shape and, per batch, each
    /// sequence's ids and label, in training order.
    public static func writeForTorch(_ p: Prepared, to url: URL) throws {
        let c = p.configuration
        let batches: [[String: Any]] = p.batches.map { batch in
            let t = batch.length
            return ["ids": (0..<batch.size).map { b in (0..<batch.lengths[b]).map { Int(batch.ids[b * t + $0]) } }, "labels": batch.labels]
        }
        let json: [String: Any] = [
            "label": p.workload.label, "vocab_size": c.vocabularySize, "num_labels": c.classCount, "width": c.width, "heads": c.heads,
            "feed_forward": c.feedForwardWidth, "layers": c.layers, "dropout": c.dropout, "position_encoding": c.positionEncoding.rawValue,
            "max_length": c.maxLength, "batches": batches,
        ]
        do {
            try JSONSerialization.data(withJSONObject: json).write(to: url)
        } catch {
            throw InputError(file: url.path, "cannot write the workload for PyTorch: \(error.localizedDescription)")
        }
    }
}

/// Time spent in matrix products (BLAS calls and attention's small products), summed over threads:
/// what the benchmark's "share outside matrix products" subtracts. Off unless a benchmark turns it on.
public enum ProductTimer {
    nonisolated(unsafe) public static var enabled = false
    nonisolated(unsafe) private static var nanoseconds = 0
    private static let lock = NSLock()

    public static var seconds: Double {
        lock.lock(); defer { lock.unlock() }
        return Double(nanoseconds) / 1e9
    }

    /// Runs `body`, adding its duration when the timer is on.
    @inline(__always)
    static func timed<T>(_ body: () -> T) -> T {
        guard enabled else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = Int(DispatchTime.now().uptimeNanoseconds - start)
        lock.lock(); nanoseconds += elapsed; lock.unlock()
        return result
    }
}
