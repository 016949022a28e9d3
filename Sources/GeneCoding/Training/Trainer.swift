// Training one classifier, the GUE way: train on `train`, evaluate on `dev` after every epoch, keep
// the parameters with the best dev MCC, and report `test` scores of those parameters.
//
// Everything random is derived from the run's seed: initial weights (in the model), the order of
// the training examples in each epoch, and every dropout mask (keyed by step). So a run resumed
// from the checkpoint of epoch e continues exactly as if it had never stopped.
import Foundation

/// A split already tokenized for the model: `[CLS] ids [SEP]` per sequence.
public struct EncodedSplit: Sendable {
    public var sequences: [[Int32]]
    public var labels: [Int]
    public init(sequences: [[Int32]], labels: [Int]) {
        precondition(sequences.count == labels.count, "\(sequences.count) sequences with \(labels.count) labels")
        self.sequences = sequences
        self.labels = labels
    }
    public var count: Int { sequences.count }
    public var tokenCount: Int { sequences.reduce(0) { $0 + $1.count } }

    /// The first n examples: the trainer's sample for the train curves. A capped training split is in
    /// its sampling order (Data/Subsets.swift), so these are a stratified sample of it; a split used
    /// whole keeps the file's order.
    public func prefix(_ n: Int) -> EncodedSplit {
        EncodedSplit(sequences: Array(sequences.prefix(n)), labels: Array(labels.prefix(n)))
    }
}

public struct TrainingSettings: Codable, Hashable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerSettings
    /// Training examples scored (in evaluation mode) at each evaluation, to draw the train curve
    /// beside the dev curve without paying for a full pass over a large training split.
    public var trainScoreSample: Int

    public init(epochs: Int, batchSize: Int, optimizer: OptimizerSettings, trainScoreSample: Int = 256) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.trainScoreSample = trainScoreSample
    }
}

/// One point of the curves, taken at the end of an epoch.
public struct Evaluation: Codable, Hashable, Sendable {
    public var epoch: Int
    public var step: Int
    /// Mean training loss over the epoch's steps (with dropout, as trained).
    public var trainLoss: Double
    public var trainScores: ClassificationScores
    public var devLoss: Double
    public var devScores: ClassificationScores
}

public struct TrainingOutcome: Codable, Hashable, Sendable {
    public var bestEpoch: Int
    public var dev: ClassificationScores
    public var test: ClassificationScores
    public var testLoss: Double
    public var evaluations: [Evaluation]
    /// Training loss of every `lossCurveStride`-th step.
    public var lossCurve: [Double]
    public var lossCurveStride: Int
    public var steps: Int
    public var trainingSeconds: Double
    /// Real (unpadded) training tokens per second of training time.
    public var tokensPerSecond: Double
    /// The class predicted for each test example (`Predictions`' encoding; nil before engine-5).
    public var testPredictions: String? = nil
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(step: Int, epoch: Int, loss: Double)
    case emptySplit(String)

    public var description: String {
        switch self {
        case let .nonFiniteLoss(step, epoch, loss):
            return "training diverged: loss \(loss) at step \(step) (epoch \(epoch)); lower the learning rate or check the data"
        case let .emptySplit(name):
            return "the \(name) split is empty"
        }
    }
}

/// What a checkpoint holds: enough to continue training exactly where it stopped.
public struct TrainerState<S: Scalar> {
    public var epochsDone: Int
    public var step: Int
    public var parameters: [String: Tensor<S>]
    public var moments: [(m: Tensor<S>, v: Tensor<S>)]
    public var bestParameters: [String: Tensor<S>]
    public var bestEpoch: Int
    public var bestDevMCC: Double
    public var evaluations: [Evaluation]
    public var lossCurve: [Double]
    public var trainingSeconds: Double
    public var trainedTokens: Int
    /// Pretraining's per-epoch held-out scores (Pretrainer.swift); nil for a classification run.
    public var pretrainingEpochs: [PretrainingEpoch]? = nil
}

/// Progress of a run, for a progress line.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var totalSteps: Int
    public var loss: Double
    /// Real tokens trained since this call to `run` began (a resumed run starts again at 0).
    public var tokens: Int
}

public final class Trainer: TrainingObjective {
    public let model: TransformerClassifier<Float>
    public let settings: TrainingSettings
    public let seed: UInt64
    let train: EncodedSplit, dev: EncodedSplit, test: EncodedSplit
    let loop: TrainingLoop
    private let trainSample: EncodedSplit

    public init(model: TransformerClassifier<Float>, settings: TrainingSettings, seed: UInt64,
                train: EncodedSplit, dev: EncodedSplit, test: EncodedSplit) throws {
        for (name, split) in [("train", train), ("dev", dev), ("test", test)] where split.count == 0 {
            throw TrainingError.emptySplit(name)
        }
        self.model = model
        self.settings = settings
        self.seed = seed
        self.train = train
        self.dev = dev
        self.test = test
        trainSample = train.prefix(settings.trainScoreSample)
        loop = TrainingLoop(epochs: settings.epochs, batchSize: settings.batchSize, optimizer: settings.optimizer, examples: train.count)
    }

    static func stepsPerEpoch(_ examples: Int, _ batchSize: Int) -> Int { TrainingLoop.stepsPerEpoch(examples, batchSize) }
    public var stepsPerEpoch: Int { Self.stepsPerEpoch(train.count, settings.batchSize) }
    public var totalSteps: Int { stepsPerEpoch * settings.epochs }
    public var lossCurveStride: Int { loop.lossCurveStride }

    // MARK: the objective

    var parameters: ParameterStore<Float> { model.parameters }
    var exampleCount: Int { train.count }

    /// The order of training examples in an epoch: a permutation fixed by (seed, epoch).
    func order(epoch: Int) -> [Int] {
        var random = RandomSource(seed: RandomSource.derive(seed, 0xE90C + UInt64(epoch)))
        var indices = Array(0..<train.count)
        indices.shuffle(using: &random)
        return indices
    }

    /// Cross-entropy of a batch of training examples; dropout masks keyed by the step.
    func loss(_ indices: ArraySlice<Int>, step: Int) -> (loss: Double, weight: Int, tokens: Int, backward: () -> Void) {
        let batch = TokenBatch(sequences: indices.map { train.sequences[$0] }, labels: indices.map { train.labels[$0] })
        let pass = model.forward(batch, dropoutKey: RandomSource.derive(seed, 0xD809 &+ UInt64(step)))
        let (loss, dz) = model.loss(pass)
        return (loss, batch.size, batch.tokenCount, { self.model.backward(pass, logitGradient: dz) })
    }

    /// Scores dev (and a fixed sample of train, for the overfitting curves) and keeps the parameters
    /// of the best dev MCC so far.
    func finishEpoch(_ epoch: Int, meanLoss: Double, state current: inout TrainerState<Float>) {
        let devResult = evaluate(dev)
        let trainResult = evaluate(trainSample)
        current.evaluations.append(Evaluation(epoch: epoch, step: current.step, trainLoss: meanLoss,
                                              trainScores: trainResult.scores, devLoss: devResult.loss,
                                              devScores: devResult.scores))
        if devResult.scores.mcc > current.bestDevMCC {
            current.bestDevMCC = devResult.scores.mcc
            current.bestEpoch = epoch
            current.bestParameters = snapshot()
        }
    }

    // MARK: training

    /// Trains from scratch, or from `state` when resuming. `checkpoint` is called after every epoch.
    public func run(resumingFrom state: TrainerState<Float>? = nil,
                    progress: ((TrainingProgress) -> Void)? = nil,
                    checkpoint: ((TrainerState<Float>) throws -> Void)? = nil) throws -> TrainingOutcome {
        let initial = TrainerState<Float>(epochsDone: 0, step: 0, parameters: [:], moments: [], bestParameters: snapshot(),
                                          bestEpoch: 0, bestDevMCC: -.infinity, evaluations: [], lossCurve: [],
                                          trainingSeconds: 0, trainedTokens: 0)
        let current = try loop.run(self, resumingFrom: state, initial: initial, progress: progress, checkpoint: checkpoint)
        // The GUE protocol: test scores of the best-on-dev parameters.
        restore(current.bestParameters)
        let testResult = evaluate(test)
        let best = current.evaluations.first { $0.epoch == current.bestEpoch }!
        return TrainingOutcome(bestEpoch: current.bestEpoch, dev: best.devScores, test: testResult.scores,
                               testLoss: testResult.loss, evaluations: current.evaluations, lossCurve: current.lossCurve,
                               lossCurveStride: lossCurveStride, steps: current.step,
                               trainingSeconds: current.trainingSeconds,
                               tokensPerSecond: Double(current.trainedTokens) / Swift.max(current.trainingSeconds, 1e-9),
                               testPredictions: Predictions.encode(testResult.predictions))
    }

    /// Loss and scores of the current parameters on a split, without dropout.
    public func evaluate(_ split: EncodedSplit, batchSize: Int = 64) -> (loss: Double, scores: ClassificationScores, predictions: [Int]) {
        Trainer.evaluate(model, split, batchSize: batchSize)
    }

    public static func evaluate(_ model: TransformerClassifier<Float>, _ split: EncodedSplit,
                                batchSize: Int = 64) -> (loss: Double, scores: ClassificationScores, predictions: [Int]) {
        // Sorting by length keeps padding small; predictions go back to the split's order.
        let byLength = (0..<split.count).sorted { split.sequences[$0].count < split.sequences[$1].count }
        var predictions = [Int](repeating: 0, count: split.count)
        var loss = 0.0
        for start in stride(from: 0, to: byLength.count, by: batchSize) {
            let indices = byLength[start..<Swift.min(start + batchSize, byLength.count)]
            let batch = TokenBatch(sequences: indices.map { split.sequences[$0] }, labels: indices.map { split.labels[$0] })
            let logits = model.logits(batch)            // the evaluation path: nothing kept for backward
            loss += model.loss(logits: logits, labels: batch.labels) * Double(batch.size)
            for (index, prediction) in zip(indices, model.predictions(logits: logits)) { predictions[index] = prediction }
        }
        return (loss / Double(split.count), ClassificationScores(truth: split.labels, prediction: predictions), predictions)
    }

    func snapshot() -> [String: Tensor<Float>] { model.parameters.snapshot() }
    func restore(_ values: [String: Tensor<Float>]) { model.parameters.restore(values) }
}
