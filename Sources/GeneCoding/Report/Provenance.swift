// How a generated file was made, as a banner on top of it: the command that remakes it, the scale
// profile and seeds, the engine version, and a digest of everything it was made from (the run keys,
// which hash every run's settings, data and engine; the chapter's source; the profile). A figure
// found on its own still says how to remake it and whether it is stale.
//
// The banner holds nothing else: no date, no wall time, no machine, no commit of whoever rendered it.
// Those describe a rendering, not the file, and would make every rendering rewrite every file; where
// and when each result was computed (machine, threads, commit, seconds) is kept in its run record, and
// reports sum it from there. So rendering from an unchanged store writes the same bytes, and
// `AtomicFile.writeIfChanged` then writes nothing at all.
import Foundation

public struct Provenance: Sendable, Codable, Equatable {
    /// The command line that produced the file, shell-quoted so that it can be pasted back.
    public var command: String
    /// The scale profile the runs used (`smoke`, `default`, `paper`).
    public var profile: String
    public var seeds: [UInt64]
    /// SHA-256 (hex) of the file's inputs; see `InputDigest`.
    public var inputs: String

    public init(command: String, profile: String, seeds: [UInt64], inputs: String) {
        self.command = command
        self.profile = profile
        self.seeds = seeds
        self.inputs = inputs
    }

    // MARK: Banners

    /// The banner's lines, without comment markers.
    public var bannerText: String {
        let rows: [(String, String)] = [
            ("command", command),
            ("profile", "\(profile)    seeds: \(seeds.isEmpty ? "none" : seeds.map(String.init).joined(separator: ", "))    engine: \(engineVersion)"),
            ("inputs", "sha256 \(inputs)"),
        ]
        let width = rows.map(\.0.count).max()! + 2
        let table = rows.map { key, value in (key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value }
        return (["Generated file: do not edit it by hand; run the command below to remake it.",
                 "It changes only when its inputs (the runs' settings, data and engine, the code that writes it) do."] + table)
            .joined(separator: "\n")
    }

    /// The banner as an HTML comment, which Markdown renderers hide. `-->` inside a value (in a
    /// command line, say) is broken up so that it cannot end the comment early.
    public func markdownBanner() -> String {
        let body = bannerText.replacingOccurrences(of: "-->", with: "-- >").replacingOccurrences(of: "<!--", with: "< !--")
        return "<!--\n" + body + "\n-->\n"
    }

    /// The banner as `#` comments, for gnuplot scripts, data files, TSV and shell files.
    public func commentBanner(marker: String = "#") -> String {
        Provenance.commentLines(bannerText, marker: marker).joined(separator: "\n") + "\n"
    }

    /// The lines of `text`, each behind `# ` (just `#` for an empty line, leaving no trailing space).
    static func commentLines(_ text: String, marker: String = "#") -> [String] {
        var body = text
        while body.hasSuffix("\n") { body.removeLast() }
        return body.components(separatedBy: "\n").map { $0.isEmpty ? marker : marker + " " + $0 }
    }

    // MARK: Gathering

    /// This process's command line, shell-quoted. The executable is shown relative to the working
    /// directory when it lies under it (`.build/release/...`), so the banner reads the same on
    /// every clone.
    public static func commandLine(_ arguments: [String] = CommandLine.arguments,
                                   workingDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        guard var executable = arguments.first else { return "" }
        let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        if executable.hasPrefix(base) { executable = String(executable.dropFirst(base.count)) }
        return ([executable] + arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
    }

    /// `argument` as a POSIX shell would need it: as is when it is plain, else in single quotes.
    public static func shellQuoted(_ argument: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%")
        if !argument.isEmpty, argument.unicodeScalars.allSatisfy(plain.contains) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The digest of a generated file's inputs: named parts fed in a fixed order (sorted by name), each
/// part's bytes hashed, so that the digest changes exactly when one of them does.
public struct InputDigest {
    private var parts: [String: Data] = [:]

    public init() {}

    public mutating func add(_ name: String, _ text: String) { parts[name] = Data(text.utf8) }
    public mutating func add(_ name: String, _ data: Data) { parts[name] = data }
    /// The file's bytes, when it can be read (a chapter's source is not there in an installed copy).
    public mutating func add(file path: String, as name: String) {
        if let data = FileManager.default.contents(atPath: path) { parts[name] = data }
    }

    public var hex: String {
        var hasher = SHA256()
        for name in parts.keys.sorted() {
            let part = parts[name]!
            hasher.update(Data("\(name) \(part.count)\n".utf8))
            hasher.update(part)
        }
        return SHA256.hex(hasher.finalize())
    }
}
