import Foundation
import XCTest
import GeneCoding

final class HuggingFaceFormatTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ json: String, to name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return url
    }

    /// A minimal tokenizer.json with the given merges, written as JSON text.
    private func minimalFile(merges: String, model extra: String = "") -> String {
        """
        {"version": "1.0", "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
         "model": {"type": "BPE", "unk_token": "[UNK]", \(extra)
           "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "[MASK]": 4,
                     "A": 5, "C": 6, "G": 7, "T": 8, "AC": 9, "ACG": 10},
           "merges": \(merges)}}
        """
    }

    func testWrittenFileReadsBackTheSameVocabulary() throws {
        let trained = try BPETrainer(vocabularySize: 120).train(TokenizerFixtures.randomSequences(count: 200, lengths: 30...90, seed: 5))
        let url = directory.appendingPathComponent("trained.json")
        try trained.write(to: url)
        let read = try BPETokenizer(contentsOf: url)
        XCTAssertEqual(read.tokens, trained.tokens)
        XCTAssertEqual(read.merges, trained.merges)
        XCTAssertEqual(read.name, url.path, "a loaded tokenizer is named by its path")
        XCTAssertEqual(try BPETokenizer(contentsOf: url, name: "mine").name, "mine")
    }

    func testHuggingFaceFileRewritesToTheSameVocabulary() throws {
        let original = try TokenizerFixtures.bpe512()
        let url = directory.appendingPathComponent("copy.json")
        try original.write(to: url)
        let copy = try BPETokenizer(contentsOf: url)
        XCTAssertEqual(copy.tokens, original.tokens)
        XCTAssertEqual(copy.merges, original.merges)
    }

    func testBothMergeFormatsAreRead() throws {
        let strings = try BPETokenizer(contentsOf: write(minimalFile(merges: #"["A C", "AC G"]"#), to: "strings.json"))
        let arrays = try BPETokenizer(contentsOf: write(minimalFile(merges: #"[["A", "C"], ["AC", "G"]]"#), to: "arrays.json"))
        XCTAssertEqual(strings.merges, [BPEMerge("A", "C"), BPEMerge("AC", "G")])
        XCTAssertEqual(arrays.merges, strings.merges)
        XCTAssertEqual(try arrays.encode("ACGT").map(arrays.token(for:)), ["ACG", "T"])
    }

    func testErrorsNameTheFileAndTheProblem() throws {
        func assertInputError(_ url: URL, mentions words: String..., line: UInt = #line) {
            XCTAssertThrowsError(try BPETokenizer(contentsOf: url), line: line) { error in
                guard let error = error as? InputError else { return XCTFail("expected InputError, got \(error)", line: line) }
                XCTAssertEqual(error.file, url.path, line: line)
                for word in words {
                    XCTAssertTrue(error.message.contains(word), "'\(error.message)' should mention \(word)", line: line)
                }
            }
        }
        assertInputError(directory.appendingPathComponent("missing.json"), mentions: "cannot read")
        assertInputError(try write("{\"model\": ", to: "truncated.json"), mentions: "not valid JSON")
        assertInputError(try write(minimalFile(merges: #"["A T"]"#), to: "unknown-merge.json"), mentions: "AT", "not in the vocabulary")
        assertInputError(try write(minimalFile(merges: #"["A C G"]"#), to: "three-parts.json"), mentions: "merges[0]")
        assertInputError(try write(minimalFile(merges: "[]", model: #""dropout": 0.1,"#), to: "dropout.json"), mentions: "dropout")
        assertInputError(try write(minimalFile(merges: "[]", model: #""fuse_unk": true,"#), to: "fuse.json"), mentions: "fuse_unk")
        assertInputError(try write(minimalFile(merges: "[]").replacingOccurrences(of: "\"ACG\": 10", with: "\"ACG\": 12"),
                                   to: "gap.json"), mentions: "without gaps")
        assertInputError(try write(minimalFile(merges: "[]").replacingOccurrences(of: "\"normalizer\": null", with: "\"normalizer\": {\"type\": \"Lowercase\"}"),
                                   to: "normalizer.json"), mentions: "normalizer Lowercase")
        assertInputError(try write(minimalFile(merges: "[]").replacingOccurrences(of: "\"[UNK]\": 0, \"[CLS]\": 1", with: "\"[UNK]\": 1, \"[CLS]\": 0"),
                                   to: "specials.json"), mentions: "[UNK]")
    }

    /// The written file must load in Python `tokenizers` and encode as we do; skipped without it.
    func testWrittenFileLoadsInHuggingFaceTokenizers() throws {
        let trained = try BPETrainer(vocabularySize: 150).train(TokenizerFixtures.randomSequences(count: 200, lengths: 30...90, seed: 6))
        let url = directory.appendingPathComponent("for-python.json")
        try trained.write(to: url)
        let sequences = TokenizerFixtures.randomSequences(count: 20, lengths: 1...120, seed: 10) + ["ACGNNTTA"]
        let script = """
        import sys
        try:
            from tokenizers import Tokenizer
        except ImportError:
            sys.exit(3)
        t = Tokenizer.from_file(sys.argv[1])
        for line in sys.stdin.read().split():
            print(" ".join(map(str, t.encode(line).ids)))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(sequences.joined(separator: "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 { throw XCTSkip("no python3") }
        if process.terminationStatus == 3 { throw XCTSkip("python3 has no tokenizers package") }
        XCTAssertEqual(process.terminationStatus, 0, "python could not load the written file")
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, sequences.count)
        for (sequence, line) in zip(sequences, lines) {
            // HF adds [CLS] and [SEP] through the post-processor we wrote.
            let expected = [SpecialToken.classification.rawValue] + (try trained.encode(sequence)) + [SpecialToken.separator.rawValue]
            XCTAssertEqual(TokenizerFixtures.ids(line), expected, sequence)
        }
    }
}
