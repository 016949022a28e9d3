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

    private let digest = String(repeating: "0f", count: 32)

    private func sample(command: String = ".build/release/Chapter03Depth --profile small --seeds 1,2,3") -> Provenance {
        Provenance(command: command, profile: "small", seeds: [1, 2, 3], inputs: digest)
    }

    func testBannerSaysHowToRemakeTheFileAndNothingOfTheRendering() {
        let text = sample().bannerText
        for expected in ["do not edit it by hand", "command: .build/release/Chapter03Depth --profile small --seeds 1,2,3",
                         "profile: small", "seeds: 1, 2, 3", "engine: \(engineVersion)", "inputs:  sha256 \(digest)"] {
            XCTAssertTrue(text.contains(expected), "banner lacks \(expected):\n\(text)")
        }
        for absent in ["wall time", "commit", "machine", "UTC"] {
            XCTAssertFalse(text.contains(absent), "banner holds \(absent), which depends on the rendering:\n\(text)")
        }
        var unseeded = sample()
        unseeded.seeds = []
        XCTAssertTrue(unseeded.bannerText.contains("seeds: none"), unseeded.bannerText)
    }

    func testInputDigestChangesExactlyWhenAPartDoes() {
        var a = InputDigest(), b = InputDigest()
        a.add("runs", "k1\nk2")
        a.add("profile", "smoke")
        b.add("profile", "smoke")
        b.add("runs", "k1\nk2")
        XCTAssertEqual(a.hex, b.hex, "the order parts are added in does not matter")
        XCTAssertEqual(a.hex.count, 64)
        b.add("runs", "k1\nk3")
        XCTAssertNotEqual(a.hex, b.hex)
        // A part's boundary is part of the digest: moving bytes between parts changes it.
        var c = InputDigest(), d = InputDigest()
        c.add("a", "xy")
        c.add("b", "")
        d.add("a", "x")
        d.add("b", "y")
        XCTAssertNotEqual(c.hex, d.hex)
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

    func testMachineNamesTheLibrarysBuildLevelWhenKnown() throws {
        var machine = Machine(cores: 2, memoryBytes: 8 << 30, system: "Debian GNU/Linux 12, Linux 6.1", processor: "Test CPU")
        XCTAssertFalse(machine.description.contains("built for"))
        machine.build = "AVX2 (haswell)"
        XCTAssertTrue(machine.description.contains("Test CPU; library built for AVX2 (haswell)"), machine.description)
        // records written before the field existed still decode
        let old = #"{"cores": 2, "memoryBytes": 1024, "system": "Linux", "processor": "Old CPU"}"#
        let decoded = try JSONDecoder().decode(Machine.self, from: Data(old.utf8))
        XCTAssertNil(decoded.build)
        XCTAssertEqual(decoded.processor, "Old CPU")
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
        XCTAssertEqual(Machine.libraryTarget, expected)
        XCTAssertEqual(Machine.current().build, expected)
        #else
        XCTAssertEqual(Machine.libraryTarget, "the architecture's baseline")
        #endif
        #endif
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
        let machine = Machine.current()
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
        XCTAssertEqual(Git.commit(of: directory), "unknown")
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
        XCTAssertEqual(Git.commit(of: directory), "unknown", "a repository without commits has no commit")

        try "let x = 1\n".write(toFile: directory + "/main.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/reports", withIntermediateDirectories: true)
        try "old report\n".write(toFile: directory + "/reports/r.md", atomically: true, encoding: .utf8)
        try run(["add", "."])
        try run(["commit", "-q", "-m", "first"])
        let head = try Subprocess.run(git, ["-C", directory, "rev-parse", "--short", "HEAD"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(Git.commit(of: directory), head)

        // A chapter rewriting its report, or adding a figure, leaves the code clean.
        try "new report\n".write(toFile: directory + "/reports/r.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/figures", withIntermediateDirectories: true)
        try "x\n".write(toFile: directory + "/figures/f.tsv", atomically: true, encoding: .utf8)
        XCTAssertEqual(Git.commit(of: directory), head)
        // Asked from a subfolder, the answer is the same.
        XCTAssertEqual(Git.commit(of: directory + "/reports"), head)

        // A changed source file, or a new one, makes it dirty.
        try "let x = 2\n".write(toFile: directory + "/main.swift", atomically: true, encoding: .utf8)
        XCTAssertEqual(Git.commit(of: directory), head + "-dirty")
        try run(["checkout", "-q", "--", "main.swift"])
        XCTAssertEqual(Git.commit(of: directory), head)
        try "new\n".write(toFile: directory + "/extra.swift", atomically: true, encoding: .utf8)
        XCTAssertEqual(Git.commit(of: directory), head + "-dirty")
    }
}
