import Foundation
import XCTest
import GeneCoding

/// The full-file half of the parity check with Hugging Face `tokenizers`. The committed fixtures
/// hold a sample; this writes our ids for every sequence of every GUE split, under DNABERT-2's
/// vocabulary and under vocabularies our trainer learns, for scripts/check_tokenizer_parity.py to
/// compare with HF (Python is not needed at test time). Runs only when asked:
///
///     GUE_DIR=... PARITY_DUMP_DIR=/tmp/parity swift test -c release --filter ParityDumpTests
///     python3 scripts/check_tokenizer_parity.py /tmp/parity
final class ParityDumpTests: XCTestCase {
    /// Tasks whose training split our trainer learns a 4,096-token vocabulary from; prom_300_all's
    /// holds the data's one N.
    private let trainingTasks = ["prom/prom_300_all", "tf/0"]

    func testDumpIdsForTheFullParityCheck() throws {
        guard let dumpPath = ProcessInfo.processInfo.environment["PARITY_DUMP_DIR"], !dumpPath.isEmpty else {
            throw XCTSkip("set PARITY_DUMP_DIR to write ids for scripts/check_tokenizer_parity.py")
        }
        guard let gue = TokenizerFixtures.gueDirectory else { throw XCTSkip("set GUE_DIR") }
        let dump = URL(fileURLWithPath: dumpPath)
        try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: true)

        let splits = try FileManager.default.subpathsOfDirectory(atPath: gue.path)
            .filter { $0.hasSuffix(".csv") }
            .sorted()
        XCTAssertFalse(splits.isEmpty, "no csv files under \(gue.path)")
        var manifest = ""

        func dumpIds(_ tokenizer: BPETokenizer, file: URL, label: String, splits: [String]) throws {
            for split in splits {
                let sequences = try TokenizerFixtures.gueSequences(gue.appendingPathComponent(split))
                var lines = ""
                for sequence in sequences {
                    lines += try tokenizer.encode(sequence).map(String.init).joined(separator: " ") + "\n"
                }
                let idsFile = dump.appendingPathComponent("\(label).\(split.replacingOccurrences(of: "/", with: "-")).ids")
                try Data(lines.utf8).write(to: idsFile)
                manifest += "encode\t\(file.path)\t\(gue.appendingPathComponent(split).path)\t\(idsFile.path)\n"
            }
        }

        let dnabert2URL = try TokenizerFixtures.dnabert2URL()
        try dumpIds(BPETokenizer(contentsOf: dnabert2URL), file: dnabert2URL, label: "dnabert2", splits: splits)

        for task in trainingTasks {
            let label = "trained-" + task.replacingOccurrences(of: "/", with: "-")
            let trainingFile = gue.appendingPathComponent("\(task)/train.csv")
            let tokenizer = try BPETrainer(vocabularySize: 4096).train(TokenizerFixtures.gueSequences(trainingFile))
            let file = dump.appendingPathComponent("\(label).json")
            try tokenizer.write(to: file)
            manifest += "train\t\(file.path)\t\(trainingFile.path)\t4096\n"
            try dumpIds(tokenizer, file: file, label: label, splits: splits.filter { $0.hasSuffix("test.csv") })
        }
        try Data(manifest.utf8).write(to: dump.appendingPathComponent("manifest.tsv"))
    }
}
