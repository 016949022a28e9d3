// Runs scored on extra test files (chapter 4's longer test sets), generated tasks read from the
// store, and keys that stay put for runs that use neither.
import XCTest
@testable import GeneCoding

final class ExtraTestsTests: StoreTestCase {
    func baseRun() -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), positionEncoding: .rope, profile: .smoke, seed: 1)
        run.width = 16; run.heads = 2; run.feedForwardWidth = 32; run.layers = 1; run.epochs = 2
        return run
    }

    func testNewOptionalFieldsLeaveOldKeysAlone() throws {
        let json = String(decoding: baseRun().canonicalJSON(), as: UTF8.self)
        XCTAssertFalse(json.contains("extraTests"), "an unset field must not enter the key, or every stored result would be orphaned")
        XCTAssertFalse(json.contains("pretraining"))
        var pretrained = baseRun()
        pretrained.pretraining = Pretraining(corpusLimit: 10, epochs: 1, batchSize: 8, learningRate: 1e-3)
        XCTAssertNotEqual(try executor.key(pretrained), try executor.key(baseRun()))
    }

    func testExtraTestFilesAreScoredAndHashed() throws {
        let folder = root.appendingPathComponent("gue/synthetic/motif")
        // The test split again, each sequence doubled: a longer test set of the same rule.
        let doubled = try String(contentsOf: folder.appendingPathComponent("test.csv"), encoding: .utf8).split(separator: "\n").enumerated().map { i, line in
            i == 0 ? String(line) : { let p = line.split(separator: ","); return "\(p[0])\(p[0]),\(p[1])" }()
        }.joined(separator: "\n") + "\n"
        try doubled.write(to: folder.appendingPathComponent("test-140.csv"), atomically: true, encoding: .utf8)
        var extra = baseRun()
        extra.extraTests = ["test-140.csv"]
        let key = try executor.key(extra)
        XCTAssertNotEqual(key, try executor.key(baseRun()))
        let record = try executor.execute(extra, threads: 1)
        let score = try XCTUnwrap(record.extraTests?.first)
        XCTAssertEqual(score.file, "test-140.csv")
        XCTAssertEqual(score.meanBases, 140, accuracy: 1e-9)
        // 140 bases as 3-mers: 46 tokens and a 2-base tail, with [CLS] and [SEP].
        XCTAssertEqual(score.meanTokens, 49, accuracy: 1e-9)
        XCTAssertTrue((0...1).contains(score.scores.accuracy))
        // Changing the file changes the key: a stale score is never reused.
        try (doubled + "").replacingOccurrences(of: ",1\n", with: ",0\n").write(to: folder.appendingPathComponent("test-140.csv"), atomically: true, encoding: .utf8)
        let fresh = RunExecutor(gue: executor.gue, store: executor.store)
        XCTAssertNotEqual(try fresh.key(extra), key)
        // Bad names are refused with the folder named.
        var bad = baseRun()
        bad.extraTests = ["../train.csv"]
        XCTAssertThrowsError(try executor.key(bad)) { XCTAssertTrue("\($0)".contains("synthetic/motif"), "\($0)") }
    }

    func testGeneratedTasksLoadFromTheStore() throws {
        try LongRangeBenchmark.write(.periodic, to: executor.syntheticRoot, trainLength: 1250, testLengths: [2500],
                                     sizes: .init(train: 8, dev: 4, test: 4))
        let name = RunExecutor.syntheticPrefix + LongRangeBenchmark.taskName(.periodic)
        let task = try executor.task(name)
        XCTAssertEqual(task.name, name)
        XCTAssertEqual(task.train.count, 8)
        XCTAssertEqual(try executor.extraTest("test-2500.csv", of: name).summary.longest, 2500)
    }
}

/// A tokenizer file is keyed by its content, not by where it lies, and results stored under the old
/// path-bearing key are adopted rather than trained again.
final class TokenizerFileKeyTests: StoreTestCase {
    func fileRun(_ path: String) -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: .file(path: path), positionEncoding: .rope, profile: .smoke, seed: 1)
        run.width = 16; run.heads = 2; run.feedForwardWidth = 32; run.layers = 1; run.epochs = 1
        return run
    }

    func copies() throws -> (String, String) {
        let fixture = try TokenizerFixtures.url("bpe512.json")
        let a = root.appendingPathComponent("a/tokenizer.json"), b = root.appendingPathComponent("elsewhere/tokenizer.json")
        for url in [a, b] {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixture, to: url)
        }
        return (a.path, b.path)
    }

    func testTheSameFileElsewhereHasTheSameKey() throws {
        let (a, b) = try copies()
        XCTAssertEqual(try executor.key(fileRun(a)), try executor.key(fileRun(b)))
        // A result stored from one folder answers for the other, and says so in the other's terms,
        // so that a chapter matching records by their run finds it.
        _ = try executor.execute(fileRun(a), threads: 1)
        let found = try executor.executeAll([fileRun(b)], workers: 1, threadsPerRun: 1)
        XCTAssertEqual(found.first?.run.tokenizer, .file(path: b))
        XCTAssertEqual(try executor.execute(fileRun(b), threads: 1).run.tokenizer, .file(path: b))
        // Different content, same name: a different key.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: b))
        XCTAssertNotEqual(try executor.key(fileRun(a)), try RunExecutor(gue: executor.gue, store: executor.store).key(fileRun(b)))
    }
}
