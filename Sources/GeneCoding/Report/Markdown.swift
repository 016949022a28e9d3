// The Markdown that chapters write: a document built block by block, tables that render both as
// Markdown and as TSV, and the number formats every report shares.
//
// A chapter builds its report in reading order:
//
//     var report = MarkdownDocument(path: "reports/01-tokenization.md")
//     report.heading("Tokenization")
//     report.quote("BPE consistently outperforms k-mer tokenization ...", source: "the paper, §5")
//     report.paragraph("We train ...")
//     report.table(results)
//     report.figure(figure, alt: "MCC by tokenizer and task")
//     try report.write(provenance: provenance)
//
// The document knows the path it will be written to, so the links it makes to figures and data
// files are relative to the report and work on GitHub and in a local viewer alike.
//
// The output is CommonMark with GitHub's pipe tables. Tables are padded to line up in the raw text
// too, because reports are read in diffs as often as rendered.
import Foundation

// MARK: - Inline text

/// Inline Markdown: escaping, code spans, links and images, for use inside paragraphs and cells.
public enum Markdown {
    /// `text` with the characters that Markdown would read as formatting backslash-escaped, so that
    /// a tokenizer named `*-mer` or a path with underscores prints as written.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_[]<>|#".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// A code span; the fence grows when the text itself holds backticks.
    public static func code(_ text: String) -> String {
        var fence = "`"
        while text.contains(fence) { fence += "`" }
        let pad = text.hasPrefix("`") || text.hasSuffix("`") ? " " : ""
        return fence + pad + text + pad + fence
    }

    public static func bold(_ text: String) -> String { "**\(text)**" }
    public static func italic(_ text: String) -> String { "*\(text)*" }

    /// A link; `target` is used as given (a URL, or a path already relative to the document).
    public static func link(_ text: String, to target: String) -> String {
        "[\(text)](\(destination(target)))"
    }

    /// An image; `alt` is what a screen reader says and what shows when the file is missing.
    public static func image(_ path: String, alt: String) -> String {
        "![\(alt.replacingOccurrences(of: "]", with: "\\]"))](\(destination(path)))"
    }

    /// A link destination; one with spaces or parentheses goes inside `<...>`, as CommonMark asks.
    static func destination(_ target: String) -> String {
        target.contains(where: { " ()<>".contains($0) }) ? "<\(target.replacingOccurrences(of: ">", with: "%3E"))>" : target
    }
}

// MARK: - Document

/// A Markdown document under construction. Blocks are appended in reading order and separated by
/// one blank line when rendered.
public struct MarkdownDocument: Sendable {
    /// Where the document will be written; links to files are made relative to its directory.
    public let path: String
    public private(set) var blocks: [String] = []

    public init(path: String) {
        self.path = path
    }

    /// A heading, `#` for level 1 (the report's title) down to `######`.
    public mutating func heading(_ text: String, level: Int = 1) {
        precondition((1...6).contains(level), "Markdown has heading levels 1 to 6")
        blocks.append(String(repeating: "#", count: level) + " " + oneLine(text))
    }

    /// A paragraph of prose. Inline Markdown in `text` is kept; wrap it at will, the line breaks
    /// inside one paragraph do not show.
    public mutating func paragraph(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { blocks.append(trimmed) }
    }

    /// A bullet list, one item per element; an item may span lines, which are indented under it.
    public mutating func bulletList(_ items: [String]) {
        guard !items.isEmpty else { return }
        blocks.append(items.map { "- " + indentContinuation($0, by: 2) }.joined(separator: "\n"))
    }

    /// A numbered list, starting at 1.
    public mutating func numberedList(_ items: [String]) {
        guard !items.isEmpty else { return }
        blocks.append(items.enumerated().map { index, item in
            let marker = "\(index + 1). "
            return marker + indentContinuation(item, by: marker.count)
        }.joined(separator: "\n"))
    }

    /// Words quoted from elsewhere, set apart as a block quote, with where they come from on a
    /// last line. Chapters quote the paper this way so that its claims and ours never mix.
    public mutating func quote(_ text: String, source: String? = nil) {
        var lines = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .components(separatedBy: "\n").map { $0.isEmpty ? ">" : "> " + $0 }
        if let source { lines += [">", "> — " + source] }
        blocks.append(lines.joined(separator: "\n"))
    }

    /// A fenced code block, shown verbatim; the fence outgrows any backtick run in `code`.
    public mutating func codeBlock(_ code: String, language: String = "") {
        var fence = "```"
        while code.contains(fence) { fence += "`" }
        var body = code
        while body.hasSuffix("\n") { body.removeLast() }
        blocks.append(fence + language + "\n" + body + "\n" + fence)
    }

    /// A table, optionally with a caption above it in italics.
    public mutating func table(_ table: Table, caption: String? = nil) {
        if let caption { blocks.append(Markdown.italic(oneLine(caption))) }
        blocks.append(table.markdown())
    }

    /// A rendered chart: its PNG inline, linking to the SVG, and under it the caption and links to
    /// the data and the gnuplot script that drew it, so a reader can restyle it.
    public mutating func figure(_ figure: Figure, alt: String, caption: String? = nil) {
        let image = Markdown.image(relativeLink(to: figure.pngPath), alt: oneLine(alt))
        var lines = ["[\(image)](\(Markdown.destination(relativeLink(to: figure.svgPath))))"]
        let sources = [
            Markdown.link("data", to: relativeLink(to: figure.dataPath)),
            Markdown.link("gnuplot script", to: relativeLink(to: figure.scriptPath)),
            Markdown.link("SVG", to: relativeLink(to: figure.svgPath)),
        ].joined(separator: " · ")
        // A trailing backslash is CommonMark's hard line break: caption on its own line, same block.
        lines[0] += "\\"
        lines.append((caption.map { Markdown.italic(oneLine($0)) + " " } ?? "") + "(" + sources + ")")
        blocks.append(lines.joined(separator: "\n"))
    }

    /// A horizontal rule between parts.
    public mutating func rule() {
        blocks.append("---")
    }

    /// Markdown written by the caller, appended as one block.
    public mutating func raw(_ markdown: String) {
        blocks.append(markdown)
    }

    /// `file` (a path as the program sees it, relative to the working directory or absolute) as a
    /// link target relative to this document's directory.
    public func relativeLink(to file: String) -> String {
        MarkdownDocument.relativePath(of: file, from: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// The document's text: blocks separated by blank lines, ending with one newline.
    public func render() -> String {
        blocks.joined(separator: "\n\n") + "\n"
    }

    /// Writes the document to its path, atomically, with the provenance banner on top.
    public func write(provenance: Provenance) throws {
        try AtomicFile.writeIfChanged(provenance.markdownBanner() + "\n" + render(), to: path)
    }

    private func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    private func indentContinuation(_ text: String, by width: Int) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width))
    }
}

extension MarkdownDocument {
    /// `target` as a path relative to `directory`; both are taken relative to the working directory
    /// unless absolute. Symbolic links are not resolved: the paths are compared as written.
    public static func relativePath(of target: String, from directory: String) -> String {
        let to = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        let from = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        var common = 0
        while common < min(to.count, from.count), to[common] == from[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + to[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}

// MARK: - Table

/// A table of text cells with a header, for reports (`markdown()`) and for other programs (`tsv()`).
/// Numbers are formatted before they go in (see `Format`), so both renderings show the same digits.
public struct Table: Sendable, Equatable {
    public enum Alignment: Sendable, Equatable {
        case left, center, right
        /// Right if every filled cell of the column reads as a number (see `Table.isNumeric`), else left.
        case automatic
    }

    public struct Column: Sendable, Equatable {
        public var title: String
        public var alignment: Alignment

        public init(_ title: String, alignment: Alignment = .automatic) {
            self.title = title
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public private(set) var rows: [[String]] = []

    public init(columns: [Column]) {
        self.columns = columns
    }

    /// A table whose columns are aligned automatically.
    public init(_ titles: [String]) {
        self.init(columns: titles.map { Column($0) })
    }

    /// Adds a row; it must have one cell per column.
    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells for a table of \(columns.count) columns")
        rows.append(row)
    }

    /// The alignment each column is rendered with, `.automatic` resolved.
    public var resolvedAlignments: [Alignment] {
        columns.indices.map { index in
            let alignment = columns[index].alignment
            guard alignment == .automatic else { return alignment }
            let filled = rows.map { $0[index] }.filter { !Table.isMissing($0) }
            return !filled.isEmpty && filled.allSatisfy(Table.isNumeric) ? .right : .left
        }
    }

    /// A GitHub pipe table, each column padded to its widest cell. `|` in a cell is escaped and
    /// line breaks become spaces, so no cell can break the table.
    public func markdown() -> String {
        let cell = { (text: String) in
            text.split(whereSeparator: \.isNewline).joined(separator: " ").replacingOccurrences(of: "|", with: "\\|")
        }
        let header = columns.map { cell($0.title) }
        let body = rows.map { $0.map(cell) }
        let alignments = resolvedAlignments
        let widths = columns.indices.map { index in
            max(3, ([header[index]] + body.map { $0[index] }).map(\.count).max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.indices.map { index -> String in
                let gap = String(repeating: " ", count: widths[index] - cells[index].count)
                switch alignments[index] {
                case .right: return gap + cells[index]
                case .center:
                    let left = gap.count / 2
                    return String(gap.prefix(left)) + cells[index] + String(gap.dropFirst(left))
                default: return cells[index] + gap
                }
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + columns.indices.map { index -> String in
            let dashes = String(repeating: "-", count: widths[index])
            switch alignments[index] {
            case .right: return " " + dashes.dropLast() + ": "
            case .center: return " :" + dashes.dropFirst().dropLast() + ": "
            default: return " :" + dashes.dropFirst() + " "
            }
        }.joined(separator: "|") + "|"
        return ([line(header), rule] + body.map(line)).joined(separator: "\n")
    }

    /// Tab-separated values: the header row, then one line per row. Tabs and line breaks inside a
    /// cell become spaces. With `comment`, each of its lines comes first behind `# `, which gnuplot,
    /// pandas (`comment="#"`) and R (`comment.char="#"`) skip.
    public func tsv(comment: String? = nil) -> String {
        let cell = { (text: String) in
            String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
        }
        var lines: [String] = []
        if let comment { lines += Provenance.commentLines(comment) }
        lines.append(columns.map { cell($0.title) }.joined(separator: "\t"))
        lines += rows.map { $0.map(cell).joined(separator: "\t") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `tsv()` atomically, with the provenance banner as the leading comment.
    public func writeTSV(to path: String, provenance: Provenance) throws {
        try AtomicFile.writeIfChanged(tsv(comment: provenance.bannerText), to: path)
    }

    /// A cell that stands for no value: empty, or a dash.
    public static func isMissing(_ cell: String) -> Bool {
        ["", "-", "—", "–", "n/a"].contains(cell.trimmingCharacters(in: .whitespaces))
    }

    /// Whether a cell reads as a number with an optional unit, as `Format` writes them:
    /// `0.512`, `-3`, `1,024`, `0.512 ± 0.013`, `12.5%`, `1.2e-4`, `3.4 s`, `1 h 02 min`, `12 MiB`,
    /// `12.3k`, `NaN`. Labels that start with a digit, like `3-mer` or `6 layers`, do not.
    public static func isNumeric(_ cell: String) -> Bool {
        // A bold number (a table's best cell) is still a number.
        if cell.count > 4, cell.hasPrefix("**"), cell.hasSuffix("**") { return isNumeric(String(cell.dropFirst(2).dropLast(2))) }
        let words = cell.split(separator: " ").map(String.init)
        guard let first = words.first, isNumberWord(first) else { return false }
        return words.dropFirst().allSatisfy { isNumberWord($0) || units.contains($0) || $0 == "±" }
    }

    private static let units: Set<String> = [
        "ns", "µs", "us", "ms", "s", "min", "h", "d",
        "B", "KiB", "MiB", "GiB", "TiB", "kB", "MB", "GB", "TB", "%", "×",
    ]

    private static func isNumberWord(_ word: String) -> Bool {
        if ["NaN", "∞", "-∞", "+∞", "−∞"].contains(word) { return true }
        var rest = Substring(word)
        if let last = rest.last, "%×xkMGB".contains(last) { rest = rest.dropLast() }
        if let first = rest.first, "+-−±".contains(first) { rest = rest.dropFirst() }
        var mantissa = rest
        var exponent: Substring?
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = rest[..<e]
            exponent = rest[rest.index(after: e)...]
        }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integer = parts.first, !integer.isEmpty,
              integer.first!.isASCII, integer.first!.isNumber,
              integer.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "," }) else { return false }
        if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) { return false }
        if var exponent {
            if let sign = exponent.first, "+-".contains(sign) { exponent = exponent.dropFirst() }
            if exponent.isEmpty || !exponent.allSatisfy({ $0.isASCII && $0.isNumber }) { return false }
        }
        return true
    }
}

// MARK: - Numbers

/// How numbers read in reports, tables and progress lines: one format per kind of quantity.
public enum Format {
    /// "1 seed", "3 seeds".
    public static func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    /// `value` with exactly `decimals` digits after the point: `fixed(0.51234, 3)` is `0.512`.
    /// A value that rounds to zero prints without a minus sign; NaN prints as `NaN`.
    public static func fixed(_ value: Double, _ decimals: Int = 3) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
        return text
    }

    /// A mean and a standard deviation, as `0.512 ± 0.013`. Without a standard deviation (one
    /// run, or none computed) only the mean is shown.
    public static func meanSD(_ mean: Double, _ sd: Double?, _ decimals: Int = 3) -> String {
        guard let sd else { return fixed(mean, decimals) }
        return fixed(mean, decimals) + " ± " + fixed(sd, decimals)
    }

    /// A fraction as a percentage: `percent(0.1234)` is `12.3%`.
    public static func percent(_ fraction: Double, _ decimals: Int = 1) -> String {
        guard fraction.isFinite else { return nonFinite(fraction) }
        return fixed(fraction * 100, decimals) + "%"
    }

    /// A duration, with the precision a reader wants at its scale: `850 ms`, `3.4 s`, `42 s`,
    /// `12 min 05 s`, `1 h 02 min`, `2 d 03 h`. Negative or unknown durations print as `—`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        if seconds < 0.000_999_5 { return "\(Int((seconds * 1e6).rounded())) µs" }
        if seconds < 0.999_5 { return "\(Int((seconds * 1e3).rounded())) ms" }
        if seconds < 9.95 { return String(format: "%.1f s", seconds) }
        let wholeSeconds = Int(seconds.rounded())
        if wholeSeconds < 60 { return "\(wholeSeconds) s" }
        if wholeSeconds < 3600 { return "\(wholeSeconds / 60) min \(twoDigits(wholeSeconds % 60)) s" }
        let minutes = Int((seconds / 60).rounded())
        if minutes < 24 * 60 { return "\(minutes / 60) h \(twoDigits(minutes % 60)) min" }
        let hours = Int((seconds / 3600).rounded())
        return "\(hours / 24) d \(twoDigits(hours % 24)) h"
    }

    /// A size in bytes with binary units: `512 B`, `1.5 KiB`, `343.2 MiB`, `1.2 GiB`.
    public static func bytes(_ count: Int64) -> String {
        if count < 1024 && count > -1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count) / 1024
        var unit = 0
        // Move up a unit when the value would print as 1024.0 or more.
        while abs(value) >= 1023.95, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f ", value) + units[unit]
    }

    public static func bytes(_ count: Int) -> String { bytes(Int64(count)) }

    /// A count or rate in a few characters, with SI suffixes: `950`, `12.3k`, `4.56M`, `1.2G`.
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let magnitude = abs(value)
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where magnitude >= scale * 0.9995 {
            let scaled = value / scale
            return (abs(scaled) < 99.95 ? String(format: "%.3g", scaled) : String(format: "%.0f", scaled)) + suffix
        }
        return magnitude < 10 && value != value.rounded() ? String(format: "%.2g", value) : String(format: "%.0f", value)
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞")
    }
}
