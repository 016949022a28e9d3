// The GUE benchmark (Genome Understanding Evaluation, Zhou et al. 2023, released with DNABERT-2),
// read from the folder a user points us at.
//
// Layout: <root>/<group>/<task>/{train,dev,test}.csv, e.g. `tf/0/train.csv`. Every CSV has the
// header `sequence,label` and one row per sequence: upper-case DNA, then an integer class from 0.
// A task folder may also hold PROVENANCE.md: it marks a *reduced* task, one rebuilt from part of
// the official release, whose scores are not comparable with published GUE scores. Its text travels
// with the task so that reports can print it next to the scores.
//
// Choices:
// - The reader is strict. Bad input stops the run with the file, the line (the header being line 1)
//   and what was wrong, rather than being skipped: a silently dropped row changes a benchmark.
//   It tolerates only what editors and spreadsheets add on their own: a UTF-8 byte order mark,
//   CRLF line endings, and blank lines at the end.
// - Sequences are kept exactly as written. Validation asks `Alphabet` which bytes it accepts, so the
//   loader and the tokenizers agree on what a valid sequence is.
// - The file is read once; its bytes are both hashed and parsed, so the recorded sha256 is that of
//   the rows that were used.
import Foundation

public struct LabeledSequence: Sendable, Hashable {
    public var sequence: String
    public var label: Int

    public init(sequence: String, label: Int) {
        self.sequence = sequence
        self.label = label
    }
}

// MARK: - Split

/// One CSV of a task: its rows, and the fingerprint of the file they came from.
public struct DataSplit: Sendable {
    /// "train", "dev" or "test".
    public let name: String
    public let file: URL
    public let rows: [LabeledSequence]
    /// Lower-case hex sha256 of the file's bytes, as `sha256sum` prints it.
    public let sha256: String
    /// Rows per class, indexed by label. Inside a `GUETask` every split has `classCount` entries;
    /// a split read on its own has one entry per label up to its largest.
    public private(set) var classCounts: [Int]

    /// Reads and checks one CSV; throws `InputError` naming the file and line of the first problem.
    public init(name: String, contentsOf file: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw InputError(file: file.path, "missing split file: a GUE task folder holds train.csv, dev.csv and test.csv")
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: file)
        } catch {
            throw InputError(file: file.path, "cannot be read: \(error.localizedDescription)")
        }
        let rows = try GUEFile.parse(bytes, path: file.path)
        self.init(name: name, file: file, rows: rows, sha256: SHA256.hexDigest(bytes))
    }

    /// A split from rows already in memory (tests, or data that did not come from a file).
    public init(name: String, file: URL, rows: [LabeledSequence], sha256: String) {
        self.name = name
        self.file = file
        self.rows = rows
        self.sha256 = sha256
        precondition(rows.allSatisfy { $0.label >= 0 }, "labels are class indices 0, 1, 2, ...")
        var counts = [Int](repeating: 0, count: (rows.map(\.label).max() ?? -1) + 1)
        for row in rows { counts[row.label] += 1 }
        self.classCounts = counts
    }

    public var count: Int { rows.count }
    public var sequences: [String] { rows.map(\.sequence) }
    public var labels: [Int] { rows.map(\.label) }

    public var summary: SplitSummary {
        let lengths = rows.map(\.sequence.utf8.count)
        return SplitSummary(
            name: name, rows: rows.count, classCounts: classCounts,
            shortest: lengths.min() ?? 0,
            meanLength: lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count),
            longest: lengths.max() ?? 0,
            sha256: sha256)
    }

    /// The same split with a class count entry for every class of its task.
    fileprivate func withClassCounts(padTo classCount: Int) -> DataSplit {
        var padded = self
        if padded.classCounts.count < classCount {
            padded.classCounts += [Int](repeating: 0, count: classCount - padded.classCounts.count)
        }
        return padded
    }
}

// MARK: - Task

public struct GUETask: Sendable {
    /// "group/task", e.g. "tf/0".
    public let name: String
    public let folder: URL
    public let train: DataSplit
    public let dev: DataSplit
    public let test: DataSplit
    /// Largest label over all splits, plus one.
    public let classCount: Int
    /// The text of the task's PROVENANCE.md, present for reduced tasks.
    public let provenance: String?

    /// Checks that the splits agree on the classes: every class up to the largest label has
    /// training rows, since a classifier cannot learn a class it never sees.
    public init(name: String, folder: URL, train: DataSplit, dev: DataSplit, test: DataSplit, provenance: String?) throws {
        let classCount = max(train.classCounts.count, dev.classCounts.count, test.classCounts.count)
        if let missing = (0..<classCount).first(where: { $0 >= train.classCounts.count || train.classCounts[$0] == 0 }) {
            let seenIn = [dev, test].filter { missing < $0.classCounts.count && $0.classCounts[missing] > 0 }.map { $0.file.lastPathComponent }
            let whereSeen = seenIn.isEmpty ? "" : " (it appears in \(seenIn.joined(separator: " and ")))"
            throw InputError(file: train.file.path,
                             "class \(missing) has no rows\(whereSeen); the labels of \(name) run from 0 to \(classCount - 1) and every class needs training rows")
        }
        self.name = name
        self.folder = folder
        self.train = train.withClassCounts(padTo: classCount)
        self.dev = dev.withClassCounts(padTo: classCount)
        self.test = test.withClassCounts(padTo: classCount)
        self.classCount = classCount
        self.provenance = provenance
    }

    /// A reduced task was rebuilt from part of the official release; see `provenance`.
    public var isReduced: Bool { provenance != nil }
    public var splits: [DataSplit] { [train, dev, test] }

    public var summary: TaskSummary {
        TaskSummary(task: name, classCount: classCount, isReduced: isReduced, splits: splits.map(\.summary))
    }
}

public struct SplitSummary: Sendable, Hashable, Codable {
    public var name: String
    public var rows: Int
    public var classCounts: [Int]
    /// Sequence lengths in characters (bases).
    public var shortest: Int
    public var meanLength: Double
    public var longest: Int
    public var sha256: String
}

public struct TaskSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    public var task: String
    public var classCount: Int
    public var isReduced: Bool
    public var splits: [SplitSummary]

    /// One line for the task, then one per split:
    /// `  train  32378 rows  classes 16189/16189  length 101/101.0/101 (min/mean/max)  sha256 930080e019fb`
    public var description: String {
        var lines = ["\(task): \(classCount) classes\(isReduced ? ", reduced (see its PROVENANCE.md)" : "")"]
        let nameWidth = splits.map(\.name.count).max() ?? 0
        let rowWidth = splits.map { String($0.rows).count }.max() ?? 0
        for split in splits {
            let name = split.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let rows = String(repeating: " ", count: rowWidth - String(split.rows).count) + String(split.rows)
            let classes = split.classCounts.map(String.init).joined(separator: "/")
            let mean = String(format: "%.1f", split.meanLength)
            lines.append("  \(name)  \(rows) rows  classes \(classes)  length \(split.shortest)/\(mean)/\(split.longest) (min/mean/max)  sha256 \(split.sha256.prefix(12))")
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Benchmark folder

public enum GUEError: Error, CustomStringConvertible, Sendable, Equatable {
    /// GUE_DIR is unset or empty.
    case rootNotSet
    case rootNotADirectory(path: String)
    case unknownTask(String, root: String, available: [String])
    /// A task name that cannot name a task folder inside the GUE folder.
    case malformedTaskName(String, reason: String)

    public var description: String {
        switch self {
        case .rootNotSet:
            return "\(GUE.environmentVariable) is not set. " + GUE.whereToGetIt
        case .rootNotADirectory(let path):
            return "\(GUE.environmentVariable)=\(path) is not a directory. " + GUE.whereToGetIt
        case .unknownTask(let task, let root, let available):
            if available.isEmpty {
                return "unknown GUE task '\(task)': no tasks under \(root) (expected <group>/<task>/{train,dev,test}.csv)"
            }
            return "unknown GUE task '\(task)' under \(root); available: \(available.joined(separator: ", "))"
        case .malformedTaskName(let task, let reason):
            return "'\(task)' is not a GUE task name: \(reason)"
        }
    }
}

public struct GUE: Sendable {
    public static let environmentVariable = "GUE_DIR"
    public static let splitNames = ["train", "dev", "test"]
    public static let provenanceFileName = "PROVENANCE.md"

    static let whereToGetIt = """
        Set \(environmentVariable) to the folder holding <group>/<task>/{train,dev,test}.csv \
        (for example \(environmentVariable)=$HOME/data/GUE, so that $HOME/data/GUE/tf/0/train.csv exists). \
        GUE is the Genome Understanding Evaluation benchmark of Zhou et al. 2023, released by the \
        DNABERT-2 project (github.com/MAGICS-LAB/DNABERT_2).
        """

    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The benchmark at `$GUE_DIR`. The environment is a parameter so that tests can pass their own.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GUE {
        guard let path = environment[environmentVariable], !path.isEmpty else { throw GUEError.rootNotSet }
        let expanded = (path as NSString).expandingTildeInPath
        guard isDirectory(expanded) else { throw GUEError.rootNotADirectory(path: path) }
        return GUE(root: URL(fileURLWithPath: expanded, isDirectory: true))
    }

    /// "group/task" for every folder two levels down that holds train.csv, dev.csv and test.csv, sorted.
    public func availableTasks() -> [String] {
        var tasks = [String]()
        for group in Self.subfolders(of: root) {
            for task in Self.subfolders(of: root.appendingPathComponent(group)) {
                let folder = root.appendingPathComponent(group).appendingPathComponent(task)
                let complete = Self.splitNames.allSatisfy {
                    Self.isFile(folder.appendingPathComponent("\($0).csv").path)
                }
                if complete { tasks.append("\(group)/\(task)") }
            }
        }
        return tasks.sorted()
    }

    /// A task name in the one form that keys results: "group/task". A user may type `tf/0/`,
    /// `tf//0`, `./tf/0` or `/tf/0` for `tf/0` (names are always read inside the GUE folder); all name
    /// the same folder and so the same results. A name that would leave the GUE folder (`..`) or that
    /// names a hidden folder is refused.
    public static func normalizedTaskName(_ task: String) throws -> String {
        func refuse(_ why: String) -> GUEError { .malformedTaskName(task, reason: why) }
        let parts = task.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw refuse("'..' would leave \(environmentVariable)") }
        if let hidden = parts.first(where: { $0.hasPrefix(".") }) { throw refuse("'\(hidden)' is a hidden folder, not a GUE group or task") }
        if let odd = parts.first(where: { $0.contains { $0.isNewline || $0 == "\0" } }) {
            throw refuse("'\(odd.debugDescription)' holds a control character")
        }
        guard parts.count == 2 else {
            throw refuse(parts.isEmpty ? "it is empty; give <group>/<task>, e.g. tf/0" : "it has \(parts.count) parts; give <group>/<task>, e.g. tf/0")
        }
        return parts.joined(separator: "/")
    }

    /// Reads and checks the three splits of `task` ("tf/0", or any spelling `normalizedTaskName`
    /// accepts) and its PROVENANCE.md, if any.
    public func load(_ task: String) throws -> GUETask {
        guard Self.isDirectory(root.path) else { throw GUEError.rootNotADirectory(path: root.path) }
        let name: String
        do { name = try Self.normalizedTaskName(task) } catch {
            throw GUEError.unknownTask(task, root: root.path, available: availableTasks())
        }
        let folder = root.appendingPathComponent(name, isDirectory: true)
        guard Self.isDirectory(folder.path) else {
            throw GUEError.unknownTask(task, root: root.path, available: availableTasks())
        }
        let splits = try Self.splitNames.map { try DataSplit(name: $0, contentsOf: folder.appendingPathComponent("\($0).csv")) }
        let provenanceFile = folder.appendingPathComponent(Self.provenanceFileName)
        var provenance: String?
        if Self.isFile(provenanceFile.path) {
            do {
                provenance = try String(contentsOf: provenanceFile, encoding: .utf8)
            } catch {
                throw InputError(file: provenanceFile.path, "cannot be read as UTF-8 text: \(error.localizedDescription)")
            }
        }
        return try GUETask(name: name, folder: folder, train: splits[0], dev: splits[1], test: splits[2], provenance: provenance)
    }

    /// Every folder two levels down that holds at least one split file, with the task read from it
    /// or the reason it cannot be: what `genecoding tasks` lists, the bad tasks beside the good ones.
    public func survey() -> [(name: String, task: Result<GUETask, any Error>)] {
        var found: [(name: String, task: Result<GUETask, any Error>)] = []
        for group in Self.subfolders(of: root).sorted() {
            for task in Self.subfolders(of: root.appendingPathComponent(group)).sorted() {
                let folder = root.appendingPathComponent(group).appendingPathComponent(task)
                let present = Self.splitNames.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0).csv").path) }
                guard !present.isEmpty else { continue }
                let name = "\(group)/\(task)"
                found.append((name, Result { try load(name) }))
            }
        }
        return found
    }

    private static func subfolders(of url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && isDirectory(url.appendingPathComponent($0).path) }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

// MARK: - CSV

/// The `sequence,label` CSV of GUE, parsed from bytes: lines are found by scanning for '\n', and a
/// String is made only for each accepted sequence (the largest GUE file has ~47,000 rows).
enum GUEFile {
    static let header = Array("sequence,label".utf8)
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    /// Class counts are arrays indexed by label, so a runaway label would allocate a runaway array;
    /// GUE's largest task has 9 classes.
    static let largestLabel = 65_535

    /// Which bytes may appear in a sequence, learnt from `Alphabet.normalize` one ASCII byte at a
    /// time. Bytes from 0x80 up belong to multi-byte characters, all of which it rejects.
    static let acceptedByte: [Bool] = (0..<256).map { byte in
        byte < 0x80 && (try? Alphabet.normalize(String(Character(UnicodeScalar(UInt8(byte)))))) != nil
    }

    static func parse(_ data: Data, path: String) throws -> [LabeledSequence] {
        try data.withUnsafeBytes { raw in
            try raw.withMemoryRebound(to: UInt8.self) { try parse($0, path: path) }
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws -> [LabeledSequence] {
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r"), comma = UInt8(ascii: ",")
        let accepted = acceptedByte
        var rows = [LabeledSequence]()
        var start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        var lineNumber = 0
        var firstBlankLine: Int?  // blank lines are fine only if nothing follows them

        guard start < bytes.count else {
            throw InputError(file: path, line: 1, "empty file: expected the header 'sequence,label'")
        }
        while start < bytes.count {
            lineNumber += 1
            var stop = start
            while stop < bytes.count && bytes[stop] != newline { stop += 1 }
            let next = stop + 1
            if stop > start && bytes[stop - 1] == carriageReturn { stop -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<stop])
            start = next

            if lineNumber == 1 {
                try checkHeader(line, path: path)
                continue
            }
            if line.isEmpty {
                if firstBlankLine == nil { firstBlankLine = lineNumber }
                continue
            }
            if let blank = firstBlankLine {
                throw InputError(file: path, line: blank, "blank line between rows (only blank lines at the end of the file are allowed)")
            }

            // Fields: exactly one comma.
            var commas = 0, firstComma = -1
            for i in 0..<line.count where line[i] == comma {
                if commas == 0 { firstComma = i }
                commas += 1
            }
            if commas == 0 {
                throw InputError(file: path, line: lineNumber, "missing column: found 1 field, expected 2 (sequence,label)")
            }
            if commas > 1 {
                throw InputError(file: path, line: lineNumber, "extra column: found \(commas + 1) fields, expected 2 (sequence,label)")
            }
            let sequence = UnsafeBufferPointer(rebasing: line[..<firstComma])
            let labelField = UnsafeBufferPointer(rebasing: line[(firstComma + 1)...])

            if sequence.isEmpty {
                throw InputError(file: path, line: lineNumber, "empty sequence")
            }
            let label = try parseLabel(labelField, path: path, line: lineNumber)

            var valid = true
            for byte in sequence where !accepted[Int(byte)] { valid = false; break }
            let text = String(decoding: sequence, as: UTF8.self)
            if !valid {
                do {
                    _ = try Alphabet.normalize(text)
                } catch let error as AlphabetError {
                    // The sequence is the first field, so its offsets are the line's columns.
                    throw InputError(file: path, line: lineNumber,
                                     "stray character '\(error.character)' at column \(error.offset + 1) of the sequence: not a base (A C G T) nor an IUPAC ambiguity code")
                }
                // Alphabet accepted what the byte table did not (a multi-byte character it has
                // since learnt): it is the authority, so the row stands.
            }
            rows.append(LabeledSequence(sequence: text, label: label))
        }
        if rows.isEmpty {
            throw InputError(file: path, "no rows after the header")
        }
        return rows
    }

    private static func checkHeader(_ line: UnsafeBufferPointer<UInt8>, path: String) throws {
        guard !line.elementsEqual(header) else { return }
        if line.starts(with: [0xFF, 0xFE]) || line.starts(with: [0xFE, 0xFF]) {
            throw InputError(file: path, line: 1, "the file is UTF-16 text; save it as UTF-8 (or ASCII) with the header 'sequence,label'")
        }
        let found = String(decoding: line.prefix(80), as: UTF8.self)
        let hint = found == "label,sequence" ? " (the columns are swapped)" : ""
        throw InputError(file: path, line: 1, "wrong header: expected 'sequence,label', found '\(found)'\(hint)")
    }

    /// A class index: ASCII digits only, no sign, no spaces, no decimal point.
    private static func parseLabel(_ field: UnsafeBufferPointer<UInt8>, path: String, line: Int) throws -> Int {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        if field.isEmpty {
            throw InputError(file: path, line: line, "empty label: expected a class index 0, 1, 2, ...")
        }
        let text = { String(decoding: field.prefix(40), as: UTF8.self) }
        if field[0] == UInt8(ascii: "-"), field.count > 1, field.dropFirst().allSatisfy({ $0 >= zero && $0 <= nine }) {
            throw InputError(file: path, line: line, "negative label '\(text())': labels are class indices 0, 1, 2, ...")
        }
        var value = 0
        for byte in field {
            guard byte >= zero && byte <= nine else {
                throw InputError(file: path, line: line, "label '\(text())' is not an integer class index 0, 1, 2, ...")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - zero))
            if overflow1 || overflow2 || sum > largestLabel {
                throw InputError(file: path, line: line, "label '\(text())' is too large for a class index (at most \(largestLabel))")
            }
            value = sum
        }
        return value
    }
}
