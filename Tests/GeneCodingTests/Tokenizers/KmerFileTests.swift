// k-mer vocabularies as Hugging Face tokenizer.json files (WordLevel + Split + Replace normalizers),
// read back literally by WordLevelTokenizer, and BPE files carrying Alphabet's normalizer: the ids
// must be KmerTokenizer's and BPETokenizer's on tails, lower case and ambiguity codes, and HF's own
// ids (kmer_hf_ids.tsv, made by make_kmer_fixture.py) must be the same.
import Foundation
import XCTest
@testable import GeneCoding

final class KmerFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kmer-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Sequences with every tail length, lower case and every ambiguity code in either case.
    private func awkwardSequences(k: Int) -> [String] {
        var out = TokenizerFixtures.randomSequences(count: 30, lengths: 1...(4 * k + 3), seed: UInt64(k))
        let codes = Array("NRYSWKMBDHVnryswkmbdhv")
        for (i, sequence) in out.enumerated() {
            var chars = Array(sequence)
            if i % 3 == 1 { chars = chars.enumerated().map { $0 % 2 == 0 ? Character($1.lowercased()) : $1 } }
            if i % 4 == 2 { chars[i % chars.count] = codes[i % codes.count] }
            out[i] = String(chars)
        }
        return out + [String(codes), "acgt", "N", "ACGTN"]
    }

    func testWrittenKmerFileReadsBackWithKmerTokenizersIds() throws {
        for k in 1...6 {
            let kmer = KmerTokenizer(k: k)
            let url = directory.appendingPathComponent("kmer\(k).json")
            try kmer.write(to: url)
            let file = try WordLevelTokenizer(contentsOf: url)
            XCTAssertEqual(file.vocabularySize, kmer.vocabularySize)
            XCTAssertEqual(file.pieceLength, k)
            XCTAssertEqual(file.tokens, (0..<kmer.vocabularySize).map { kmer.token(for: Int32($0)) })
            for sequence in awkwardSequences(k: k) {
                XCTAssertEqual(try file.encode(sequence), try kmer.encode(sequence), "k=\(k) '\(sequence)'")
                XCTAssertEqual(try file.pieces(sequence).reduce(0) { $0 + $1.bases }, sequence.utf8.count)
            }
            XCTAssertThrowsError(try file.encode("ACGX"), "bad characters throw as in every tokenizer") { error in
                XCTAssertTrue(error is AlphabetError, "\(error)")
            }
            XCTAssertTrue(try HuggingFaceTokenizerFile.load(url) is WordLevelTokenizer, "the loader picks WordLevel by the model type")
        }
    }

    func testHuggingFaceGivesTheSameIds() throws {
        let lines = try TokenizerFixtures.lines("kmer_hf_ids.tsv")
        let text = try String(contentsOf: TokenizerFixtures.url("kmer_hf_ids.tsv"), encoding: .utf8)
        let hashes = Dictionary(uniqueKeysWithValues: text.split(separator: "\n").filter { $0.hasPrefix("# sha256 kmer:") }.map { line in
            let fields = line.split(separator: " ")
            return (Int(fields[2].dropFirst("kmer:".count))!, String(fields[3]))
        })
        XCTAssertEqual(hashes.count, 6)
        for k in 1...6 {
            let url = directory.appendingPathComponent("kmer\(k).json")
            try KmerTokenizer(k: k).write(to: url)
            XCTAssertEqual(try SHA256.hexDigest(ofFile: url), hashes[k],
                           "kmer:\(k): the written file is not the one HF's ids were made from; rerun make_kmer_fixture.py")
        }
        XCTAssertEqual(lines.first, "k\tsequence\tids")
        var checked = 0
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let k = Int(fields[0])!, sequence = String(fields[1])
            let hf = fields[2].split(separator: " ").map { Int32($0)! }
            let file = try WordLevelTokenizer(contentsOf: directory.appendingPathComponent("kmer\(k).json"))
            XCTAssertEqual(try file.encodeForModel(sequence, maxLength: 10_000), hf, "k=\(k) '\(sequence)'")
            XCTAssertEqual(try KmerTokenizer(k: k).encodeForModel(sequence, maxLength: 10_000), hf, "k=\(k) '\(sequence)'")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 200)
    }

    func testTheFileIsReadLiterallyNotAssumed() throws {
        let url = directory.appendingPathComponent("kmer3.json")
        try KmerTokenizer(k: 3).write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        // A normalizer that turns a into C changes the ids: the reader applies the file's rules.
        let altered = directory.appendingPathComponent("altered.json")
        try text.replacingOccurrences(of: #"{"String": "a"}, "content": "A""#, with: #"{"String": "a"}, "content": "C""#)
            .write(to: altered, atomically: true, encoding: .utf8)
        let file = try WordLevelTokenizer(contentsOf: altered)
        XCTAssertEqual(try file.encode("aCG"), try KmerTokenizer(k: 3).encode("CCG"))
        XCTAssertEqual(try file.encode("ACG"), try KmerTokenizer(k: 3).encode("ACG"))
        XCTAssertThrowsError(try file.write(to: directory.appendingPathComponent("again.json")), "a normalizer other than Alphabet's is not written back")
        // So is the piece length.
        let four = directory.appendingPathComponent("four.json")
        try text.replacingOccurrences(of: #".{1,3}"#, with: #".{1,4}"#).write(to: four, atomically: true, encoding: .utf8)
        XCTAssertEqual(try WordLevelTokenizer(contentsOf: four).encode("ACGTACG"), [0, 5 + 0b000110], "ACGT is no 3-mer: [UNK]; then ACG")
    }

    func testUnsupportedFilesAreRefusedWithTheSetting() throws {
        let url = directory.appendingPathComponent("kmer2.json")
        try KmerTokenizer(k: 2).write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        func assertRefused(_ replace: String, with replacement: String, mentions words: String..., line: UInt = #line) throws {
            let bad = directory.appendingPathComponent("bad.json")
            XCTAssertTrue(text.contains(replace), "the fixture must contain \(replace)", line: line)
            try text.replacingOccurrences(of: replace, with: replacement).write(to: bad, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try WordLevelTokenizer(contentsOf: bad), line: line) { error in
                guard let error = error as? InputError else { return XCTFail("expected InputError, got \(error)", line: line) }
                XCTAssertEqual(error.file, bad.path, line: line)
                for word in words { XCTAssertTrue(error.message.contains(word), "'\(error.message)' should mention \(word)", line: line) }
            }
        }
        try assertRefused(#".{1,2}"#, with: #".{2,2}"#, mentions: "pre_tokenizer")
        try assertRefused(#""behavior": "Isolated""#, with: #""behavior": "Removed""#, mentions: "pre_tokenizer")
        try assertRefused(#""type": "Sequence""#, with: #""type": "Lowercase""#, mentions: "normalizer Lowercase")
        try assertRefused(#"{"String": "a"}"#, with: #"{"String": "ac"}"#, mentions: "Replace")
        try assertRefused(#""[UNK]": 0,"#, with: #""[UNK]": 7,"#, mentions: "model.vocab")
        try assertRefused(#""type": "WordLevel""#, with: #""type": "WordPiece""#, mentions: "not WordLevel")
        try assertRefused(#""ids": [1]"#, with: #""ids": [0]"#, mentions: "post_processor")
    }

    func testOverlappingKmersHaveNoFile() {
        XCTAssertFalse(KmerTokenizer(k: 3, overlapping: true).hasHuggingFaceEquivalent)
        XCTAssertThrowsError(try KmerTokenizer(k: 3, overlapping: true).write(to: directory.appendingPathComponent("x.json")))
    }

    func testACheckpointsBPEFileCarriesAlphabetsNormalizerAndReadsBack() throws {
        let bpe = try BPETrainer(vocabularySize: 80).train(TokenizerFixtures.randomSequences(count: 100, lengths: 30...80, seed: 8))
        let url = directory.appendingPathComponent("model-bpe.json")
        try bpe.write(to: url, forModelWithMaxLength: 40)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains(#""max_length": 40"#))
        XCTAssertTrue(text.contains(#""type": "Replace""#))
        let read = try BPETokenizer(contentsOf: url)
        XCTAssertEqual(read.tokens, bpe.tokens)
        XCTAssertEqual(read.merges, bpe.merges)
        let normalizer = try CharacterReplacements(try HuggingFaceJSON.readObject(url)["normalizer"], file: url.path)
        XCTAssertNil(normalizer.disagreementWithAlphabet())
        XCTAssertEqual(String(decoding: normalizer.apply(Array("acgtACGTnrykmswbdhvNRYKMSWBDHV".utf8)), as: UTF8.self),
                       "ACGTACGTNNNNNNNNNNNNNNNNNNNNNN")
        // A normalizer that disagrees with Alphabet would encode differently: refused, naming the character.
        let altered = directory.appendingPathComponent("altered.json")
        try text.replacingOccurrences(of: #"{"String": "g"}, "content": "G""#, with: #"{"String": "g"}, "content": "T""#)
            .write(to: altered, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BPETokenizer(contentsOf: altered)) { error in
            XCTAssertTrue("\(error)".contains("'g'"), "\(error)")
        }
        // The plain vocabulary file is unchanged: no normalizer, no truncation.
        let plain = directory.appendingPathComponent("plain.json")
        try bpe.write(to: plain)
        let plainText = try String(contentsOf: plain, encoding: .utf8)
        XCTAssertTrue(plainText.contains(#""normalizer": null"#) && plainText.contains(#""truncation": null"#))
    }
}
