// Executing runs: a result from the store when there is one, else data, tokenizer, training,
// checkpoints every epoch, and a record written atomically at the end.
//
// Learned BPE vocabularies are cached under results/tokenizers/ (keyed by task, size, training
// file hash and sample), so the many runs of one task share one vocabulary and never relearn it.
import Foundation

public struct RunFailure: Error, CustomStringConvertible {
    public let run: Run
    public let message: String
    public var description: String { "\(run.label): \(message)" }
}

public final class RunExecutor: @unchecked Sendable {
    public let gue: GUE
    public let store: ResultStore
    /// Called with one-line messages (run started, finished, reused, failed).
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Show a progress line per run (single-worker use); with several workers, plain lines only.
    public var showProgress = true
    /// Stop a run after this many epochs as if the process were killed (tests of resumption).
    var interruptAfterEpoch: Int? = nil

    private let lock = NSLock()
    private var tasks: [String: GUETask] = [:]
    private var tokenizers: [String: any Tokenizer] = [:]
    private var extraSplits: [String: DataSplit] = [:]
    private var fileHashes: [String: String] = [:]

    public init(gue: GUE, store: ResultStore) {
        self.gue = gue
        self.store = store
    }

    // MARK: data and tokenizers

    /// Task names starting with this ("synthetic:long-range/far-pair") are generated tasks (chapter 4's synthetic benchmark), read from
    /// the store's `synthetic/` folder in GUE's layout instead of from GUE.
    public static let syntheticPrefix = "synthetic:"
    public var syntheticRoot: URL { store.root.appendingPathComponent("synthetic", isDirectory: true) }

    public func task(_ name: String) throws -> GUETask {
        lock.lock(); defer { lock.unlock() }
        if let t = tasks[name] { return t }
        let t: GUETask
        if name.hasPrefix(Self.syntheticPrefix) {
            let local = try GUE(root: syntheticRoot).load(String(name.dropFirst(Self.syntheticPrefix.count)))
            t = try GUETask(name: name, folder: local.folder, train: local.train, dev: local.dev, test: local.test, provenance: local.provenance)
        } else {
            t = try gue.load(name)
        }
        tasks[name] = t
        return t
    }

    /// An extra test file of a task ("test-10000.csv" in its folder), read once.
    public func extraTest(_ file: String, of taskName: String) throws -> DataSplit {
        let t = try task(taskName)
        guard !file.contains("/"), file.hasSuffix(".csv") else {
            throw ConfigurationError(message: "extra test '\(file)': give the name of a .csv file in \(t.folder.path)")
        }
        let cacheKey = "\(taskName)#\(file)"
        lock.lock()
        if let split = extraSplits[cacheKey] { lock.unlock(); return split }
        lock.unlock()
        let split = try DataSplit(name: String(file.dropLast(4)), contentsOf: t.folder.appendingPathComponent(file))
        lock.lock(); extraSplits[cacheKey] = split; lock.unlock()
        return split
    }

    /// The labels of the examples a run was scored on, in order: its test split as capped by the run,
    /// or an extra test file of its task. (Cut to a length, the test split holds the same examples.)
    public func testLabels(_ run: Run, _ testSet: TestSet) throws -> [Int] {
        switch testSet {
        case .test: return Array(try task(run.task).test.rows.prefix(run.testLimit ?? Int.max).map(\.label))
        case let .extra(file): return Array(try extraTest(file, of: run.task).rows.prefix(run.testLimit ?? Int.max).map(\.label))
        }
    }

    /// File hashes a run's result depends on.
    public func dataHashes(_ run: Run) throws -> [String: String] {
        let t = try task(run.task)
        var hashes = ["train": t.train.sha256, "dev": t.dev.sha256, "test": t.test.sha256]
        for file in run.extraTests ?? [] { hashes[file] = try extraTest(file, of: run.task).sha256 }
        if case let .file(path) = run.tokenizer {
            // Hashed once per executor, like the data files it has loaded: keys are asked for often.
            lock.lock()
            let known = fileHashes[path]
            lock.unlock()
            let hash = try known ?? SHA256.hexDigest(ofFile: URL(fileURLWithPath: path))
            lock.lock(); fileHashes[path] = hash; lock.unlock()
            hashes["tokenizer"] = hash
        }
        return hashes
    }

    public func key(_ run: Run) throws -> String { run.key(dataHashes: try dataHashes(run)) }

    /// The tokenizer of a run: k-mers are made, files loaded, BPE learned once per task and cached.
    public func tokenizer(for run: Run) throws -> any Tokenizer {
        let t = try task(run.task)
        let cacheName: String
        switch run.tokenizer {
        case .kmer, .file:
            cacheName = "\(run.tokenizer)"
        case let .bpe(size):
            let sample = run.tokenizerTrainingLimit.map { "first\($0)" } ?? "all"
            cacheName = "\(run.task.replacingOccurrences(of: "/", with: "_"))-bpe\(size)-\(sample)-\(t.train.sha256.prefix(12)).json"
        }
        lock.lock()
        if let cached = tokenizers[cacheName] { lock.unlock(); return cached }
        lock.unlock()
        let made: any Tokenizer
        if case let .bpe(size) = run.tokenizer {
            made = try learnedBPE(cacheName, size: size, name: run.tokenizer.description, from: "\(run.task) training") {
                Array(t.train.rows.prefix(run.tokenizerTrainingLimit ?? Int.max).map(\.sequence))
            }
        } else {
            made = try run.tokenizer.makeTokenizer(trainingSequences: [])
        }
        lock.lock(); tokenizers[cacheName] = made; lock.unlock()
        return made
    }

    /// A BPE vocabulary of `size` entries kept under results/tokenizers/`cacheName`: read when it is
    /// there, else learned from `sequences()` (described as `from` in the log line) and written. The
    /// name must say everything the vocabulary depends on (task, size, sample, data hash).
    public func learnedBPE(_ cacheName: String, size: Int, name: String, from: String,
                           sequences: () -> [String]) throws -> BPETokenizer {
        let url = store.tokenizersDirectory.appendingPathComponent(cacheName)
        if FileManager.default.fileExists(atPath: url.path), let loaded = try? BPETokenizer(contentsOf: url, name: name) {
            return loaded
        }
        let training = sequences()
        let started = Date()
        let learned = try BPETrainer(vocabularySize: size).train(training, name: name)
        try learned.write(to: url)
        log(String(format: "learned %@ on %d %@ sequences in %.1f s -> %@", name, training.count, from,
                   Date().timeIntervalSince(started), url.path))
        return learned
    }

    // MARK: one run

    /// The record of `run`: from the store, or computed now. Failures (a diverged loss) are recorded.
    @discardableResult
    public func execute(_ run: Run, threads: Int = ComputeThreads.count) throws -> RunRecord {
        let key = try key(run)
        switch store.lookup(key) {
        case var .found(record):
            record.run = run  // as asked for (see executeAll)
            return record
        case let .unreadable(reason):
            log("\(store.recordURL(key).path) is not a readable result (\(reason)); running \(run.label) again")
        case .missing:
            break
        }
        let started = Date()
        let t = try task(run.task)
        let tokenizer = try tokenizer(for: run)
        let hashes = try dataHashes(run)

        // Splits: capped to their first rows, training (and dev) sequences cut to trainCrop bases.
        func rows(_ split: DataSplit, _ limit: Int?) -> [LabeledSequence] { Array(split.rows.prefix(limit ?? Int.max)) }
        func crop(_ s: String, _ bases: Int?) -> String { bases.map { String(s.prefix($0)) } ?? s }
        var truncated: [String: Int] = [:]
        var longest = 2
        func encode(_ name: String, _ rows: [LabeledSequence], crop bases: Int?) throws -> EncodedSplit {
            var sequences: [[Int32]] = [], cut = 0
            for row in rows {
                var ids = try tokenizer.encode(crop(row.sequence, bases))
                if ids.count > run.maxTokens - 2 { ids.removeLast(ids.count - (run.maxTokens - 2)); cut += 1 }
                sequences.append([SpecialToken.classification.rawValue] + ids + [SpecialToken.separator.rawValue])
                longest = max(longest, ids.count + 2)
            }
            if cut > 0 { truncated[name] = cut }
            return EncodedSplit(sequences: sequences, labels: rows.map(\.label))
        }
        let train = try encode("train", rows(t.train, run.trainLimit), crop: run.trainCrop)
        let dev = try encode("dev", rows(t.dev, run.devLimit), crop: run.trainCrop)
        let testRows = rows(t.test, run.testLimit)
        let test = try encode("test", testRows, crop: run.trainCrop)
        let croppedTests = try (run.testCrops ?? []).map { bases in (bases, try encode("test@\(bases)", testRows, crop: bases)) }
        let extraTests = try (run.extraTests ?? []).map { file -> (String, Double, EncodedSplit) in
            let extraRows = rows(try extraTest(file, of: run.task), run.testLimit)
            let bases = Double(extraRows.reduce(0) { $0 + $1.sequence.count }) / Double(max(extraRows.count, 1))
            return (file, bases, try encode(file, extraRows, crop: nil))
        }

        // A pretrained encoder fixes the learned-position table at maxTokens rows, so both models use that.
        let configuration = ModelConfiguration(
            vocabularySize: tokenizer.vocabularySize, classCount: t.classCount,
            maxLength: run.pretraining == nil ? longest : max(longest, run.maxTokens), width: run.width,
            heads: run.heads, feedForwardWidth: run.feedForwardWidth, layers: run.layers, positionEncoding: run.positionEncoding,
            normPlacement: run.normPlacement, pooling: run.pooling, dropout: run.dropout, causal: run.causal)
        let model = try TransformerClassifier<Float>(configuration, seed: run.seed)
        var pretrainingRecord: PretrainingRecord? = nil
        if run.pretraining != nil {
            let (pretrained, record) = try pretrainedEncoder(for: run)
            // Fresh initialisation comes first (above), so the head and pooler start as a scratch run's.
            pretrainingRecord = record
            pretrainingRecord!.transferred = try transferEncoder(from: pretrained.parameters, to: model)
        }
        let settings = TrainingSettings(epochs: run.epochs, batchSize: run.batchSize, optimizer: run.optimizer)
        let trainer = try Trainer(model: model, settings: settings, seed: run.seed, train: train, dev: dev, test: test)

        // Resume from the last epoch's checkpoint, if this run was interrupted.
        let directory = store.checkpointDirectory(key)
        let order = model.parameters.all.map(\.name)
        let shapes = Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.name, $0.value.shape) })
        let resumed = Checkpoint.loadState(key: key, order: order, shapes: shapes, from: directory)
        if let resumed { log("resuming \(run.label) after epoch \(resumed.epochsDone) of \(run.epochs)") }

        let reporter = ProgressReporter(label: run.label, totalSteps: trainer.totalSteps, totalEpochs: run.epochs,
                                        startStep: resumed?.step ?? 0, interval: 10,
                                        isTerminal: showProgress && isatty(STDERR_FILENO) == 1,
                                        clock: { ProcessInfo.processInfo.systemUptime },
                                        sink: { FileHandle.standardError.write(Data($0.utf8)) },
                                        width: { ProgressReporter.terminalWidth() })
        var record = RunRecord(key: key, run: run, status: .done, failure: nil, outcome: nil, croppedTests: nil,
                               tokenizerStatistics: nil, vocabularySize: tokenizer.vocabularySize, maxLength: longest,
                               truncated: truncated, parameters: model.parameters.count, taskNote: t.provenance,
                               dataHashes: hashes, engineVersion: engineVersion,
                               commit: Git.commit(),
                               threads: threads, wallSeconds: 0, finished: Date())
        record.pretraining = pretrainingRecord
        do {
            let interruptAfter = interruptAfterEpoch
            let outcome = try trainer.run(resumingFrom: resumed, progress: { p in
                reporter.update(step: p.step, epoch: p.epoch, loss: p.loss, tokens: p.tokens)
            }, checkpoint: { state in
                try Checkpoint.saveState(state, key: key, order: order, to: directory)
                if let interruptAfter, state.epochsDone >= interruptAfter { throw RunInterrupted(epochsDone: state.epochsDone) }
            })
            reporter.finish()
            record.outcome = outcome
            // The trainer leaves the best-on-dev parameters in the model.
            record.croppedTests = croppedTests.map { bases, split in
                CroppedScore(bases: bases, meanTokens: Double(split.tokenCount) / Double(max(split.count, 1)),
                             scores: trainer.evaluate(split).scores)
            }
            if !extraTests.isEmpty {
                record.extraTests = extraTests.map { file, bases, split in
                    ExtraTestScore(file: file, meanBases: bases, meanTokens: Double(split.tokenCount) / Double(max(split.count, 1)),
                                   scores: trainer.evaluate(split, batchSize: Self.evaluationBatch(longest: split.sequences.map(\.count).max() ?? 1)).scores)
                }
            }
            try Checkpoint.saveModel(model, run: run, key: key, to: directory)
            if let bpe = tokenizer as? BPETokenizer {
                try bpe.write(to: directory.appendingPathComponent(Checkpoint.tokenizerFile))
            }
        } catch let error as TrainingError {
            reporter.finish()
            record.status = .failed
            record.failure = error.description
            log("FAILED \(run.label): \(error)")
        }
        record.tokenizerStatistics = try TokenizerStatistics(tokenizer: tokenizer, sequences: rows(t.train, run.trainLimit).map(\.sequence))
        record.wallSeconds = Date().timeIntervalSince(started)
        record.finished = Date()
        try store.save(record)
        // What the caller gets is what the store holds (JSON keeps dates to the second).
        return store.record(key) ?? record
    }

    // MARK: pretraining

    /// What decides a pretrained encoder: everything of the run that shapes the encoder or its data,
    /// and nothing of the fine-tuning (seed, epochs, learning rate, head, data caps).
    struct PretrainingInputs: Codable {
        var pretraining: Pretraining
        var task: String
        var tokenizer: TokenizerSpec
        var tokenizerTrainingLimit: Int?
        var positionEncoding: PositionEncoding
        var layers: Int, width: Int, heads: Int, feedForwardWidth: Int
        var normPlacement: NormPlacement
        var causal: Bool
        var dropout: Double
        var maxTokens: Int
        var dataHashes: [String: String]

        init(_ run: Run, _ spec: Pretraining, dataHashes: [String: String]) {
            pretraining = spec; task = run.task; tokenizer = run.tokenizer; tokenizerTrainingLimit = run.tokenizerTrainingLimit
            positionEncoding = run.positionEncoding; layers = run.layers; width = run.width; heads = run.heads
            feedForwardWidth = run.feedForwardWidth; normPlacement = run.normPlacement; causal = run.causal
            dropout = run.dropout; maxTokens = run.maxTokens
            // The corpus is the training split, the held-out corpus the dev split.
            self.dataHashes = dataHashes.filter { ["train", "dev", "tokenizer"].contains($0.key) }
        }
    }

    public var pretrainedDirectory: URL { store.root.appendingPathComponent("pretrained", isDirectory: true) }
    private var pretrainingLocks: [String: NSLock] = [:]

    /// The key of the pretrained encoder a run starts from (nil when it is not pretrained).
    public func pretrainingKey(_ run: Run) throws -> String? {
        guard let spec = run.pretraining else { return nil }
        return ResultStore.key(of: PretrainingInputs(run, spec, dataHashes: try dataHashes(run)))
    }

    /// The pretrained masked-language model a run starts from: loaded from results/pretrained/<key>/
    /// when it is finished there, else trained now (resuming from its last epoch's checkpoint). One
    /// caller at a time per key, so that two workers never pretrain the same encoder side by side.
    func pretrainedEncoder(for run: Run) throws -> (MaskedLanguageModel<Float>, PretrainingRecord) {
        guard let spec = run.pretraining, let key = try pretrainingKey(run) else { preconditionFailure("\(run.label) is not pretrained") }
        lock.lock()
        let keyLock = pretrainingLocks[key] ?? NSLock()
        pretrainingLocks[key] = keyLock
        lock.unlock()
        keyLock.lock(); defer { keyLock.unlock() }

        let t = try task(run.task)
        let tokenizer = try tokenizer(for: run)
        let directory = pretrainedDirectory.appendingPathComponent(key, isDirectory: true)
        let recordURL = directory.appendingPathComponent("pretraining.json")
        // The encoder as the fine-tuned classifier will have it; classCount does not touch the encoder.
        let configuration = ModelConfiguration(
            vocabularySize: tokenizer.vocabularySize, classCount: 2, maxLength: run.maxTokens, width: run.width, heads: run.heads,
            feedForwardWidth: run.feedForwardWidth, layers: run.layers, positionEncoding: run.positionEncoding,
            normPlacement: run.normPlacement, pooling: run.pooling, dropout: run.dropout, causal: run.causal)
        let seed = RandomSource.derive(spec.seed, 0x9E7A)
        let model = MaskedLanguageModel(encoder: try TransformerClassifier<Float>(configuration, seed: seed), seed: seed)
        let order = model.parameters.all.map(\.name)
        let shapes = Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.name, $0.value.shape) })

        if let data = FileManager.default.contents(atPath: recordURL.path),
           let record = try? ResultStore.decoder.decode(PretrainingRecord.self, from: data),
           let state = Checkpoint.loadState(key: key, order: order, shapes: shapes, from: directory), state.epochsDone == spec.epochs {
            model.parameters.restore(state.parameters)
            return (model, record)
        }
        // Not stored yet: tokenize the corpora (unlabelled) and pretrain.
        let corpus = try t.train.rows.prefix(spec.corpusLimit ?? Int.max).map { try tokenizer.encodeForModel($0.sequence, maxLength: run.maxTokens) }
        let heldOut = try t.dev.rows.prefix(run.devLimit ?? Int.max).map { try tokenizer.encodeForModel($0.sequence, maxLength: run.maxTokens) }
        let settings = PretrainingSettings(epochs: spec.epochs, batchSize: spec.batchSize,
                                           optimizer: OptimizerSettings(learningRate: spec.learningRate, weightDecay: run.optimizer.weightDecay),
                                           maskProbability: spec.maskProbability)
        let pretrainer = try Pretrainer(model: model, settings: settings, seed: seed, corpus: corpus, heldOut: heldOut)
        let resumed = Checkpoint.loadState(key: key, order: order, shapes: shapes, from: directory)
        if let resumed { log("resuming pretraining for \(run.label) after epoch \(resumed.epochsDone) of \(spec.epochs)") }
        log("pretraining \(run.task) \(run.tokenizer) \(run.positionEncoding.rawValue) on \(corpus.count) sequences (\(Format.plural(spec.epochs, "epoch")))")
        let outcome = try pretrainer.run(resumingFrom: resumed, checkpoint: { state in
            try Checkpoint.saveState(state, key: key, order: order, to: directory)
        })
        let record = PretrainingRecord(key: key, corpusSequences: corpus.count, corpusTokens: corpus.reduce(0) { $0 + $1.count - 2 },
                                       heldOutSequences: heldOut.count, heldOutLoss: outcome.epochs.map(\.heldOutLoss),
                                       heldOutAccuracy: outcome.epochs.map(\.heldOutAccuracy),
                                       frequencyBaseline: outcome.frequencyBaselineAccuracy, steps: outcome.steps,
                                       trainingSeconds: outcome.trainingSeconds, tokensPerSecond: outcome.tokensPerSecond, transferred: [])
        try AtomicFile.write(try ResultStore.encoder.encode(record), to: recordURL.path)
        log(String(format: "pretrained %@ %@ %@: held-out masked accuracy %.3f (most frequent token %.3f) in %.0f s", run.task,
                   run.tokenizer.description, run.positionEncoding.rawValue, outcome.epochs.last?.heldOutAccuracy ?? .nan,
                   outcome.frequencyBaselineAccuracy, outcome.trainingSeconds))
        return (model, record)
    }

    /// Sequences scored at once: 64, fewer for long sequences so that a batch's attention
    /// probabilities (B x H x T² per layer) stay near 64 sequences of 512 tokens.
    static func evaluationBatch(longest: Int) -> Int { max(1, min(64, 64 * 512 * 512 / max(longest * longest, 1))) }

    // MARK: many runs

    /// Runs every run not yet in the store, `workers` at a time with `threadsPerRun` threads each,
    /// and returns all records in the order given. A failed run is recorded and the others go on.
    /// `RunCostEstimate` of a run on this executor's data (its task and extra test files).
    public func estimatedSeconds(_ run: Run, threads: Int) throws -> Double {
        let size = RunCostEstimate.TaskSize(try task(run.task),
                                            extraTests: try (run.extraTests ?? []).map { try extraTest($0, of: run.task) })
        return RunCostEstimate.seconds(run, task: size, threads: threads)
    }

    public func executeAll(_ runs: [Run], workers: Int, threadsPerRun: Int) throws -> [RunRecord] {
        ComputeThreads.set(threadsPerRun)
        let keys = try runs.map { try key($0) }
        var pending: [Int] = []
        var seen = Set<String>()
        for (i, k) in keys.enumerated() where store.record(k) == nil && seen.insert(k).inserted { pending.append(i) }
        log("\(runs.count) runs: \(runs.count - pending.count) in the store, \(pending.count) to run "
            + "(\(workers) at a time, \(threadsPerRun) thread\(threadsPerRun == 1 ? "" : "s") each)")
        // Dearest first (longest-processing-time scheduling): a 12-minute run started last would leave
        // one worker idle for its whole length. The order changes nothing in any result.
        let estimates = try Dictionary(uniqueKeysWithValues: pending.map { ($0, try estimatedSeconds(runs[$0], threads: threadsPerRun)) })
        pending.sort { (estimates[$0]!, $1) > (estimates[$1]!, $0) }
        // Learn every vocabulary first, once, so that workers never learn the same one side by side.
        for i in pending { _ = try tokenizer(for: runs[i]) }
        showProgress = workers == 1
        // Then every pretrained encoder the pending runs start from, each once, workers at a time; the
        // fine-tuning runs below then load them. (Otherwise the seeds of one cell, which come one after
        // the other, would wait on each other's pretraining.)
        var pretrainings: [Run] = [], pretrainingKeys = Set<String>()
        for i in pending { if let k = try pretrainingKey(runs[i]), pretrainingKeys.insert(k).inserted { pretrainings.append(runs[i]) } }
        if !pretrainings.isEmpty {
            log("\(Format.plural(pretrainings.count, "pretrained encoder")) to prepare")
            let cursorLock = NSLock()
            var index = 0
            var failures: [Error] = []
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, pretrainings.count))) { _ in
                while true {
                    cursorLock.lock()
                    guard index < pretrainings.count else { cursorLock.unlock(); return }
                    let run = pretrainings[index]
                    index += 1
                    cursorLock.unlock()
                    do { _ = try pretrainedEncoder(for: run) } catch {
                        cursorLock.lock(); failures.append(error); cursorLock.unlock()
                        log("ERROR pretraining for \(run.label): \(error)")
                    }
                }
            }
            if let first = failures.first { throw first }
        }
        let next = NSLock()
        var cursor = 0, done = 0
        var errors: [Error] = []
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, pending.count))) { _ in
            while true {
                next.lock()
                guard cursor < pending.count else { next.unlock(); return }
                let run = runs[pending[cursor]]
                cursor += 1
                next.unlock()
                do {
                    let record = try execute(run, threads: threadsPerRun)
                    next.lock()
                    done += 1
                    let line = String(format: "[%d/%d] %@: test MCC %@ (%.0f s; %.0f s elapsed)", done, pending.count, run.label,
                                      record.outcome.map { String(format: "%.3f", $0.test.mcc) } ?? "failed",
                                      record.wallSeconds, Date().timeIntervalSince(started))
                    next.unlock()
                    log(line)
                } catch {
                    next.lock(); errors.append(error); next.unlock()
                    log("ERROR \(run.label): \(error)")
                }
            }
        }
        if let first = errors.first { throw first }
        // Each record carries the run as asked for: a stored one may name the same tokenizer file in
        // another folder, or another profile, neither of which is part of the key.
        return try zip(keys, runs).map { k, run in
            guard var r = store.record(k) else { throw RunFailure(run: run, message: "no result was stored") }
            r.run = run
            return r
        }
    }
}

/// Thrown by the checkpoint hook in tests to stop a run as a kill would.
struct RunInterrupted: Error { let epochsDone: Int }
