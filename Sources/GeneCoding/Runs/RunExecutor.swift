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

    public init(gue: GUE, store: ResultStore) {
        self.gue = gue
        self.store = store
    }

    // MARK: data and tokenizers

    public func task(_ name: String) throws -> GUETask {
        lock.lock(); defer { lock.unlock() }
        if let t = tasks[name] { return t }
        let t = try gue.load(name)
        tasks[name] = t
        return t
    }

    /// File hashes a run's result depends on.
    public func dataHashes(_ run: Run) throws -> [String: String] {
        let t = try task(run.task)
        var hashes = ["train": t.train.sha256, "dev": t.dev.sha256, "test": t.test.sha256]
        if case let .file(path) = run.tokenizer {
            hashes["tokenizer"] = try SHA256.hexDigest(ofFile: URL(fileURLWithPath: path))
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
        if case .bpe = run.tokenizer {
            let url = store.tokenizersDirectory.appendingPathComponent(cacheName)
            if FileManager.default.fileExists(atPath: url.path), let loaded = try? BPETokenizer(contentsOf: url, name: run.tokenizer.description) {
                made = loaded
            } else {
                let sequences = t.train.rows.prefix(run.tokenizerTrainingLimit ?? Int.max).map(\.sequence)
                let started = Date()
                let learned = try run.tokenizer.makeTokenizer(trainingSequences: Array(sequences)) as! BPETokenizer
                try learned.write(to: url)
                log(String(format: "learned %@ on %d %@ training sequences in %.1f s -> %@", run.tokenizer.description,
                           sequences.count, run.task, Date().timeIntervalSince(started), url.path))
                made = learned
            }
        } else {
            made = try run.tokenizer.makeTokenizer(trainingSequences: [])
        }
        lock.lock(); tokenizers[cacheName] = made; lock.unlock()
        return made
    }

    // MARK: one run

    /// The record of `run`: from the store, or computed now. Failures (a diverged loss) are recorded.
    @discardableResult
    public func execute(_ run: Run, threads: Int = ComputeThreads.count) throws -> RunRecord {
        let key = try key(run)
        switch store.lookup(key) {
        case let .found(record):
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

        let configuration = ModelConfiguration(
            vocabularySize: tokenizer.vocabularySize, classCount: t.classCount, maxLength: longest, width: run.width,
            heads: run.heads, feedForwardWidth: run.feedForwardWidth, layers: run.layers, positionEncoding: run.positionEncoding,
            normPlacement: run.normPlacement, pooling: run.pooling, dropout: run.dropout, causal: run.causal)
        let model = try TransformerClassifier<Float>(configuration, seed: run.seed)
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
                               commit: Provenance.gitCommit(of: FileManager.default.currentDirectoryPath),
                               threads: threads, wallSeconds: 0, finished: Date())
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

    // MARK: many runs

    /// Runs every run not yet in the store, `workers` at a time with `threadsPerRun` threads each,
    /// and returns all records in the order given. A failed run is recorded and the others go on.
    public func executeAll(_ runs: [Run], workers: Int, threadsPerRun: Int) throws -> [RunRecord] {
        ComputeThreads.set(threadsPerRun)
        let keys = try runs.map { try key($0) }
        var pending: [Int] = []
        var seen = Set<String>()
        for (i, k) in keys.enumerated() where store.record(k) == nil && seen.insert(k).inserted { pending.append(i) }
        log("\(runs.count) runs: \(runs.count - pending.count) in the store, \(pending.count) to run "
            + "(\(workers) at a time, \(threadsPerRun) thread\(threadsPerRun == 1 ? "" : "s") each)")
        // Learn every vocabulary first, once, so that workers never learn the same one side by side.
        for i in pending { _ = try tokenizer(for: runs[i]) }
        showProgress = workers == 1
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
        return try keys.map { k in
            guard let r = store.record(k) else { throw RunFailure(run: runs[keys.firstIndex(of: k)!], message: "no result was stored") }
            return r
        }
    }
}

/// Thrown by the checkpoint hook in tests to stop a run as a kill would.
struct RunInterrupted: Error { let epochsDone: Int }
