// Runs that start from a pretrained encoder: pretraining happens once per shared encoder, its
// parameters reach the classifier, and the record says what was done.
import XCTest
@testable import GeneCoding

final class PretrainedRunTests: StoreTestCase {
    func pretrainedRun(seed: UInt64) -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), positionEncoding: .rope, profile: .smoke, seed: seed)
        run.width = 16; run.heads = 2; run.feedForwardWidth = 32; run.layers = 1; run.epochs = 1
        run.pretraining = Pretraining(corpusLimit: nil, epochs: 2, batchSize: 16, learningRate: 3e-3)
        return run
    }

    func testSeedsShareOnePretrainedEncoderAndItReachesTheClassifier() throws {
        let runs = [pretrainedRun(seed: 1), pretrainedRun(seed: 2)]
        XCTAssertEqual(try executor.pretrainingKey(runs[0]), try executor.pretrainingKey(runs[1]), "the fine-tuning seed is not an input of pretraining")
        var other = runs[0]
        other.positionEncoding = .alibi
        XCTAssertNotEqual(try executor.pretrainingKey(other), try executor.pretrainingKey(runs[0]))
        XCTAssertNil(try executor.pretrainingKey(Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), profile: .smoke, seed: 1)))

        let records = try executor.executeAll(runs, workers: 2, threadsPerRun: 1)
        let stored = try FileManager.default.contentsOfDirectory(atPath: executor.pretrainedDirectory.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(stored, [try executor.pretrainingKey(runs[0])!], "one encoder for both seeds")
        for record in records {
            let p = try XCTUnwrap(record.pretraining)
            XCTAssertEqual(p.heldOutAccuracy.count, 2, "one held-out score per pretraining epoch")
            XCTAssertEqual(p.corpusSequences, 192)
            XCTAssertTrue(p.transferred.contains("embeddings.word_embeddings.weight"))
            XCTAssertTrue(p.transferred.contains { $0.hasPrefix("encoder.layer.0.") }, "\(p.transferred)")
            XCTAssertFalse(p.transferred.contains { $0.hasPrefix("classifier") || $0.hasPrefix("pooler") }, "the head starts fresh")
            XCTAssertGreaterThan(p.heldOutAccuracy.last!, p.frequencyBaseline - 1e-9)
        }
        XCTAssertEqual(records[0].pretraining!.key, records[1].pretraining!.key)

        // Loading the stored encoder gives the parameters pretraining ended with.
        let (loaded, _) = try executor.pretrainedEncoder(for: runs[0])
        let fresh = RunExecutor(gue: executor.gue, store: executor.store)
        fresh.log = { _ in }
        let (again, _) = try fresh.pretrainedEncoder(for: runs[0])
        for (a, b) in zip(loaded.parameters.all, again.parameters.all) { XCTAssertEqual(a.value.values, b.value.values, a.name) }
    }
}
