import Foundation
import XCTest
@testable import GeneCoding

final class ProvenanceTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("provenance-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func sample(command: String = ".build/release/Chapter03Depth --profile small --seeds 1,2,3") -> Provenance {
        Provenance(command: command, commit: "1a2b3c4-dirty", profile: "small", seeds: [1, 2, 3], threads: 2,
                   wallTime: 3720, date: Date(timeIntervalSince1970: 1_750_000_000),
                   machine: .init(cores: 2, memoryBytes: 8 << 30, system: "Debian GNU/Linux 12, Linux 6.1", processor: "Test CPU"))
    }

    func testBannerSaysEverything() {
        let text = sample().bannerText
        for expected in ["do not edit it by hand", "Chapter03Depth --profile small --seeds 1,2,3", "commit:    1a2b3c4-dirty",
                         "profile:   small", "seeds: 1, 2, 3", "threads: 2", "wall time: 1 h 02 min",
                         "2025-06-15 15:06:40 UTC", "2 cores, 8.0 GiB, Debian GNU/Linux 12, Linux 6.1, Test CPU"] {
            XCTAssertTrue(text.contains(expected), "banner lacks \(expected):\n\(text)")
        }
        var unfinished = sample()
        unfinished.wallTime = nil
        unfinished.seeds = []
        XCTAssertTrue(unfinished.bannerText.contains("wall time: —"), unfinished.bannerText)
        XCTAssertTrue(unfinished.bannerText.contains("seeds: none"), unfinished.bannerText)
    }

    func testMarkdownBannerIsOneHTMLCommentThatCannotCloseEarly() {
        let banner = sample(command: "run --note '-->' <!-- x").markdownBanner()
        XCTAssertTrue(banner.hasPrefix("<!--\n"))
        XCTAssertTrue(banner.hasSuffix("\n-->\n"))
        let inner = banner.dropFirst(4).dropLast(4)
        XCTAssertFalse(inner.contains("-->"), banner)
        XCTAssertFalse(inner.contains("<!--"), banner)
    }

    func testCommentBannerPrefixesEveryLine() {
        let banner = sample().commentBanner()
        XCTAssertTrue(banner.hasSuffix("\n"))
        let lines = banner.dropLast().components(separatedBy: "\n")
        XCTAssertEqual(lines.count, sample().bannerText.components(separatedBy: "\n").count)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("# ") }, banner)
        XCTAssertTrue(sample().commentBanner(marker: "//").hasPrefix("// Generated file"))
    }

    func testBannerNamesTheLibrarysBuildLevelWhenKnown() throws {
        var built = sample()
        built.machine.build = "AVX2 (haswell)"
        XCTAssertTrue(built.bannerText.contains("Test CPU; library built for AVX2 (haswell)"), built.bannerText)
        XCTAssertFalse(sample().bannerText.contains("built for"))
        // records written before the field existed still decode
        let old = #"{"cores": 2, "memoryBytes": 1024, "system": "Linux", "processor": "Old CPU"}"#
        let machine = try JSONDecoder().decode(Provenance.Machine.self, from: Data(old.utf8))
        XCTAssertNil(machine.build)
        XCTAssertEqual(machine.processor, "Old CPU")
    }

    /// Package.swift reads /proc/cpuinfo to choose the level; this reads it again and checks that the
    /// library says the level the flags call for.
    func testLibraryIsBuiltForThisMachinesVectorLevel() throws {
        #if DEBUG
        throw XCTSkip("the level is chosen for release builds only")
        #else
        if let chosen = ProcessInfo.processInfo.environment["GENECODING_TARGET_CPU"], !chosen.isEmpty {
            throw XCTSkip("GENECODING_TARGET_CPU=\(chosen) chose the level")
        }
        #if os(Linux) && arch(x86_64)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try XCTUnwrap(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(whereSeparator: { " \t:".contains($0) }).map(String.init))
        let expected = flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"])
            ? "AVX-512 (skylake-avx512)"
            : flags.isSuperset(of: ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]) ? "AVX2 (haswell)" : "the architecture's baseline"
        XCTAssertEqual(Provenance.Machine.libraryTarget, expected)
        XCTAssertEqual(Provenance.Machine.current().build, expected)
        #else
        XCTAssertEqual(Provenance.Machine.libraryTarget, "the architecture's baseline")
        #endif
        #endif
    }

    func testFinishedMeasuresFromTheStart() {
        let start = sample()
        XCTAssertEqual(start.finished(at: start.date.addingTimeInterval(12.5)).wallTime, 12.5)
    }

    func testProvenanceRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(sample())
        XCTAssertEqual(try JSONDecoder().decode(Provenance.self, from: data), sample())
    }

    func testCommandLineIsQuotedAndRelative() {
        XCTAssertEqual(Provenance.shellQuoted("--profile"), "--profile")
        XCTAssertEqual(Provenance.shellQuoted("two words"), "'two words'")
        XCTAssertEqual(Provenance.shellQuoted("it's"), "'it'\\''s'")
        XCTAssertEqual(Provenance.shellQuoted(""), "''")
        XCTAssertEqual(Provenance.commandLine(["/repo/.build/release/Chapter01", "--task", "H3 K4"], workingDirectory: "/repo"),
                       ".build/release/Chapter01 --task 'H3 K4'")
        XCTAssertEqual(Provenance.commandLine(["/usr/bin/tool"], workingDirectory: "/repo"), "/usr/bin/tool")
    }

    func testCurrentMachineIsDescribed() {
        let machine = Provenance.Machine.current()
        XCTAssertGreaterThan(machine.cores, 0)
        XCTAssertGreaterThan(machine.memoryBytes, 0)
        XCTAssertFalse(machine.system.isEmpty)
    }

    func testGitCommitOutsideARepositoryIsUnknown() throws {
        guard Subprocess.find("git") != nil else { throw XCTSkip("git is not installed") }
        let directory = try scratchDirectory()
        // A temporary folder could sit inside some repository; make sure this one does not.
        let probe = try Subprocess.run(Subprocess.find("git")!, ["-C", directory, "rev-parse", "--git-dir"])
        try XCTSkipIf(probe.status == 0, "the temporary folder is inside a git repository")
        XCTAssertEqual(Provenance.gitCommit(of: directory), "unknown")
    }

    func testGitCommitIsShortHashAndDirtyOnlyForCodeChanges() throws {
        guard let git = Subprocess.find("git") else { throw XCTSkip("git is not installed") }
        let directory = try scratchDirectory()
        func run(_ arguments: [String]) throws {
            let result = try Subprocess.run(git, ["-C", directory, "-c", "user.name=Test", "-c", "user.email=test@example.org",
                                                  "-c", "commit.gpgsign=false"] + arguments)
            XCTAssertEqual(result.status, 0, "git \(arguments): \(result.standardError)")
        }
        try run(["init", "-q"])
        XCTAssertEqual(Provenance.gitCommit(of: directory), "unknown", "a repository without commits has no commit")

        try "let x = 1\n".write(toFile: directory + "/main.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/reports", withIntermediateDirectories: true)
        try "old report\n".write(toFile: directory + "/reports/r.md", atomically: true, encoding: .utf8)
        try run(["add", "."])
        try run(["commit", "-q", "-m", "first"])
        let head = try Subprocess.run(git, ["-C", directory, "rev-parse", "--short", "HEAD"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(Provenance.gitCommit(of: directory), head)

        // A chapter rewriting its report, or adding a figure, leaves the code clean.
        try "new report\n".write(toFile: directory + "/reports/r.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/figures", withIntermediateDirectories: true)
        try "x\n".write(toFile: directory + "/figures/f.tsv", atomically: true, encoding: .utf8)
        XCTAssertEqual(Provenance.gitCommit(of: directory), head)
        // Asked from a subfolder, the answer is the same.
        XCTAssertEqual(Provenance.gitCommit(of: directory + "/reports"), head)

        // A changed source file, or a new one, makes it dirty.
        try "let x = 2\n".write(toFile: directory + "/main.swift", atomically: true, encoding: .utf8)
        XCTAssertEqual(Provenance.gitCommit(of: directory), head + "-dirty")
        try run(["checkout", "-q", "--", "main.swift"])
        XCTAssertEqual(Provenance.gitCommit(of: directory), head)
        try "new\n".write(toFile: directory + "/extra.swift", atomically: true, encoding: .utf8)
        XCTAssertEqual(Provenance.gitCommit(of: directory), head + "-dirty")
    }
}
