// The issue's hostile command lines, run against the built `genecoding` (the one `swift test` builds
// beside the test bundle; skipped when it is not there): no input may reach a trap, a signal or a
// stack trace; bad settings are refused with one plain line saying what is allowed; a failed run,
// a damaged model and a bad task give a non-zero exit status.
import XCTest
@testable import GeneCoding

final class CommandLineTests: StoreTestCase {
    var genecoding: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? Bundle.main.bundlePath)
        let candidates = [bundle.deletingLastPathComponent(), Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("genecoding") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("no genecoding executable beside the test bundle (looked in \(candidates.map(\.path)))")
        }
        genecoding = found
    }

    struct Outcome {
        var status: Int32
        var signalled: Bool
        var output: String
    }

    /// Runs genecoding with `arguments`; GUE_DIR is the test's synthetic GUE, results go to its store.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = genecoding
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["GUE_DIR"] = root.appendingPathComponent("gue").path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                       output: String(decoding: data, as: UTF8.self))
    }

    var results: String { executor.store.root.path }
    func train(_ extra: [String]) throws -> Outcome {
        try run(["train", "--task", "synthetic/motif", "--profile", "smoke", "--tokenizer", "kmer:3", "--results", results] + extra)
    }

    func assertRefused(_ extra: [String], saying text: String, line: UInt = #line) throws {
        let outcome = try train(extra)
        XCTAssertFalse(outcome.signalled, "\(extra): killed by a signal: \(outcome.output)", line: line)
        XCTAssertNotEqual(outcome.status, 0, "\(extra) must fail: \(outcome.output)", line: line)
        XCTAssertTrue(outcome.output.contains(text), "\(extra): '\(text)' missing from: \(outcome.output)", line: line)
        for trap in ["Fatal error", "Stack dump", "Illegal instruction", "NSCocoaErrorDomain", "Current stack trace"] {
            XCTAssertFalse(outcome.output.contains(trap), "\(extra): \(trap) in: \(outcome.output)", line: line)
        }
    }

    func testTheIssuesHostileTrainCommandsAreRefusedPlainly() throws {
        try assertRefused(["--feed-forward", "0"], saying: "Error: feed-forward width is 0: give a whole number of at least 1")
        try assertRefused(["--feed-forward=-4"], saying: "feed-forward width is -4")
        try assertRefused(["--learning-rate", "nan"], saying: "learning rate is nan: give a positive finite number")
        try assertRefused(["--learning-rate", "inf"], saying: "learning rate is inf")
        try assertRefused(["--train-limit=-5"], saying: "train limit is -5")
        try assertRefused(["--width", "100000", "--heads", "1"], saying: "of memory: choose a smaller")
        try assertRefused(["--layers", "100000", "--width", "64", "--heads", "4"], saying: "of memory: choose a smaller")
        try assertRefused(["--epochs", "0"], saying: "epochs is 0: give a whole number from 1")
        try assertRefused(["--epochs=-1"], saying: "epochs is -1")
        try assertRefused(["--epochs", "-1"], saying: "epochs is -1")  // not "Missing value for '--epochs'"
        try assertRefused(["--learning-rate=-0.001"], saying: "learning rate is -0.001")
        try assertRefused(["--threads=-4"], saying: "threads is -4")
        try assertRefused(["--width", "0"], saying: "width is 0: give a whole number of at least 1")
        try assertRefused(["--task", "../escape"], saying: "'..' would leave GUE_DIR")
        try assertRefused(["--tokenizer", root.appendingPathComponent("nothing.json").path], saying: "nothing.json: no such tokenizer file")
        let folder = root.appendingPathComponent("folder.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try assertRefused(["--tokenizer", folder.path], saying: "folder.json: is a folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: executor.store.runsDirectory.path), "no refused run left a record")
    }

    func testAFailedRunExitsNonZeroAndIsRetried() throws {
        let diverging = ["--learning-rate", "1e30"]
        let first = try train(diverging)
        XCTAssertEqual(first.status, 1, first.output)
        XCTAssertTrue(first.output.contains("FAILED: training diverged"), first.output)
        let again = try train(diverging)
        XCTAssertEqual(again.status, 1, "a stored failure still exits non-zero: \(again.output)")
        XCTAssertTrue(again.output.contains("stored result, not retrained"), again.output)
        let retried = try train(diverging + ["--retry-failed"])
        XCTAssertTrue(retried.output.contains("retrying"), retried.output)
        XCTAssertEqual(retried.status, 1, retried.output)
    }

    func testSpellingsOfATaskFindOneResult() throws {
        let first = try train([])
        XCTAssertEqual(first.status, 0, first.output)
        for spelling in ["synthetic/motif/", "synthetic//motif", "./synthetic/motif"] {
            let again = try run(["train", "--task", spelling, "--profile", "smoke", "--tokenizer", "kmer:3", "--results", results])
            XCTAssertEqual(again.status, 0, again.output)
            XCTAssertTrue(again.output.contains("stored result, not retrained"), "\(spelling): \(again.output)")
        }
    }

    func testEvaluateRefusesADamagedModelWithItsName() throws {
        let trained = try train([])
        XCTAssertEqual(trained.status, 0, trained.output)
        let folder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: executor.store.checkpointsDirectory.path).first)
        let model = executor.store.checkpointsDirectory.appendingPathComponent(folder)
        let good = try run(["evaluate", "--model", model.path, "--results", results])
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertTrue(good.output.contains("MCC"), good.output)
        // A tokenizer with more ids than the model knows, or a task with more classes, is refused
        // (their ids and labels have no row in the model's tables).
        let wideTokenizer = try run(["evaluate", "--model", model.path, "--results", results, "--tokenizer", "kmer:6"])
        XCTAssertEqual(wideTokenizer.status, 1, wideTokenizer.output)
        XCTAssertTrue(wideTokenizer.output.contains("ids but the model"), wideTokenizer.output)
        let three = root.appendingPathComponent("gue/more/classes")
        try FileManager.default.createDirectory(at: three, withIntermediateDirectories: true)
        for split in ["train", "dev", "test"] { try Data("sequence,label\nACGTAC,0\nACGTTA,1\nAGGTAC,2\n".utf8).write(to: three.appendingPathComponent("\(split).csv")) }
        let moreClasses = try run(["evaluate", "--model", model.path, "--results", results, "--task", "more/classes"])
        XCTAssertEqual(moreClasses.status, 1, moreClasses.output)
        XCTAssertTrue(moreClasses.output.contains("has 3 classes but the model"), moreClasses.output)
        let weights = model.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 5] ^= 0x10
        try bytes.write(to: weights)
        let damaged = try run(["evaluate", "--model", model.path, "--results", results])
        XCTAssertEqual(damaged.status, 1, damaged.output)
        XCTAssertTrue(damaged.output.contains("\(weights.path): checksum mismatch"), damaged.output)
        XCTAssertFalse(damaged.output.contains("MCC"), "no score from a damaged model: \(damaged.output)")
        let missing = try run(["evaluate", "--model", root.appendingPathComponent("nowhere").path])
        XCTAssertEqual(missing.status, 1, missing.output)
        XCTAssertTrue(missing.output.contains("nowhere: no such model folder"), missing.output)
    }

    func testTasksListsEveryTaskWithTheErrorsBeside() throws {
        let bad = root.appendingPathComponent("gue/broken/task")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        for split in ["train", "dev", "test"] { try Data("sequence,label\nACGT,x\n".utf8).write(to: bad.appendingPathComponent("\(split).csv")) }
        let outcome = try run(["tasks"])
        XCTAssertEqual(outcome.status, 1, outcome.output)
        XCTAssertTrue(outcome.output.contains("2 tasks in") && outcome.output.contains("(1 cannot be read)"), outcome.output)
        XCTAssertTrue(outcome.output.contains("broken/task") && outcome.output.contains("train.csv:2: label 'x'"), outcome.output)
        XCTAssertTrue(outcome.output.contains("synthetic/motif") && outcome.output.contains("2 classes"), "the good task is listed after the bad one: \(outcome.output)")
    }

    func testGridCommandsRefuseBadManifestsAndNumbers() throws {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 3, overlapping: false), profile: .smoke, seed: 1)
        run.epochs = 1
        let manifest = try GridManifest.pending([run], executor: executor, source: "cli", renderCommand: [], threadsPerRun: 1)
        let path = root.appendingPathComponent("grid.json").path
        try manifest.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"epochs\" : 1", with: "\"epochs\" : -3")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for arguments in [["grid", "local", "--manifest", path], ["grid", "run-one", "--manifest", path, "--index", "0"]] {
            let outcome = try self.run(arguments)
            XCTAssertFalse(outcome.signalled, outcome.output)
            XCTAssertNotEqual(outcome.status, 0, outcome.output)
            XCTAssertTrue(outcome.output.contains("epochs is -3"), "\(arguments): \(outcome.output)")
        }
        try manifest.write(to: path)
        let negative = try self.run(["grid", "run-one", "--manifest", path, "--index", "-1"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.output.contains("run index -1 is outside"), negative.output)
        let threads = try self.run(["grid", "local", "--manifest", path, "--threads", "-2"])
        XCTAssertTrue(threads.output.contains("threads is -2"), threads.output)
    }

    /// --memory takes a mode or auto; a wrong word, on the command line or in GENECODING_MEMORY, is
    /// refused plainly; a run trained in another mode prints and stores the same result, noting its mode.
    func testTheMemoryOption() throws {
        try assertRefused(["--memory", "little"], saying: "little")
        let environment = try run(["train", "--task", "synthetic/motif", "--profile", "smoke", "--tokenizer", "kmer:3", "--results", results],
                                  environment: ["GENECODING_MEMORY": "little"])
        XCTAssertNotEqual(environment.status, 0, environment.output)
        XCTAssertTrue(environment.output.contains("GENECODING_MEMORY=little: give one of keep, attention, layers, auto"), environment.output)
        let layers = try train(["--memory", "layers", "--json"])
        XCTAssertEqual(layers.status, 0, layers.output)
        let other = root.appendingPathComponent("other-results").path
        let keep = try run(["train", "--task", "synthetic/motif", "--profile", "smoke", "--tokenizer", "kmer:3", "--results", other, "--json"],
                           environment: ["GENECODING_MEMORY": "keep"])
        XCTAssertEqual(keep.status, 0, keep.output)
        func record(_ outcome: Outcome) throws -> RunRecord {
            let json = String(outcome.output[outcome.output.range(of: "{")!.lowerBound...])
            return try ResultStore.decoder.decode(RunRecord.self, from: Data(json.utf8))
        }
        let (a, b) = (try record(layers), try record(keep))
        XCTAssertEqual(a.memoryMode, .recomputeLayers)
        XCTAssertEqual(b.memoryMode, .keepAll)
        XCTAssertEqual(a.key, b.key)
        XCTAssertEqual(a.modelSHA256, b.modelSHA256, "the same model, bit for bit")
        XCTAssertEqual(a.outcome?.test, b.outcome?.test)
        let help = try run(["train", "--help"])
        XCTAssertTrue(help.output.contains("--memory <mode>"), help.output)
    }

}
