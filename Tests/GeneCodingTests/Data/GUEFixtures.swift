// Shared by the GUE tests: the gue-mini fixture, temporary folders for bad inputs,
// and the MANIFEST.tsv check that runs both on the fixture and on a real GUE_DIR.
import Foundation
import XCTest
import GeneCoding

enum GUEFixtures {
    /// gue-mini: a GUE-layout folder small enough to read by eye, written once per test process into a
    /// temporary folder (no split file is kept in the repository):
    ///
    ///     toy/binary/      2 classes, reduced (has PROVENANCE.md), train row 3 (file line 4) holds an N
    ///     toy/three/       3 classes, lengths 10 to 14, test row 2 soft-masked (lower case)
    ///     toy/incomplete/  train.csv and dev.csv only: not a task, must not be listed
    ///     MANIFEST.tsv     path, rows, sha256 prefix (the layout of a real GUE_DIR's manifest)
    ///     SHA256SUMS       `sha256sum` output for every CSV, to hold our SHA-256 against
    ///
    /// The rows are random bases drawn once from a seeded generator; MANIFEST.tsv and SHA256SUMS were
    /// recorded from those bytes by Python's hashlib and coreutils' `sha256sum` and are kept in
    /// Resources/gue-mini, so the digests they hold were not computed by the code they check.
    static let miniRoot: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-gue-mini-\(UUID().uuidString)")
        let recorded = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("gue-mini")
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for name in ["MANIFEST.tsv", "SHA256SUMS"] {
                try FileManager.default.copyItem(at: recorded.appendingPathComponent(name), to: root.appendingPathComponent(name))
            }
            for (path, rows) in miniSplits {
                try write((["sequence,label"] + rows).map { $0 + "\n" }.joined(), to: root.appendingPathComponent(path))
            }
            try write(miniProvenance, to: root.appendingPathComponent("toy/binary/PROVENANCE.md"))
            atexit { try? FileManager.default.removeItem(at: GUEFixtures.miniRoot) }
        } catch {
            fatalError("cannot write the gue-mini fixture under \(root.path): \(error)")
        }
        return root
    }()

    static let miniProvenance = """
        Reduced task (fixture). Written by GUEFixtures to stand in for a task whose
        official train split was not available: train.csv and dev.csv are a seeded partition of a
        larger split. Scores on it are not comparable with published GUE scores.

        """

    /// path -> rows ("sequence,label") of every CSV of gue-mini
    static let miniSplits: [(path: String, rows: [String])] = [
        ("toy/binary/dev.csv", [
            "CTTGCTGTGTCC,0",
            "ACCCCATCGGAC,1",
            "TGGCATTTTTAT,0",
        ]),
        ("toy/binary/test.csv", [
            "TACACTCAGAAA,0",
            "CAGAACTCGGGT,1",
            "AATTTTGACAGG,0",
            "TCACGCAGAGGC,1",
        ]),
        ("toy/binary/train.csv", [
            "GCTAAAGACAAT,0",
            "TACATAACATAC,1",
            "ACGTCNGCACGA,0",
            "AACTTGTTGGCC,1",
            "CAGTGTGAATCG,0",
            "CTTAAGGGTTAA,1",
            "GTAAGTGTGATG,0",
            "CATACGCCTTTA,1",
        ]),
        ("toy/incomplete/dev.csv", [
            "CGTCGGAGAAAC,0",
        ]),
        ("toy/incomplete/train.csv", [
            "AAGACAGATAGT,0",
            "GCACACGACCGG,1",
        ]),
        ("toy/three/dev.csv", [
            "TCGCTCTATTGA,0",
            "CTACGACGCGCT,1",
            "CATTCCCTTGTC,2",
        ]),
        ("toy/three/test.csv", [
            "GGAGAGTTATGG,2",
            "aacaAGGACGCT,1",
            "GTCTGAGACTAG,0",
        ]),
        ("toy/three/train.csv", [
            "GCGCCCTCCT,0",
            "GAAGTGCGTGG,0",
            "ACACTCGCTATG,0",
            "AATCTCTGATTTA,0",
            "CCCACTCTGCCAAA,1",
            "CTCCAGCGCG,1",
            "GTCAGTTCCAT,1",
            "CACCCTAAGTAA,2",
            "CCGAATAATGCGT,2",
        ]),
    ]

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
