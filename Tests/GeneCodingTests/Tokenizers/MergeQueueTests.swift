// Encoding's two queues (BPETokenizer.swift): the binary heap, right for any vocabulary, and the lists
// per rank, used when ranks increase. They must give the same ids; the lists must refuse a vocabulary
// whose ranks do not increase, which then goes through the heap.
import XCTest
@testable import GeneCoding

final class MergeQueueTests: XCTestCase {
    func testRankListsTakeRanksInOrderAndPositionsLeftmostFirst() {
        var random = RandomSource(seed: 11)
        for _ in 0..<50 {
            var queue = RankBuckets(length: 200, ranks: 300)
            defer { queue.release() }
            var expected: [(Int, Int)] = []
            // A first scan (positions increasing), then pushes above the rank being taken, positions in any order.
            for p in 0..<100 where random.next() % 3 == 0 {
                let r = Int(random.next() % 300)
                queue.append(rank: r, position: p); expected.append((r, p))
            }
            var popped: [(Int, Int)] = []
            var pending = expected.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            while let (r, p) = queue.popMinimum() {
                popped.append((r, p))
                XCTAssertEqual(r, pending.first?.0); XCTAssertEqual(p, pending.first?.1)
                pending.removeFirst()
                if r < 299, random.next() % 2 == 0 {
                    let pushed = (r + 1 + Int(random.next() % UInt64(299 - r)), Int(random.next() % 100))
                    queue.push(rank: pushed.0, position: pushed.1)
                    pending.append(pushed)
                    pending.sort { ($0.0, $0.1) < ($1.0, $1.1) }
                }
            }
            XCTAssertTrue(pending.isEmpty)
        }
    }

    func testLearnedVocabulariesUseTheRankListsAndGiveTheHeapsIds() throws {
        for seed in 1...8 {
            let corpus = TokenizerFixtures.randomSequences(count: 200, lengths: 20...300, seed: UInt64(seed))
            for size in [30, 200, 1_000] {
                let tokenizer = try BPETrainer(vocabularySize: size).train(corpus)
                XCTAssertTrue(tokenizer.ranksIncrease, "a learned vocabulary's ranks increase (seed \(seed), size \(size))")
                let sequences = TokenizerFixtures.randomSequences(count: 60, lengths: 0...2_000, seed: UInt64(seed) + 100)
                    + ["NNACGTNACGT", "AAAAAAAAAAAAAAAAAAAAAAA", "ACACACACACACAC"]
                for sequence in sequences {
                    let bases = try Alphabet.normalize(sequence)
                    XCTAssertEqual(tokenizer.encode(bases: bases, queue: RankBuckets.self), tokenizer.encode(bases: bases, queue: MergeHeap.self),
                                   "seed \(seed), size \(size), '\(sequence.prefix(40))…'")
                }
            }
        }
    }

    /// G+AC ranks before A+C, which makes AC: a merge can then queue a lower rank than the one being
    /// taken, so only the heap is right, and the tokenizer must know it.
    func testAVocabularyWhoseRanksDoNotIncreaseGoesThroughTheHeap() throws {
        let tokens = SpecialToken.allCases.map(\.text) + ["A", "C", "G", "T", "GAC", "AC"]
        let tokenizer = try BPETokenizer(tokens: tokens, merges: [BPEMerge("G", "AC"), BPEMerge("A", "C")])
        XCTAssertFalse(tokenizer.ranksIncrease)
        XCTAssertEqual(try tokenizer.encode("TGACAC").map(tokenizer.token(for:)), ["T", "GAC", "AC"])
        XCTAssertEqual(try tokenizer.encode("TGACAC").map(tokenizer.token(for:)),
                       ReferenceBPE.encode("TGACAC", tokens: tokenizer.tokens, merges: tokenizer.merges))
    }
}
