// Writing a file so that a reader, or a rerun after a crash, sees either the old file or the new
// one and never a half-written one.
//
// The bytes go to a temporary file in the target's own directory (rename is atomic only within one
// file system), are flushed to disk with fsync, and the temporary file is then renamed over the
// target. The directory is fsynced as well so that the rename itself survives a power cut.
//
// A process killed between the two steps leaves its temporary file behind. Its name starts with a
// dot and ends with `.tmp-<pid>-<random>`, so it is hidden, never ends with the target's extension
// (no `figures/*.svg` or `results/*.json` pattern picks it up) and never collides with a later
// writer; nothing reads it, and a person may delete it at leisure (`leftoverTemporaries` finds them).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed while writing a file, with the file and the system's reason.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let reason: String

    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    /// The failure of a system call, explained by its `errno`.
    init(path: String, operation: String, code: Int32) {
        self.init(path: path, operation: operation, reason: String(cString: strerror(code)))
    }

    public var description: String { "\(path): \(operation) failed: \(reason)" }
}

public enum AtomicFile {
    /// Replaces the file at `path` with `data` in one step, creating missing parent directories.
    public static func write(_ data: Data, to path: String) throws {
        let temporary = try writeTemporary(data, nextTo: path)
        try commit(temporary, to: path)
    }

    /// Replaces the file at `path` with the UTF-8 bytes of `text` in one step.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Like `write`, but leaves the file alone (its bytes and its modification time) when it already
    /// holds exactly these bytes: generated reports and figures change only when their content does,
    /// so a rendering from an unchanged store leaves the working tree clean and `make` renders nothing.
    /// Returns whether it wrote.
    @discardableResult
    public static func writeIfChanged(_ text: String, to path: String) throws -> Bool {
        let data = Data(text.utf8)
        if FileManager.default.contents(atPath: path) == data { return false }
        try write(data, to: path)
        return true
    }

    /// The temporary files that writers of `path` left behind when they were killed mid-write.
    public static func leftoverTemporaries(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let prefix = "." + url.lastPathComponent + ".tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted().map { directory.appendingPathComponent($0).path }
    }

    // MARK: The two steps, apart so that a test can stop between them as a crash would.

    /// Step one: the data, on disk, under a temporary name next to `path`. Returns that name.
    static func writeTemporary(_ data: Data, nextTo path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: directory.path, operation: "creating the directory", reason: error.localizedDescription)
        }
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))").path

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: temporary, operation: "open", code: errno) }
        var failure: FileWriteError?
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var written = 0
            while written < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = FileWriteError(path: temporary, operation: "write", code: errno)
                    return
                }
                written += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = FileWriteError(path: temporary, operation: "fsync", code: errno) }
        if close(fd) != 0, failure == nil { failure = FileWriteError(path: temporary, operation: "close", code: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        return temporary
    }

    /// Step two: the temporary file takes the target's name, and the directory records it.
    static func commit(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(path: path, operation: "rename", code: code)
        }
        // Without this a power cut can lose the rename though the data was flushed. Some file
        // systems refuse to fsync a directory; the file itself is already safe then, so that is
        // not worth failing the write over.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dfd = open(directory, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
