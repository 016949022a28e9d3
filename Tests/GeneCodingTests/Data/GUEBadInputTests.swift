// Every kind of bad input stops the loader with a message that says where (file, 1-based line with
// the header as line 1) and what. Bad files are written to a temporary folder.
import Foundation
import XCTest
import GeneCoding

final class GUEBadInputTests: XCTestCase {
    /// Writes `text` as a CSV, reads it, and checks the InputError's file, line and message.
    private func assertRejected(_ text: String, line expectedLine: Int?, _ expectedMessage: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let csv = try GUEFixtures.temporaryFolder(for: self).appendingPathComponent("train.csv")
        try GUEFixtures.write(text, to: csv)
        do {
            let split = try DataSplit(name: "train", contentsOf: csv)
            XCTFail("accepted \(split.count) rows; expected: \(expectedMessage)", file: file, line: line)
        } catch let error as InputError {
            XCTAssertEqual(error.file, csv.path, file: file, line: line)
            XCTAssertEqual(error.line, expectedLine, "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(expectedMessage), "message: \(error.message)\nexpected to contain: \(expectedMessage)", file: file, line: line)
            let prefix = expectedLine.map { "\(csv.path):\($0): " } ?? "\(csv.path): "
            XCTAssertTrue(error.description.hasPrefix(prefix), error.description, file: file, line: line)
        }
    }

    func testWrongHeader() throws {
        try assertRejected("seq,label\nACGT,0\n", line: 1, "wrong header: expected 'sequence,label', found 'seq,label'")
        try assertRejected("sequence\tlabel\nACGT\t0\n", line: 1, "found 'sequence\tlabel'")
        try assertRejected("ACGT,0\nACGT,1\n", line: 1, "found 'ACGT,0'")
    }

    func testUTF16IsNamed() throws {
        let csv = try GUEFixtures.temporaryFolder(for: self).appendingPathComponent("train.csv")
        try ([0xFF, 0xFE] + Data("sequence,label\nACGT,0\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })).write(to: csv)
        XCTAssertThrowsError(try DataSplit(name: "train", contentsOf: csv)) { error in
            XCTAssertEqual((error as? InputError)?.line, 1)
            XCTAssertTrue("\(error)".contains("UTF-16"), "\(error)")
        }
    }

    func testSwappedHeaderIsNamed() throws {
        try assertRejected("label,sequence\n0,ACGT\n", line: 1, "found 'label,sequence' (the columns are swapped)")
    }

    func testEmptyFileAndHeaderOnly() throws {
        try assertRejected("", line: 1, "empty file")
        try assertRejected("sequence,label\n", line: nil, "no rows after the header")
    }

    func testMissingColumn() throws {
        try assertRejected("sequence,label\nACGT,0\nACGT\nACGT,1\n", line: 3, "missing column: found 1 field, expected 2")
    }

    func testExtraColumn() throws {
        try assertRejected("sequence,label\nACGT,0\nACGT,1\nAC,1,0\n", line: 4, "extra column: found 3 fields, expected 2")
    }

    func testEmptySequence() throws {
        try assertRejected("sequence,label\nACGT,0\n,1\n", line: 3, "empty sequence")
    }

    func testNonIntegerLabel() throws {
        try assertRejected("sequence,label\nACGT,one\n", line: 2, "label 'one' is not an integer")
        try assertRejected("sequence,label\nACGT,0\nACGT,1.0\n", line: 3, "label '1.0' is not an integer")
        try assertRejected("sequence,label\nACGT, 1\n", line: 2, "label ' 1' is not an integer")
        try assertRejected("sequence,label\nACGT,\n", line: 2, "empty label")
        try assertRejected("sequence,label\nACGT,99999999999999999999999\n", line: 2, "is too large")
    }

    func testNegativeLabel() throws {
        try assertRejected("sequence,label\nACGT,0\nACGT,1\nACGT,-1\n", line: 4, "negative label '-1'")
    }

    func testStrayCharacter() throws {
        try assertRejected("sequence,label\nACGT,0\nACGXT,1\n", line: 3, "stray character 'X' at column 4")
        try assertRejected("sequence,label\n?CGT,0\n", line: 2, "stray character '?' at column 1")
        try assertRejected("sequence,label\nAC GT,0\n", line: 2, "stray character ' ' at column 3")
        try assertRejected("sequence,label\nACé,0\n", line: 2, "stray character 'é' at column 3")
    }

    func testBlankLineBetweenRows() throws {
        try assertRejected("sequence,label\nACGT,0\n\nACGT,1\n", line: 3, "blank line between rows")
    }

    func testMissingSplitFile() throws {
        let root = try GUEFixtures.temporaryFolder(for: self)
        for split in ["train", "dev"] {
            try GUEFixtures.write("sequence,label\nACGT,0\nACGT,1\n", to: root.appendingPathComponent("toy/partial/\(split).csv"))
        }
        XCTAssertEqual(GUE(root: root).availableTasks(), [])
        XCTAssertThrowsError(try GUE(root: root).load("toy/partial")) { error in
            guard let error = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, root.appendingPathComponent("toy/partial/test.csv").path)
            XCTAssertNil(error.line)
            XCTAssertTrue(error.message.contains("missing split file"), error.message)
        }
    }

    func testClassWithoutTrainingRows() throws {
        let root = try GUEFixtures.temporaryFolder(for: self)
        try GUEFixtures.write("sequence,label\nACGT,0\nACGT,2\n", to: root.appendingPathComponent("toy/gap/train.csv"))
        try GUEFixtures.write("sequence,label\nACGT,1\n", to: root.appendingPathComponent("toy/gap/dev.csv"))
        try GUEFixtures.write("sequence,label\nACGT,0\n", to: root.appendingPathComponent("toy/gap/test.csv"))
        XCTAssertThrowsError(try GUE(root: root).load("toy/gap")) { error in
            guard let error = error as? InputError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.file, root.appendingPathComponent("toy/gap/train.csv").path)
            XCTAssertTrue(error.message.contains("class 1 has no rows (it appears in dev.csv)"), error.message)
            XCTAssertTrue(error.message.contains("run from 0 to 2"), error.message)
        }
    }

    func testUnknownTaskListsAvailableOnes() {
        let gue = GUE(root: GUEFixtures.miniRoot)
        for name in ["toy/four", "toy", "toy/incomplete/train.csv", "../gue-mini/toy/binary", "toy/.."] {
            XCTAssertThrowsError(try gue.load(name), name) { error in
                XCTAssertEqual(error as? GUEError, .unknownTask(name, root: GUEFixtures.miniRoot.path, available: ["toy/binary", "toy/three"]))
                XCTAssertTrue("\(error)".contains("unknown GUE task '\(name)'"), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("available: toy/binary, toy/three"), "\(error)")
            }
        }
    }

    func testMissingGUEDirectory() {
        XCTAssertThrowsError(try GUE.fromEnvironment([:])) { error in
            XCTAssertEqual(error as? GUEError, .rootNotSet)
            let text = "\(error)"
            for part in ["GUE_DIR is not set", "<group>/<task>/{train,dev,test}.csv", "DNABERT-2", "Zhou et al. 2023"] {
                XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)")
            }
        }
        XCTAssertThrowsError(try GUE.fromEnvironment(["GUE_DIR": ""])) { XCTAssertEqual($0 as? GUEError, .rootNotSet) }
        XCTAssertThrowsError(try GUE.fromEnvironment(["GUE_DIR": "/nonexistent/GUE"])) { error in
            XCTAssertEqual(error as? GUEError, .rootNotADirectory(path: "/nonexistent/GUE"))
            XCTAssertTrue("\(error)".contains("GUE_DIR=/nonexistent/GUE is not a directory"), "\(error)")
        }
        XCTAssertThrowsError(try GUE(root: URL(fileURLWithPath: "/nonexistent/GUE")).load("tf/0")) { error in
            XCTAssertEqual(error as? GUEError, .rootNotADirectory(path: "/nonexistent/GUE"))
        }
    }
}
