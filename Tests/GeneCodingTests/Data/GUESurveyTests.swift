// `GUE.survey`: every task folder, with the task or the reason it cannot be read, so that
// `genecoding tasks` lists the bad tasks beside the good ones instead of stopping at the first.
import XCTest
@testable import GeneCoding

final class GUESurveyTests: XCTestCase {
    func testEveryTaskFolderIsListedWithItsErrorBeside() throws {
        let root = try GUEFixtures.temporaryFolder(for: self)
        let good = "sequence,label\nACGT,0\nACGA,1\n"
        for split in ["train", "dev", "test"] {
            try GUEFixtures.write(good, to: root.appendingPathComponent("a/fine/\(split).csv"))
            try GUEFixtures.write(split == "dev" ? "sequence,label\nACGT,zero\n" : good, to: root.appendingPathComponent("a/badlabel/\(split).csv"))
            try GUEFixtures.write(good, to: root.appendingPathComponent("b/later/\(split).csv"))
        }
        try GUEFixtures.write(good, to: root.appendingPathComponent("b/partial/train.csv"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("b/empty-folder"), withIntermediateDirectories: true)

        let survey = GUE(root: root).survey()
        XCTAssertEqual(survey.map(\.name), ["a/badlabel", "a/fine", "b/later", "b/partial"], "every folder holding a split, the bad ones too")
        func error(_ name: String) -> String? {
            guard case let .failure(e)? = survey.first(where: { $0.name == name })?.task else { return nil }
            return "\(e)"
        }
        XCTAssertEqual(error("a/badlabel"), root.appendingPathComponent("a/badlabel/dev.csv").path + ":2: label 'zero' is not an integer class index 0, 1, 2, ...")
        XCTAssertTrue(error("b/partial")?.contains("partial/dev.csv: missing split file") ?? false, error("b/partial") ?? "loaded")
        XCTAssertNil(error("a/fine"))
        XCTAssertNil(error("b/later"), "a task after a bad one is still read")
        // availableTasks keeps its meaning: complete task folders only.
        XCTAssertEqual(GUE(root: root).availableTasks(), ["a/badlabel", "a/fine", "b/later"])
    }
}
