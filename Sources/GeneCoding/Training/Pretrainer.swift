// Pretraining a classifier's encoder as a masked language model on unlabelled sequences (BERT's
// recipe, MaskedLanguageModel.swift), then handing the encoder to a classifier to fine-tune.
//
// Deterministic like Trainer: initial weights come from the model's seed, and from the run's seed
// the order of the corpus in each epoch (a permutation fixed by (seed, epoch)), the corruption of each
// batch and its dropout masks (both fixed by (seed, step)). So a run resumed from the checkpoint of
// epoch e continues exactly as if it had never stopped.
//
// Held-out sequences are corrupted once, by a key that depends on nothing but each sequence's place
// in the held-out corpus: every epoch, and every run, is scored on the same masked positions.
import Foundation

public struct PretrainingSettings: Codable, Hashable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerSettings
    /// Chance that an ordinary token is chosen for prediction (BERT: 0.15).
    public var maskProbability: Double

    public init(epochs: Int, batchSize: Int, optimizer: OptimizerSettings, maskProbability: Double = 0.15) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.maskProbability = maskProbability
    }
}

/// One point of the pretraining curves, taken at the end of an epoch.
public struct PretrainingEpoch: Codable, Hashable, Sendable {
    public var epoch: Int
    public var step: Int
    /// Mean loss per masked token over the epoch's steps (with dropout, as trained).
    public var trainLoss: Double
    /// Mean cross-entropy per masked token of the held-out corpus, without dropout.
    public var heldOutLoss: Double
    /// Share of the held-out masked tokens whose original id is the most likely one.
    public var heldOutAccuracy: Double
}

public struct PretrainingOutcome: Codable, Hashable, Sendable {
    public var epochs: [PretrainingEpoch]
    /// Held-out accuracy of always answering the most frequent ordinary token of the training corpus.
    public var frequencyBaselineAccuracy: Double
    /// Training loss of every `lossCurveStride`-th step.
    public var lossCurve: [Double]
    public var lossCurveStride: Int
    public var steps: Int
    public var trainingSeconds: Double
    /// Real (unpadded) training tokens per second of training time.
    public var tokensPerSecond: Double
}

public final class Pretrainer: TrainingObjective {
    public let model: MaskedLanguageModel<Float>
    public let settings: PretrainingSettings
    public let seed: UInt64
    /// The training corpus, without the sequences that hold no ordinary token (nothing to predict).
    let corpus: [[Int32]]
    /// The held-out corpus, corrupted once, in batches.
    let heldOut: [MaskedBatch]
    public let frequencyBaselineAccuracy: Double
    let loop: TrainingLoop
    public var lossCurveStride: Int { loop.lossCurveStride }

    /// `corpus` and `heldOut` are `[CLS] ids [SEP]` sequences, as Trainer's splits.
    public init(model: MaskedLanguageModel<Float>, settings: PretrainingSettings, seed: UInt64,
                corpus: [[Int32]], heldOut heldOutSequences: [[Int32]], evaluationBatchSize: Int = 64) throws {
        let first = Int32(SpecialToken.allCases.count)
        func hasOrdinary(_ s: [Int32]) -> Bool { s.contains { $0 >= first } }
        self.model = model
        self.settings = settings
        self.seed = seed
        self.corpus = corpus.filter(hasOrdinary)
        guard !self.corpus.isEmpty else { throw TrainingError.emptySplit("pretraining") }
        heldOut = Self.corrupt(heldOutSequences.filter(hasOrdinary), vocabularySize: model.vocabularySize,
                               probability: settings.maskProbability, batchSize: evaluationBatchSize)
        guard !heldOut.isEmpty else { throw TrainingError.emptySplit("held-out pretraining") }
        loop = TrainingLoop(epochs: settings.epochs, batchSize: settings.batchSize, optimizer: settings.optimizer,
                            examples: self.corpus.count)
        // The most frequent ordinary token of the training corpus, and how often it is the answer.
        var counts: [Int32: Int] = [:]
        for s in self.corpus { for id in s where id >= first { counts[id, default: 0] += 1 } }
        let common = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
        let targets = self.heldOut.flatMap(\.targets)
        frequencyBaselineAccuracy = Double(targets.filter { $0 == common }.count) / Double(targets.count)
    }

    /// Each held-out sequence corrupted by a key of its index alone, then batched by length (less padding).
    static func corrupt(_ sequences: [[Int32]], vocabularySize: Int, probability: Double, batchSize: Int) -> [MaskedBatch] {
        let key = RandomSource.derive(0x4E1D, 0xE7A1)
        let single = sequences.enumerated().map { i, s in
            TokenMasking.mask(TokenBatch(sequences: [s], labels: [0]), vocabularySize: vocabularySize,
                              probability: probability, key: RandomSource.derive(key, UInt64(i)))
        }
        let byLength = single.indices.sorted { sequences[$0].count < sequences[$1].count }
        return stride(from: 0, to: byLength.count, by: batchSize).map { start in
            let members = byLength[start..<Swift.min(start + batchSize, byLength.count)].map { single[$0] }
            let batch = TokenBatch(sequences: members.map(\.batch.ids), labels: members.map { _ in 0 })
            var rows: [Int] = [], targets: [Int32] = []
            for (b, m) in members.enumerated() {
                rows += m.rows.map { b * batch.length + $0 }
                targets += m.targets
            }
            return MaskedBatch(batch: batch, rows: rows, targets: targets)
        }
    }

    public var stepsPerEpoch: Int { Trainer.stepsPerEpoch(corpus.count, settings.batchSize) }
    public var totalSteps: Int { stepsPerEpoch * settings.epochs }

    /// The order of the corpus in an epoch: a permutation fixed by (seed, epoch).
    func order(epoch: Int) -> [Int] {
        var random = RandomSource(seed: RandomSource.derive(RandomSource.derive(seed, 0x0DE7), UInt64(epoch)))
        var indices = Array(0..<corpus.count)
        indices.shuffle(using: &random)
        return indices
    }

    // MARK: the objective

    var parameters: ParameterStore<Float> { model.parameters }
    var exampleCount: Int { corpus.count }

    /// Masked-token cross-entropy of a batch, corrupted and dropped out by keys of the step.
    func loss(_ indices: ArraySlice<Int>, step: Int) -> (loss: Double, weight: Int, tokens: Int, backward: () -> Void) {
        let batch = TokenBatch(sequences: indices.map { corpus[$0] }, labels: indices.map { _ in 0 })
        let masked = TokenMasking.mask(batch, vocabularySize: model.vocabularySize,
                                       probability: settings.maskProbability, seed: seed, step: step)
        let pass = model.forward(masked, dropoutKey: RandomSource.derive(RandomSource.derive(seed, 0x9E7A), UInt64(step)))
        let (loss, dz) = model.loss(pass)
        return (loss, masked.rows.count, batch.tokenCount, { self.model.backward(pass, logitGradient: dz) })
    }

    /// Scores the held-out corpus. Pretraining keeps its last epoch: bestParameters follows the
    /// parameters, so that a checkpoint writer made for Trainer's state finds every tensor it expects.
    func finishEpoch(_ epoch: Int, meanLoss: Double, state current: inout TrainerState<Float>) {
        let scores = evaluate()
        current.pretrainingEpochs = (current.pretrainingEpochs ?? [])
            + [PretrainingEpoch(epoch: epoch, step: current.step, trainLoss: meanLoss,
                                heldOutLoss: scores.loss, heldOutAccuracy: scores.accuracy)]
        current.bestParameters = snapshot()
        current.bestEpoch = epoch
    }

    // MARK: pretraining

    /// Pretrains from scratch, or from `state` when resuming. `checkpoint` is called after every epoch.
    public func run(resumingFrom state: TrainerState<Float>? = nil,
                    progress: ((TrainingProgress) -> Void)? = nil,
                    checkpoint: ((TrainerState<Float>) throws -> Void)? = nil) throws -> PretrainingOutcome {
        let initial = TrainerState<Float>(epochsDone: 0, step: 0, parameters: [:], moments: [], bestParameters: [:],
                                          bestEpoch: 0, bestDevMCC: -.infinity, evaluations: [], lossCurve: [],
                                          trainingSeconds: 0, trainedTokens: 0, pretrainingEpochs: [])
        let current = try loop.run(self, resumingFrom: state, initial: initial, progress: progress, checkpoint: checkpoint)
        return PretrainingOutcome(epochs: current.pretrainingEpochs ?? [], frequencyBaselineAccuracy: frequencyBaselineAccuracy,
                                  lossCurve: current.lossCurve, lossCurveStride: lossCurveStride, steps: current.step,
                                  trainingSeconds: current.trainingSeconds,
                                  tokensPerSecond: Double(current.trainedTokens) / Swift.max(current.trainingSeconds, 1e-9))
    }

    /// Masked-token loss and accuracy of the current parameters on the held-out corpus, without dropout.
    public func evaluate() -> (loss: Double, accuracy: Double) {
        var loss = 0.0, correct = 0, total = 0
        for masked in heldOut {
            let pass = model.forward(masked)
            loss += model.loss(pass).loss * Double(masked.rows.count)
            correct += zip(model.predictions(pass), masked.targets).filter { $0 == $1 }.count
            total += masked.rows.count
        }
        return (loss / Double(total), Double(correct) / Double(total))
    }

    func snapshot() -> [String: Tensor<Float>] { model.parameters.snapshot() }
    func restore(_ values: [String: Tensor<Float>]) { model.parameters.restore(values) }
}

// MARK: transfer

public struct TransferError: Error, CustomStringConvertible, Sendable {
    public let parameter: String
    public let sourceShape: [Int]
    public let targetShape: [Int]

    public var description: String {
        "cannot transfer \(parameter): the pretrained tensor has shape \(sourceShape), the classifier's has shape "
            + "\(targetShape) (a different vocabulary, width, depth or maxLength?)"
    }
}

/// Copies into `target` every parameter that `source` holds under the same name, except the
/// classification head (`classifier.*`) and the pooler (`pooler.*`): pretraining never trained them,
/// so the fine-tuned model keeps them as initialised. Checks every shape before copying anything, so
/// a mismatch leaves `target` untouched. Returns the names copied, in the target's order; a target
/// parameter missing from `source` (say, another norm placement's LayerNorm) is left as it is, and
/// the caller can see it absent from the list.
@discardableResult
public func transferEncoder<S: Scalar>(from source: ParameterStore<S>, to target: TransformerClassifier<S>) throws -> [String] {
    var pairs: [(from: Parameter<S>, to: Parameter<S>)] = []
    for p in target.parameters.all where !p.name.hasPrefix("classifier.") && !p.name.hasPrefix("pooler.") {
        guard let s = source[p.name] else { continue }
        guard s.value.shape == p.value.shape else {
            throw TransferError(parameter: p.name, sourceShape: s.value.shape, targetShape: p.value.shape)
        }
        pairs.append((s, p))
    }
    for (from, to) in pairs { to.value.copy(from: from.value) }
    return pairs.map(\.to.name)
}
