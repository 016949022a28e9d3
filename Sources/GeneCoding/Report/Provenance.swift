// How a result was made: the command, the code (git commit), the scale profile, the seeds, the
// threads, how long it took, when, and on what machine. Every generated file carries this as a
// banner, so a figure found on its own still says how to remake it.
//
// A chapter takes its provenance when it starts and stamps the wall time when it writes:
//
//     let started = Provenance.current(profile: profile.name, seeds: seeds, threads: threads)
//     ...
//     try report.write(provenance: started.finished())
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct Provenance: Sendable, Codable, Equatable {
    /// The command line that produced the file, shell-quoted so that it can be pasted back.
    public var command: String
    /// Short commit hash of the working tree, `-dirty` appended when the code differs from it;
    /// `unknown` outside a git repository.
    public var commit: String
    /// The scale profile the runs used (`smoke`, `small`, `paper`, ...).
    public var profile: String
    public var seeds: [UInt64]
    public var threads: Int
    /// Seconds from the start of the run to the writing of the file; nil while not known.
    public var wallTime: Double?
    /// When the run started.
    public var date: Date
    public var machine: Machine

    public struct Machine: Sendable, Codable, Equatable {
        public var cores: Int
        public var memoryBytes: UInt64
        /// Operating system and kernel, e.g. `Ubuntu 24.04.2 LTS, Linux 6.8.0-57-generic`.
        public var system: String
        /// The CPU model, where the system says it.
        public var processor: String
        /// The instruction-set level the library was compiled for (see Package.swift); nil in
        /// records written before it was noted.
        public var build: String?

        public init(cores: Int, memoryBytes: UInt64, system: String, processor: String, build: String? = nil) {
            self.cores = cores
            self.memoryBytes = memoryBytes
            self.system = system
            self.processor = processor
            self.build = build
        }

        /// The machine this process runs on.
        public static func current() -> Machine {
            let info = ProcessInfo.processInfo
            return Machine(cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
                           system: systemName(), processor: processorName(), build: libraryTarget)
        }

        /// The CPU level Package.swift compiled the library for, from the condition it defined.
        public static var libraryTarget: String {
            #if GENECODING_TARGET_AVX512
            return "AVX-512 (skylake-avx512)"
            #elseif GENECODING_TARGET_AVX2
            return "AVX2 (haswell)"
            #elseif GENECODING_TARGET_NAMED
            return "the CPU named by GENECODING_TARGET_CPU"
            #else
            return "the architecture's baseline"
            #endif
        }
    }

    public init(command: String, commit: String, profile: String, seeds: [UInt64], threads: Int,
                wallTime: Double? = nil, date: Date, machine: Machine) {
        self.command = command
        self.commit = commit
        self.profile = profile
        self.seeds = seeds
        self.threads = threads
        self.wallTime = wallTime
        self.date = date
        self.machine = machine
    }

    /// The provenance of this process, started now: its command line, the commit of the git
    /// repository around `repository` and this machine.
    public static func current(profile: String, seeds: [UInt64], threads: Int,
                               repository: String = FileManager.default.currentDirectoryPath) -> Provenance {
        Provenance(command: commandLine(), commit: gitCommit(of: repository), profile: profile, seeds: seeds,
                   threads: threads, wallTime: nil, date: Date(), machine: .current())
    }

    /// This provenance with the wall time measured from its start to `end`.
    public func finished(at end: Date = Date()) -> Provenance {
        var copy = self
        copy.wallTime = end.timeIntervalSince(date)
        return copy
    }

    // MARK: Banners

    /// The banner's lines, without comment markers.
    public var bannerText: String {
        let rows: [(String, String)] = [
            ("command", command),
            ("commit", commit),
            ("profile", "\(profile)    seeds: \(seeds.isEmpty ? "none" : seeds.map(String.init).joined(separator: ", "))    threads: \(threads)"),
            ("wall time", "\(wallTime.map(Format.duration) ?? "—")    started: \(Provenance.dateText(date))"),
            ("machine", "\(machine.cores) cores, \(Format.bytes(Int64(clamping: machine.memoryBytes))), \(machine.system)"
                + (machine.processor.isEmpty ? "" : ", \(machine.processor)")
                + (machine.build.map { "; library built for \($0)" } ?? "")),
        ]
        let width = rows.map(\.0.count).max()! + 2
        let table = rows.map { key, value in (key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value }
        return (["Generated file: do not edit it by hand; run the command below to remake it."] + table)
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

    /// Folders whose changes do not make the tree dirty: they hold what the chapters generate, so
    /// a chapter's own output must not mark the next chapter's banner dirty.
    public static let generatedFolders = ["figures", "reports", "results"]

    /// The short hash of HEAD of the repository holding `directory`, with `-dirty` when files
    /// differ from it (untracked ones included, `ignoring` folders excepted); `unknown` when git is
    /// missing, the directory is not in a repository or the repository has no commit yet.
    public static func gitCommit(of directory: String, ignoring: [String] = generatedFolders) -> String {
        guard let git = Subprocess.find("git"),
              let head = try? Subprocess.run(git, ["-C", directory, "rev-parse", "--short", "HEAD"]),
              head.status == 0 else { return "unknown" }
        let hash = head.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !hash.isEmpty else { return "unknown" }
        let pathspecs = [":(top)"] + ignoring.map { ":(top,exclude)\($0)" }
        guard let status = try? Subprocess.run(git, ["-C", directory, "status", "--porcelain", "--"] + pathspecs),
              status.status == 0 else { return hash + "-dirty" }
        return status.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? hash : hash + "-dirty"
    }

    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    private static func systemName() -> String {
        var kernel = ""
        var names = utsname()
        if uname(&names) == 0 {
            let sysname = withUnsafeBytes(of: &names.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            kernel = sysname + " " + release
        }
        // Linux distributions name themselves in os-release; elsewhere Foundation's string has to do.
        if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = release.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            let name = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            return kernel.isEmpty ? name : "\(name), \(kernel)"
        }
        return kernel.isEmpty ? ProcessInfo.processInfo.operatingSystemVersionString : kernel
    }

    private static func processorName() -> String {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
