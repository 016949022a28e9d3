// genecoding reproduce: which stored runs it trains again, when bits can be expected, and that a run
// trained again compares equal to its record and a changed record does not.
import XCTest
@testable import GeneCoding

final class ReproductionTests: StoreTestCase {
    /// A finished record of `run` that took `seconds` to train (nothing trained).
    private func finished(_ run: Run, key: String, seconds: Double) -> RunRecord {
        var record = fabricatedRecord(run, key: key)
        let scores = ClassificationScores(mcc: 0.5, accuracy: 0.75, macroF1: 0.7)
        record.outcome = TrainingOutcome(bestEpoch: 1, dev: scores, test: scores, testLoss: 0.5, evaluations: [], lossCurve: [],
                                         lossCurveStride: 1, steps: 10, trainingSeconds: seconds, tokensPerSecond: 1)
        return record
    }

    func testTheSampleCoversTheModelsSettingsCheapestFirstWithinTheTimeLimit() {
        var records: [RunRecord] = []
        for seed in 1...5 { records.append(finished(smallRun(seed: UInt64(seed)), key: "plain\(seed)", seconds: Double(seed))) }
        var deep = smallRun(seed: 1); deep.layers = 12
        records.append(finished(deep, key: "deep", seconds: 20))
        var deepCheaper = smallRun(seed: 2); deepCheaper.layers = 12
        records.append(finished(deepCheaper, key: "deepCheaper", seconds: 10))
        var alibi = smallRun(seed: 1, position: .alibi)
        records.append(finished(alibi, key: "alibi", seconds: 3))
        alibi.layers = 24
        records.append(finished(alibi, key: "tooSlow", seconds: 500))
        var pretrained = smallRun(seed: 1); pretrained.width = 128
        pretrained.pretraining = Pretraining(corpusLimit: nil, epochs: 1, batchSize: 16, learningRate: 1e-3)
        records.append(finished(pretrained, key: "pretrained", seconds: 1))
        var failed = finished(smallRun(seed: 9, position: .sinusoidal), key: "failed", seconds: 1)
        failed.status = .failed

        let sample = Reproduction.sample(records + [failed], count: 3, maximumSeconds: 30)
        XCTAssertEqual(sample.map(\.key), ["plain1", "alibi", "deepCheaper"],
                       "the cheapest run, then the cheapest of those that add a setting (ALiBi, then 12 layers); "
                       + "not the 500 s run, the pretrained or the failed one")
        XCTAssertEqual(Reproduction.sample(records.reversed(), count: 3, maximumSeconds: 30).map(\.key), sample.map(\.key),
                       "the same store in another order gives the same sample")
        XCTAssertEqual(Reproduction.sample(records, count: 100, maximumSeconds: 30).count, 8, "at most every eligible run")
        XCTAssertEqual(Reproduction.sample(records, count: 100, maximumSeconds: 1_000).map(\.key).contains("tooSlow"), true)
    }

    func testBitsAreExpectedOnlyFromTheSameEngineKernelsAndBuild() {
        let here = Machine(cores: 2, memoryBytes: 1 << 34, system: "Linux", processor: "CPU", build: "AVX2 (haswell)", blasKernels: "Haswell")
        var record = fabricatedRecord(smallRun(), key: "k")
        record.machine = here
        XCTAssertNil(Reproduction.notComparable(record, engine: engineVersion, machine: here))
        XCTAssertNotNil(Reproduction.notComparable(record, engine: "engine-999", machine: here))
        var otherKernels = here; otherKernels.blasKernels = "SkylakeX"
        XCTAssertEqual(Reproduction.notComparable(record, machine: otherKernels), "made with OpenBLAS's Haswell kernels, this machine runs SkylakeX")
        var otherBuild = here; otherBuild.build = "generic"
        XCTAssertNotNil(Reproduction.notComparable(record, machine: otherBuild))
        record.machine = nil
        XCTAssertNotNil(Reproduction.notComparable(record, machine: here))
    }

    func testARunTrainedAgainEqualsItsRecordAndAChangedRecordDoesNot() throws {
        let stored = try executor.execute(smallRun(epochs: 2), threads: 1)
        let scratch = RunExecutor(gue: executor.gue, store: ResultStore(root: root.appendingPathComponent("again")))
        scratch.log = { _ in }
        let same = try Reproduction.compare(stored, executor: scratch, threads: 2)
        XCTAssertTrue(same.identical, "trained again on 2 threads, the run must give its record's model and predictions")

        var changed = stored
        changed.modelSHA256 = String(repeating: "0", count: 64)
        changed.outcome!.test.mcc += 1e-9
        let comparison = try Reproduction.compare(changed, executor: scratch, threads: 1)   // the scratch store's record, read back
        XCTAssertFalse(comparison.sameModel)
        XCTAssertFalse(comparison.sameScores)
        XCTAssertTrue(comparison.samePredictions)
        XCTAssertFalse(comparison.identical)
    }
}
