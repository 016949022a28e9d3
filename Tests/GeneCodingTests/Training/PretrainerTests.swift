// Masked-language-model pretraining: it learns a corpus with structure, resumes bit-identically, and
// hands its encoder to a classifier.
import XCTest
@testable import GeneCoding

/// Unlabelled sequences, each one of `patterns` repeated from a random phase, so that a masked token
/// is fixed by its neighbours. Seeded: the same corpus every run.
struct RepeatedPatterns {
    var patterns: [[Int32]]

    /// Three periods over twelve ids (5...16), each id in one pattern: every id is equally frequent.
    static let three = RepeatedPatterns(patterns: [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    var vocabularySize: Int { Int(patterns.joined().max()!) + 1 }

    func corpus(count: Int, length: Int, seed: UInt64) -> [[Int32]] {
        var random = RandomSource(seed: seed)
        return (0..<count).map { _ in
            let p = patterns[Int(random.next() % UInt64(patterns.count))]
            let phase = Int(random.next() % UInt64(p.count))
            return [SpecialToken.classification.rawValue] + (0..<length).map { p[(phase + $0) % p.count] }
                + [SpecialToken.separator.rawValue]
        }
    }
}

final class PretrainerTests: XCTestCase {
    private func configuration(_ encoding: PositionEncoding = .rope, vocabularySize: Int = RepeatedPatterns.three.vocabularySize,
                               dropout: Double = 0.1) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: vocabularySize, classCount: 2, maxLength: 24, width: 32, heads: 2,
                           feedForwardWidth: 64, layers: 2, positionEncoding: encoding, dropout: dropout)
    }

    private func pretrainer(seed: UInt64, epochs: Int, corpusSize: Int, length: Int = 18, encoding: PositionEncoding = .rope,
                            dropout: Double = 0.1, maskProbability: Double = 0.15) throws -> Pretrainer {
        let task = RepeatedPatterns.three
        let encoder = try TransformerClassifier<Float>(configuration(encoding, dropout: dropout), seed: seed)
        let settings = PretrainingSettings(epochs: epochs, batchSize: 32,
                                           optimizer: OptimizerSettings(learningRate: 3e-3, weightDecay: 0.01),
                                           maskProbability: maskProbability)
        return try Pretrainer(model: MaskedLanguageModel(encoder: encoder, seed: seed), settings: settings, seed: seed,
                              corpus: task.corpus(count: corpusSize, length: length, seed: 20),
                              heldOut: task.corpus(count: 128, length: length, seed: 21))
    }

    /// Twelve equally frequent ids: answering the most frequent one is right about 1 time in 12 (the
    /// outcome reports the exact baseline). A model blind to order can name the pattern, and can count
    /// which of its tokens is short in a body of whole periods: without position encoding we measured
    /// 0.52 here. Held-out masked-token accuracy must reach 0.8, which takes reading the neighbours
    /// (RoPE: 0.90 from step 352 of 480, about a second; p = 0.3 and no dropout to get there in few steps).
    func testPretrainingLearnsMaskedTokensFromTheirNeighbours() throws {
        let trainer = try pretrainer(seed: 1, epochs: 60, corpusSize: 256, length: 12, dropout: 0, maskProbability: 0.3)
        let outcome = try trainer.run()
        let last = outcome.epochs.last!
        XCTAssertEqual(outcome.epochs.map(\.epoch), Array(1...60))
        XCTAssertLessThan(outcome.frequencyBaselineAccuracy, 0.15)
        XCTAssertGreaterThanOrEqual(last.heldOutAccuracy, 0.8,
                                    "held-out masked accuracy \(last.heldOutAccuracy) (baseline \(outcome.frequencyBaselineAccuracy)), "
                                        + "loss \(last.heldOutLoss) after \(outcome.steps) steps")
        XCTAssertLessThan(last.heldOutLoss, outcome.epochs.first!.heldOutLoss)
        XCTAssertEqual(outcome.steps, trainer.totalSteps)
        XCTAssertGreaterThan(outcome.tokensPerSecond, 0)
    }

    /// Interrupted after epoch 1 (the checkpoint hook throws) and resumed from the saved state, a run
    /// ends with the same parameters, bit for bit, as one that never stopped; also through the
    /// checkpoint files the run executor writes.
    func testResumedPretrainingIsBitIdentical() throws {
        struct Stop: Error {}
        let whole = try pretrainer(seed: 4, epochs: 2, corpusSize: 128)
        let wholeOutcome = try whole.run()

        let first = try pretrainer(seed: 4, epochs: 2, corpusSize: 128)
        var saved: TrainerState<Float>? = nil
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pretrainer-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let order = first.model.parameters.all.map(\.name)
        XCTAssertThrowsError(try first.run(checkpoint: { state in
            saved = state
            try Checkpoint.saveState(state, key: "mlm", order: order, wallSeconds: 0, to: directory)
            throw Stop()
        }))
        XCTAssertEqual(saved?.epochsDone, 1)

        let shapes = Dictionary(uniqueKeysWithValues: first.model.parameters.all.map { ($0.name, $0.value.shape) })
        let loaded = try XCTUnwrap(Checkpoint.loadState(key: "mlm", order: order, shapes: shapes, from: directory).trainerState)
        for (label, state) in [("in memory", saved!), ("from checkpoint files", loaded)] {
            let resumed = try pretrainer(seed: 4, epochs: 2, corpusSize: 128)
            let outcome = try resumed.run(resumingFrom: state)
            for (a, b) in zip(whole.model.parameters.all, resumed.model.parameters.all) {
                XCTAssertEqual(a.value.values, b.value.values, "\(label): \(a.name) differs after resuming")
            }
            XCTAssertEqual(outcome.lossCurve, wholeOutcome.lossCurve, label)
            XCTAssertEqual(outcome.steps, wholeOutcome.steps, label)
            XCTAssertEqual(outcome.epochs.last, wholeOutcome.epochs.last, label)
        }
        // In memory the state also carries epoch 1's held-out scores.
        XCTAssertEqual(try pretrainer(seed: 4, epochs: 2, corpusSize: 128).run(resumingFrom: saved!).epochs, wholeOutcome.epochs)
    }

    func testNonFiniteLossThrows() throws {
        let trainer = try pretrainer(seed: 2, epochs: 1, corpusSize: 32)
        trainer.model.parameters["cls.predictions.bias"]!.value[7] = .nan
        XCTAssertThrowsError(try trainer.run()) { error in
            guard case TrainingError.nonFiniteLoss(step: 0, epoch: 1, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testTransferCopiesTheEncoderAndLeavesTheHead() throws {
        let pretrained = MaskedLanguageModel(encoder: try TransformerClassifier<Float>(configuration(.learned), seed: 1), seed: 1)
        let fresh = try TransformerClassifier<Float>(configuration(.learned), seed: 2)
        let head = Dictionary(uniqueKeysWithValues: fresh.parameters.all.map { ($0.name, $0.value.values) })
        let copied = try transferEncoder(from: pretrained.parameters, to: fresh)
        let kept = fresh.parameters.all.filter { $0.name.hasPrefix("classifier.") || $0.name.hasPrefix("pooler.") }
        XCTAssertEqual(kept.count, 4, "pooler.dense and classifier, weight and bias")
        XCTAssertEqual(copied.count, fresh.parameters.all.count - kept.count)
        XCTAssertTrue(copied.contains("embeddings.position_embeddings.weight"))
        for p in fresh.parameters.all {
            let source = pretrained.parameters[p.name]!
            if kept.contains(where: { $0 === p }) {
                XCTAssertEqual(p.value.values, head[p.name], "\(p.name) must keep its fresh initialisation")
                if p.name.hasSuffix("weight") { XCTAssertNotEqual(p.value.values, source.value.values, p.name) }
            } else {
                XCTAssertEqual(p.value.values, source.value.values, "\(p.name) was not transferred")
            }
        }
        // Another vocabulary: a clear error naming the tensor, and nothing copied.
        let other = try TransformerClassifier<Float>(configuration(.learned, vocabularySize: 40), seed: 3)
        let before = other.parameters.all.map(\.value.values)
        XCTAssertThrowsError(try transferEncoder(from: pretrained.parameters, to: other)) { error in
            XCTAssertEqual((error as? TransferError)?.parameter, "embeddings.word_embeddings.weight")
            XCTAssertTrue("\(error)".contains("[17, 32]") && "\(error)".contains("[40, 32]"), "\(error)")
        }
        XCTAssertEqual(other.parameters.all.map(\.value.values), before, "a failed transfer changed the target")
    }
}
