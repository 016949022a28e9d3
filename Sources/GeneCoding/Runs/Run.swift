// A run: everything that decides one training's result, as a value.
//
// Its key is the SHA-256 of its canonical JSON together with the hashes of the data files it
// reads and the engine version, so a result is reused exactly when none of those changed.
import Foundation

/// Bumped whenever a change to the engine can change a number (initialisation, kernels, order of
/// summation, dropout masks, the trainer). Old results then stop matching and are recomputed.
public let engineVersion = "engine-5"

/// How a capped split is cut, in the words reports use.
public let subsetRule = "seeded samples stratified by label, the training sample drawn from each run's seed"

public struct Run: Codable, Hashable, Sendable {
    public var task: String
    public var tokenizer: TokenizerSpec
    public var positionEncoding: PositionEncoding
    public var layers: Int
    public var width: Int
    public var heads: Int
    public var feedForwardWidth: Int
    public var normPlacement: NormPlacement
    public var pooling: Pooling
    public var causal: Bool
    public var dropout: Double
    public var optimizer: OptimizerSettings
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var trainLimit: Int?
    public var devLimit: Int?
    public var testLimit: Int?
    public var tokenizerTrainingLimit: Int?
    public var maxTokens: Int
    /// Train (and select on dev) with every sequence cut to its first `trainCrop` bases.
    public var trainCrop: Int?
    /// Also score the test split cut to each of these lengths in bases (the extrapolation study).
    public var testCrops: [Int]?
    /// Also score these extra test files of the task's folder ("test-10000.csv"): test sets made
    /// apart from the main one, such as longer sequences of a synthetic task (chapter 4).
    public var extraTests: [String]?
    /// Masked-language-model pretraining on unlabelled sequence before fine-tuning (chapter 4).
    public var pretraining: Pretraining?
    /// The profile the run came from: for reports only; it is not part of the key.
    public var profile: String

    /// The run a profile makes for one cell of a grid; chapters change the fields they study.
    public init(task: String, tokenizer: TokenizerSpec, positionEncoding: PositionEncoding = .rope,
                profile: ScaleProfile, seed: UInt64) {
        self.task = task
        self.tokenizer = tokenizer
        self.positionEncoding = positionEncoding
        layers = profile.layers
        width = profile.width
        heads = profile.heads
        feedForwardWidth = profile.feedForwardWidth
        normPlacement = .post
        pooling = .classToken
        causal = false
        dropout = profile.dropout
        optimizer = profile.optimizer
        epochs = profile.epochs
        batchSize = profile.batchSize
        self.seed = seed
        trainLimit = profile.trainLimit
        devLimit = profile.devLimit
        testLimit = profile.testLimit
        tokenizerTrainingLimit = profile.tokenizerTrainingLimit
        maxTokens = profile.maxTokens
        trainCrop = nil
        testCrops = nil
        self.profile = profile.name
    }

    /// A short human label: "tf/0 bpe:4096 rope L3 seed 1".
    public var label: String {
        let tokenizerName: String
        if case let .file(path) = tokenizer { tokenizerName = URL(fileURLWithPath: path).lastPathComponent } else { tokenizerName = "\(tokenizer)" }
        var s = "\(task) \(tokenizerName) \(positionEncoding.rawValue) L\(layers)"
        if causal { s += " causal" }
        if let trainCrop { s += " crop\(trainCrop)" }
        if pretraining != nil { s += " pretrained" }
        return s + " seed \(seed)"
    }

    /// The fields that decide the result, in a canonical (sorted-keys) JSON. A tokenizer file is named
    /// by its file name only: its content enters the key through its SHA-256 (see `RunExecutor.dataHashes`),
    /// so a clone of the repository in another folder finds the results it ships. The task is named
    /// in its normal form (`GUE.normalizedTaskName`), so `tf/0/` and `tf//0` find the results of `tf/0`;
    /// a valid name is its own normal form, so no stored key changed when this was added.
    func canonicalJSON() -> Data {
        var copy = self
        copy.profile = ""
        copy.task = (try? Run.normalizedTaskName(task)) ?? task
        if case let .file(path) = tokenizer {
            copy.tokenizer = .file(path: URL(fileURLWithPath: path).lastPathComponent)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Non-finite numbers have no JSON form; `validated()` refuses them, and this spelling keeps
        // the encoder from failing on a run that was never validated (finite numbers encode as before).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try encoder.encode(copy) } catch {
            // Only non-finite floats make JSONEncoder fail, and they are spelled out above.
            return Data("unencodable run \(copy)".utf8)
        }
    }

    /// The result-store key: SHA-256 over the run, its data files' hashes and the engine version.
    public func key(dataHashes: [String: String]) -> String {
        key(json: canonicalJSON(), dataHashes: dataHashes)
    }

    private func key(json: Data, dataHashes: [String: String]) -> String {
        var hasher = SHA256()
        hasher.update(json)
        for name in dataHashes.keys.sorted() { hasher.update(Data("\n\(name)=\(dataHashes[name]!)".utf8)) }
        hasher.update(Data("\n\(engineVersion)".utf8))
        return SHA256.hex(hasher.finalize())
    }
}

// MARK: - validation

extension Run {
    /// Largest epoch count accepted: enough for any study, small enough that steps, estimates and
    /// schedules stay far from integer overflow.
    public static let largestEpochCount = 100_000
    /// Longest model input accepted, in tokens (chapter 4 goes to a few thousand).
    public static let largestMaxTokens = 1 << 20

    /// The task name `run.task` stands for: GUE's `group/task`, or a synthetic task's name after its
    /// prefix, each in normal form (`GUE.normalizedTaskName`).
    public static func normalizedTaskName(_ task: String) throws -> String {
        if task.hasPrefix(RunExecutor.syntheticPrefix) {
            return RunExecutor.syntheticPrefix + (try GUE.normalizedTaskName(String(task.dropFirst(RunExecutor.syntheticPrefix.count))))
        }
        return try GUE.normalizedTaskName(task)
    }

    /// The run with its task name in normal form, after checking every setting: one
    /// `ConfigurationError` lists every problem, each with what is allowed. The model is checked by
    /// `ModelConfiguration.validate`, here with the smallest vocabulary the tokenizer can have and at
    /// the shortest input, so a model too large for this machine at any length is refused before
    /// anything is allocated; the executor checks again at the real length once the data is encoded.
    /// Every place a run enters (the command line, a manifest, a profile, a chapter) comes through here.
    public func validated(memoryLimit: Double = ModelConfiguration.memoryLimit) throws -> Run {
        var problems: [String] = []
        var run = self
        do { run.task = try Run.normalizedTaskName(task) } catch { problems.append("\(error)") }

        func whole(_ name: String, _ value: Int, from least: Int, to most: Int? = nil) {
            guard value < least || value > (most ?? .max) else { return }
            problems.append("\(name) is \(value): give a whole number " + (most.map { "from \(least) to \($0)" } ?? "of at least \(least)"))
        }
        func cap(_ name: String, _ value: Int?) {
            if let value, value < 1 { problems.append("\(name) is \(value): give a positive number of rows, or none for the whole split") }
        }
        func positive(_ name: String, _ value: Double) {
            if !(value.isFinite && value > 0) { problems.append("\(name) is \(value): give a positive finite number") }
        }
        func fraction(_ name: String, _ value: Double, closed: Bool) {
            let inside = closed ? (0...1).contains(value) : (0..<1).contains(value)
            if !inside { problems.append("\(name) is \(value): give a number from 0 to 1" + (closed ? "" : " (1 excluded)")) }
        }

        switch tokenizer {
        case let .kmer(k, _) where !(1...6).contains(k):
            problems.append("k-mer length \(k): give K from 1 to 6")
        case let .bpe(size) where size < TokenizerSpec.smallestBPEVocabulary:
            problems.append("BPE vocabulary of \(size): give at least \(TokenizerSpec.smallestBPEVocabulary) entries")
        case let .file(path) where path.isEmpty:
            problems.append("the tokenizer file has no name")
        default: break
        }
        whole("epochs", epochs, from: 1, to: Self.largestEpochCount)
        whole("batch size", batchSize, from: 1)
        positive("learning rate", optimizer.learningRate)
        if !(optimizer.weightDecay.isFinite && optimizer.weightDecay >= 0) {
            problems.append("weight decay is \(optimizer.weightDecay): give a finite number of at least 0")
        }
        fraction("AdamW beta1", optimizer.beta1, closed: false)
        fraction("AdamW beta2", optimizer.beta2, closed: false)
        positive("AdamW epsilon", optimizer.epsilon)
        fraction("warm-up fraction", optimizer.warmupFraction, closed: true)
        if let clip = optimizer.gradientClip { positive("gradient clip", clip) }
        cap("train limit", trainLimit)
        cap("dev limit", devLimit)
        cap("test limit", testLimit)
        cap("tokenizer training limit", tokenizerTrainingLimit)
        whole("longest input (maxTokens)", maxTokens, from: 3, to: Self.largestMaxTokens)
        if let trainCrop { whole("training crop", trainCrop, from: 1) }
        for crop in testCrops ?? [] { whole("test crop", crop, from: 1) }
        for file in extraTests ?? [] where file.contains("/") || !file.hasSuffix(".csv") || file.hasPrefix(".") {
            problems.append("extra test '\(file)': give the name of a .csv file in the folder of task \(task)")
        }
        if let p = pretraining {
            whole("pretraining epochs", p.epochs, from: 1, to: Self.largestEpochCount)
            whole("pretraining batch size", p.batchSize, from: 1)
            positive("pretraining learning rate", p.learningRate)
            if !(p.maskProbability > 0 && p.maskProbability <= 1) {
                problems.append("mask probability is \(p.maskProbability): give a number above 0 and at most 1")
            }
            cap("pretraining corpus limit", p.corpusLimit)
        }
        // In the mode that needs least: a run refused here cannot run in any.
        problems += smallestModel.problems(memoryLimit: memoryLimit, training: batchSize >= 1 ? (batchSize, 3) : nil,
                                           memoryMode: .recomputeLayers)
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        return run
    }

    /// Checks the run (`validated`); for callers that keep the run as it was given.
    public func validate(memoryLimit: Double = ModelConfiguration.memoryLimit) throws {
        _ = try validated(memoryLimit: memoryLimit)
    }

    /// The model of this run as small as its data could make it: the fewest ids its tokenizer can
    /// have (a BPE vocabulary stops growing when its training data has no pair left to merge, so it
    /// may end below the size asked for), two classes, and the shortest table of positions (maxTokens
    /// rows when the run pretrains, as pretraining fixes the table there).
    var smallestModel: ModelConfiguration {
        let vocabulary: Int
        switch tokenizer {
        case let .kmer(k, _) where (1...6).contains(k):
            vocabulary = SpecialToken.allCases.count + (1 << (2 * k))
        default: vocabulary = TokenizerSpec.smallestBPEVocabulary
        }
        return ModelConfiguration(vocabularySize: vocabulary, classCount: 2, maxLength: pretraining == nil ? 3 : maxTokens,
                                  width: width, heads: heads, feedForwardWidth: feedForwardWidth, layers: layers,
                                  positionEncoding: positionEncoding, normPlacement: normPlacement, pooling: pooling,
                                  dropout: dropout, causal: causal)
    }
}

/// What a finished run leaves in the store.
public struct RunRecord: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case done, failed }

    public var key: String
    public var run: Run
    public var status: Status
    public var failure: String?
    public var outcome: TrainingOutcome?
    /// Test scores with sequences cut to each of `run.testCrops` bases.
    public var croppedTests: [CroppedScore]?
    /// Scores on each of `run.extraTests`.
    public var extraTests: [ExtraTestScore]?
    /// What pretraining did, when the run was pretrained.
    public var pretraining: PretrainingRecord?
    public var tokenizerStatistics: TokenizerStatistics?
    public var vocabularySize: Int
    public var maxLength: Int
    /// Sequences cut to fit maxTokens, per split.
    public var truncated: [String: Int]
    public var parameters: Int
    public var taskNote: String?
    public var dataHashes: [String: String]
    public var engineVersion: String
    public var commit: String
    public var threads: Int
    /// Wall seconds of the processes that led to this result (see RunExecutor's header).
    public var wallSeconds: Double
    public var finished: Date
    /// SHA-256 of the model.safetensors the run stored (nil for a failed run, and for records
    /// written before models carried checksums).
    public var modelSHA256: String? = nil
    /// Where it was trained (nil in records made before engine-5).
    public var machine: Machine? = nil
    /// The class predicted for each test example, in the order of the test set the run used
    /// (`Predictions`' one-character encoding; nil in records made before engine-5): what the
    /// bootstrap of test examples resamples.
    public var predictions: String? = nil
    /// What the training of the process that finished the run kept for backward (`MemoryMode`; the
    /// results are the same in every mode). Nil in records written before memory modes.
    public var memoryMode: MemoryMode? = nil

    /// `predictions`, decoded.
    public var testPredictions: [Int]? { predictions.flatMap(Predictions.decode) }
}

extension Sequence where Element == RunRecord {
    /// Each run once, at its first place: grids that share runs (chapter 2's RoPE column is chapter
    /// 1's, chapter 5's width-64 column is its tokenizer grid's BPE) return them twice.
    public var distinctRuns: [RunRecord] {
        var seen = Set<String>()
        return filter { seen.insert($0.key).inserted }
    }

    /// Training seconds summed over the finished runs, in the order given.
    public var trainingSeconds: Double { compactMap(\.outcome).reduce(0) { $0 + $1.trainingSeconds } }
}

public struct ExtraTestScore: Codable, Hashable, Sendable {
    /// The file, as named in `run.extraTests`.
    public var file: String
    public var meanBases: Double
    public var meanTokens: Double
    public var scores: ClassificationScores
    /// Per example, as `RunRecord.predictions` (nil before engine-5).
    public var predictions: String?
}

public struct CroppedScore: Codable, Hashable, Sendable {
    public var bases: Int
    public var meanTokens: Double
    public var scores: ClassificationScores
    /// Per example, as `RunRecord.predictions` (nil before engine-5).
    public var predictions: String?
}
