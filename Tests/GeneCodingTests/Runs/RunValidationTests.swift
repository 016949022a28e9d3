// Settings checked where they enter: every hostile value of the issue refused by `Run.validated`
// (with `ModelConfiguration.validate`) with one message that says what is allowed, before anything
// is allocated or stored; task names in one normal form; manifests and profiles checked the same way.
import XCTest
@testable import GeneCoding

final class RunValidationTests: StoreTestCase {

    /// A run every check below starts from: valid, so that each change alone is what is refused.
    func validRun() -> Run {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), positionEncoding: .rope, profile: .smoke, seed: 1)
        run.width = 32
        run.heads = 2
        run.feedForwardWidth = 64
        run.epochs = 2
        return run
    }

    /// `change` applied to a valid run must be refused with a message holding each of `expected`.
    func assertRefused(_ name: String, _ change: (inout Run) -> Void, saying expected: [String],
                       memoryLimit: Double = ModelConfiguration.memoryLimit, file: StaticString = #filePath, line: UInt = #line) {
        var run = validRun()
        change(&run)
        XCTAssertThrowsError(try run.validated(memoryLimit: memoryLimit), name, file: file, line: line) { error in
            guard let error = error as? ConfigurationError else { return XCTFail("\(name): \(error) is not a ConfigurationError", file: file, line: line) }
            for text in expected {
                XCTAssertTrue(error.message.contains(text), "\(name): '\(error.message)' does not say '\(text)'", file: file, line: line)
            }
        }
    }

    func testAValidRunPassesUnchanged() throws {
        XCTAssertEqual(try validRun().validated(), validRun())
        for profile in ScaleProfile.all {
            XCTAssertNoThrow(try profile.validate(), profile.name)
            for task in profile.tasks {
                XCTAssertNoThrow(try Run(task: task, tokenizer: .bpe(vocabularySize: 4096), profile: profile, seed: 1).validated(), "\(profile.name) \(task)")
            }
        }
    }

    /// Every crash and every "done" result of nonsense the issue lists, refused with what is allowed.
    func testTheIssuesHostileSettingsAreRefusedWithWhatIsAllowed() {
        assertRefused("--feed-forward 0", { $0.feedForwardWidth = 0 }, saying: ["feed-forward width is 0", "at least 1"])
        assertRefused("--feed-forward=-4", { $0.feedForwardWidth = -4 }, saying: ["feed-forward width is -4", "at least 1"])
        assertRefused("--learning-rate nan", { $0.optimizer.learningRate = .nan }, saying: ["learning rate is nan", "positive finite"])
        assertRefused("--learning-rate inf", { $0.optimizer.learningRate = .infinity }, saying: ["learning rate is inf", "positive finite"])
        assertRefused("--learning-rate=-0.001", { $0.optimizer.learningRate = -0.001 }, saying: ["learning rate is -0.001", "positive"])
        assertRefused("--train-limit=-5", { $0.trainLimit = -5 }, saying: ["train limit is -5", "positive number of rows"])
        assertRefused("--epochs 0", { $0.epochs = 0 }, saying: ["epochs is 0", "from 1 to \(Run.largestEpochCount)"])
        assertRefused("--epochs=-1", { $0.epochs = -1 }, saying: ["epochs is -1", "from 1 to"])
        assertRefused("--epochs huge", { $0.epochs = .max }, saying: ["epochs is \(Int.max)"])
        // The message the issue found false ("width 0 is not a multiple of heads 2") says what is wrong.
        assertRefused("--width 0", { $0.width = 0 }, saying: ["width is 0: give a whole number of at least 1"])
        var zeroWidth = validRun()
        zeroWidth.width = 0
        XCTAssertFalse(zeroWidth.problemsText.isEmpty)
        XCTAssertFalse(zeroWidth.problemsText.contains("multiple"), zeroWidth.problemsText)
        assertRefused("--width 30 --heads 4", { $0.width = 30; $0.heads = 4 }, saying: ["width 30 is not a multiple of the 4 heads"])
        assertRefused("--heads 0", { $0.heads = 0 }, saying: ["heads is 0"])
        assertRefused("--layers 0", { $0.layers = 0 }, saying: ["layers is 0"])
        assertRefused("batch 0", { $0.batchSize = 0 }, saying: ["batch size is 0"])
        assertRefused("dropout 1", { $0.dropout = 1 }, saying: ["dropout is 1.0"])
        assertRefused("dropout nan", { $0.dropout = .nan }, saying: ["dropout is nan"])
        assertRefused("maxTokens 2", { $0.maxTokens = 2 }, saying: ["maxTokens", "is 2"])
        assertRefused("crop 0", { $0.trainCrop = 0 }, saying: ["training crop is 0"])
        assertRefused("extra test path", { $0.extraTests = ["../train.csv"] }, saying: ["extra test '../train.csv'"])
        assertRefused("k-mer 9", { $0.tokenizer = .kmer(k: 9, overlapping: false) }, saying: ["K from 1 to 6"])
        assertRefused("pretraining epochs 0", { $0.pretraining = Pretraining(corpusLimit: nil, epochs: 0, batchSize: 8, learningRate: 1e-3) },
                      saying: ["pretraining epochs is 0"])
        assertRefused("task ..", { $0.task = "../secret" }, saying: ["'..' would leave GUE_DIR"])
    }

    func testEveryProblemIsNamedInOneMessage() {
        var run = validRun()
        run.epochs = 0
        run.optimizer.learningRate = .nan
        run.feedForwardWidth = -4
        XCTAssertThrowsError(try run.validated()) { error in
            let problems = (error as? ConfigurationError)?.problems ?? []
            XCTAssertEqual(problems.count, 3, "\(problems)")
        }
    }

    /// Sizes the issue saw abort after a minute are refused at once, with the memory they would need.
    func testImpossibleSizesAreRefusedBeforeAllocationWithTheMemoryTheyNeed() {
        let machine = 16e9
        assertRefused("--width 100000 --heads 1", { $0.width = 100_000; $0.heads = 1; $0.feedForwardWidth = 400_000 },
                      saying: ["would need at least", "TB", "16.0 GB of memory"], memoryLimit: machine)
        assertRefused("--layers 100000 (default width)", { $0.width = 64; $0.heads = 4; $0.feedForwardWidth = 256; $0.layers = 100_000 },
                      saying: ["billion parameters", "GB", "16.0 GB of memory"], memoryLimit: machine)
        // Sizes whose products overflow Int are refused too (counted in Double), not trapped.
        assertRefused("overflowing width", { $0.width = 1 << 40; $0.heads = 1; $0.feedForwardWidth = 1 << 41 }, saying: ["would need"],
                      memoryLimit: machine)
        assertRefused("--batch huge", { $0.batchSize = 1 << 50 }, saying: ["batch \(1 << 50)", "would need"], memoryLimit: machine)
        // The same run passes when the machine is big enough: the limit is memory, not taste.
        var run = validRun()
        run.layers = 1000
        XCTAssertThrowsError(try run.validated(memoryLimit: 1e6))
        XCTAssertNoThrow(try run.validated(memoryLimit: 1e12))
    }

    /// The memory bound is a lower bound of what training really holds (so it never refuses a run that
    /// fits) and not a loose one: the activations it counts are at least half of those measured, in
    /// every memory mode, with [CLS] pooling (the last block computed for one row) and mean pooling.
    func testTheMemoryBoundIsBelowTheMeasuredActivationsAndClose() throws {
        for (position, dropout, pooling) in [(PositionEncoding.rope, 0.1, Pooling.classToken), (.alibi, 0.0, .classToken), (.sinusoidal, 0.1, .mean)] {
            for mode in MemoryMode.allCases {
                let configuration = ModelConfiguration(vocabularySize: 69, classCount: 2, maxLength: 256, width: 64, heads: 4,
                                                       feedForwardWidth: 256, layers: 2, positionEncoding: position, pooling: pooling, dropout: dropout)
                let measured = try LengthCost.measure(configuration, lengths: [(bases: 200, tokens: 200)], repeats: 1,
                                                      memoryMode: mode)[0].trainingStepBytes
                let bound = configuration.memoryBytes(batchSize: 1, tokens: 200, memoryMode: mode) - configuration.parameterBytes(copies: 5)
                let label = "\(position) \(pooling) dropout \(dropout), \(mode)"
                XCTAssertLessThanOrEqual(bound, Double(measured), "\(label): the bound must not exceed what a step holds")
                XCTAssertGreaterThanOrEqual(bound, 0.5 * Double(measured), "\(label): bound \(bound) is far below the measured \(measured)")
            }
        }
    }

    func testThreadsAndWorkersAreChecked() {
        XCTAssertThrowsError(try RunExecutor.validate(threads: -4)) { XCTAssertTrue("\($0)".contains("threads is -4: give a whole number from 1"), "\($0)") }
        XCTAssertThrowsError(try RunExecutor.validate(workers: 0, threads: 1)) { XCTAssertTrue("\($0)".contains("workers is 0"), "\($0)") }
        XCTAssertThrowsError(try RunExecutor.validate(threads: 100_000))
        XCTAssertNoThrow(try RunExecutor.validate(workers: 2, threads: 1))
        XCTAssertThrowsError(try executor.execute(validRun(), threads: -4))
        XCTAssertNil(executor.store.record(try executor.key(validRun())), "nothing is stored for a refused thread count")
    }

    /// An invalid run is refused by `execute` before anything is read, trained or stored.
    func testExecuteStoresNothingForAnInvalidRun() throws {
        for change in [{ (r: inout Run) in r.epochs = 0 }, { $0.epochs = -1 }, { $0.optimizer.learningRate = -0.001 }, { $0.optimizer.learningRate = .nan }] {
            var run = validRun()
            change(&run)
            XCTAssertThrowsError(try executor.execute(run))
            XCTAssertThrowsError(try executor.key(run), "an invalid run has no key")
        }
        let stored = (try? FileManager.default.contentsOfDirectory(atPath: executor.store.runsDirectory.path)) ?? []
        XCTAssertEqual(stored, [], "no record of a refused run")
        XCTAssertFalse(FileManager.default.fileExists(atPath: executor.store.checkpointsDirectory.path), "no checkpoint of a refused run")
    }

    /// The key of a run with a non-finite number no longer traps (it was a `try!`); the run is refused
    /// before any key is needed, but the function itself must not crash.
    func testTheKeyOfANonFiniteRunDoesNotTrap() {
        var run = validRun()
        run.optimizer.learningRate = .nan
        let key = run.key(dataHashes: [:])
        XCTAssertEqual(key.count, 64)
        run.optimizer.learningRate = .infinity
        XCTAssertNotEqual(run.key(dataHashes: [:]), key)
    }

    func testTaskSpellingsShareOneKeyAndEscapesAreRefused() throws {
        let key = try executor.key(validRun())
        for spelling in ["synthetic/motif/", "synthetic//motif", "./synthetic/motif", "/synthetic/motif", "synthetic/./motif"] {
            var run = validRun()
            run.task = spelling
            XCTAssertEqual(try executor.key(run), key, "'\(spelling)' must key as synthetic/motif")
            XCTAssertEqual(try run.validated().task, "synthetic/motif")
        }
        for (name, why) in [("../gue/synthetic/motif", "'..' would leave"), ("synthetic/../../etc", "'..' would leave"),
                            ("synthetic", "it has 1 parts"), ("", "it is empty"), ("synthetic/.hidden", "hidden folder"),
                            ("a/b/c", "it has 3 parts")] {
            XCTAssertThrowsError(try GUE.normalizedTaskName(name), name) { XCTAssertTrue("\($0)".contains(why), "\(name): \($0)") }
        }
        XCTAssertEqual(try Run.normalizedTaskName("synthetic:long-range//far-pair/"), "synthetic:long-range/far-pair")
        // A run under another spelling executes once and is then found under every spelling.
        var spelled = validRun()
        spelled.task = "./synthetic//motif/"
        let record = try executor.execute(spelled)
        XCTAssertEqual(record.key, key)
        XCTAssertEqual(executor.store.record(key)?.run.task, "synthetic/motif", "the store keeps the normal form")
        XCTAssertEqual(try executor.execute(validRun()).finished, record.finished, "found, not trained again")
    }

    func testAProfileIsCheckedWithTheChaptersOptions() {
        XCTAssertNoThrow(try ScaleProfile.smoke.validate(tasks: ["tf/0/"], workers: 2, threads: 1))
        XCTAssertThrowsError(try ScaleProfile.smoke.validate(workers: 0, threads: -1)) { error in
            XCTAssertTrue("\(error)".contains("workers is 0") && "\(error)".contains("threads is -1"), "\(error)")
        }
        XCTAssertThrowsError(try ScaleProfile.smoke.validate(tasks: ["../x"])) { XCTAssertTrue("\($0)".contains("'..'"), "\($0)") }
        var broken = ScaleProfile.smoke
        broken.width = 30
        broken.heads = 4
        broken.epochs = 0
        XCTAssertThrowsError(try broken.validate()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("profile smoke") && text.contains("epochs is 0") && text.contains("not a multiple"), text)
            XCTAssertEqual(text.components(separatedBy: "epochs is 0").count, 2, "each problem once, not once per depth: \(text)")
        }
    }

    /// Chapter 5's own models are checked too: a wider width the heads do not divide (the paper
    /// profile once asked for width 1024 with 12 heads, found only when the chapter built its runs).
    func testAProfilesScaleStudyIsChecked() {
        var broken = ScaleProfile.paper
        broken.scale.widths = [384, 1024]
        broken.scale.minimumSteps = 0
        XCTAssertThrowsError(try broken.validate()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("1024") && text.contains("12 heads") && text.contains("step floor is 0"), text)
        }
        broken = ScaleProfile.smoke
        broken.scale.widths = [32]
        broken.scale.sizes = [0, 96]
        XCTAssertThrowsError(try broken.validate()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("two widths") && text.contains("size 0"), text)
        }
    }

    /// One bad run among good ones refuses the whole batch before any is trained, naming it.
    func testExecuteAllRefusesInvalidRunsBeforeTrainingAny() throws {
        var bad = validRun()
        bad.seed = 2
        bad.feedForwardWidth = 0
        XCTAssertThrowsError(try executor.executeAll([validRun(), bad], workers: 1, threadsPerRun: 1)) { error in
            XCTAssertTrue("\(error)".contains("run 2 of 2") && "\(error)".contains("feed-forward width is 0"), "\(error)")
        }
        XCTAssertNil(executor.store.record(try executor.key(validRun())), "nothing trained")
        XCTAssertThrowsError(try executor.executeAll([validRun()], workers: 0, threadsPerRun: 1))
    }

    /// A manifest holding one bad run is refused on load, naming it, so `grid local` and array tasks
    /// never start on it (the issue: one such run crashed `grid local` for every run after it).
    func testAManifestWithAnInvalidRunIsRefusedOnLoad() throws {
        let good = try GridManifest.pending([validRun()], executor: executor, source: "test", renderCommand: [], threadsPerRun: 1)
        let path = root.appendingPathComponent("grid.json").path
        try good.write(to: path)
        XCTAssertNoThrow(try GridManifest(contentsOf: path))
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var entries = try XCTUnwrap(json["runs"] as? [[String: Any]])
        var run = try XCTUnwrap(entries[0]["run"] as? [String: Any])
        run["feedForwardWidth"] = 0
        entries[0]["run"] = run
        entries.append(entries[0])
        entries[1]["key"] = "not-a-key"
        json["runs"] = entries
        json["threadsPerRun"] = -4
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GridManifest(contentsOf: path)) { error in
            let text = "\(error)"
            for expected in [path, "run 0 (", "run 1 (", "feed-forward width is 0", "not a SHA-256", "threads is -4"] {
                XCTAssertTrue(text.contains(expected), "'\(expected)' missing from: \(text)")
            }
        }
        // Making a manifest of an invalid run is refused as well.
        var bad = validRun()
        bad.epochs = 0
        XCTAssertThrowsError(try GridManifest.pending([bad], executor: executor, source: "test", renderCommand: [], threadsPerRun: 1))
    }

    func testAMissingOrFolderTokenizerFileIsNamed() throws {
        var run = validRun()
        run.tokenizer = .file(path: root.appendingPathComponent("missing.json").path)
        XCTAssertThrowsError(try executor.key(run)) { error in
            XCTAssertTrue("\(error)".hasPrefix(self.root.appendingPathComponent("missing.json").path + ": no such tokenizer file"), "\(error)")
            XCTAssertFalse("\(error)".contains("NSCocoaErrorDomain"), "\(error)")
        }
        let folder = root.appendingPathComponent("folder.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        run.tokenizer = .file(path: folder.path)
        XCTAssertThrowsError(try executor.key(run)) { XCTAssertTrue("\($0)".contains("is a folder"), "\($0)") }
    }
}

private extension Run {
    /// The validation message, or "" when the run is valid.
    var problemsText: String {
        do { _ = try validated(); return "" } catch { return "\(error)" }
    }
}
