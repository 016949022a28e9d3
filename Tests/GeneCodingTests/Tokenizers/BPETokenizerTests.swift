import XCTest
@testable import GeneCoding

final class BPETokenizerTests: XCTestCase {
    /// A vocabulary of the specials, the bases, and what the merges make.
    private func tokenizer(_ merges: [(String, String)]) throws -> BPETokenizer {
        var tokens = SpecialToken.allCases.map(\.text) + ["A", "C", "G", "T"]
        for (left, right) in merges where !tokens.contains(left + right) { tokens.append(left + right) }
        return try BPETokenizer(tokens: tokens, merges: merges.map { BPEMerge($0.0, $0.1) })
    }

    private func pieces(_ tokenizer: BPETokenizer, _ sequence: String) throws -> [String] {
        try tokenizer.encode(sequence).map(tokenizer.token(for:))
    }

    func testLowerRankMergesFirst() throws {
        XCTAssertEqual(try pieces(tokenizer([("C", "G"), ("A", "C")]), "ACG"), ["A", "CG"])
        XCTAssertEqual(try pieces(tokenizer([("A", "C"), ("C", "G")]), "ACG"), ["AC", "G"])
    }

    func testOverlappingOccurrencesResolveLeftmostFirst() throws {
        let doubles = try tokenizer([("A", "A")])
        XCTAssertEqual(try pieces(doubles, "AAA"), ["AA", "A"])
        XCTAssertEqual(try pieces(doubles, "AAAA"), ["AA", "AA"])
        XCTAssertEqual(try pieces(doubles, "AAAAA"), ["AA", "AA", "A"])
        // AA+A has a higher rank than A+A, so it waits until every A+A is done: AAAAA -> AA AA A
        // -> AA AAA (the left AA+AA has no merge).
        let triples = try tokenizer([("A", "A"), ("AA", "A")])
        XCTAssertEqual(try pieces(triples, "AAA"), ["AAA"])
        XCTAssertEqual(try pieces(triples, "AAAAA"), ["AA", "AAA"])
    }

    func testUnknownCharactersAreNeverMerged() throws {
        let doubles = try tokenizer([("A", "A")])
        XCTAssertEqual(try pieces(doubles, "AANAA"), ["AA", "[UNK]", "AA"])
        XCTAssertEqual(try pieces(doubles, "ANA"), ["A", "[UNK]", "A"])
        XCTAssertEqual(try pieces(doubles, "NN"), ["[UNK]", "[UNK]"])
        XCTAssertEqual(try pieces(doubles, "aarA"), ["AA", "[UNK]", "A"], "lower case and IUPAC codes")
        XCTAssertThrowsError(try doubles.encode("AA-A")) { error in
            XCTAssertEqual((error as? AlphabetError)?.offset, 2)
        }
        XCTAssertEqual(try doubles.encode(""), [])
    }

    func testRepeatedPairKeepsItsLastRank() throws {
        let tokenizer = try tokenizer([("C", "G"), ("A", "C"), ("C", "G")])
        XCTAssertEqual(tokenizer.merges, [BPEMerge("A", "C"), BPEMerge("C", "G")])
        XCTAssertEqual(try pieces(tokenizer, "ACG"), ["AC", "G"], "as Hugging Face's merge map")
    }

    func testDecodeDropsSpecialTokens() throws {
        let tokenizer = try tokenizer([("A", "C"), ("AC", "G")])
        let ids = try tokenizer.encode("ACGTACNAC")
        XCTAssertEqual(tokenizer.decode([SpecialToken.classification.rawValue] + ids + [SpecialToken.separator.rawValue, SpecialToken.padding.rawValue]),
                       "ACGTACAC")
        XCTAssertEqual(tokenizer.name, "bpe:\(tokenizer.vocabularySize)")
    }

    func testInvalidVocabulariesAreRefused() {
        let specials = SpecialToken.allCases.map(\.text)
        XCTAssertThrowsError(try BPETokenizer(tokens: ["A", "C"] + specials, merges: [])) { error in
            XCTAssertTrue("\(error)".contains("[UNK]"), "\(error)")
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: specials + ["A", "A"], merges: [])) { error in
            XCTAssertTrue("\(error)".contains("two ids"), "\(error)")
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: specials + ["A", "C"], merges: [BPEMerge("A", "C")])) { error in
            XCTAssertTrue("\(error)".contains("'AC' is not in the vocabulary"), "\(error)")
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: specials + ["A", "AG"], merges: [BPEMerge("A", "G")])) { error in
            XCTAssertTrue("\(error)".contains("'G' is not in the vocabulary"), "\(error)")
        }
    }

    // MARK: - Parity with Hugging Face tokenizers

    /// Compares our ids with HF's for every sample row and reports the first mismatches.
    private func assertSameIds(_ tokenizer: BPETokenizer, expected: (TokenizerFixtures.SampleRow) -> [Int32],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = try TokenizerFixtures.sample()
        XCTAssertGreaterThan(rows.count, 1000, "sample size", file: file, line: line)
        var mismatches = 0
        for (index, row) in rows.enumerated() {
            let ids = try tokenizer.encode(row.sequence)
            if ids != expected(row) {
                mismatches += 1
                if mismatches <= 3 {
                    XCTFail("\(tokenizer.name), row \(index + 1) (\(row.source), \(row.sequence.count) bp): "
                            + "ours \(ids), Hugging Face \(expected(row))", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(tokenizer.name): \(mismatches) of \(rows.count) sequences differ from Hugging Face",
                       file: file, line: line)
    }

    func testDNABERT2VocabularyGivesHuggingFaceIds() throws {
        let tokenizer = try BPETokenizer(contentsOf: TokenizerFixtures.dnabert2URL(), name: "dnabert2")
        XCTAssertEqual(tokenizer.vocabularySize, 4096)
        XCTAssertTrue(tokenizer.ranksIncrease, "HF learned it, so its ranks increase and encoding takes the rank lists")
        try assertSameIds(tokenizer) { $0.dnabert2 }
    }

    func testHuggingFaceTrainedVocabularyGivesHuggingFaceIds() throws {
        let tokenizer = try TokenizerFixtures.bpe512()
        XCTAssertTrue(tokenizer.ranksIncrease)
        try assertSameIds(tokenizer) { $0.bpe512 }
    }
}
