import XCTest
import GeneCoding

/// decode(encode(s)) == s for clean sequences, for every tokenizer of the study.
final class RoundTripTests: XCTestCase {
    private func assertRoundTrips(_ tokenizer: any Tokenizer, _ sequences: [String],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        for sequence in sequences {
            let ids = try tokenizer.encode(sequence)
            let decoded = tokenizer.decode(ids)
            if decoded != sequence {
                return XCTFail("\(tokenizer.name): '\(sequence)' (length \(sequence.count)) decodes to '\(decoded)'",
                               file: file, line: line)
            }
        }
    }

    /// Every length from 0 to 40, a few long ones, and homopolymers.
    private let sequences: [String] = {
        var all = TokenizerFixtures.randomSequences(count: 400, lengths: 0...40, seed: 7)
        all += TokenizerFixtures.randomSequences(count: 40, lengths: 70...500, seed: 8)
        for base in ["A", "C", "G", "T"] {
            all += (1...13).map { String(repeating: base, count: $0) }
        }
        return all
    }()

    func testKmerTokenizers() throws {
        for k in 1...6 {
            try assertRoundTrips(KmerTokenizer(k: k), sequences)
            try assertRoundTrips(KmerTokenizer(k: k, overlapping: true), sequences)
        }
    }

    func testBPETokenizers() throws {
        try assertRoundTrips(TokenizerFixtures.bpe512(), sequences)
        let trained = try BPETrainer(vocabularySize: 200).train(TokenizerFixtures.randomSequences(count: 300, lengths: 50...100, seed: 9))
        XCTAssertEqual(trained.vocabularySize, 200)
        try assertRoundTrips(trained, sequences)
    }

    func testDNABERT2() throws {
        try assertRoundTrips(BPETokenizer(contentsOf: TokenizerFixtures.dnabert2URL()), sequences)
    }
}
