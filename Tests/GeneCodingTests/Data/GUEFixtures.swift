// Shared by the GUE tests: where the committed fixture lives, temporary folders for bad inputs,
// and the MANIFEST.tsv check that runs both on the fixture and on a real GUE_DIR.
import Foundation
import XCTest
import GeneCoding

enum GUEFixtures {
    /// Resources/gue-mini, made by Resources/make_gue_mini.py.
    static var miniRoot: URL {
        Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("gue-mini")
    }

    /// A fresh empty folder, removed by the test case's teardown.
    static func temporaryFolder(for testCase: XCTestCase) throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("genecoding-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// `path -> (rows, sha256 prefix)` from a MANIFEST.tsv (tab-separated, no header).
    static func readManifest(_ url: URL) throws -> [String: (rows: Int, sha256Prefix: String)] {
        var entries = [String: (rows: Int, sha256Prefix: String)]()
        let text = try String(contentsOf: url, encoding: .utf8)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, let rows = Int(fields[1]), !fields[2].isEmpty else {
                throw InputError(file: url.path, line: index + 1, "expected path<TAB>rows<TAB>sha256 prefix, found '\(line)'")
            }
            entries[fields[0]] = (rows, fields[2].lowercased())
        }
        return entries
    }

    /// Loads every available task and holds each split's row count and sha256 against the manifest.
    /// Returns the loaded tasks for further checks.
    @discardableResult
    static func checkEveryTask(of gue: GUE, manifest: URL?, file: StaticString = #filePath, line: UInt = #line) throws -> [GUETask] {
        let entries = try manifest.map(readManifest) ?? [:]
        var tasks = [GUETask]()
        for name in gue.availableTasks() {
            let task = try gue.load(name)
            tasks.append(task)
            XCTAssertEqual(task.name, name, file: file, line: line)
            XCTAssertGreaterThanOrEqual(task.classCount, 2, "\(name) has fewer than two classes", file: file, line: line)
            for split in task.splits {
                XCTAssertEqual(split.classCounts.count, task.classCount, "\(name)/\(split.name)", file: file, line: line)
                XCTAssertEqual(split.classCounts.reduce(0, +), split.count, "\(name)/\(split.name)", file: file, line: line)
                guard manifest != nil else { continue }
                let path = "\(name)/\(split.name).csv"
                guard let entry = entries[path] else {
                    XCTFail("\(path) is not in the manifest", file: file, line: line)
                    continue
                }
                XCTAssertEqual(split.count, entry.rows, "rows of \(path)", file: file, line: line)
                XCTAssertTrue(split.sha256.hasPrefix(entry.sha256Prefix),
                              "sha256 of \(path) is \(split.sha256), manifest says \(entry.sha256Prefix)...", file: file, line: line)
            }
        }
        // Discovery missed nothing: every manifest entry outside the loaded tasks lies in a folder
        // that lacks one of the three splits.
        let loaded = Set(tasks.map(\.name))
        for path in entries.keys.sorted() {
            let taskName = (path as NSString).deletingLastPathComponent
            guard !loaded.contains(taskName) else { continue }
            let folder = gue.root.appendingPathComponent(taskName)
            let complete = GUE.splitNames.allSatisfy {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0).csv").path)
            }
            XCTAssertFalse(complete, "\(taskName) is in the manifest and complete, but availableTasks() missed it", file: file, line: line)
        }
        return tasks
    }
}
