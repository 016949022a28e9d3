// Executing runs: a result from the store when there is one, else the run's steps, each a function
// below: read and encode the splits; make the model; train with a checkpoint every epoch; finish.
//
// Every run is checked first (`Run.validated`): no setting reaches the engine unless it can work.
//
// A kill at any instant leaves either a resumable checkpoint or the finished result. Finishing
// writes the model files, then the record (each atomically, synced to disk), and removes the
// checkpoint's state only after both: killed before the record, the run resumes from the state of
// its last epoch and finishes again to the same bytes; killed after it, the record is the result
// and the leftover state is removed when the record is next read.
//
// A checkpoint is trusted only when its checksum, counters and values check out (Checkpoint.swift).
// A damaged one is reported (the file named), set aside, and the run starts again from scratch:
// from scratch rather than from an older epoch, because a second state file per run would double
// the disk every running run takes (a state is four copies of the parameters, about 1.4 GB for the
// paper's 12-layer model) for a case that needs a damaged disk or a person editing the file, and
// from scratch the result is certain to be the one an uninterrupted run gives. For the same
// certainty a run that diverges after resuming is run again from scratch before it is stored as
// failed: only a run that diverges from scratch is.
//
// Times: `outcome.trainingSeconds` (and tokens/s) counts the training of the epochs the result
// comes from, each once: an epoch cut by a kill is redone and only its finished pass counts. The
// record's `wallSeconds` likewise counts every process that led to the result, up to its last
// checkpoint, plus the process that finished it. So a resumed run records the same quantities an
// uninterrupted one does (each process's start-up, data loading, is counted again).
//
// Learned BPE vocabularies are cached under results/tokenizers/ (keyed by task, size, training
// file hash and sample), so the many runs of one task share one vocabulary and never relearn it.
//
// What training keeps for backward (`MemoryMode`) is the executor's `memoryMode`, else
// GENECODING_MEMORY, else keepAll; `auto` picks per run the fastest mode whose memory request fits
// (MemoryModeChoice.swift). It changes no result, so it is not in the key; the record notes the mode
// of the process that finished the run.
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
    /// Run again a run whose stored record says it failed, instead of returning that record
    /// (`genecoding train --retry-failed`; a chapter's option).
    public var retryFailed = false
    /// What training keeps for backward: a mode, or `auto` (see the header); nil: GENECODING_MEMORY,
    /// else keepAll. Results are the same in every mode.
    public var memoryMode: MemoryModeChoice? = nil
    /// Stop a run after this many epochs as if the process were killed (tests of resumption).
    var interruptAfterEpoch: Int? = nil
    /// Called at each step of finishing; a test throws from it to stop there as a kill would.
    var atFinishingStep: ((FinishingStep) throws -> Void)? = nil

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

    /// A task by name (any spelling `Run.normalizedTaskName` accepts), read once.
    public func task(_ given: String) throws -> GUETask {
        let name = (try? Run.normalizedTaskName(given)) ?? given
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
        case .test: return try evaluationRows(run).map(\.label)
        case let .extra(file): return try evaluationRows(run, extraTest: file).map(\.label)
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
            let hash = try known ?? Self.hashTokenizerFile(path)
            lock.lock(); fileHashes[path] = hash; lock.unlock()
            hashes["tokenizer"] = hash
        }
        return hashes
    }

    /// SHA-256 of a tokenizer file, or an error that names the file and says what is wrong with it.
    static func hashTokenizerFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such tokenizer file (give kmer:K, bpe:SIZE or the path of a Hugging Face tokenizer.json)")
        }
        guard !isDirectory.boolValue else { throw InputError(file: path, "is a folder; give the path of a tokenizer.json file") }
        do { return try SHA256.hexDigest(ofFile: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot be read: \(error.localizedDescription)")
        }
    }

    /// The result-store key of a run (checked first: an invalid run has no key).
    public func key(_ run: Run) throws -> String {
        let run = try run.validated()
        return run.key(dataHashes: try dataHashes(run))
    }

    /// The tokenizer of a run: k-mers are made, files loaded, BPE learned once per task and cached.
    public func tokenizer(for run: Run) throws -> any Tokenizer {
        let t = try task(run.task)
        let cacheName: String
        switch run.tokenizer {
        case .kmer, .file:
            cacheName = "\(run.tokenizer)"
        case let .bpe(size):
            let sample = run.tokenizerTrainingLimit.map { "sample\($0)" } ?? "all"
            cacheName = "\(run.task.replacingOccurrences(of: "/", with: "_"))-bpe\(size)-\(sample)-\(t.train.sha256.prefix(12)).json"
        }
        lock.lock()
        if let cached = tokenizers[cacheName] { lock.unlock(); return cached }
        lock.unlock()
        let made: any Tokenizer
        if case let .bpe(size) = run.tokenizer {
            made = try learnedBPE(cacheName, size: size, name: run.tokenizer.description, from: "\(run.task) training") {
                Subsets.rows(t.train, limit: run.tokenizerTrainingLimit, seed: Subsets.corpusSeed).map(\.sequence)
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

    /// The most threads a run may ask for: far more than any machine we run on has cores, few enough
    /// that a typo (`--threads 100000`) is refused instead of starting a thread per unit.
    public static let largestThreadCount = 1024

    /// Checks the parallelism a caller asks for: `workers` runs side by side with `threads` each.
    /// The command line, manifests and chapters all come through here.
    public static func validate(workers: Int = 1, threads: Int) throws {
        var problems: [String] = []
        if !(1...largestThreadCount).contains(threads) {
            problems.append("threads is \(threads): give a whole number from 1 to \(largestThreadCount)")
        }
        if !(1...largestThreadCount).contains(workers) {
            problems.append("workers is \(workers): give a whole number from 1 to \(largestThreadCount)")
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    /// The record of `run`: from the store, or computed now. A run that diverges is recorded as
    /// failed, with the reason; `retryFailed` runs it again.
    @discardableResult
    public func execute(_ run: Run, threads: Int = ComputeThreads.count) throws -> RunRecord {
        let asked = run
        let run = try run.validated()
        try Self.validate(threads: threads)
        let key = try key(run)
        if var stored = storedResult(of: run, key: key) {
            stored.run = asked  // as asked for (see executeAll)
            return stored
        }
        let started = Date()
        let task = try task(run.task)
        let tokenizer = try tokenizer(for: run)
        let mode = try chosenMemoryMode(run, threads: threads)
        let splits = try encodedSplits(of: run, task: task, tokenizer: tokenizer)
        let trained = try trainWithCheckpoints(run, key: key, task: task, tokenizer: tokenizer, splits: splits, started: started,
                                               memoryMode: mode)
        return try finish(run, key: key, task: task, tokenizer: tokenizer, splits: splits, trained: trained, threads: threads)
    }

    /// The memory mode `run` trains in: the one asked for, or with `auto` the fastest whose request
    /// fits the memory available (logged with the figures it was chosen by).
    public func chosenMemoryMode(_ run: Run, threads: Int) throws -> MemoryMode {
        switch try memoryMode ?? MemoryModeChoice.fromEnvironment() ?? .fixed(.keepAll) {
        case let .fixed(mode):
            return mode
        case .auto:
            let request = try memoryRequest(run, threads: threads)
            let available = MemoryModeChoice.availableMemory()
            let requests = MemoryMode.fastestFirst.compactMap { mode in request.inMode(mode).map { (mode, $0) } }
            let (mode, fits) = MemoryModeChoice.fastestFitting(requests, available: available.bytes)
            log("\(run.label): memory mode \(mode.rawValue) (\(mode.summary)); requests "
                + requests.map { "\($0.0.rawValue) \(Format.bytes($0.1.requestBytes))" }.joined(separator: ", ")
                + " against \(Format.bytes(available.bytes)), \(available.source)"
                + (fits ? "" : "; none fits, so the one that needs least"))
            return mode
        }
    }

    /// The stored record of a run, unless there is none, it cannot be read, or it failed and
    /// `retryFailed` is set. A checkpoint left beside a stored result (a kill between writing the
    /// record and removing the state) is removed here.
    private func storedResult(of run: Run, key: String) -> RunRecord? {
        switch store.lookup(key) {
        case let .found(record):
            if record.status == .failed, retryFailed {
                log("retrying \(run.label), stored as failed: \(record.failure ?? "no reason recorded")")
                return nil
            }
            Checkpoint.removeState(from: store.checkpointDirectory(key))
            return record
        case let .unreadable(reason):
            log("\(store.recordURL(key).path) is not a readable result (\(reason)); running \(run.label) again")
            return nil
        case .missing:
            return nil
        }
    }

    // MARK: step 1: the splits

    /// A run's splits, tokenized and framed for the model.
    struct RunSplits {
        var train: EncodedSplit, dev: EncodedSplit, test: EncodedSplit
        /// The test split cut to each of `run.testCrops` bases.
        var croppedTests: [(bases: Int, split: EncodedSplit)]
        /// Each of `run.extraTests`, with its mean length in bases.
        var extraTests: [(file: String, meanBases: Double, split: EncodedSplit)]
        /// The training sequences as read (for the tokenizer's statistics).
        var trainingSequences: [String]
        /// Longest encoded input over every split, [CLS] and [SEP] included: the model's maxLength.
        var longest: Int
        /// Longest encoded input of the splits trained and selected on (train and dev).
        var longestTrained: Int
        /// Sequences cut to fit maxTokens, per split.
        var truncated: [String: Int]
    }

    /// The training rows of a run: its seeded sample of `trainLimit` rows (Data/Subsets.swift).
    public func trainingRows(_ run: Run) throws -> [LabeledSequence] {
        Subsets.rows(try task(run.task).train, limit: run.trainLimit, seed: Subsets.trainingSeed(run.seed))
    }

    /// The dev rows every run of a task is selected on: the fixed sample of `devLimit` rows.
    public func devRows(_ run: Run) throws -> [LabeledSequence] {
        Subsets.rows(try task(run.task).dev, limit: run.devLimit, seed: Subsets.devSeed)
    }

    /// The rows a run is scored on, in the order of its predictions: the fixed sample of `testLimit`
    /// rows of the test split (cut to a length they are the same examples), or of an extra test file.
    public func evaluationRows(_ run: Run, extraTest file: String? = nil) throws -> [LabeledSequence] {
        let split = try file.map { try extraTest($0, of: run.task) } ?? task(run.task).test
        return Subsets.rows(split, limit: run.testLimit, seed: Subsets.testSeed)
    }

    /// Reads the run's rows of each split (the samples above; training and dev sequences cut to
    /// `trainCrop` bases) and encodes them, with the test crops and extra test files. Everything about
    /// which rows a run uses is decided here and in the three functions above.
    func encodedSplits(of run: Run, task t: GUETask, tokenizer: any Tokenizer) throws -> RunSplits {
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
        let trainRows = try trainingRows(run)
        let train = try encode("train", trainRows, crop: run.trainCrop)
        let dev = try encode("dev", try devRows(run), crop: run.trainCrop)
        let longestTrained = longest
        let testRows = try evaluationRows(run)
        let test = try encode("test", testRows, crop: run.trainCrop)
        let croppedTests = try (run.testCrops ?? []).map { bases in (bases, try encode("test@\(bases)", testRows, crop: bases)) }
        let extraTests = try (run.extraTests ?? []).map { file -> (String, Double, EncodedSplit) in
            let extraRows = try evaluationRows(run, extraTest: file)
            let bases = Double(extraRows.reduce(0) { $0 + $1.sequence.count }) / Double(max(extraRows.count, 1))
            return (file, bases, try encode(file, extraRows, crop: nil))
        }
        return RunSplits(train: train, dev: dev, test: test, croppedTests: croppedTests, extraTests: extraTests,
                         trainingSequences: trainRows.map(\.sequence), longest: longest, longestTrained: longestTrained,
                         truncated: truncated)
    }

    // MARK: step 2: the model

    /// The run's classifier, freshly initialised from its seed (the pretrained encoder copied in when
    /// the run is pretrained). Refused, before anything is allocated, when training it at the run's
    /// batch size and longest input would need more memory than this machine has.
    func makeModel(_ run: Run, task t: GUETask, tokenizer: any Tokenizer, splits: RunSplits, memoryMode: MemoryMode)
        throws -> (model: TransformerClassifier<Float>, pretraining: PretrainingRecord?)
    {
        // A pretrained encoder fixes the learned-position table at maxTokens rows, so both models use that.
        let configuration = ModelConfiguration(
            vocabularySize: tokenizer.vocabularySize, classCount: t.classCount,
            maxLength: run.pretraining == nil ? splits.longest : max(splits.longest, run.maxTokens), width: run.width,
            heads: run.heads, feedForwardWidth: run.feedForwardWidth, layers: run.layers, positionEncoding: run.positionEncoding,
            normPlacement: run.normPlacement, pooling: run.pooling, dropout: run.dropout, causal: run.causal)
        do {
            try configuration.validateTraining(batchSize: run.batchSize, tokens: splits.longestTrained, memoryMode: memoryMode)
        } catch let error as ConfigurationError {
            throw RunFailure(run: run, message: error.message)
        }
        let model = try TransformerClassifier<Float>(configuration, seed: run.seed)
        model.memoryMode = memoryMode
        guard run.pretraining != nil else { return (model, nil) }
        var (pretrained, record) = try pretrainedEncoder(for: run, memoryMode: memoryMode)
        // Fresh initialisation comes first (above), so the head and pooler start as a scratch run's.
        record.transferred = try transferEncoder(from: pretrained.parameters, to: model)
        return (model, record)
    }

    // MARK: step 3: training, with a checkpoint every epoch

    /// What training left: the model (holding the best-on-dev parameters when it succeeded), the
    /// trainer, and the outcome or the reason it diverged.
    struct Trained {
        var model: TransformerClassifier<Float>
        var trainer: Trainer
        var pretraining: PretrainingRecord?
        var result: Result<TrainingOutcome, TrainingError>
        /// Wall seconds of the earlier processes that led to the checkpoint this one resumed from.
        var earlierSeconds: Double
        /// When this process's work on the run began.
        var started: Date
        /// What this process's training kept for backward.
        var memoryMode: MemoryMode
    }

    /// Trains the run, resuming from its checkpoint when there is a sound one, and saves a checkpoint
    /// after every epoch. A damaged checkpoint, or a divergence after resuming, starts it over from scratch.
    func trainWithCheckpoints(_ run: Run, key: String, task: GUETask, tokenizer: any Tokenizer, splits: RunSplits,
                              started: Date, memoryMode: MemoryMode = .keepAll) throws -> Trained {
        let directory = store.checkpointDirectory(key)
        var started = started
        var mayResume = true
        while true {
            let (model, pretraining) = try makeModel(run, task: task, tokenizer: tokenizer, splits: splits, memoryMode: memoryMode)
            let settings = TrainingSettings(epochs: run.epochs, batchSize: run.batchSize, optimizer: run.optimizer)
            let trainer = try Trainer(model: model, settings: settings, seed: run.seed, train: splits.train, dev: splits.dev, test: splits.test)
            let order = model.parameters.all.map(\.name)
            let shapes = Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.name, $0.value.shape) })

            var resumed: (state: TrainerState<Float>, wallSeconds: Double)? = nil
            if mayResume {
                switch Checkpoint.loadState(key: key, order: order, shapes: shapes, from: directory) {
                case .none:
                    break
                case let .state(state, wallSeconds):
                    if let problem = Self.inconsistency(of: state, run: run, trainer: trainer) {
                        distrust(directory.appendingPathComponent(Checkpoint.stateFile).path, problem, run: run)
                    } else {
                        resumed = (state, wallSeconds)
                        log("resuming \(run.label) after epoch \(state.epochsDone) of \(run.epochs)")
                    }
                case let .damaged(file, reason):
                    distrust(file, reason, run: run)
                }
            }
            let earlier = resumed?.wallSeconds ?? 0
            let sessionStart = started
            let reporter = ProgressReporter(label: run.label, totalSteps: trainer.totalSteps, totalEpochs: run.epochs,
                                            startStep: resumed?.state.step ?? 0, interval: 10,
                                            isTerminal: showProgress && isatty(STDERR_FILENO) == 1,
                                            clock: { ProcessInfo.processInfo.systemUptime },
                                            sink: { FileHandle.standardError.write(Data($0.utf8)) },
                                            width: { ProgressReporter.terminalWidth() })
            let interruptAfter = interruptAfterEpoch
            do {
                let outcome = try trainer.run(resumingFrom: resumed?.state, progress: { p in
                    reporter.update(step: p.step, epoch: p.epoch, loss: p.loss, tokens: p.tokens)
                }, checkpoint: { state in
                    try Checkpoint.saveState(state, key: key, order: order, wallSeconds: earlier + Date().timeIntervalSince(sessionStart),
                                             to: directory)
                    if let interruptAfter, state.epochsDone >= interruptAfter { throw RunInterrupted(epochsDone: state.epochsDone) }
                })
                reporter.finish()
                return Trained(model: model, trainer: trainer, pretraining: pretraining, result: .success(outcome),
                               earlierSeconds: earlier, started: sessionStart, memoryMode: memoryMode)
            } catch let error as TrainingError {
                reporter.finish()
                guard let resumed else {
                    return Trained(model: model, trainer: trainer, pretraining: pretraining, result: .failure(error),
                                   earlierSeconds: earlier, started: sessionStart, memoryMode: memoryMode)
                }
                log("\(run.label) diverged after resuming from its checkpoint of epoch \(resumed.state.epochsDone) (\(error)); "
                    + "running it again from scratch, since only a run that diverges from scratch is recorded as failed")
                Checkpoint.removeState(from: directory)
                mayResume = false
                started = Date()
            }
        }
    }

    /// Reports a checkpoint that cannot be trusted and sets it aside, so the run starts from scratch.
    private func distrust(_ file: String, _ reason: String, run: Run) {
        log("checkpoint \(file) cannot be trusted: \(reason). \(run.label) starts again from scratch "
            + "(the file is kept as \(Checkpoint.damagedStateFile) beside it)")
        Checkpoint.setAsideDamagedState(in: URL(fileURLWithPath: file).deletingLastPathComponent())
    }

    /// What is wrong with a sealed state for this run, if anything: counters that no run of these
    /// settings could have saved (the seal holds them unchanged since writing; these checks guard
    /// against a state that was written wrong).
    static func inconsistency(of state: TrainerState<Float>, run: Run, trainer: Trainer) -> String? {
        guard (1...run.epochs).contains(state.epochsDone) else {
            return "it was saved after epoch \(state.epochsDone), but the run has \(run.epochs)"
        }
        let steps = state.epochsDone.multipliedReportingOverflow(by: trainer.stepsPerEpoch)
        guard !steps.overflow, state.step == steps.partialValue else {
            return "its step counter is \(state.step), but \(state.epochsDone) epochs of \(trainer.stepsPerEpoch) steps make \(steps.partialValue)"
        }
        guard state.evaluations.map(\.epoch) == Array(1...state.epochsDone) else {
            return "it holds evaluations of epochs \(state.evaluations.map(\.epoch)), not 1 to \(state.epochsDone)"
        }
        guard state.evaluations.contains(where: { $0.epoch == state.bestEpoch }) else {
            return "its best epoch \(state.bestEpoch) was never evaluated"
        }
        return nil
    }

    // MARK: step 4: finishing

    /// Makes the record (scores on the test crops and extra tests, tokenizer statistics), then stores
    /// the run in an order that survives a kill at any instant: vocabulary, configuration and weights;
    /// the record; and only then the checkpoint's state is removed (see the header).
    func finish(_ run: Run, key: String, task t: GUETask, tokenizer: any Tokenizer, splits: RunSplits, trained: Trained,
                threads: Int) throws -> RunRecord {
        var record = RunRecord(key: key, run: run, status: .done, failure: nil, outcome: nil, croppedTests: nil,
                               tokenizerStatistics: nil, vocabularySize: tokenizer.vocabularySize, maxLength: splits.longest,
                               truncated: splits.truncated, parameters: trained.model.parameters.count, taskNote: t.provenance,
                               dataHashes: try dataHashes(run), engineVersion: engineVersion,
                               commit: Git.commit(),
                               threads: threads, wallSeconds: 0, finished: Date())
        record.pretraining = trained.pretraining
        record.memoryMode = trained.memoryMode
        record.machine = Machine.current()
        switch trained.result {
        case let .success(outcome):
            record.outcome = outcome
            record.predictions = outcome.testPredictions
            // The trainer leaves the best-on-dev parameters in the model.
            record.croppedTests = splits.croppedTests.map { bases, split in
                let result = trained.trainer.evaluate(split)
                return CroppedScore(bases: bases, meanTokens: Double(split.tokenCount) / Double(max(split.count, 1)),
                                    scores: result.scores, predictions: Predictions.encode(result.predictions))
            }
            if !splits.extraTests.isEmpty {
                record.extraTests = splits.extraTests.map { file, bases, split in
                    let result = trained.trainer.evaluate(split, batchSize: Self.evaluationBatch(longest: split.sequences.map(\.count).max() ?? 1))
                    return ExtraTestScore(file: file, meanBases: bases, meanTokens: Double(split.tokenCount) / Double(max(split.count, 1)),
                                          scores: result.scores, predictions: Predictions.encode(result.predictions))
                }
            }
        case let .failure(error):
            record.status = .failed
            record.failure = error.description
            log("FAILED \(run.label): \(error) (stored as failed; run it again with --retry-failed)")
        }
        record.tokenizerStatistics = try TokenizerStatistics(tokenizer: tokenizer, sequences: splits.trainingSequences)

        let directory = store.checkpointDirectory(key)
        try reach(.writingModel, of: run)
        if record.status == .done {
            record.modelSHA256 = try Checkpoint.saveModel(trained.model, run: run, key: key, tokenizer: tokenizer, to: directory)
            try reach(.modelWritten, of: run)
        }
        record.wallSeconds = trained.earlierSeconds + Date().timeIntervalSince(trained.started)
        record.finished = Date()
        try store.save(record)
        try reach(.recordWritten, of: run)
        Checkpoint.removeState(from: directory)
        // What the caller gets is what the store holds (JSON keeps dates to the second).
        return store.record(key) ?? record
    }

    /// The steps of finishing, where a kill can strike (the tests stop at each).
    enum FinishingStep: String, CaseIterable {
        case writingModel = "writing the model"
        case modelWritten = "model written, record not yet"
        case recordWritten = "record written, checkpoint state not yet removed"
    }

    /// Marks a step of finishing, for the tests: `atFinishingStep` in-process, and for `make
    /// kill-check` GENECODING_TEST_FINISH_PAUSE=<seconds>, which announces the step on standard error
    /// and pauses there so that the check can kill the process. Unset (always, outside the check and
    /// the tests), it does nothing.
    private func reach(_ step: FinishingStep, of run: Run) throws {
        try atFinishingStep?(step)
        guard let text = ProcessInfo.processInfo.environment["GENECODING_TEST_FINISH_PAUSE"], let seconds = Double(text),
              seconds.isFinite, seconds > 0 else { return }
        FileHandle.standardError.write(Data("finish step: \(step.rawValue) (\(run.label); pausing \(text) s)\n".utf8))
        Thread.sleep(forTimeInterval: min(seconds, 60))
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
    func pretrainedEncoder(for run: Run, memoryMode: MemoryMode = .keepAll) throws -> (MaskedLanguageModel<Float>, PretrainingRecord) {
        guard let spec = run.pretraining, let key = try pretrainingKey(run) else {
            throw RunFailure(run: run, message: "asked for its pretrained encoder, but the run is not pretrained")
        }
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
        let encoder = try TransformerClassifier<Float>(configuration, seed: seed)
        encoder.memoryMode = memoryMode
        let model = MaskedLanguageModel(encoder: encoder, seed: seed)
        let order = model.parameters.all.map(\.name)
        let shapes = Dictionary(uniqueKeysWithValues: model.parameters.all.map { ($0.name, $0.value.shape) })

        // The encoder's state after its last epoch stays in the folder: it is the pretrained model.
        var resumed: TrainerState<Float>? = nil
        switch Checkpoint.loadState(key: key, order: order, shapes: shapes, from: directory) {
        case .none:
            break
        case let .state(state, _):
            if (1...spec.epochs).contains(state.epochsDone) { resumed = state } else {
                distrust(directory.appendingPathComponent(Checkpoint.stateFile).path,
                         "it was saved after epoch \(state.epochsDone), but pretraining has \(spec.epochs)", run: run)
            }
        case let .damaged(file, reason):
            distrust(file, reason, run: run)
        }
        if let state = resumed, state.epochsDone == spec.epochs, let data = FileManager.default.contents(atPath: recordURL.path),
           let record = try? ResultStore.decoder.decode(PretrainingRecord.self, from: data) {
            model.parameters.restore(state.parameters)
            return (model, record)
        }
        // Not stored yet: tokenize the corpora (unlabelled) and pretrain.
        let corpus = try Subsets.rows(t.train, limit: spec.corpusLimit, seed: Subsets.corpusSeed)
            .map { try tokenizer.encodeForModel($0.sequence, maxLength: run.maxTokens) }
        let heldOut = try devRows(run).map { try tokenizer.encodeForModel($0.sequence, maxLength: run.maxTokens) }
        let settings = PretrainingSettings(epochs: spec.epochs, batchSize: spec.batchSize,
                                           optimizer: OptimizerSettings(learningRate: spec.learningRate, weightDecay: run.optimizer.weightDecay),
                                           maskProbability: spec.maskProbability)
        let pretrainer = try Pretrainer(model: model, settings: settings, seed: seed, corpus: corpus, heldOut: heldOut)
        if let resumed { log("resuming pretraining for \(run.label) after epoch \(resumed.epochsDone) of \(spec.epochs)") }
        log("pretraining \(run.task) \(run.tokenizer) \(run.positionEncoding.rawValue) on \(corpus.count) sequences (\(Format.plural(spec.epochs, "epoch")))")
        let started = Date()
        let outcome = try pretrainer.run(resumingFrom: resumed, checkpoint: { state in
            try Checkpoint.saveState(state, key: key, order: order, wallSeconds: Date().timeIntervalSince(started), to: directory)
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
    /// probabilities (B x H x T² per layer) stay near 64 sequences of 512 tokens. (Chosen when
    /// evaluation kept every layer's probabilities; the evaluation path now keeps one worker's at a
    /// time, but the batches stay as they were: their padding fixes the shapes of the products, and
    /// with them the rounding of stored scores.)
    static func evaluationBatch(longest: Int) -> Int { max(1, min(64, 64 * 512 * 512 / max(longest * longest, 1))) }

    // MARK: many runs

    /// `RunCostEstimate` of a run on this executor's data (its task and extra test files).
    public func estimatedSeconds(_ run: Run, threads: Int) throws -> Double {
        let size = RunCostEstimate.TaskSize(try task(run.task),
                                            extraTests: try (run.extraTests ?? []).map { try extraTest($0, of: run.task) })
        return RunCostEstimate.seconds(run, task: size, threads: threads)
    }

    /// Runs every run not yet in the store (and, with `retryFailed`, every run stored as failed),
    /// `workers` at a time with `threadsPerRun` threads each, and returns all records in the order
    /// given. Every run is checked before any is trained: one error names each invalid run. A run
    /// that fails is recorded and the others go on; the summary lines count the failed runs.
    public func executeAll(_ runs: [Run], workers: Int, threadsPerRun: Int) throws -> [RunRecord] {
        try Self.validate(workers: workers, threads: threadsPerRun)
        var invalid: [String] = []
        for (i, run) in runs.enumerated() {
            do { try run.validate() } catch { invalid.append("run \(i + 1) of \(runs.count) (\(run.label)): \(error)") }
        }
        guard invalid.isEmpty else { throw ConfigurationError(problems: invalid) }
        if memoryMode == nil { _ = try MemoryModeChoice.fromEnvironment() }   // a wrong GENECODING_MEMORY stops before any run
        ComputeThreads.set(threadsPerRun)
        let keys = try runs.map { try key($0) }
        var pending: [Int] = []
        var seen = Set<String>()
        var storedFailed = 0
        for (i, k) in keys.enumerated() where seen.insert(k).inserted {
            switch store.record(k)?.status {
            case nil: pending.append(i)
            case .failed? where retryFailed: pending.append(i)
            case .failed?: storedFailed += 1
            case .done?: break
            }
        }
        let stored = seen.count - pending.count
        let failedNote = storedFailed == 0 ? "" : " (\(storedFailed) of them failed; rerun with the retry-failed option to train those again)"
        log("\(runs.count) runs: \(stored) in the store\(failedNote), \(pending.count) to run "
            + "(\(workers) at a time, \(threadsPerRun) thread\(threadsPerRun == 1 ? "" : "s") each)")
        // Dearest first (longest-processing-time scheduling): a 12-minute run started last would leave
        // one worker idle for its whole length. The order changes nothing in any result.
        let estimates = try pending.map { try estimatedSeconds(runs[$0], threads: threadsPerRun) }
        pending = zip(pending, estimates).sorted { ($0.1, $1.0) > ($1.1, $0.0) }.map(\.0)
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
                    do { _ = try pretrainedEncoder(for: run, memoryMode: try chosenMemoryMode(run, threads: threadsPerRun)) } catch {
                        cursorLock.lock(); failures.append(error); cursorLock.unlock()
                        log("ERROR pretraining for \(run.label): \(error)")
                    }
                }
            }
            if let first = failures.first { throw first }
        }
        let next = NSLock()
        var cursor = 0, done = 0, failed = 0
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
                    if record.status == .failed { failed += 1 }
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
        if !pending.isEmpty {
            log("trained \(pending.count) run\(pending.count == 1 ? "" : "s"): \(done - failed) done, \(failed) failed (diverged; stored with the reason)"
                + (errors.isEmpty ? "" : ", \(errors.count) stopped by an error"))
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
