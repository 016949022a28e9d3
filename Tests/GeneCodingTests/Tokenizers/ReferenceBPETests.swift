import XCTest
import GeneCoding

/// The plain versions of BPE encoding and training, written for clarity and nothing else, and the
/// fast library versions held against them on random inputs.
enum ReferenceBPE {
    /// Repeatedly merge the adjacent pair with the lowest rank, the leftmost among equals.
    static func encode(_ sequence: String, tokens: [String], merges: [BPEMerge]) -> [String] {
        var rank = [BPEMerge: Int]()
        for (index, merge) in merges.enumerated() { rank[merge] = index }
        var symbols = sequence.map { tokens.contains(String($0)) ? String($0) : SpecialToken.unknown.text }
        while true {
            var best: (rank: Int, position: Int)?
            for position in symbols.indices.dropLast() {
                guard let r = rank[BPEMerge(symbols[position], symbols[position + 1])] else { continue }
                if best == nil || r < best!.rank { best = (r, position) }
            }
            guard let (_, position) = best else { return symbols }
            symbols[position] += symbols.remove(at: position + 1)
        }
    }

    /// Count every adjacent pair of every word, merge the most frequent (the smaller pair of ids
    /// among equals) left to right everywhere, and repeat. Words are the runs between Ns.
    static func train(_ sequences: [String], vocabularySize: Int) -> (tokens: [String], merges: [BPEMerge]) {
        var tokens = SpecialToken.allCases.map(\.text) + ["A", "C", "G", "T"]
        var merges = [BPEMerge]()
        var words: [[Int]] = sequences.flatMap { sequence in
            sequence.uppercased().split(whereSeparator: { !"ACGT".contains($0) }).map { word in
                word.map { tokens.firstIndex(of: String($0))! }
            }
        }
        while tokens.count < vocabularySize {
            var counts = [[Int]: Int]()
            for word in words where word.count > 1 {
                for i in 0..<(word.count - 1) { counts[[word[i], word[i + 1]], default: 0] += 1 }
            }
            guard let best = counts.max(by: { a, b in
                a.value != b.value ? a.value < b.value : b.key.lexicographicallyPrecedes(a.key)
            }) else { break }
            let (left, right) = (best.key[0], best.key[1])
            tokens.append(tokens[left] + tokens[right])
            merges.append(BPEMerge(tokens[left], tokens[right]))
            words = words.map { word in
                var merged = [Int]()
                var i = 0
                while i < word.count {
                    if i + 1 < word.count && word[i] == left && word[i + 1] == right {
                        merged.append(tokens.count - 1)
                        i += 2
                    } else {
                        merged.append(word[i])
                        i += 1
                    }
                }
                return merged
            }
        }
        return (tokens, merges)
    }
}

final class ReferenceBPETests: XCTestCase {
    /// Corpora with a skewed base mix and repeats, so that ties and overlapping runs are common.
    private func corpus(seed: UInt64) -> [String] {
        let pieces = TokenizerFixtures.randomSequences(count: 6, lengths: 1...4, seed: seed)
        let junk = TokenizerFixtures.randomSequences(count: 60, lengths: 0...3, seed: seed + 1)
        return (0..<30).map { i in
            (0..<(1 + i % 9)).map { j in j % 3 == 0 ? junk[(i * 7 + j) % junk.count] : pieces[(i + j) % pieces.count] }.joined()
                + (i % 10 == 0 ? "N" + pieces[i % pieces.count] : "")
        }
    }

    func testTrainerMatchesThePlainVersion() throws {
        for seed in 1...40 {
            let sequences = corpus(seed: UInt64(seed) * 1_000)
            for size in [12, 30, 80] {
                let expected = ReferenceBPE.train(sequences, vocabularySize: size)
                let trained = try BPETrainer(vocabularySize: size).train(sequences)
                XCTAssertEqual(trained.merges, expected.merges, "seed \(seed), size \(size), corpus \(sequences)")
                XCTAssertEqual(trained.tokens, expected.tokens, "seed \(seed), size \(size)")
            }
        }
    }

    func testEncoderMatchesThePlainVersion() throws {
        for seed in 1...20 {
            let tokenizer = try BPETrainer(vocabularySize: 60).train(corpus(seed: UInt64(seed) * 77))
            let sequences = corpus(seed: UInt64(seed) * 77 + 5) + TokenizerFixtures.randomSequences(count: 30, lengths: 0...60, seed: UInt64(seed))
            for sequence in sequences {
                let ours = try tokenizer.encode(sequence).map(tokenizer.token(for:))
                XCTAssertEqual(ours, ReferenceBPE.encode(sequence, tokens: tokenizer.tokens, merges: tokenizer.merges),
                               "seed \(seed), '\(sequence)'")
            }
        }
    }
}
