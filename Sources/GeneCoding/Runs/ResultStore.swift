// The result store: one JSON file per run under `results/runs/`, named by the run's key.
//
// Writes are atomic (write, then rename), so a killed process never leaves half a result. A file
// that does not parse, or whose key does not match its name, is treated as missing: the run is
// computed again and the file replaced. Checkpoints and learned tokenizers live beside the results.
import Foundation

public struct ResultStore: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    public var runsDirectory: URL { root.appendingPathComponent("runs") }
    public var tokenizersDirectory: URL { root.appendingPathComponent("tokenizers") }
    public var checkpointsDirectory: URL { root.appendingPathComponent("checkpoints") }

    public func recordURL(_ key: String) -> URL { runsDirectory.appendingPathComponent("\(key).json") }
    public func checkpointDirectory(_ key: String) -> URL { checkpointsDirectory.appendingPathComponent(key) }

    public enum Lookup {
        case missing
        case found(RunRecord)
        /// A file is there but is not a valid record (half-written by an old tool, edited, corrupted).
        case unreadable(reason: String)
    }

    /// A run's stored result, or why there is none. A file that is not a record of `key` is
    /// `unreadable` (the executor then computes the run again and replaces the file).
    public func lookup(_ key: String) -> Lookup {
        let url = recordURL(key)
        guard let data = FileManager.default.contents(atPath: url.path) else { return .missing }
        do {
            let record = try Self.decoder.decode(RunRecord.self, from: data)
            guard record.key == key else { return .unreadable(reason: "it holds the result of run \(record.key)") }
            return .found(record)
        } catch {
            return .unreadable(reason: "\(error)")
        }
    }

    public func record(_ key: String) -> RunRecord? {
        if case let .found(r) = lookup(key) { return r }
        return nil
    }

    public func save(_ record: RunRecord) throws {
        try AtomicFile.write(try Self.encoder.encode(record), to: recordURL(record.key).path)
    }

    /// A computed value that is not a training run (a measurement, an analysis), stored as JSON under
    /// results/<kind>/<key>.json and reused while its key stands: the key must name every input.
    public func cached<T: Codable>(_ kind: String, key: String, compute: () throws -> T) throws -> T {
        let url = root.appendingPathComponent(kind).appendingPathComponent("\(key).json")
        if let data = FileManager.default.contents(atPath: url.path), let value = try? Self.decoder.decode(T.self, from: data) {
            return value
        }
        let value = try compute()
        try AtomicFile.write(try Self.encoder.encode(value), to: url.path)
        return value
    }

    /// SHA-256 of a value's canonical JSON and the engine version: the key of a cached value.
    public static func key<T: Encodable>(of value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Non-finite numbers are spelled out rather than failing the encoder (finite ones encode as before).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var hasher = SHA256()
        do { hasher.update(try encoder.encode(value)) } catch {
            // A value whose encoding throws (none of ours do) still gets a key of its own description.
            hasher.update(Data("unencodable \(value)".utf8))
        }
        hasher.update(Data("\n\(engineVersion)".utf8))
        return SHA256.hex(hasher.finalize())
    }

    /// Every readable record in the store.
    public func allRecords() -> [RunRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().compactMap {
            record(String($0.dropLast(5)))
        }
    }

    /// Sorted keys, ISO dates, non-finite numbers as strings: the format of every JSON file we write.
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    /// The same on one line: for JSON kept inside another file (a checkpoint's metadata).
    static let compactEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()
}
