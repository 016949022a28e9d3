// Matching tokens against the motif catalogue, the shuffled baseline, and the usage profile.
import XCTest
@testable import GeneCoding

final class VocabularyMotifsTests: XCTestCase {
    func testConsensusMatchesOnEitherStrand() {
        XCTAssertTrue(VocabularyMotifs.matches("TATAAAAG").contains("TATA box"), "a TATAWAWR instance")
        XCTAssertTrue(VocabularyMotifs.matches("CTTTTATA").contains("TATA box"), "its reverse complement")
        XCTAssertTrue(VocabularyMotifs.matches("TATAAA").contains("TATA box"), "a token inside the consensus")
        XCTAssertTrue(VocabularyMotifs.matches("CCGGGCGGTT").contains("GC box"), "a token holding a whole GC box")
        XCTAssertTrue(VocabularyMotifs.matches("CCAATC").contains("CAAT box"))
        XCTAssertTrue(VocabularyMotifs.matches("AGGTAAGT").contains("splice donor"))
        XCTAssertTrue(VocabularyMotifs.matches("TTCTCCCTGCAGG").contains("splice acceptor"))
        XCTAssertTrue(VocabularyMotifs.matches("CTACAGG").contains("splice acceptor"))
        XCTAssertFalse(VocabularyMotifs.matches("CCCTTC").contains("splice acceptor"), "a pyrimidine run alone is not an acceptor")
        XCTAssertFalse(VocabularyMotifs.matches("TATAGA").contains("TATA box"), "G is not W")
        XCTAssertEqual(VocabularyMotifs.matches("TATA"), [], "tokens shorter than the minimum are not judged")
        XCTAssertEqual(VocabularyMotifs.matches("ACGTGCTA"), [], "an arbitrary token matches nothing")
    }

    func testSimpleRepeats() {
        for token in ["AAAAAA", "CACACA", "GAAGAAG", "ATATATAT"] { XCTAssertTrue(VocabularyMotifs.isSimpleRepeat(token), token) }
        for token in ["ACGTAC", "AACCGG", "CAGCAT"] { XCTAssertFalse(VocabularyMotifs.isSimpleRepeat(token), token) }
    }

    func testShuffleKeepsCompositionAndIsSeeded() {
        let sequences = ["AACCGGTTAC", "TTTTGGGCAA"]
        let a = VocabularyMotifs.shuffled(sequences, seed: 1)
        XCTAssertEqual(a, VocabularyMotifs.shuffled(sequences, seed: 1))
        XCTAssertNotEqual(a, VocabularyMotifs.shuffled(sequences, seed: 2))
        for (s, t) in zip(sequences, a) { XCTAssertEqual(s.sorted(), t.sorted(), "composition kept") }
    }

    func testProfileRanksLongTokensByUse() throws {
        // 6-mers: TATAAA used three times, CACACA twice, ACGTGC once; the 2-base tail is too short to judge.
        let tokenizer = KmerTokenizer(k: 6)
        let profile = try VocabularyMotifs.profile(tokenizer, sequences: ["TATAAACACACATATAAA", "TATAAACACACAACGTGCGG"], top: 2)
        XCTAssertEqual(profile.tokens, ["TATAAA", "CACACA"])
        XCTAssertEqual(profile.counts["TATA box"], 1)
        XCTAssertEqual(profile.counts["simple repeat"], 1)
        XCTAssertEqual(profile.counts["any"], 2)
        XCTAssertEqual(profile.longTokenShare, 6.0 / 7.0, accuracy: 1e-12)
    }
}
