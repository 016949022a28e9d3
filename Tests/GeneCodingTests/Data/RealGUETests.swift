// The real benchmark, when GUE_DIR points at it (CI does): every available task loads, and row
// counts and sha256 prefixes match GUE_DIR/MANIFEST.tsv when there is one.
import Foundation
import XCTest
import GeneCoding

final class RealGUETests: XCTestCase {
    func testEveryAvailableTaskLoads() throws {
        guard ProcessInfo.processInfo.environment[GUE.environmentVariable] != nil else {
            throw XCTSkip("GUE_DIR is not set")
        }
        let gue = try GUE.fromEnvironment()
        let names = gue.availableTasks()
        XCTAssertFalse(names.isEmpty, "GUE_DIR=\(gue.root.path) holds no <group>/<task>/{train,dev,test}.csv")
        let manifest = gue.root.appendingPathComponent("MANIFEST.tsv")
        let hasManifest = FileManager.default.fileExists(atPath: manifest.path)
        let tasks = try GUEFixtures.checkEveryTask(of: gue, manifest: hasManifest ? manifest : nil)
        XCTAssertEqual(tasks.map(\.name), names)
        for task in tasks {
            // A reduced task is flagged by its PROVENANCE.md and carries its text.
            let provenanceFile = task.folder.appendingPathComponent(GUE.provenanceFileName)
            XCTAssertEqual(task.isReduced, FileManager.default.fileExists(atPath: provenanceFile.path), task.name)
            if task.isReduced { XCTAssertFalse(task.provenance!.isEmpty, task.name) }
        }
    }
}
