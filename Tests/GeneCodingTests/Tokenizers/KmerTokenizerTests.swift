import XCTest
import GeneCoding

final class KmerTokenizerTests: XCTestCase {
    /// The id of a k-mer read as a base-4 number, as the vocabulary layout promises.
    private func kmerId(_ kmer: String) -> Int32 {
        let digits: [Character: Int] = ["A": 0, "C": 1, "G": 2, "T": 3]
        return Int32(5 + kmer.reduce(0) { $0 * 4 + digits[$1]! })
    }

    func testVocabularyLayout() {
        for k in 1...6 {
            for overlapping in [false, true] {
                let tokenizer = KmerTokenizer(k: k, overlapping: overlapping)
                let kmers = 1 << (2 * k)
                let tails = (1..<k).reduce(0) { $0 + (1 << (2 * $1)) }
                XCTAssertEqual(tokenizer.vocabularySize, 5 + kmers + tails, "vocabulary size, k=\(k)")
                for special in SpecialToken.allCases {
                    XCTAssertEqual(tokenizer.token(for: special.rawValue), special.text)
                }
                XCTAssertEqual(tokenizer.token(for: 5), String(repeating: "A", count: k))
                XCTAssertEqual(tokenizer.token(for: Int32(4 + kmers)), String(repeating: "T", count: k))
                if k > 1 {
                    XCTAssertEqual(tokenizer.token(for: Int32(5 + kmers)), String(repeating: "A", count: k - 1), "first tail, k=\(k)")
                }
                XCTAssertEqual(tokenizer.token(for: Int32(tokenizer.vocabularySize - 1)), "T", "last tail, k=\(k)")
                // Every id after the specials spells a distinct token that maps back to it, and
                // within a length the order is lexicographic.
                var previous = ""
                for id in 5..<Int32(tokenizer.vocabularySize) {
                    let text = tokenizer.token(for: id)
                    XCTAssertEqual(tokenizer.id(for: text), id, "id(for: \(text)), k=\(k)")
                    if text.count == previous.count { XCTAssertLessThan(previous, text, "order at id \(id), k=\(k)") }
                    previous = text
                }
            }
        }
        let sixMerVocabulary: Int = 5 + 4096 + 1024 + 256 + 64 + 16 + 4
        XCTAssertEqual(KmerTokenizer(k: 6).vocabularySize, sixMerVocabulary)
    }

    func testIdsAreBaseFourNumbers() throws {
        let tokenizer = KmerTokenizer(k: 3)
        let acg: Int32 = 5 + 0 * 16 + 1 * 4 + 2
        XCTAssertEqual(try tokenizer.encode("ACG"), [acg])
        XCTAssertEqual(try tokenizer.encode("TTTAAA"), [5 + 63, 5])
        XCTAssertEqual(try tokenizer.encode("GATTACAGA"), [kmerId("GAT"), kmerId("TAC"), kmerId("AGA")])
        XCTAssertEqual(tokenizer.name, "kmer:3")
    }

    func testTailKeepsTheRemainder() throws {
        let tokenizer = KmerTokenizer(k: 3)
        let ids = try tokenizer.encode("ACGTA")
        XCTAssertEqual(ids.count, 2)
        XCTAssertEqual(ids[0], kmerId("ACG"))
        // The two-base block starts after the 64 three-mers; TA is 3*4+0 within it.
        let ta: Int32 = 5 + 64 + 12
        XCTAssertEqual(ids[1], ta)
        XCTAssertEqual(ids.map(tokenizer.token(for:)), ["ACG", "TA"])
        XCTAssertEqual(tokenizer.decode(ids), "ACGTA")
        XCTAssertEqual(try tokenizer.encode("G").map(tokenizer.token(for:)), ["G"])
        XCTAssertEqual(try KmerTokenizer(k: 6).encode(String(repeating: "C", count: 70)).count, 12)
    }

    func testAmbiguityCodesBecomeUnknown() throws {
        let unknown = SpecialToken.unknown.rawValue
        let tokenizer = KmerTokenizer(k: 3)
        XCTAssertEqual(try tokenizer.encode("ACGNACGTN"), [kmerId("ACG"), unknown, unknown])
        XCTAssertEqual(try tokenizer.encode("ACGTN"), [kmerId("ACG"), unknown], "a tail with N")
        XCTAssertEqual(try tokenizer.encode("ACGRYK"), [kmerId("ACG"), unknown], "IUPAC codes are N")
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("ACGNACGTT")), "ACGGTT", "[UNK] is dropped")

        let overlapping = KmerTokenizer(k: 3, overlapping: true)
        XCTAssertEqual(try overlapping.encode("ACGNTTT"), [kmerId("ACG"), unknown, unknown, unknown, kmerId("TTT")])
        XCTAssertEqual(try overlapping.encode("AN"), [unknown], "a short sequence with N")
    }

    func testLowerCaseIsUpperCased() throws {
        for tokenizer in [KmerTokenizer(k: 4), KmerTokenizer(k: 4, overlapping: true)] {
            XCTAssertEqual(try tokenizer.encode("acgtnacgta"), try tokenizer.encode("ACGTNACGTA"))
        }
    }

    func testStrayCharacterThrowsWithItsPosition() {
        for tokenizer in [KmerTokenizer(k: 3), KmerTokenizer(k: 3, overlapping: true)] {
            XCTAssertThrowsError(try tokenizer.encode("ACGTX")) { error in
                guard let error = error as? AlphabetError else { return XCTFail("expected AlphabetError, got \(error)") }
                XCTAssertEqual(error.character, "X")
                XCTAssertEqual(error.offset, 4)
            }
            XCTAssertThrowsError(try tokenizer.encode("AC GT")) { error in
                XCTAssertEqual((error as? AlphabetError)?.offset, 2)
            }
        }
    }

    func testOverlappingTokens() throws {
        let tokenizer = KmerTokenizer(k: 3, overlapping: true)
        XCTAssertEqual(tokenizer.name, "kmer:3:overlap")
        let ids = try tokenizer.encode("ACGTA")
        XCTAssertEqual(ids, [kmerId("ACG"), kmerId("CGT"), kmerId("GTA")])
        XCTAssertEqual(tokenizer.decode(ids), "ACGTA")
        XCTAssertEqual(try tokenizer.encode("ACG"), [kmerId("ACG")])
        XCTAssertEqual(try tokenizer.encode("AC").map(tokenizer.token(for:)), ["AC"], "shorter than k: one tail token")
        XCTAssertEqual(try tokenizer.encode(String(repeating: "A", count: 101)).count, 99)
    }

    func testOverlappingDecodeSkipsSpecialTokensAndUnknownRuns() throws {
        let tokenizer = KmerTokenizer(k: 3, overlapping: true)
        let ids = try tokenizer.encode("ACGTNACGT")
        XCTAssertEqual(tokenizer.decode([SpecialToken.classification.rawValue] + ids + [SpecialToken.separator.rawValue]),
                       "ACGTACGT")
    }

    func testEmptySequence() throws {
        for k in 1...6 {
            XCTAssertEqual(try KmerTokenizer(k: k).encode(""), [])
            XCTAssertEqual(try KmerTokenizer(k: k, overlapping: true).encode(""), [])
        }
    }
}
