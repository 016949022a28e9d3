// The loader on the gue-mini fixture (see GUEFixtures for what it holds).
import Foundation
import XCTest
import GeneCoding

final class GUETests: XCTestCase {
    let gue = GUE(root: GUEFixtures.miniRoot)

    func testDiscoversCompleteTaskFoldersOnly() {
        // toy/incomplete has no test.csv.
        XCTAssertEqual(gue.availableTasks(), ["toy/binary", "toy/three"])
    }

    func testBinaryTaskCountsAndProvenance() throws {
        let task = try gue.load("toy/binary")
        XCTAssertEqual(task.name, "toy/binary")
        XCTAssertEqual(task.classCount, 2)
        XCTAssertEqual(task.train.count, 8)
        XCTAssertEqual(task.train.classCounts, [4, 4])
        XCTAssertEqual(task.dev.classCounts, [2, 1])
        XCTAssertEqual(task.test.classCounts, [2, 2])
        XCTAssertEqual(task.splits.map(\.name), ["train", "dev", "test"])

        XCTAssertTrue(task.isReduced)
        let written = try String(contentsOf: GUEFixtures.miniRoot.appendingPathComponent("toy/binary/PROVENANCE.md"), encoding: .utf8)
        XCTAssertEqual(task.provenance, written)
        XCTAssertTrue(task.provenance?.hasPrefix("Reduced task") == true)
    }

    func testSequencesAreKeptAsWritten() throws {
        let binary = try gue.load("toy/binary")
        XCTAssertEqual(binary.train.rows[2], LabeledSequence(sequence: "ACGTCNGCACGA", label: 0))
        XCTAssertEqual(binary.train.rows.first, LabeledSequence(sequence: "GCTAAAGACAAT", label: 0))
        XCTAssertEqual(binary.train.rows.last, LabeledSequence(sequence: "CATACGCCTTTA", label: 1))
        let three = try gue.load("toy/three")
        XCTAssertEqual(three.test.rows[1], LabeledSequence(sequence: "aacaAGGACGCT", label: 1))
        XCTAssertEqual(three.test.labels, [2, 1, 0])
    }

    func testThreeClassTaskSummary() throws {
        let task = try gue.load("toy/three")
        XCTAssertEqual(task.classCount, 3)
        XCTAssertFalse(task.isReduced)
        XCTAssertNil(task.provenance)
        XCTAssertEqual(task.train.classCounts, [4, 3, 2])

        let summary = task.summary
        XCTAssertEqual(summary.task, "toy/three")
        XCTAssertEqual(summary.splits.map(\.rows), [9, 3, 3])
        let train = summary.splits[0]
        XCTAssertEqual(train.shortest, 10)
        XCTAssertEqual(train.longest, 14)
        XCTAssertEqual(train.meanLength, 106.0 / 9.0, accuracy: 1e-12)
        XCTAssertEqual(train.classCounts, [4, 3, 2])

        let text = summary.description
        XCTAssertTrue(text.hasPrefix("toy/three: 3 classes\n"), text)
        XCTAssertTrue(text.contains("train  9 rows  classes 4/3/2  length 10/11.8/14 (min/mean/max)  sha256 f81136056"), text)
        XCTAssertTrue(try gue.load("toy/binary").summary.description.contains("reduced"))
    }

    func testSplitSHA256EqualsSHA256Sum() throws {
        // SHA256SUMS is `sha256sum` output, recorded when the fixture's rows were drawn (see GUEFixtures).
        let sums = try String(contentsOf: GUEFixtures.miniRoot.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        var expected = [String: String]()
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            expected[String(parts[1])] = String(parts[0])
        }
        XCTAssertEqual(expected.count, 8)
        for name in gue.availableTasks() {
            for split in try gue.load(name).splits {
                let path = "\(name)/\(split.name).csv"
                XCTAssertEqual(split.sha256, expected[path], path)
                XCTAssertEqual(try SHA256.hexDigest(ofFile: split.file), expected[path], path)
            }
        }
    }

    func testManifestCheckOnFixture() throws {
        let tasks = try GUEFixtures.checkEveryTask(of: gue, manifest: GUEFixtures.miniRoot.appendingPathComponent("MANIFEST.tsv"))
        XCTAssertEqual(tasks.count, 2)
    }

    func testTaskNameMayCarrySlashes() throws {
        XCTAssertEqual(try gue.load("/toy/three/").name, "toy/three")
    }

    func testTaskFromEnvironment() throws {
        let fromEnvironment = try GUE.fromEnvironment(["GUE_DIR": GUEFixtures.miniRoot.path])
        XCTAssertEqual(fromEnvironment.availableTasks(), ["toy/binary", "toy/three"])
    }

    func testReadsByteOrderMarkCRLFAndTrailingBlankLines() throws {
        let file = try GUEFixtures.temporaryFolder(for: self).appendingPathComponent("train.csv")
        try GUEFixtures.write("\u{FEFF}sequence,label\r\nACGT,1\r\nNNAC,0\r\n\r\n\n", to: file)
        let split = try DataSplit(name: "train", contentsOf: file)
        XCTAssertEqual(split.rows, [LabeledSequence(sequence: "ACGT", label: 1), LabeledSequence(sequence: "NNAC", label: 0)])
        XCTAssertEqual(split.classCounts, [1, 1])
        XCTAssertEqual(split.sha256, SHA256.hexDigest(try Data(contentsOf: file)))
    }

    func testReadsLastLineWithoutNewline() throws {
        let file = try GUEFixtures.temporaryFolder(for: self).appendingPathComponent("dev.csv")
        try GUEFixtures.write("sequence,label\nACGT,0\nTTTT,2", to: file)
        let split = try DataSplit(name: "dev", contentsOf: file)
        XCTAssertEqual(split.labels, [0, 2])
        XCTAssertEqual(split.classCounts, [1, 0, 1])
    }

    func testClassAbsentFromDevIsCountedAsZero() throws {
        let root = try GUEFixtures.temporaryFolder(for: self)
        try GUEFixtures.write("sequence,label\nACGT,0\nACGT,1\nACGT,2\n", to: root.appendingPathComponent("toy/t/train.csv"))
        try GUEFixtures.write("sequence,label\nACGT,1\nACGT,0\n", to: root.appendingPathComponent("toy/t/dev.csv"))
        try GUEFixtures.write("sequence,label\nACGT,1\n", to: root.appendingPathComponent("toy/t/test.csv"))
        let task = try GUE(root: root).load("toy/t")
        XCTAssertEqual(task.classCount, 3)
        XCTAssertEqual(task.dev.classCounts, [1, 1, 0])
        XCTAssertEqual(task.test.classCounts, [0, 1, 0])
        XCTAssertEqual(task.summary.splits.map(\.classCounts), [[1, 1, 1], [1, 1, 0], [0, 1, 0]])
    }

    func testNineClassesLikeCovid() throws {
        // The official GUE's virus/covid has 9 classes; nothing in the loader is binary-only.
        let root = try GUEFixtures.temporaryFolder(for: self)
        let rows = (0..<9).map { "ACGTACGT,\($0)" }.joined(separator: "\n")
        for split in GUE.splitNames {
            try GUEFixtures.write("sequence,label\n\(rows)\n", to: root.appendingPathComponent("virus/covid/\(split).csv"))
        }
        let task = try GUE(root: root).load("virus/covid")
        XCTAssertEqual(task.classCount, 9)
        XCTAssertEqual(task.train.classCounts, [Int](repeating: 1, count: 9))
    }
}
