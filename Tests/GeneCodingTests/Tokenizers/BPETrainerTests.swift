import XCTest
import GeneCoding

final class BPETrainerTests: XCTestCase {
    private let bases = SpecialToken.allCases.map(\.text) + ["A", "C", "G", "T"]

    /// AAAA holds three overlapping A+A. Merging left to right gives AA AA, which removes one AA+A
    /// and adds another (net zero) and makes one AA+AA, so the second merge is AA+AA, not AA+A.
    func testOverlappingOccurrencesAreCountedAsHuggingFaceDoes() throws {
        let tokenizer = try BPETrainer(vocabularySize: 11).train(["AAAA"])
        XCTAssertEqual(tokenizer.merges, [BPEMerge("A", "A"), BPEMerge("AA", "AA")])
        XCTAssertEqual(tokenizer.tokens, bases + ["AA", "AAAA"])
    }

    /// Every pair of ACGT occurs once: the smallest ids win, A+C (5, 6), then G+T (7, 8) before
    /// AC+G (9, 7), then AC+GT.
    func testTiesGoToTheSmallestPairOfIds() throws {
        let tokenizer = try BPETrainer(vocabularySize: 12).train(["ACGT"])
        XCTAssertEqual(tokenizer.merges, [BPEMerge("A", "C"), BPEMerge("G", "T"), BPEMerge("AC", "GT")])
        XCTAssertEqual(tokenizer.name, "bpe:12")
    }

    func testAmbiguityCodesSplitWords() throws {
        // C+G would be the only pair left if N joined its neighbours; split, no pair remains after
        // A+C and G+T, and training stops short of the target.
        let tokenizer = try BPETrainer(vocabularySize: 20).train(["ACNGT", "acrgt"])
        XCTAssertEqual(tokenizer.merges, [BPEMerge("A", "C"), BPEMerge("G", "T")])
        XCTAssertEqual(tokenizer.vocabularySize, 11)
        XCTAssertThrowsError(try BPETrainer(vocabularySize: 20).train(["ACGT", "AC.GT"])) { error in
            XCTAssertEqual((error as? AlphabetError)?.character, ".")
        }
    }

    func testCountsWeighRepeatedWords() throws {
        // GT occurs in three words, AC in two words twice each: AC wins on count, 4 to 3.
        let tokenizer = try BPETrainer(vocabularySize: 10).train(["ACAC", "GT", "GT", "ACAC", "GT"])
        XCTAssertEqual(tokenizer.merges, [BPEMerge("A", "C")])
    }

    func testMinimumFrequency() throws {
        let sequences = ["ACGT", "ACGT", "TT"]
        XCTAssertEqual(try BPETrainer(vocabularySize: 30, minimumFrequency: 3).train(sequences).merges, [])
        XCTAssertEqual(try BPETrainer(vocabularySize: 30, minimumFrequency: 2).train(sequences).merges.first, BPEMerge("A", "C"))
    }

    func testTrainingIsDeterministic() throws {
        let sequences = TokenizerFixtures.randomSequences(count: 500, lengths: 20...200, seed: 3)
        let first = try BPETrainer(vocabularySize: 300).train(sequences)
        let second = try BPETrainer(vocabularySize: 300).train(sequences)
        XCTAssertEqual(first.tokens, second.tokens)
        XCTAssertEqual(first.merges, second.merges)
        XCTAssertEqual(first.vocabularySize, 300)
    }

    // MARK: - Parity with Hugging Face tokenizers

    /// bpe512.json is what HF's BpeTrainer learned from train_sample.txt (see
    /// make_tokenizer_fixtures.py); our trainer must learn the same merges in the same order.
    func testSameMergesAsHuggingFaceOnTheTrainingSample() throws {
        let expected = try TokenizerFixtures.bpe512()
        let trained = try BPETrainer(vocabularySize: 512).train(TokenizerFixtures.trainingSample())
        XCTAssertEqual(trained.vocabularySize, expected.vocabularySize)
        if let rank = zip(trained.merges, expected.merges).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            XCTFail("merge \(rank) differs: ours \(trained.merges[rank]), Hugging Face \(expected.merges[rank])")
        }
        XCTAssertEqual(trained.merges.count, expected.merges.count, "number of merges")
        XCTAssertEqual(trained.tokens, expected.tokens, "vocabulary in id order")
    }

    func testTrainedVocabularyGivesHuggingFaceIds() throws {
        let trained = try BPETrainer(vocabularySize: 512).train(TokenizerFixtures.trainingSample())
        var mismatches = 0
        let rows = try TokenizerFixtures.sample()
        for row in rows where try trained.encode(row.sequence) != row.bpe512 {
            mismatches += 1
            if mismatches == 1 { XCTFail("\(row.source) \(row.sequence): ours \(try trained.encode(row.sequence)), Hugging Face \(row.bpe512)") }
        }
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(rows.count) sequences differ")
    }
}
