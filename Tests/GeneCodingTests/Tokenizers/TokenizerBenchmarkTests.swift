import Foundation
import XCTest
import GeneCoding

final class TokenizerBenchmarkTests: XCTestCase {
    func testSequencesAreSeededAndHaveStructure() {
        let first = TokenizerBenchmark.sequences(count: 50, length: 120, seed: 42)
        XCTAssertEqual(first, TokenizerBenchmark.sequences(count: 50, length: 120, seed: 42))
        XCTAssertNotEqual(first, TokenizerBenchmark.sequences(count: 50, length: 120, seed: 43))
        XCTAssertTrue(first.allSatisfy { $0.count == 120 && $0.allSatisfy("ACGT".contains) })
    }

    /// The motifs make BPE compress better than on uniform random bases.
    func testMotifsGiveBPESomethingToLearn() throws {
        let structured = TokenizerBenchmark.sequences(count: 400, length: 200, seed: 1)
        let uniform = TokenizerFixtures.randomSequences(count: 400, lengths: 200...200, seed: 1)
        let learnedOnStructured = try BPETrainer(vocabularySize: 300).train(structured)
        let learnedOnUniform = try BPETrainer(vocabularySize: 300).train(uniform)
        let structuredTokens = try TokenizerStatistics(tokenizer: learnedOnStructured, sequences: structured).meanTokensPerSequence
        let uniformTokens = try TokenizerStatistics(tokenizer: learnedOnUniform, sequences: uniform).meanTokensPerSequence
        XCTAssertLessThan(structuredTokens, 0.9 * uniformTokens)
    }

    func testRunWritesItsInputsAndTimes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sequencesFile = directory.appendingPathComponent("sequences.txt")
        let tokenizerFile = directory.appendingPathComponent("bpe.json")
        let result = try TokenizerBenchmark.run(count: 100, length: 80, vocabularySize: 64, seed: 3,
                                                sequencesFile: sequencesFile, tokenizerFile: tokenizerFile)
        XCTAssertEqual(result.vocabularySize, 64)
        XCTAssertGreaterThan(result.trainingSeconds, 0)
        XCTAssertGreaterThan(result.encodingSeconds, 0)
        XCTAssertLessThan(result.meanTokensPerSequence, 80)
        let written = try String(contentsOf: sequencesFile, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(written, TokenizerBenchmark.sequences(count: 100, length: 80, seed: 3))
        XCTAssertEqual(try BPETokenizer(contentsOf: tokenizerFile).vocabularySize, 64)
    }
}
