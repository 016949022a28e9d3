// Which memory mode a run trains in (`MemoryMode`): one named, or `auto`, the fastest whose memory
// request fits the memory this process may use.
//
// The mode is a runtime option: every mode gives the same results bit for bit, so it is not part of a
// run's key, and a run may resume in another mode than it started in. It comes from the command line
// (`genecoding train --memory`, `grid run-one --memory`, `grid local --memory`), else from
// GENECODING_MEMORY (how chapters take it), else keepAll.
//
// `auto` compares each mode's `MemoryRequest` (the job request: the estimate with its margin) with
// the memory available: a Slurm job's (SLURM_MEM_PER_NODE, or SLURM_MEM_PER_CPU times the job's CPUs),
// else the cgroup's limit (memory.max), else the machine's physical memory. The same rule as
// `grid submit --node-memory`: a mode fits when its request is at most the memory there is.
import Foundation

public enum MemoryModeChoice: Hashable, Sendable, CustomStringConvertible {
    case fixed(MemoryMode)
    case auto

    /// The words the command line and GENECODING_MEMORY take.
    public static let words = MemoryMode.fastestFirst.map(\.rawValue) + ["auto"]

    public static let environmentVariable = "GENECODING_MEMORY"

    /// "keep", "attention", "layers" or "auto"; nil for anything else.
    public init?(word: String) {
        if word == "auto" { self = .auto; return }
        guard let mode = MemoryMode(rawValue: word) else { return nil }
        self = .fixed(mode)
    }

    public var description: String {
        switch self {
        case let .fixed(mode): return mode.rawValue
        case .auto: return "auto"
        }
    }

    /// GENECODING_MEMORY's choice (nil when it is unset or empty); an error naming the variable and
    /// the words it takes when it holds anything else.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MemoryModeChoice? {
        guard let word = environment[environmentVariable], !word.isEmpty else { return nil }
        guard let choice = MemoryModeChoice(word: word) else {
            throw ConfigurationError(message: "\(environmentVariable)=\(word): give one of \(words.joined(separator: ", "))")
        }
        return choice
    }

    /// The fastest mode of `requests` (one per mode) whose request is at most `available` bytes, or the
    /// one that needs least when none is.
    public static func fastestFitting(_ requests: [(mode: MemoryMode, request: MemoryRequest)], available: Int) -> (mode: MemoryMode, fits: Bool) {
        let ordered = MemoryMode.fastestFirst.compactMap { mode in requests.first { $0.mode == mode } }
        if let fitting = ordered.first(where: { $0.request.requestBytes <= available }) { return (fitting.mode, true) }
        let smallest = ordered.min { $0.request.requestBytes < $1.request.requestBytes }
        return (smallest?.mode ?? .recomputeLayers, false)
    }

    /// Bytes this process may use, and where that figure comes from (see the header).
    public static func availableMemory(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       cgroupLimit: () -> Int? = Self.cgroupMemoryLimit) -> (bytes: Int, source: String) {
        let megabyte = 1 << 20
        if let perNode = environment["SLURM_MEM_PER_NODE"].flatMap(Int.init), perNode > 0 {
            return (perNode * megabyte, "the Slurm job's memory (SLURM_MEM_PER_NODE)")
        }
        if let perCPU = environment["SLURM_MEM_PER_CPU"].flatMap(Int.init), perCPU > 0,
           let cpus = (environment["SLURM_CPUS_PER_TASK"] ?? environment["SLURM_CPUS_ON_NODE"]).flatMap(Int.init), cpus > 0 {
            return (perCPU * cpus * megabyte, "the Slurm job's memory (SLURM_MEM_PER_CPU × CPUs)")
        }
        if let limit = cgroupLimit() { return (limit, "the cgroup's memory.max") }
        return (Int(ProcessInfo.processInfo.physicalMemory), "the machine's physical memory")
    }

    /// cgroup v2's memory.max for this process, when it sets one.
    public static func cgroupMemoryLimit() -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8) else { return nil }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Int(value), bytes > 0 else { return nil }   // "max": no limit
        return bytes
    }
}
