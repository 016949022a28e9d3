// A run: everything that decides one training's result, as a value.
//
// Its key is the SHA-256 of its canonical JSON together with the hashes of the data files it
// reads and the engine version, so a result is reused exactly when none of those changed.
import Foundation

/// Bumped whenever a change to the engine can change a number (initialisation, kernels, order of
/// summation, dropout masks, the trainer). Old results then stop matching and are recomputed.
public let engineVersion = "engine-4"

/// How a capped split is cut, in the words reports use.
public let subsetRule = "the first rows of each split"

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
    /// so a clone of the repository in another folder finds the results it ships.
    func canonicalJSON() -> Data {
        var copy = self
        copy.profile = ""
        if case let .file(path) = tokenizer {
            copy.tokenizer = .file(path: URL(fileURLWithPath: path).lastPathComponent)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try! encoder.encode(copy)
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
    public var wallSeconds: Double
    public var finished: Date
    /// Where it was trained (nil in records made before engine-5).
    public var machine: Machine?
    /// The class predicted for each test example, in the order of the test set the run used
    /// (`Predictions`' one-character encoding; nil in records made before engine-5): what the
    /// bootstrap of test examples resamples.
    public var predictions: String?

    /// `predictions`, decoded.
    public var testPredictions: [Int]? { predictions.flatMap(Predictions.decode) }
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
