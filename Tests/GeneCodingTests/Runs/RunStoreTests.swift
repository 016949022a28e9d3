// The run layer: keys, the result store, checkpoints, resumption, failures.
import XCTest
@testable import GeneCoding

/// A GUE-layout task written into a temporary folder: 70 bp sequences, label 1 when the motif
/// TATAAT is planted. Big enough to train for real in a second, small enough to write per test.
enum SyntheticGUE {
    static func make(in root: URL, task: String = "synthetic/motif", rows: (Int, Int, Int) = (192, 64, 64)) throws {
        var random = RandomSource(seed: 2024)
        let folder = root.appendingPathComponent(task)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, count) in [("train", rows.0), ("dev", rows.1), ("test", rows.2)] {
            var text = "sequence,label\n"
            for i in 0..<count {
                var bases = (0..<70).map { _ in Array("ACG")[Int(random.next() % 3)] }  // no T: TATAAT never occurs by chance
                let label = i % 2
                if label == 1 {
                    let at = Int(random.next() % 64)
                    bases.replaceSubrange(at..<(at + 6), with: Array("TATAAT"))
                }
                text += String(bases) + ",\(label)\n"
            }
            try text.write(to: folder.appendingPathComponent("\(name).csv"), atomically: true, encoding: .utf8)
        }
    }
}

/// Log lines collected from a `@Sendable` log closure, which workers may call side by side.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

/// A test case with its own temporary folder holding a SyntheticGUE task and an empty result store,
/// and an executor over both (one thread, no log lines).
class StoreTestCase: XCTestCase {
    var root: URL!
    var executor: RunExecutor!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-\(type(of: self))-\(UUID().uuidString)")
        try SyntheticGUE.make(in: root.appendingPathComponent("gue"))
        executor = RunExecutor(gue: GUE(root: root.appendingPathComponent("gue")), store: ResultStore(root: root.appendingPathComponent("results")))
        executor.log = { _ in }
        ComputeThreads.set(1)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// The run the store's tests train: the smoke profile's, one narrow layer on the whole splits of
    /// the synthetic motif task, at a learning rate that finds the motif in a few epochs (seconds).
    func smallRun(seed: UInt64 = 1, tokenizer: TokenizerSpec = .kmer(k: 3, overlapping: false),
                  position: PositionEncoding = .rope, epochs: Int = 4) -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: tokenizer, positionEncoding: position, profile: .smoke, seed: seed)
        (run.width, run.heads, run.feedForwardWidth, run.layers, run.epochs) = (32, 2, 64, 1, epochs)
        (run.trainLimit, run.devLimit, run.testLimit) = (nil, nil, nil)
        run.optimizer.learningRate = 3e-3
        return run
    }

    /// `smallRun` at a learning rate no model survives, unclipped and without warm-up: its loss is not
    /// finite within the first steps, so the run is recorded as failed.
    func divergingRun(seed: UInt64 = 1) -> Run {
        var run = smallRun(seed: seed)
        run.optimizer.learningRate = 1e30
        run.optimizer.gradientClip = nil
        run.optimizer.warmupFraction = 0
        return run
    }
}

final class RunStoreTests: StoreTestCase {

    func testKeyChangesWithEveryInputAndOnlyThen() throws {
        let base = smallRun()
        let key = try executor.key(base)
        XCTAssertEqual(key, try executor.key(base), "the same run must have the same key")
        var relabelled = base
        relabelled.profile = "another name"
        XCTAssertEqual(key, try executor.key(relabelled), "the profile's name is a label, not an input")
        var variants: [(String, Run)] = []
        func vary(_ name: String, _ change: (inout Run) -> Void) { var r = base; change(&r); variants.append((name, r)) }
        vary("seed") { $0.seed = 2 }
        vary("tokenizer") { $0.tokenizer = .kmer(k: 4, overlapping: false) }
        vary("position") { $0.positionEncoding = .alibi }
        vary("layers") { $0.layers = 2 }
        vary("width") { $0.width = 16 }
        vary("heads") { $0.heads = 4 }
        vary("learning rate") { $0.optimizer.learningRate = 1e-4 }
        vary("epochs") { $0.epochs = 5 }
        vary("batch") { $0.batchSize = 8 }
        vary("dropout") { $0.dropout = 0 }
        vary("train limit") { $0.trainLimit = 100 }
        vary("crop") { $0.trainCrop = 35 }
        vary("causal") { $0.causal = true }
        var keys = Set([key])
        for (name, run) in variants {
            XCTAssertTrue(keys.insert(try executor.key(run)).inserted, "changing the \(name) must change the key")
        }
        // A changed data file changes the key too.
        let trainFile = root.appendingPathComponent("gue/synthetic/motif/train.csv")
        try (String(contentsOf: trainFile, encoding: .utf8) + "ACGTACGT,0\n").write(to: trainFile, atomically: true, encoding: .utf8)
        let fresh = RunExecutor(gue: executor.gue, store: executor.store)
        XCTAssertNotEqual(key, try fresh.key(base), "a changed training file must change the key")
    }

    func testAStoredResultIsReusedAndSameSeedGivesTheSameResult() throws {
        let first = try executor.execute(smallRun())
        XCTAssertEqual(first.status, .done)
        let outcome = try XCTUnwrap(first.outcome)
        XCTAssertGreaterThan(outcome.test.mcc, 0.5, "a 1-layer model must find a planted TATAAT (test MCC \(outcome.test.mcc))")
        // Reused: the stored record comes back untouched (same finish time).
        let again = try executor.execute(smallRun())
        XCTAssertEqual(again.finished, first.finished)
        // Recomputed from scratch in another store: the same numbers.
        let other = RunExecutor(gue: executor.gue, store: ResultStore(root: root.appendingPathComponent("results-2")))
        other.log = { _ in }
        let recomputed = try XCTUnwrap(try other.execute(smallRun()).outcome)
        XCTAssertEqual(recomputed.lossCurve, outcome.lossCurve)
        XCTAssertEqual(recomputed.test, outcome.test)
    }

    func testAnInterruptedRunResumesToTheSameResult() throws {
        let uninterrupted = RunExecutor(gue: executor.gue, store: ResultStore(root: root.appendingPathComponent("results-straight")))
        uninterrupted.log = { _ in }
        let straight = try XCTUnwrap(try uninterrupted.execute(smallRun()).outcome)

        executor.interruptAfterEpoch = 2
        XCTAssertThrowsError(try executor.execute(smallRun())) { XCTAssertTrue($0 is RunInterrupted, "\($0)") }
        let key = try executor.key(smallRun())
        XCTAssertNil(executor.store.record(key), "an interrupted run leaves no result")
        executor.interruptAfterEpoch = nil
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let resumed = try XCTUnwrap(try executor.execute(smallRun()).outcome)
        XCTAssertTrue(messages.lines.contains { $0.contains("resuming") && $0.contains("after epoch 2") }, "\(messages.lines)")
        XCTAssertEqual(resumed.lossCurve, straight.lossCurve, "the resumed run must retrace the uninterrupted one")
        XCTAssertEqual(resumed.evaluations.map(\.devScores), straight.evaluations.map(\.devScores))
        XCTAssertEqual(resumed.test, straight.test)
        XCTAssertEqual(resumed.bestEpoch, straight.bestEpoch)
    }

    func testACorruptedResultIsDetectedAndRecomputed() throws {
        let run = smallRun()
        let key = try executor.key(run)
        try FileManager.default.createDirectory(at: executor.store.runsDirectory, withIntermediateDirectories: true)
        try Data("{\"key\": \"\(key)\", \"run\": {".utf8).write(to: executor.store.recordURL(key))  // half a file
        guard case .unreadable = executor.store.lookup(key) else { return XCTFail("half a JSON file must read as unreadable") }
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let record = try executor.execute(run)
        XCTAssertEqual(record.status, .done)
        XCTAssertTrue(messages.contains("not a readable result"), "\(messages.lines)")
        guard case .found = executor.store.lookup(key) else { return XCTFail("the recomputed result must be stored") }
    }

    func testADivergingRunIsRecordedAsFailed() throws {
        let run = divergingRun()
        let record = try executor.execute(run)
        XCTAssertEqual(record.status, .failed)
        XCTAssertTrue(record.failure?.contains("diverged") ?? false, record.failure ?? "no message")
        XCTAssertEqual(executor.store.record(try executor.key(run))?.status, .failed, "the failure is stored")
    }

    func testAStoredModelGivesIdenticalLogits() throws {
        let run = smallRun(tokenizer: .bpe(vocabularySize: 64))
        let record = try executor.execute(run)
        let directory = executor.store.checkpointDirectory(record.key)
        let stored = try StoredModel(directory: directory)
        XCTAssertEqual(stored.task, run.task)
        XCTAssertNotNil(stored.vocabularyFile, "a BPE model keeps its vocabulary beside it")
        let tokenizer = try BPETokenizer(contentsOf: stored.vocabularyFile!)
        let t = try executor.task(run.task)
        let batch = TokenBatch(sequences: try t.test.rows.prefix(8).map { try tokenizer.encodeForModel($0.sequence, maxLength: 64) },
                               labels: t.test.labels.prefix(8).map { $0 })
        // Rebuild the trained model by retraining in another store, and compare logits bit for bit.
        let again = RunExecutor(gue: executor.gue, store: ResultStore(root: root.appendingPathComponent("results-3")))
        again.log = { _ in }
        let other = try StoredModel(directory: again.store.checkpointDirectory(try again.execute(run).key))
        XCTAssertEqual(stored.model.forward(batch).logits.values, other.model.forward(batch).logits.values)
        let scores = Trainer.evaluate(stored.model, EncodedSplit(sequences: try t.test.rows.map { try tokenizer.encodeForModel($0.sequence, maxLength: 64) },
                                                                 labels: t.test.labels)).scores
        XCTAssertEqual(scores.mcc, try XCTUnwrap(record.outcome).test.mcc, accuracy: 1e-12,
                       "the stored model must score what training reported")
    }

    func testTheDearestRunsStartFirst() throws {
        // 1-mers make sequences three times longer than 3-mers: the dearer run, listed last.
        let cheap = smallRun(seed: 1, tokenizer: .kmer(k: 3, overlapping: false))
        let dear = smallRun(seed: 2, tokenizer: .kmer(k: 1, overlapping: false))
        XCTAssertGreaterThan(try executor.estimatedSeconds(dear, threads: 1), try executor.estimatedSeconds(cheap, threads: 1))
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let records = try executor.executeAll([cheap, dear], workers: 1, threadsPerRun: 1)
        let finished = messages.lines.filter { $0.hasPrefix("[") }
        XCTAssertEqual(finished.count, 2, "\(messages.lines)")
        XCTAssertTrue(finished[0].contains(dear.label), "\(finished)")
        XCTAssertTrue(finished[1].contains(cheap.label), "\(finished)")
        // and the records still come back in the order asked for
        XCTAssertEqual(records.map(\.run.seed), [1, 2])
    }

    func testManyRunsGoOnPastAFailure() throws {
        let bad = divergingRun(seed: 9)
        let records = try executor.executeAll([smallRun(seed: 1), bad, smallRun(seed: 2)], workers: 2, threadsPerRun: 1)
        XCTAssertEqual(records.map(\.status), [.done, .failed, .done])
    }

    func testBadInputNamesWhatIsValid() throws {
        XCTAssertThrowsError(try ScaleProfile.named("huge")) { XCTAssertTrue("\($0)".contains("smoke"), "\($0)") }
        XCTAssertThrowsError(try TokenizerSpec.parse("kmer:9")) { XCTAssertTrue("\($0)".contains("bpe:SIZE"), "\($0)") }
        var unknown = smallRun()
        unknown.task = "nope/none"
        XCTAssertThrowsError(try executor.key(unknown)) { XCTAssertTrue("\($0)".contains("synthetic/motif"), "\($0)") }
        XCTAssertThrowsError(try GUE.fromEnvironment([:])) { XCTAssertTrue("\($0)".contains("GUE_DIR"), "\($0)") }
    }
}
