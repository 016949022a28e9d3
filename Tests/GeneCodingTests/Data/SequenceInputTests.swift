// Reading sequences to score: the format from the content, FASTA (multi-line), CSV with and without
// labels, one sequence a line; what editors add (CRLF, BOM, blank lines, spaces) is tolerated, and
// every bad input is an InputError naming the file, the line and what was wrong.
import Foundation
import XCTest
import GeneCoding

final class SequenceInputTests: XCTestCase {
    private func read(_ text: String, file: String = "input.txt") throws -> SequenceInput {
        try SequenceInput(data: Data(text.utf8), file: file)
    }

    private func assertRejected(_ text: String, line expectedLine: Int?, _ expected: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(text, file: "sequences.fa"), file: file, line: line) { error in
            guard let error = error as? InputError else { return XCTFail("expected InputError, got \(error)", file: file, line: line) }
            XCTAssertEqual(error.file, "sequences.fa", file: file, line: line)
            XCTAssertEqual(error.line, expectedLine, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(expected), "'\(error.message)' should contain '\(expected)'", file: file, line: line)
        }
    }

    func testMultiLineFASTAJoinsLinesAndTakesTheFirstWordOfTheHeader() throws {
        let input = try read(">chr1:100-200 promoter candidate\nACGTAC\nGTTA\n\n>second\r\nacgtnn\r\n>third\tdescription\nRYKM\n")
        XCTAssertEqual(input.format, .fasta)
        XCTAssertFalse(input.hasLabels)
        XCTAssertEqual(input.records.map(\.id), ["chr1:100-200", "second", "third"])
        XCTAssertEqual(input.records.map(\.sequence), ["ACGTACGTTA", "acgtnn", "RYKM"], "lines joined; case and codes kept for the tokenizer")
        XCTAssertEqual(input.records.map(\.line), [1, 5, 7])
        XCTAssertEqual(input.records.map(\.label), [nil, nil, nil])
    }

    func testCSVWithLabelsKeepsThem() throws {
        let input = try read("\u{FEFF}sequence,label\r\nACGT,0\r\n\r\nacgN,1\r\nTTTT,2\r\n")
        XCTAssertEqual(input.format, .csv)
        XCTAssertTrue(input.hasLabels)
        XCTAssertEqual(input.records.map(\.sequence), ["ACGT", "acgN", "TTTT"])
        XCTAssertEqual(input.records.map(\.label), [0, 1, 2])
        XCTAssertEqual(input.records.map(\.id), ["seq1", "seq2", "seq3"])
        XCTAssertEqual(input.records.map(\.line), [2, 4, 5], "lines count from the header, blank ones included")
    }

    func testCSVWithoutLabels() throws {
        let input = try read("sequence\nACGT\nGGCC\n")
        XCTAssertEqual(input.format, .csv)
        XCTAssertFalse(input.hasLabels)
        XCTAssertEqual(input.records.map(\.sequence), ["ACGT", "GGCC"])
        XCTAssertEqual(input.records.map(\.label), [nil, nil])
        XCTAssertEqual(try read("\n\nsequence,label\nACGT,1\n").records.map(\.line), [4], "blank lines before the header")
    }

    func testPlainLinesNumberTheSequences() throws {
        let input = try read("\n  ACGT  \nggccN\n\nTTAA")
        XCTAssertEqual(input.format, .lines)
        XCTAssertEqual(input.records.map(\.id), ["seq1", "seq2", "seq3"])
        XCTAssertEqual(input.records.map(\.sequence), ["ACGT", "ggccN", "TTAA"])
        XCTAssertEqual(input.records.map(\.line), [2, 3, 5])
    }

    func testBadCharactersNameLineAndColumn() {
        assertRejected(">a\nACGT\nACXT\n", line: 3, "character 'X' at column 3")
        assertRejected("sequence,label\nACGT,0\nAC-T,1\n", line: 3, "character '-' at column 3")
        assertRejected("ACGT\nACGU\n", line: 2, "character 'U' at column 4")
        assertRejected("ACGT\nAC GT\n", line: 2, "character ' ' at column 3")
        assertRejected("ACGT\nACGé\n", line: 2, "character 'é' at column 4")
    }

    func testBadRecordsAreNamed() {
        assertRejected(">a\nACGT\n>b\n\n>c\nAC\n", line: 3, "FASTA record 'b' has no sequence")
        assertRejected(">a\nACGT\n>b\n", line: 3, "FASTA record 'b' has no sequence")
        assertRejected(">a\nACGT\n> \nAC\n", line: 3, "FASTA header without an id")
        assertRejected("sequence,label\nACGT,0\n,1\n", line: 3, "empty sequence")
        assertRejected("sequence,label\nACGT,0\nACGT,x\n", line: 3, "label 'x' is not a class index")
        assertRejected("sequence,label\nACGT,-1\n", line: 2, "label '-1' is not a class index")
        assertRejected("sequence,label\nACGT,\n", line: 2, "label '' is not a class index")
        assertRejected("sequence,label\nACGT\n", line: 2, "1 fields, expected 2")
        assertRejected("sequence,label\nACGT,0,1\n", line: 2, "3 fields, expected 2")
        assertRejected("sequence\nACGT,0\n", line: 2, "2 fields, expected 1")
        assertRejected("seq,label\nACGT,0\n", line: 1, "CSV header must be 'sequence,label' or 'sequence'")
        assertRejected("ACGT,0\n", line: 1, "comma-separated row, but the file does not start with the header")
        assertRejected("\nid,sequence\nx,ACGT\n", line: 2, "CSV header must be 'sequence,label' or 'sequence', found 'id,sequence'")
    }

    func testEmptyInputsAreNamed() {
        assertRejected("", line: nil, "the input is empty")
        assertRejected("\n \n\r\n", line: nil, "the input is empty")
        assertRejected("sequence,label\n\n", line: nil, "only a header")
    }

    func testAFileIsReadFromDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sequence-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("x.fa")
        try Data(">x\nACGT\n".utf8).write(to: file)
        let input = try SequenceInput(path: file.path)
        XCTAssertEqual(input.file, file.path)
        XCTAssertEqual(input.records.first?.sequence, "ACGT")
        XCTAssertThrowsError(try SequenceInput(path: folder.appendingPathComponent("missing.fa").path)) { error in
            XCTAssertEqual((error as? InputError)?.file, folder.appendingPathComponent("missing.fa").path)
        }
        XCTAssertThrowsError(try SequenceInput(path: folder.path)) { error in
            XCTAssertTrue("\(error)".contains("is a folder"), "\(error)")
        }
    }
}
