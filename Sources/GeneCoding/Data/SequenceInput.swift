// Sequences to score, read from a file a user brings: FASTA, a GUE-style CSV, or one sequence a
// line. The format is read from the content, not the file name (standard input has none):
//
//   FASTA   the first non-blank line starts with '>'. A record is a header line, whose first word
//           after '>' is the id, and the sequence lines below it, joined (multi-line records).
//   CSV     the first non-blank line has a comma, or is `sequence`: it must be the header
//           `sequence,label` (GUE's) or `sequence`. With a label column every row's label is kept,
//           so that predictions can be scored; ids are seq1, seq2, ...
//   lines   anything else: every non-blank line is one sequence, ids seq1, seq2, ...
//
// What is tolerated, as editors and spreadsheets write it: a UTF-8 byte order mark, CRLF line ends,
// blank lines anywhere, and spaces or tabs around a line. What is an error, said with the file, the
// line (1-based, the CSV header being line 1) and what was wrong: a character that is neither a base
// nor an IUPAC ambiguity code (the column is given; Alphabet decides, as for training), an empty
// sequence or a FASTA record without sequence lines, a FASTA header without an id, sequence lines
// before the first FASTA header, a CSV row with the wrong number of fields or a label that is not a
// class index. Lower case and ambiguity codes are kept as written: the tokenizer treats them exactly
// as in training (upper-cased; a token holding an ambiguity code is [UNK]).
import Foundation

public struct SequenceRecord: Sendable, Hashable {
    public var id: String
    public var sequence: String
    /// The true class, when the input has a label column.
    public var label: Int?
    /// The line the record starts on (its FASTA header, its CSV row, its line), 1-based.
    public var line: Int

    public init(id: String, sequence: String, label: Int? = nil, line: Int) {
        self.id = id
        self.sequence = sequence
        self.label = label
        self.line = line
    }
}

public enum SequenceInputFormat: String, Sendable {
    case fasta = "FASTA"
    case csv = "CSV"
    case lines = "one sequence a line"
}

public struct SequenceInput: Sendable {
    /// The name used in messages: a path, or "standard input".
    public let file: String
    public let format: SequenceInputFormat
    public let records: [SequenceRecord]
    /// True when every record has a label (a CSV with a label column).
    public let hasLabels: Bool

    /// Reads a file, or standard input for "-".
    public init(path: String) throws {
        if path == "-" {
            try self.init(data: FileHandle.standardInput.readDataToEndOfFile(), file: "standard input")
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw InputError(file: path, isDirectory.boolValue ? "is a folder, not a file of sequences" : "no such file")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot be read: \(error.localizedDescription)")
        }
        try self.init(data: data, file: path)
    }

    /// Parses `data`; `file` names it in errors.
    public init(data: Data, file: String) throws {
        self.file = file
        let lines = Self.lines(of: data)
        guard let first = lines.firstIndex(where: { !$0.isEmpty }) else {
            throw InputError(file: file, "no sequences: the input is empty")
        }
        if lines[first].hasPrefix(">") {
            format = .fasta
            records = try Self.fasta(lines, file: file)
            hasLabels = false
        } else if lines[first].contains(",") || lines[first] == "sequence" {
            format = .csv
            (records, hasLabels) = try Self.csv(lines, file: file)
        } else {
            format = .lines
            records = try Self.plainLines(lines, file: file)
            hasLabels = false
        }
        if records.isEmpty { throw InputError(file: file, "no sequences: only a header and blank lines") }
    }

    /// The lines of `data`, without a byte order mark, line ends, or surrounding spaces and tabs.
    static func lines(of data: Data) -> [String] {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \t\r")) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Checks a sequence (or one line of one) with Alphabet; errors name the line and column.
    static func check(_ text: some StringProtocol, file: String, line: Int, columnOffset: Int = 0) throws {
        do {
            _ = try Alphabet.normalize(text)
        } catch let error as AlphabetError {
            throw InputError(file: file, line: line,
                             "character '\(error.character)' at column \(columnOffset + error.offset + 1) is not a base (A C G T) nor an IUPAC ambiguity code (N R Y S W K M B D H V)")
        }
    }

    static func fasta(_ lines: [String], file: String) throws -> [SequenceRecord] {
        var records: [SequenceRecord] = []
        var current: (id: String, line: Int, parts: [String])? = nil
        func close() throws {
            guard let record = current else { return }
            guard !record.parts.isEmpty else {
                throw InputError(file: file, line: record.line, "FASTA record '\(record.id)' has no sequence")
            }
            records.append(SequenceRecord(id: record.id, sequence: record.parts.joined(), line: record.line))
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.hasPrefix(">") {
                try close()
                guard let id = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).first else {
                    throw InputError(file: file, line: number, "FASTA header without an id (expected '>id description')")
                }
                current = (String(id), number, [])
            } else if !line.isEmpty {
                guard current != nil else {
                    throw InputError(file: file, line: number, "sequence before the first FASTA header")
                }
                try check(line, file: file, line: number)
                current!.parts.append(line)
            }
        }
        try close()
        return records
    }

    static func csv(_ lines: [String], file: String) throws -> ([SequenceRecord], Bool) {
        let headerIndex = lines.firstIndex { !$0.isEmpty }!
        let header = lines[headerIndex]
        let labelled: Bool
        switch header {
        case "sequence,label": labelled = true
        case "sequence": labelled = false
        default:
            if (try? Alphabet.normalize(header.prefix { $0 != "," })) != nil {
                throw InputError(file: file, line: headerIndex + 1,
                                 "a comma-separated row, but the file does not start with the header 'sequence,label' (or 'sequence') that a CSV input needs")
            }
            throw InputError(file: file, line: headerIndex + 1, "CSV header must be 'sequence,label' or 'sequence', found '\(header.prefix(80))'")
        }
        var records: [SequenceRecord] = []
        for (index, line) in lines.enumerated().dropFirst(headerIndex + 1) where !line.isEmpty {
            let number = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == (labelled ? 2 : 1) else {
                throw InputError(file: file, line: number, "\(fields.count) fields, expected \(labelled ? "2 (sequence,label)" : "1 (sequence)")")
            }
            let sequence = fields[0].trimmingCharacters(in: .whitespaces)
            guard !sequence.isEmpty else { throw InputError(file: file, line: number, "empty sequence") }
            try check(sequence, file: file, line: number)
            var label: Int? = nil
            if labelled {
                let text = fields[1].trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int(text) else {
                    throw InputError(file: file, line: number, "label '\(text.prefix(40))' is not a class index 0, 1, 2, ...")
                }
                label = value
            }
            records.append(SequenceRecord(id: "seq\(records.count + 1)", sequence: sequence, label: label, line: number))
        }
        return (records, labelled)
    }

    static func plainLines(_ lines: [String], file: String) throws -> [SequenceRecord] {
        var records: [SequenceRecord] = []
        for (index, line) in lines.enumerated() where !line.isEmpty {
            try check(line, file: file, line: index + 1)
            records.append(SequenceRecord(id: "seq\(records.count + 1)", sequence: line, line: index + 1))
        }
        return records
    }
}
