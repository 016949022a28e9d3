import Foundation
import XCTest
import GeneCoding

final class TokenizerSpecTests: XCTestCase {
    func testParsesEveryForm() throws {
        XCTAssertEqual(try TokenizerSpec.parse("kmer:1"), .kmer(k: 1, overlapping: false))
        XCTAssertEqual(try TokenizerSpec.parse("kmer:6:overlap"), .kmer(k: 6, overlapping: true))
        XCTAssertEqual(try TokenizerSpec.parse("bpe:4096"), .bpe(vocabularySize: 4096))
        XCTAssertEqual(try TokenizerSpec.parse("bpe:9"), .bpe(vocabularySize: 9))
        XCTAssertEqual(try TokenizerSpec.parse("data/dnabert2.json"), .file(path: "data/dnabert2.json"))
        for text in ["kmer:3", "kmer:5:overlap", "bpe:4096", "/tmp/x.json"] {
            XCTAssertEqual(try TokenizerSpec.parse(text).description, text)
        }
    }

    func testRejectsWithTheValidForms() {
        for text in ["kmer:0", "kmer:7", "kmer:x", "kmer:3:stride", "kmer", "bpe:8", "bpe:", "bpe:4k", "wordpiece:100", ""] {
            XCTAssertThrowsError(try TokenizerSpec.parse(text), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("'\(text)'") && message.contains("kmer:K:overlap") && message.contains("bpe:SIZE")
                              && message.contains("tokenizer.json"), message)
            }
        }
    }

    func testCodableAsItsText() throws {
        let specs: [TokenizerSpec] = [.kmer(k: 3, overlapping: false), .kmer(k: 4, overlapping: true), .bpe(vocabularySize: 4096), .file(path: "a.json")]
        let data = try JSONEncoder().encode(specs)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["kmer:3","kmer:4:overlap","bpe:4096","a.json"]"#)
        XCTAssertEqual(try JSONDecoder().decode([TokenizerSpec].self, from: data), specs)
        XCTAssertThrowsError(try JSONDecoder().decode([TokenizerSpec].self, from: Data(#"["kmer:9"]"#.utf8)))
    }

    func testMakesTheNamedTokenizer() throws {
        let training = TokenizerFixtures.randomSequences(count: 100, lengths: 40...60, seed: 11)
        let kmer = try TokenizerSpec.kmer(k: 5, overlapping: true).makeTokenizer(trainingSequences: training)
        XCTAssertTrue(kmer is KmerTokenizer)
        XCTAssertEqual(kmer.name, "kmer:5:overlap")

        let bpe = try TokenizerSpec.parse("bpe:40").makeTokenizer(trainingSequences: training)
        XCTAssertEqual(bpe.name, "bpe:40")
        XCTAssertEqual(bpe.vocabularySize, 40)
        XCTAssertEqual((bpe as? BPETokenizer)?.merges, try BPETrainer(vocabularySize: 40).train(training).merges)

        let path = try TokenizerFixtures.url("bpe512.json").path
        let file = try TokenizerSpec.parse(path).makeTokenizer(trainingSequences: [])
        XCTAssertEqual(file.name, path)
        XCTAssertEqual(file.vocabularySize, 512)
    }
}
