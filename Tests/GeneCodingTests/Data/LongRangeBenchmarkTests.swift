// The synthetic long-sequence benchmark of chapter 4: its rules hold at every length, its classes are
// balanced, and it is the same bytes every time.
import XCTest
@testable import GeneCoding

final class LongRangeBenchmarkTests: XCTestCase {
    /// Start positions of every occurrence of `motif` in `s`.
    func occurrences(_ motif: String, in s: String) -> [Int] {
        let b = Array(s.utf8), m = Array(motif.utf8)
        return (0...(b.count - m.count)).filter { i in Array(b[i..<(i + m.count)]) == m }
    }

    func rows(_ csv: String) -> [(sequence: String, label: Int)] {
        csv.split(separator: "\n").dropFirst().map { line in
            let parts = line.split(separator: ",")
            return (String(parts[0]), Int(parts[1])!)
        }
    }

    func testFarPairRuleHoldsAtEveryLength() {
        for length in [1250, 10_000] {
            let data = rows(LongRangeBenchmark.csv(.farPair, length: length, count: 40, seed: 7))
            XCTAssertEqual(data.filter { $0.label == 1 }.count, 20, "classes must be balanced")
            let lone = data.filter { $0.label == 0 }.map { occurrences(LongRangeBenchmark.motifX, in: $0.sequence).count }
            XCTAssertTrue((5...15).contains(lone.reduce(0, +)), "negatives keep X or Y, roughly half each")
            for (s, label) in data {
                XCTAssertEqual(s.count, length)
                let x = occurrences(LongRangeBenchmark.motifX, in: s), y = occurrences(LongRangeBenchmark.motifY, in: s)
                XCTAssertLessThanOrEqual(x.count, 1)
                XCTAssertLessThanOrEqual(y.count, 1)
                XCTAssertTrue(x.allSatisfy { $0 + LongRangeBenchmark.motifX.count <= LongRangeBenchmark.endWindow }, "X only in the first window")
                XCTAssertTrue(y.allSatisfy { $0 >= length - LongRangeBenchmark.endWindow }, "Y only in the last window")
                XCTAssertEqual(label == 1, x.count == 1 && y.count == 1, "label 1 exactly when both motifs are there")
                XCTAssertEqual(x.count + y.count, label == 1 ? 2 : 1)
                XCTAssertTrue((x + y).allSatisfy { $0 % LongRangeBenchmark.frame == 0 }, "motifs start on the 6-mer frame")
            }
        }
    }

    func testPeriodicClassesHoldTheSameCopies() {
        let data = rows(LongRangeBenchmark.csv(.periodic, length: 2500, count: 60, seed: 3))
        for (s, label) in data {
            let at = occurrences(LongRangeBenchmark.motifZ, in: s)
            XCTAssertEqual(at.count, LongRangeBenchmark.copies, "every sequence holds the same number of copies")
            let gaps = zip(at.dropFirst(), at).map { $0 - $1 }
            XCTAssertEqual(at[0] % LongRangeBenchmark.frame, 0, "the array starts on the 6-mer frame")
            XCTAssertTrue(gaps.allSatisfy { $0 % 6 == 0 }, "spacings are multiples of 6, so 6-mers see every copy in one frame")
            XCTAssertEqual(at.count, LongRangeBenchmark.copies)
            if label == 1 {
                XCTAssertEqual(Set(gaps), [LongRangeBenchmark.period])
            } else {
                XCTAssertTrue(gaps.allSatisfy { $0 >= LongRangeBenchmark.motifZ.count }, "scattered copies never overlap")
            }
        }
    }

    func testWritingIsDeterministicAndLoadsAsATask() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("long-range-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let sizes = LongRangeBenchmark.Sizes(train: 20, dev: 10, test: 10)
        try LongRangeBenchmark.write(.farPair, to: root, trainLength: 1250, testLengths: [2500], sizes: sizes)
        let folder = root.appendingPathComponent(LongRangeBenchmark.taskName(.farPair))
        let first = try Data(contentsOf: folder.appendingPathComponent("test-2500.csv"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("test-2500.csv"))
        try LongRangeBenchmark.write(.farPair, to: root, trainLength: 1250, testLengths: [2500], sizes: sizes)
        XCTAssertEqual(first, try Data(contentsOf: folder.appendingPathComponent("test-2500.csv")), "the same call writes the same bytes")
        let task = try GUE(root: root).load(LongRangeBenchmark.taskName(.farPair))
        XCTAssertEqual(task.train.count, 20)
        XCTAssertEqual(task.train.summary.longest, 1250)
        // Test sets never repeat training sequences.
        XCTAssertTrue(Set(task.train.sequences).isDisjoint(with: task.test.sequences))
    }
}
