import Foundation
import XCTest
import GeneCoding

final class TokenizerStatisticsTests: XCTestCase {
    func testCountsOnAWorkedExample() throws {
        // kmer:3 cuts ACGTACGTAC into ACG TAC GTA C and NNNACG into [UNK] ACG.
        let tokenizer = KmerTokenizer(k: 3)
        let statistics = try TokenizerStatistics(tokenizer: tokenizer, sequences: ["ACGTACGTAC", "NNNACG"])
        XCTAssertEqual(statistics.tokenizer, "kmer:3")
        XCTAssertEqual(statistics.sequenceCount, 2)
        XCTAssertEqual(statistics.vocabularySize, tokenizer.vocabularySize)
        XCTAssertEqual(statistics.meanTokensPerSequence, 3)
        XCTAssertEqual(statistics.maxTokensPerSequence, 4)
        XCTAssertEqual(statistics.meanBasesPerToken, 16.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(statistics.vocabularyUsed, 5, "ACG TAC GTA C [UNK]")
        XCTAssertEqual(statistics.vocabularyShareUsed, 5.0 / Double(tokenizer.vocabularySize), accuracy: 1e-12)
        XCTAssertEqual(statistics.unknownShare, 1.0 / 6.0, accuracy: 1e-12)

        let decoded = try JSONDecoder().decode(TokenizerStatistics.self, from: JSONEncoder().encode(statistics))
        XCTAssertEqual(decoded, statistics)
    }

    func testOverlappingKmersStandForAboutOneBase() throws {
        let statistics = try TokenizerStatistics(tokenizer: KmerTokenizer(k: 6, overlapping: true),
                                                 sequences: [String(repeating: "ACGT", count: 25)])
        XCTAssertEqual(statistics.meanTokensPerSequence, 95)
        XCTAssertEqual(statistics.meanBasesPerToken, 100.0 / 95.0, accuracy: 1e-12)
        XCTAssertEqual(statistics.vocabularyUsed, 4, "the four rotations of ACGTAC")
        XCTAssertEqual(statistics.unknownShare, 0)
    }
}
