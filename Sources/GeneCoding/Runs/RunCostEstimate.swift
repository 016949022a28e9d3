// A rough guess, before training, of how long a run will take: what a cluster job has to ask for.
//
// It is an estimate and says so everywhere it is printed. The model is the usual count of
// multiply-adds (MACs) of an encoder, with the rate measured on this project's engine:
//
//   per token and layer, forward:  4C² (Q, K, V, output projections) + 2CF (feed-forward) + 2TC (attention)
//   training step:                 3 × forward (backward costs about twice the forward)
//   evaluation pass:               half a training step per token (forward only, but less efficient than
//                                  training batches in our measurements)
//
// Evaluation happens every epoch on the dev split and on a sample of the training split (the
// trainer's `trainScoreSample`), and once on the test split and on each test crop.
//
// Calibration (engine-5, default profile, the 2-core machine, one thread): prom_300_tata with 1-mers
// (T = 302, 1,000 sequences, 4 epochs, whole test split) took 24 s (two seeds), 19 s of it training,
// about 40 GMAC/s; short-sequence runs take a few seconds, most of it fixed overhead. At
// `macsPerSecondPerThread` the tata run is estimated at about five times that (a test holds the
// estimate above twice the measurement, for a loaded or older node); cheap runs are overestimated
// more, their fixed overhead dominating.
// Threads beyond the first count `extraThreadEfficiency` each: small matrices split poorly.
// What a job asks for is twice the estimate (`timeLimit`), and `--time` overrides it.
import Foundation

public enum RunCostEstimate {
    /// Sustained multiply-adds per second on one thread; below what we measured, on purpose.
    public static let macsPerSecondPerThread = 12e9
    /// What each thread beyond the first adds, as a fraction of the first.
    public static let extraThreadEfficiency = 0.6
    /// Process start, reading and hashing the data, learning a BPE vocabulary, tokenizer statistics.
    public static let overheadSeconds = 30.0
    /// The trainer scores this many training examples per epoch (`TrainingSettings.trainScoreSample`).
    static let trainScoreSample = TrainingSettings(epochs: 1, batchSize: 1, optimizer: .paper).trainScoreSample

    /// What the estimate needs to know of a task: split sizes and the longest sequence.
    public struct TaskSize: Sendable {
        public var trainRows: Int
        public var devRows: Int
        public var testRows: Int
        /// Longest training sequence, in bases.
        public var longestBases: Int
        /// Rows and longest sequence of each extra test file a run scores (`Run.extraTests`).
        public var extraTests: [(rows: Int, longestBases: Int)]
        /// Classes of the task (the classifier's output width; `RunMemoryEstimate`).
        public var classes: Int

        public init(trainRows: Int, devRows: Int, testRows: Int, longestBases: Int, extraTests: [(rows: Int, longestBases: Int)] = [],
                    classes: Int = 2) {
            self.trainRows = trainRows
            self.devRows = devRows
            self.testRows = testRows
            self.longestBases = longestBases
            self.extraTests = extraTests
            self.classes = classes
        }

        /// The longest sequence is the longest of all three splits: batches are padded to their longest.
        public init(_ task: GUETask, extraTests: [DataSplit] = []) {
            self.init(trainRows: task.train.count, devRows: task.dev.count, testRows: task.test.count,
                      longestBases: task.splits.map(\.summary.longest).max()!,
                      extraTests: extraTests.map { ($0.count, $0.summary.longest) }, classes: task.classCount)
        }
    }

    /// Bases per token of the longest sequence, for its length in tokens. BPE's grows with the
    /// vocabulary and is lowest on short tasks. With BPE learned on each task's whole training split,
    /// the longest sequence of any split of tf/0, mouse/0, prom_core_all, prom_300_tata, splice and
    /// EMP/H3 (`genecoding tokenize`, 2026-11-30) had at least 2.5 bases a token at 256 entries, 2.9 at
    /// 512, 3.2 at 1,024, 3.5 at 2,048, 3.7 at 4,096 and 4.0 at 8,192 (the 70 and 101 bp tasks; the
    /// 300-500 bp ones 3.1 to 4.8). We take that low end, 2.5 at 256 and 0.3 more per doubling, which
    /// counts no sequence short and the longest tasks' about 20% long. A vocabulary file counts as
    /// 4,096 entries.
    static func basesPerToken(_ tokenizer: TokenizerSpec) -> Double {
        switch tokenizer {
        case let .kmer(k, overlapping): return overlapping ? 1 : Double(k)
        case let .bpe(size): return 2.5 + 0.3 * (Double.log2(Double(max(size, 2))) - 8)
        case .file: return basesPerToken(.bpe(vocabularySize: 4096))
        }
    }

    /// Tokens per model input (with [CLS] and [SEP]), as the longest training sequence makes them:
    /// batches are padded to their longest member, so the longest is the right length to count.
    public static func tokensPerSequence(_ run: Run, _ task: TaskSize) -> Int {
        tokens(run, bases: min(task.longestBases, run.trainCrop ?? .max))
    }

    static func tokens(_ run: Run, bases: Int) -> Int {
        min(Int((Double(bases) / basesPerToken(run.tokenizer)).rounded(.up)) + 2, run.maxTokens)
    }

    /// Multiply-adds of one training step on one token, over all layers.
    public static func trainingMACsPerToken(_ run: Run, tokens: Int) -> Double {
        let c = Double(run.width), f = Double(run.feedForwardWidth), t = Double(tokens)
        let forward = 4 * c * c + 2 * c * f + 2 * t * c
        return Double(run.layers) * 3 * forward
    }

    /// Estimated wall seconds of `run` on `threads` threads. A guess with a margin, not a measurement.
    public static func seconds(_ run: Run, task: TaskSize, threads: Int) -> Double {
        let train = min(task.trainRows, run.trainLimit ?? .max)
        let dev = min(task.devRows, run.devLimit ?? .max)
        let test = min(task.testRows, run.testLimit ?? .max)
        let trainedSequences = Double(run.epochs * train)
        let evaluatedSequences = Double(run.epochs * (min(train, trainScoreSample) + dev) + test * (1 + (run.testCrops?.count ?? 0)))
        let tokens = tokensPerSequence(run, task)
        var macs = (trainedSequences + 0.5 * evaluatedSequences) * Double(tokens) * trainingMACsPerToken(run, tokens: tokens)
        // Extra test sets are scored once, each at its own (often much longer) length.
        for extra in task.extraTests {
            let t = Self.tokens(run, bases: extra.longestBases)
            macs += 0.5 * Double(min(extra.rows, run.testLimit ?? .max)) * Double(t) * trainingMACsPerToken(run, tokens: t)
        }
        // Pretraining: its corpus trained for its epochs, the held-out corpus scored after each. Counted
        // in full although the seeds of a cell share one pretrained encoder: a time limit must hold
        // for the run that does the pretraining.
        if let p = run.pretraining {
            let corpus = Double(p.epochs * min(task.trainRows, p.corpusLimit ?? .max))
            macs += (corpus + 0.5 * Double(p.epochs * dev)) * Double(tokens) * trainingMACsPerToken(run, tokens: tokens)
        }
        return overheadSeconds + macs / (macsPerSecondPerThread * speedup(threads: threads))
    }

    /// The time limit to request for runs estimated at `seconds`: twice the estimate (a run killed
    /// at its limit loses up to an epoch, resumed from its checkpoint when resubmitted), rounded up
    /// to 5 minutes, at least 10 minutes.
    public static func timeLimit(forEstimate seconds: Double) -> Int {
        let doubled = Int((2 * seconds).rounded(.up))
        let step = 300
        return max(600, (doubled + step - 1) / step * step)
    }

    /// An estimate made for `fromThreads` threads, for `toThreads` threads (overhead unchanged).
    public static func rescale(_ seconds: Double, fromThreads: Int, toThreads: Int) -> Double {
        overheadSeconds + max(0, seconds - overheadSeconds) * speedup(threads: fromThreads) / speedup(threads: toThreads)
    }

    /// How many times faster than one thread `threads` threads compute.
    static func speedup(threads: Int) -> Double {
        1 + extraThreadEfficiency * Double(max(threads, 1) - 1)
    }
}
