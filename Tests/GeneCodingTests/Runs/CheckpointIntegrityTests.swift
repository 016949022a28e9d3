// Checkpoints and models that cannot be trusted, and the instants a kill can strike while a run
// finishes: a damaged checkpoint is reported and the run starts over to the uninterrupted result,
// never stored as failed or as a wrong result; a damaged model is refused by name; finishing leaves
// a resumable checkpoint or the finished result at every step; a failed run says why and can be retried.
import XCTest
@testable import GeneCoding

final class CheckpointIntegrityTests: StoreTestCase {

    /// The record of `run` trained without interruption in a store of its own.
    func uninterrupted(_ run: Run) throws -> (record: RunRecord, model: Data) {
        let other = RunExecutor(gue: executor.gue, store: ResultStore(root: root.appendingPathComponent("results-straight")))
        other.log = { _ in }
        let record = try other.execute(run)
        let model = try Data(contentsOf: other.store.checkpointDirectory(record.key).appendingPathComponent(Checkpoint.modelFile))
        return (record, model)
    }

    func stateURL(_ run: Run) throws -> URL {
        executor.store.checkpointDirectory(try executor.key(run)).appendingPathComponent(Checkpoint.stateFile)
    }

    /// Trains `run` until `epochs` epochs are checkpointed, then stops as a kill would.
    func interrupt(_ run: Run, after epochs: Int) throws {
        executor.interruptAfterEpoch = epochs
        XCTAssertThrowsError(try executor.execute(run)) { XCTAssertTrue($0 is RunInterrupted, "\($0)") }
        executor.interruptAfterEpoch = nil
    }

    /// The state file rewritten with `change` applied to its tensors and metadata; the old seal is
    /// kept (as damage or an edit would leave it) unless `reseal`.
    func rewrite(_ url: URL, reseal: Bool = false, _ change: (inout [SafetensorsFile.Entry], inout [String: String]) -> Void) throws {
        let file = try SafetensorsFile(contentsOf: url.path)
        var tensors = file.tensors, metadata = file.metadata
        change(&tensors, &metadata)
        var changed = SafetensorsFile(tensors: tensors, metadata: metadata)
        if reseal { changed = changed.sealed() }
        try changed.encoded().write(to: url)
    }

    /// The counters JSON inside a state's metadata, edited.
    func editCounters(_ metadata: inout [String: String], _ change: (inout [String: Any]) -> Void) {
        var counters = (try? JSONSerialization.jsonObject(with: Data(metadata["counters"]!.utf8))) as? [String: Any] ?? [:]
        change(&counters)
        metadata["counters"] = String(decoding: try! JSONSerialization.data(withJSONObject: counters, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A run interrupted after epoch 2 whose checkpoint is then damaged by `damage` must say so, naming
    /// the file and `reason`, start over, and end with exactly the uninterrupted result.
    func assertDamageIsDetected(_ name: String, reason: String, file: StaticString = #filePath, line: UInt = #line,
                                _ damage: (URL) throws -> Void) throws {
        let run = smallRun()
        let straight = try uninterrupted(run).record
        try interrupt(run, after: 2)
        let state = try stateURL(run)
        try damage(state)
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let record = try executor.execute(run)
        let warning = messages.lines.first { $0.contains("cannot be trusted") } ?? ""
        XCTAssertTrue(warning.contains(state.path), "\(name): the damaged file must be named: \(messages.lines)", file: file, line: line)
        XCTAssertTrue(warning.contains(reason), "\(name): '\(reason)' missing from: \(warning)", file: file, line: line)
        XCTAssertFalse(messages.contains("resuming"), "\(name): a damaged checkpoint must not be resumed from", file: file, line: line)
        XCTAssertEqual(record.status, .done, "\(name): never stored as failed", file: file, line: line)
        XCTAssertEqual(record.outcome?.lossCurve, straight.outcome?.lossCurve, "\(name): the run must retrace the uninterrupted one", file: file, line: line)
        XCTAssertEqual(record.outcome?.test, straight.outcome?.test, "\(name)", file: file, line: line)
        XCTAssertEqual(record.modelSHA256, straight.modelSHA256, "\(name): the same model, byte for byte", file: file, line: line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: state.deletingLastPathComponent().appendingPathComponent(Checkpoint.damagedStateFile).path),
                      "\(name): the damaged state is kept aside for a person to look at", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: state.path), "\(name): no state left beside the result", file: file, line: line)
    }

    func testRandomBytesInTheStateAreDetected() throws {
        try assertDamageIsDetected("random bytes", reason: "not a safetensors file") { url in
            var random = RandomSource(seed: 99)
            let size = try Data(contentsOf: url).count
            try Data((0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }).write(to: url)
        }
    }

    func testOneNaNInTheStateIsDetected() throws {
        try assertDamageIsDetected("one NaN", reason: "checksum mismatch") { url in
            try rewrite(url) { tensors, _ in tensors[3].values[1] = .nan }
        }
    }

    func testANaNUnderAValidSealIsStillRefused() throws {
        try assertDamageIsDetected("sealed NaN", reason: "non-finite value") { url in
            try rewrite(url, reseal: true) { tensors, _ in tensors[3].values[1] = .nan }
        }
    }

    func testATensorScaledByOneAndAHalfIsDetected() throws {
        try assertDamageIsDetected("scaled tensor", reason: "checksum mismatch") { url in
            try rewrite(url) { tensors, _ in
                let index = tensors.firstIndex { $0.name.hasPrefix("param/") }!
                tensors[index].values = tensors[index].values.map { $0 * 1.5 }
            }
        }
    }

    func testAnEditedStepCounterIsDetected() throws {
        try assertDamageIsDetected("edited step", reason: "checksum mismatch") { url in
            try rewrite(url) { _, metadata in editCounters(&metadata) { $0["step"] = ($0["step"] as? Int ?? 0) + 7 } }
        }
    }

    /// Even resealed (by someone who recomputed the checksum), counters no run could have saved are refused.
    func testAResealedImpossibleStepCounterIsRefused() throws {
        try assertDamageIsDetected("resealed step", reason: "step counter") { url in
            try rewrite(url, reseal: true) { _, metadata in editCounters(&metadata) { $0["step"] = ($0["step"] as? Int ?? 0) + 7 } }
        }
    }

    func testACheckpointWithoutAChecksumIsNotTrusted() throws {
        try assertDamageIsDetected("unsealed (older) state", reason: "carries no checksum") { url in
            try rewrite(url) { _, metadata in metadata[SafetensorsFile.sealKey] = nil }
        }
    }

    /// A sound-looking checkpoint from which training diverges is not believed: the run starts over
    /// from scratch and is stored as failed only if that diverges too (here it does not).
    func testARunThatDivergesAfterResumingStartsOverFromScratch() throws {
        let run = smallRun()
        let straight = try uninterrupted(run).record
        try interrupt(run, after: 2)
        // Parameters near Float's largest value: sealed and finite, but every product overflows.
        try rewrite(try stateURL(run), reseal: true) { tensors, _ in
            for i in tensors.indices where tensors[i].name.hasPrefix("param/") { tensors[i].values = tensors[i].values.map { $0 == 0 ? 3e38 : $0 * 3e38 } }
        }
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let record = try executor.execute(run)
        XCTAssertTrue(messages.contains("resuming"), "\(messages.lines)")
        XCTAssertTrue(messages.contains("diverged after resuming"), "\(messages.lines)")
        XCTAssertEqual(record.status, .done)
        XCTAssertEqual(record.outcome?.lossCurve, straight.outcome?.lossCurve)
        XCTAssertEqual(record.modelSHA256, straight.modelSHA256)
    }

    // MARK: kills while finishing

    /// Stopped at each step of finishing, as a kill would stop it, the store holds a resumable
    /// checkpoint or the result, and the next start ends with the uninterrupted record and model bytes.
    func testAStopAtEveryStepOfFinishingLeavesTheCheckpointOrTheResult() throws {
        let run = smallRun(tokenizer: .bpe(vocabularySize: 64))
        let straight = try uninterrupted(run)
        let key = try executor.key(run)
        for step in RunExecutor.FinishingStep.allCases {
            try? FileManager.default.removeItem(at: executor.store.root)
            executor.atFinishingStep = { if $0 == step { throw RunInterrupted(epochsDone: run.epochs) } }
            XCTAssertThrowsError(try executor.execute(run), step.rawValue) { XCTAssertTrue($0 is RunInterrupted, "\($0)") }
            executor.atFinishingStep = nil
            let hasState = FileManager.default.fileExists(atPath: try stateURL(run).path)
            let hasRecord = executor.store.record(key) != nil
            XCTAssertTrue(hasState || hasRecord, "stopped at '\(step.rawValue)': neither a checkpoint nor a result is left")
            XCTAssertEqual(hasRecord, step == .recordWritten, step.rawValue)
            let record = try executor.execute(run)
            XCTAssertEqual(record.outcome?.lossCurve, straight.record.outcome?.lossCurve, step.rawValue)
            XCTAssertEqual(record.outcome?.test, straight.record.outcome?.test, step.rawValue)
            XCTAssertEqual(record.modelSHA256, straight.record.modelSHA256, step.rawValue)
            let directory = executor.store.checkpointDirectory(key)
            XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(Checkpoint.modelFile)), straight.model, step.rawValue)
            XCTAssertFalse(FileManager.default.fileExists(atPath: try stateURL(run).path), "\(step.rawValue): state left behind")
            XCTAssertNoThrow(try StoredModel(directory: directory), step.rawValue)
        }
    }

    /// Killed after the last epoch's checkpoint, before anything of the result was written: the run
    /// resumes with no epoch left, scores, and stores the uninterrupted result and model bytes.
    func testAKillBeforeTheModelIsWrittenLeavesAResumableRun() throws {
        let run = smallRun(tokenizer: .bpe(vocabularySize: 64))
        let straight = try uninterrupted(run)
        try interrupt(run, after: run.epochs)
        XCTAssertNil(executor.store.record(try executor.key(run)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: try stateURL(run).path), "the state of the last epoch remains")
        let messages = LogLines()
        executor.log = { messages.append($0) }
        let record = try executor.execute(run)
        XCTAssertTrue(messages.contains("after epoch \(run.epochs) of \(run.epochs)"), "\(messages.lines)")
        XCTAssertEqual(record.outcome?.test, straight.record.outcome?.test)
        XCTAssertEqual(record.outcome?.evaluations, straight.record.outcome?.evaluations)
        let directory = executor.store.checkpointDirectory(record.key)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(Checkpoint.modelFile)), straight.model)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try stateURL(run).path), "the state goes once the record is stored")
        XCTAssertNoThrow(try StoredModel(directory: directory))
    }

    /// Killed after the model files, before the record (the old order deleted the state first and
    /// lost the run here): the state is still there, and the run finishes to the same bytes.
    func testAKillBetweenTheModelAndTheRecordLosesNothing() throws {
        let run = smallRun()
        let straight = try uninterrupted(run)
        try interrupt(run, after: run.epochs)
        let directory = executor.store.checkpointDirectory(try executor.key(run))
        let straightDirectory = root.appendingPathComponent("results-straight/checkpoints/\(straight.record.key)")
        for file in [Checkpoint.configFile, Checkpoint.modelFile] {
            try FileManager.default.copyItem(at: straightDirectory.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let record = try executor.execute(run)
        XCTAssertEqual(record.status, .done)
        XCTAssertEqual(record.outcome?.lossCurve, straight.record.outcome?.lossCurve)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent(Checkpoint.modelFile)), straight.model)
    }

    /// Killed after the record, before the state was removed: the record is the result, and the
    /// leftover state is removed the next time the record is read.
    func testAKillAfterTheRecordLeavesTheResultAndTheStateIsTidied() throws {
        let run = smallRun()
        try interrupt(run, after: run.epochs)
        let state = try stateURL(run)
        let saved = try Data(contentsOf: state)
        let record = try executor.execute(run)
        try saved.write(to: state)
        let again = try executor.execute(run)
        XCTAssertEqual(again.finished, record.finished, "the stored record is returned, nothing retrained")
        XCTAssertFalse(FileManager.default.fileExists(atPath: state.path), "the leftover state is removed")
    }

    // MARK: times of a resumed run

    /// A resumed run records what an uninterrupted one does: training seconds and tokens/s over all
    /// its epochs (not only those after the resume), wall seconds including the processes before.
    func testAResumedRunRecordsTheTimesOfAllItsEpochs() throws {
        let run = smallRun()
        try interrupt(run, after: 2)
        let file = try SafetensorsFile(contentsOf: try stateURL(run).path)
        let counters = try ResultStore.decoder.decode(Checkpoint.Counters.self, from: Data(try XCTUnwrap(file.metadata["counters"]).utf8))
        let earlierWall = try XCTUnwrap(counters.wallSeconds)
        XCTAssertGreaterThanOrEqual(earlierWall, counters.trainingSeconds)
        let record = try executor.execute(run)
        let outcome = try XCTUnwrap(record.outcome)
        XCTAssertGreaterThan(outcome.trainingSeconds, counters.trainingSeconds, "the first two epochs' training counts")
        XCTAssertGreaterThanOrEqual(record.wallSeconds, earlierWall + (outcome.trainingSeconds - counters.trainingSeconds),
                                    "the wall time of the first process counts too")
        // tokens/s is every epoch's tokens over every epoch's training seconds.
        let splits = try executor.encodedSplits(of: try run.validated(), task: try executor.task(run.task), tokenizer: try executor.tokenizer(for: run))
        let tokens = Double(run.epochs * (splits.train.tokenCount))
        XCTAssertEqual(outcome.tokensPerSecond * outcome.trainingSeconds, tokens, accuracy: tokens * 1e-9)
    }

    // MARK: failed runs

    func testAFailedRunSaysWhyIsCountedAndCanBeRetried() throws {
        let diverging = divergingRun()
        let failed = try executor.execute(diverging)
        XCTAssertEqual(failed.status, .failed)
        XCTAssertTrue(failed.failure?.contains("training diverged") ?? false, failed.failure ?? "no reason")
        XCTAssertNil(failed.modelSHA256)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try stateURL(diverging).path), "no state left beside a failed result")

        // A good run stored as failed (as the damaged checkpoints of before could leave it) stays so,
        // counted, until retried.
        let run = smallRun()
        try executor.store.save(fabricatedRecord(run, key: try executor.key(run), status: .failed))
        XCTAssertEqual(try executor.execute(run).status, .failed, "a stored failure is a result")
        let messages = LogLines()
        executor.log = { messages.append($0) }
        _ = try executor.executeAll([run, diverging], workers: 1, threadsPerRun: 1)
        XCTAssertTrue(messages.contains("2 in the store (2 of them failed"), "\(messages.lines)")
        executor.retryFailed = true
        let records = try executor.executeAll([run, diverging], workers: 1, threadsPerRun: 1)
        XCTAssertEqual(records.map(\.status), [.done, .failed], "retried: the good run trains, the diverging one fails again")
        XCTAssertTrue(messages.contains("retrying"), "\(messages.lines)")
        XCTAssertTrue(messages.contains("trained 2 runs: 1 done, 1 failed"), "\(messages.lines)")
    }

    // MARK: damaged models

    func trainedModelFolder() throws -> URL {
        let record = try executor.execute(smallRun(tokenizer: .bpe(vocabularySize: 64)))
        return executor.store.checkpointDirectory(record.key)
    }

    func assertRefused(_ folder: URL, naming file: String, saying text: String, _ line: UInt = #line) {
        XCTAssertThrowsError(try StoredModel(directory: folder), line: line) { error in
            guard let error = error as? InputError else { return XCTFail("\(error) is not an InputError", line: line) }
            XCTAssertEqual(error.file, folder.appendingPathComponent(file).path, "\(error)", line: line)
            XCTAssertTrue(error.message.contains(text), "'\(text)' missing from: \(error)", line: line)
        }
    }

    func testTheRecordHoldsTheModelsChecksum() throws {
        let folder = try trainedModelFolder()
        let record = try XCTUnwrap(executor.store.allRecords().first)
        XCTAssertEqual(record.modelSHA256, try SHA256.hexDigest(ofFile: folder.appendingPathComponent(Checkpoint.modelFile)))
        XCTAssertTrue(try StoredModel(directory: folder).verified)
    }

    func testADamagedModelIsRefusedByName() throws {
        let folder = try trainedModelFolder()
        let model = folder.appendingPathComponent(Checkpoint.modelFile)
        let original = try Data(contentsOf: model)
        try rewrite(model) { tensors, _ in tensors[0].values = tensors[0].values.map { $0 * 1.5 } }
        assertRefused(folder, naming: Checkpoint.modelFile, saying: "checksum mismatch")
        var bytes = original
        bytes[bytes.count - 3] ^= 0x40  // one flipped bit in the last tensor
        try bytes.write(to: model)
        assertRefused(folder, naming: Checkpoint.modelFile, saying: "checksum mismatch")
        try Data(original.prefix(original.count / 2)).write(to: model)
        assertRefused(folder, naming: Checkpoint.modelFile, saying: "truncated")
        try original.write(to: model)
        XCTAssertNoThrow(try StoredModel(directory: folder))
    }

    func testAnEditedConfigurationOrVocabularyIsRefusedByName() throws {
        let folder = try trainedModelFolder()
        let config = folder.appendingPathComponent(Checkpoint.configFile)
        let original = try String(contentsOf: config, encoding: .utf8)
        try original.replacingOccurrences(of: "\"rope\"", with: "\"alibi\"").write(to: config, atomically: true, encoding: .utf8)
        assertRefused(folder, naming: Checkpoint.configFile, saying: "does not belong to")
        try "{\"vocab_size\": 69,".write(to: config, atomically: true, encoding: .utf8)
        assertRefused(folder, naming: Checkpoint.configFile, saying: "is not valid JSON")
        try FileManager.default.removeItem(at: config)
        assertRefused(folder, naming: Checkpoint.configFile, saying: "missing")
        try original.write(to: config, atomically: true, encoding: .utf8)

        let vocabulary = folder.appendingPathComponent(Checkpoint.tokenizerFile)
        let words = try String(contentsOf: vocabulary, encoding: .utf8)
        try (words + " ").write(to: vocabulary, atomically: true, encoding: .utf8)
        assertRefused(folder, naming: Checkpoint.tokenizerFile, saying: "does not belong to")
        try words.write(to: vocabulary, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try StoredModel(directory: folder))
    }

    func testAModelFolderThatIsNotOneIsNamed() throws {
        let missing = root.appendingPathComponent("no-such-model")
        XCTAssertThrowsError(try StoredModel(directory: missing)) { XCTAssertTrue("\($0)".hasPrefix(missing.path + ": no such model folder"), "\($0)") }
        let file = root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try StoredModel(directory: file)) { XCTAssertTrue("\($0)".contains("is a file"), "\($0)") }
        // A configuration describing an impossible model is refused before any tensor is made.
        let folder = try trainedModelFolder()
        let config = folder.appendingPathComponent(Checkpoint.configFile)
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        json["num_hidden_layers"] = 0
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        assertRefused(folder, naming: Checkpoint.configFile, saying: "layers is 0")
    }

    /// Models written before models carried checksums load, unverified, as before.
    func testAnOlderModelWithoutAChecksumLoadsUnverified() throws {
        let folder = try trainedModelFolder()
        try rewrite(folder.appendingPathComponent(Checkpoint.modelFile)) { _, metadata in
            metadata = metadata.filter { ["format", "genecoding_key"].contains($0.key) }
        }
        let loaded = try StoredModel(directory: folder)
        XCTAssertFalse(loaded.verified)
    }
}
