// Where and with what code a result was computed: the machine, and the git commit of the working
// tree. Every run record keeps both (Runs/Run.swift), so a report can say where its numbers come from
// without its own bytes depending on who rendered it last.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct Machine: Sendable, Codable, Equatable, Hashable {
    public var cores: Int
    public var memoryBytes: UInt64
    /// Operating system and kernel, e.g. `Ubuntu 24.04.2 LTS, Linux 6.8.0-57-generic`.
    public var system: String
    /// The CPU model, where the system says it.
    public var processor: String
    /// The instruction-set level the library was compiled for (see Package.swift); nil in records
    /// written before it was noted.
    public var build: String?
    /// The OpenBLAS kernels the process ran (ComputeThreads.blasKernels); nil in older records.
    public var blasKernels: String?

    public init(cores: Int, memoryBytes: UInt64, system: String, processor: String, build: String? = nil, blasKernels: String? = nil) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.system = system
        self.processor = processor
        self.build = build
        self.blasKernels = blasKernels
    }

    /// The machine this process runs on.
    public static func current() -> Machine {
        let info = ProcessInfo.processInfo
        return Machine(cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
                       system: systemName(), processor: processorName(), build: libraryTarget,
                       blasKernels: ComputeThreads.blasKernels)
    }

    /// "2 cores, 23.5 GiB, AMD EPYC; library built for AVX-512 (skylake-avx512), OpenBLAS SkylakeX kernels"
    public var description: String {
        "\(cores) cores, \(Format.bytes(Int64(clamping: memoryBytes)))" + (processor.isEmpty ? "" : ", \(processor)")
            + (build.map { "; library built for \($0)" } ?? "") + (blasKernels.map { ", OpenBLAS \($0) kernels" } ?? "")
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

public enum Git {
    /// Folders whose changes do not make the tree dirty: they hold what the chapters generate, so a
    /// chapter's own output must not mark the next run's commit dirty.
    public static let generatedFolders = ["figures", "reports", "results"]

    /// The short hash of HEAD of the repository holding `directory`, with `-dirty` when files differ
    /// from it (untracked ones included, `ignoring` folders excepted); `unknown` when git is missing,
    /// the directory is not in a repository or the repository has no commit yet.
    public static func commit(of directory: String = FileManager.default.currentDirectoryPath,
                              ignoring: [String] = generatedFolders) -> String {
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
}
