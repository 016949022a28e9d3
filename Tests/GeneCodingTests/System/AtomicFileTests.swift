import Foundation
import XCTest
@testable import GeneCoding

final class AtomicFileTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func contents(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    func testWriteCreatesFoldersAndReplacesTheFile() throws {
        let path = try scratchDirectory() + "/results/run-1/metrics.json"
        try AtomicFile.write("first\n", to: path)
        XCTAssertEqual(try contents(path), "first\n")
        try AtomicFile.write(Data("second".utf8), to: path)
        XCTAssertEqual(try contents(path), "second")
        XCTAssertEqual(AtomicFile.leftoverTemporaries(of: path), [])
        let names = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        XCTAssertEqual(names, ["metrics.json"])
    }

    func testACrashBeforeTheRenameLeavesTheOldFileWhole() throws {
        let path = try scratchDirectory() + "/figures/mcc.svg"
        try AtomicFile.write("old, complete\n", to: path)

        // A writer that dies after writing its temporary file but before renaming it.
        let temporary = try AtomicFile.writeTemporary(Data("new, but the process was kill".utf8), nextTo: path)
        XCTAssertEqual(try contents(path), "old, complete\n")
        XCTAssertEqual(AtomicFile.leftoverTemporaries(of: path), [temporary])

        // What it leaves is hidden and does not look like the target to a glob.
        let name = (temporary as NSString).lastPathComponent
        XCTAssertTrue(name.hasPrefix("."), name)
        XCTAssertFalse(name.hasSuffix(".svg"), name)
        XCTAssertEqual((temporary as NSString).deletingLastPathComponent, (path as NSString).deletingLastPathComponent)

        // The next writer is not disturbed by the leftover, nor disturbs it.
        try AtomicFile.write("newer, complete\n", to: path)
        XCTAssertEqual(try contents(path), "newer, complete\n")
        XCTAssertEqual(try contents(temporary), "new, but the process was kill")
    }

    func testAFailedRenameLeavesNoTemporaryAndTheTargetAsItWas() throws {
        let directory = try scratchDirectory()
        // A directory in the target's place: the rename over it fails.
        let path = directory + "/occupied"
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write("x", to: path)) { error in
            XCTAssertTrue(error is FileWriteError, "\(error)")
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(AtomicFile.leftoverTemporaries(of: path), [])
    }

    func testAParentThatIsAFileIsAClearError() throws {
        let directory = try scratchDirectory()
        try AtomicFile.write("I am a file", to: directory + "/plain")
        XCTAssertThrowsError(try AtomicFile.write("x", to: directory + "/plain/child.txt")) { error in
            XCTAssertTrue("\(error)".contains(directory + "/plain"), "\(error)")
        }
    }

    func testReadersNeverSeeAPartialFile() throws {
        let path = try scratchDirectory() + "/shared.txt"
        // Large enough that a plain write would be seen half done.
        let versions = (0..<4).map { String(repeating: "\($0)", count: 1 << 20) }
        try AtomicFile.write(versions[0], to: path)
        let stop = StopFlag()
        let reader = DispatchQueue(label: "reader")
        let readerDone = DispatchSemaphore(value: 0)
        let seen = SeenVersions()
        reader.async {
            while !stop.isSet {
                if let text = try? String(contentsOfFile: path, encoding: .utf8) { seen.record(text, among: versions) }
            }
            readerDone.signal()
        }
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            try? AtomicFile.write(versions[index % versions.count], to: path)
        }
        stop.set()
        readerDone.wait()
        XCTAssertEqual(seen.partial, 0, "a reader saw a file that was none of the versions written")
        XCTAssertGreaterThan(seen.whole, 0)
        XCTAssertTrue(versions.contains(try contents(path)))
        XCTAssertEqual(AtomicFile.leftoverTemporaries(of: path), [])
    }
}

private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

private final class SeenVersions: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var whole = 0
    private(set) var partial = 0
    func record(_ text: String, among versions: [String]) {
        lock.lock()
        defer { lock.unlock() }
        if versions.contains(text) { whole += 1 } else { partial += 1 }
    }
}
