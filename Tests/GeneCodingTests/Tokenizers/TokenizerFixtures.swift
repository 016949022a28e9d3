// Fixtures of the tokenizer tests: the committed files under Resources/tokenizers (made by
// make_tokenizer_fixtures.py next to them) and the shared data found through the environment.
import Foundation
import XCTest
import GeneCoding

enum TokenizerFixtures {
    struct SampleRow {
        /// The synthetic source that generated the sequence, or "edge" for a hand-made case.
        let source: String
        let sequence: String
        /// The ids Hugging Face `tokenizers` gives under DNABERT-2's vocabulary and under bpe512.json.
        let dnabert2: [Int32]
        let bpe512: [Int32]
    }

    static func url(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources/tokenizers") else {
            throw InputError(file: "Resources/tokenizers/\(name)", "fixture missing from the test bundle")
        }
        return url
    }

    /// Lines of a fixture, without the generated banner (lines starting with '#').
    static func lines(_ name: String) throws -> [Substring] {
        let text = try String(contentsOf: url(name), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast(text.hasSuffix("\n") ? 1 : 0)
            .filter { !$0.hasPrefix("#") }
    }

    static func sample() throws -> [SampleRow] {
        let rows = try lines("parity_sample.tsv")
        XCTAssertEqual(rows.first, "source\tsequence\tdnabert2\tbpe512", "parity_sample.tsv header")
        return try rows.dropFirst().map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4 else {
                throw InputError(file: "parity_sample.tsv", "a row has \(fields.count) fields, expected 4")
            }
            return SampleRow(source: String(fields[0]), sequence: String(fields[1]),
                             dnabert2: ids(fields[2]), bpe512: ids(fields[3]))
        }
    }

    static func trainingSample() throws -> [String] {
        try lines("train_sample.txt").map(String.init)
    }

    static func bpe512() throws -> BPETokenizer {
        try BPETokenizer(contentsOf: url("bpe512.json"), name: "bpe512")
    }

    static func ids(_ text: Substring) -> [Int32] {
        text.split(separator: " ").map { Int32($0)! }
    }

    /// The GUE folder named by $GUE_DIR, if it exists.
    static var gueDirectory: URL? {
        guard let path = ProcessInfo.processInfo.environment["GUE_DIR"], !path.isEmpty else { return nil }
        return FileManager.default.fileExists(atPath: path) ? URL(fileURLWithPath: path) : nil
    }

    /// DNABERT-2's tokenizer.json: $DNABERT2_TOKENIZER, else $GUE_DIR/../tokenizers/dnabert2-bpe4096.json;
    /// skips the test when neither exists.
    static func dnabert2URL() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [String]()
        if let path = environment["DNABERT2_TOKENIZER"], !path.isEmpty { candidates.append(path) }
        if let gue = environment["GUE_DIR"], !gue.isEmpty {
            candidates.append(URL(fileURLWithPath: gue).deletingLastPathComponent()
                .appendingPathComponent("tokenizers/dnabert2-bpe4096.json").path)
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw XCTSkip("DNABERT-2's tokenizer.json not found (set DNABERT2_TOKENIZER or GUE_DIR)")
        }
        return URL(fileURLWithPath: found)
    }

    /// The sequences of a GUE csv: the first column, after the header.
    static func gueSequences(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            String(line.prefix { $0 != "," })
        }
    }

    /// Clean random sequences for round trips: a small LCG, so tests need nothing else.
    static func randomSequences(count: Int, lengths: ClosedRange<Int>, seed: UInt64) -> [String] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let bases = Array("ACGT")
        return (0..<count).map { _ in
            let length = lengths.lowerBound + next(lengths.count)
            return String((0..<length).map { _ in bases[next(4)] })
        }
    }
}
