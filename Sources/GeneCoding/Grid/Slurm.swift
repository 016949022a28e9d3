// Slurm, as far as a grid needs it: the batch script of a job array whose task I trains run I of a
// manifest, submitting it, and reading back what Slurm says about the tasks.
//
// One task per run. Every task of an array asks for the same CPUs (the run's threads), memory and
// time limit, because sbatch gives one array one set of requests: runs are grouped by the memory they
// need into a few arrays (`GridSubmission`), each asking for the memory and the time of its own
// largest and dearest run (from `RunMemoryEstimate` and `RunCostEstimate`, unless given).
//
// Reading state: `scontrol -o show job ID` prints one line per array task that has started and one
// line for the tasks still waiting (their indices folded, e.g. `ArrayTaskId=3,7-9%2`). It knows
// finished tasks only for MinJobAge after they end (300 s by default). `sacct` would remember them
// longer but needs accounting storage, which many clusters have and a test cluster does not; so
// status also reads the tasks' logs and, first of all, the result store, which is the truth.
import Foundation

/// What a submission asks of Slurm besides the array itself.
public struct SlurmOptions: Codable, Hashable, Sendable {
    public var partition: String?
    public var account: String?
    /// Time limit per task as sbatch takes it (`90`, `2:00:00`, `1-12:00:00`); nil: from the estimate.
    public var time: String?
    /// CPUs per task, also the run's threads; nil: the manifest's threads per run.
    public var cpusPerTask: Int?
    /// Memory per task as sbatch takes it (`4G`); nil: each array asks for the estimate of its largest
    /// run (`MemoryRequest`), or the cluster's default when a manifest has no estimate.
    public var memory: String?
    /// The memory of one node (`256G`): runs that would ask for more are refused (`GridSubmission`).
    /// Not an sbatch option; nil: no check.
    public var nodeMemory: String?
    /// At most this many tasks of the array at once (`--array=...%N`).
    public var maxRunning: Int?
    /// Further sbatch options, one `#SBATCH` line each (`--qos=long`, `--constraint=avx2`).
    public var extra: [String]

    public init(partition: String? = nil, account: String? = nil, time: String? = nil, cpusPerTask: Int? = nil,
                memory: String? = nil, nodeMemory: String? = nil, maxRunning: Int? = nil, extra: [String] = []) {
        self.partition = partition
        self.account = account
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.memory = memory
        self.nodeMemory = nodeMemory
        self.maxRunning = maxRunning
        self.extra = extra
    }

    /// The options a chapter submits with (GENECODING_BACKEND=slurm), from the GENECODING_SLURM_*
    /// variables. sbatch's own input variables (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_QOS, ...) work
    /// as well, and override these.
    public static func fromEnvironment(_ environment: [String: String]) throws -> SlurmOptions {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ name: String) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let n = Int(text), n > 0 else { throw ConfigurationError(message: "\(name)=\(text): a positive whole number, please") }
            return n
        }
        let options = SlurmOptions(
            partition: value("GENECODING_SLURM_PARTITION"), account: value("GENECODING_SLURM_ACCOUNT"),
            time: value("GENECODING_SLURM_TIME"), cpusPerTask: try number("GENECODING_SLURM_CPUS"),
            memory: value("GENECODING_SLURM_MEM"), nodeMemory: value("GENECODING_SLURM_NODE_MEMORY"),
            maxRunning: try number("GENECODING_SLURM_MAX_RUNNING"),
            extra: value("GENECODING_SLURM_OPTIONS").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) } ?? [])
        try options.validate()
        return options
    }

    /// Every value goes into a line of a script: none may break out of it.
    public func validate() throws {
        let texts = [partition, account, time, memory].compactMap { $0 } + extra
        if let bad = texts.first(where: { $0.contains(where: { $0.isNewline || $0 == "\0" }) || $0.isEmpty }) {
            throw ConfigurationError(message: "Slurm option '\(bad)' is empty or holds a line break")
        }
        if let bad = extra.first(where: { !$0.hasPrefix("-") }) {
            throw ConfigurationError(message: "extra sbatch option '\(bad)' must start with '-' (e.g. --qos=long)")
        }
        if let cpus = cpusPerTask, cpus < 1 { throw ConfigurationError(message: "CPUs per task must be at least 1") }
        if let memory { _ = try Slurm.bytes(memory: memory, option: "--mem", allowingZero: true) }
        if let nodeMemory { _ = try Slurm.bytes(memory: nodeMemory, option: "--node-memory") }
        if let n = maxRunning, n < 1 { throw ConfigurationError(message: "at most N running tasks needs N >= 1") }
    }
}

public enum Slurm {
    /// Slurm's default MaxArraySize is 1001: task indices above 1000 are refused unless the
    /// cluster raised it.
    public static let defaultMaxArrayIndex = 1000

    /// Indices as an `--array` list, runs of consecutive numbers folded: [0,1,2,5,7,8] is "0-2,5,7-8".
    public static func indexList(_ indices: [Int]) -> String {
        let sorted = Array(Set(indices)).sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Whole seconds as a Slurm time: `HH:MM:SS`, or `D-HH:MM:SS` from a day on.
    public static func time(seconds: Int) -> String {
        let s = max(0, seconds)
        let clock = String(format: "%02d:%02d:%02d", (s % 86_400) / 3600, (s / 60) % 60, s % 60)
        return s >= 86_400 ? "\(s / 86_400)-\(clock)" : clock
    }

    /// Bytes of a memory size as sbatch's --mem reads it: a whole number with an optional unit K, M,
    /// G or T (powers of 1024; M when none is given), optionally followed by B ("64G", "64GB", "4096").
    /// `option` names the setting in the error. sbatch reads `--mem=0` as all of a node's memory,
    /// which `allowingZero` accepts (as 0).
    public static func bytes(memory text: String, option: String, allowingZero: Bool = false) throws -> Int {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.count > 1, let last = body.last, last == "B" || last == "b", let before = body.dropLast().last, before.isLetter { body = body.dropLast() }
        let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
        var shift = 20
        if let last = body.last, last.isLetter {
            guard let s = shifts[Character(last.uppercased())] else {
                throw ConfigurationError(message: "\(option) \(text): the unit must be K, M, G or T (e.g. 64G)")
            }
            shift = s
            body = body.dropLast()
        }
        guard let number = Int(body), number > 0 || (allowingZero && number == 0), number <= Int.max >> shift else {
            throw ConfigurationError(message: "\(option) \(text): a positive whole number of bytes with a unit, please (e.g. 64G or 4096M)")
        }
        return number << shift
    }

    /// `bytes` as sbatch's --mem takes it: whole GiB as `NG`, else MiB rounded up as `NM`.
    public static func memory(bytes: Int) -> String {
        let mebibyte = 1 << 20, gibibyte = 1 << 30
        if bytes % gibibyte == 0 { return "\(bytes / gibibyte)G" }
        return "\((bytes + mebibyte - 1) / mebibyte)M"
    }

    /// `text` as one word for bash, in single quotes ('it'\''s').
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `text` as one word for bash, quoted only when it has to be (for messages a person copies).
    public static func shellWord(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:=@%,".contains($0) }
        return plain ? text : shellQuoted(text)
    }

    /// An `#SBATCH` value: sbatch splits these lines at blanks unless the value is in double quotes.
    static func directiveValue(_ text: String) -> String {
        text.contains(where: \.isWhitespace) ? "\"\(text)\"" : text
    }
}

/// The batch script of one submission: a job array over `indices` of a manifest snapshot.
public struct SlurmArrayScript: Hashable, Sendable {
    public var jobName: String
    public var indices: [Int]
    public var cpusPerTask: Int
    /// Time limit per task, as sbatch takes it.
    public var time: String
    public var logDirectory: String
    public var workingDirectory: String
    /// The `genecoding` every task runs; on the shared file system.
    public var executable: String
    /// The manifest (snapshot) the indices refer to.
    public var manifest: String
    public var options: SlurmOptions
    /// Memory per task as sbatch takes it; nil: `options.memory`, else the cluster's default.
    public var memory: String?
    /// What the tasks' training keeps for backward (`run-one --memory`); nil: run-one's default.
    public var memoryMode: MemoryMode?

    public init(jobName: String, indices: [Int], cpusPerTask: Int, time: String, logDirectory: String,
                workingDirectory: String, executable: String, manifest: String, options: SlurmOptions, memory: String? = nil,
                memoryMode: MemoryMode? = nil) {
        self.memoryMode = memoryMode
        self.jobName = jobName
        self.indices = indices
        self.cpusPerTask = cpusPerTask
        self.time = time
        self.logDirectory = logDirectory
        self.workingDirectory = workingDirectory
        self.executable = executable
        self.manifest = manifest
        self.options = options
        self.memory = memory
    }

    /// "0-13", or "0-13%4" when at most 4 may run at once.
    public var arraySpecification: String {
        Slurm.indexList(indices) + (options.maxRunning.map { "%\($0)" } ?? "")
    }

    public var text: String {
        var directives = [
            "--job-name=\(Slurm.directiveValue(jobName))",
            "--array=\(arraySpecification)",
            "--ntasks=1",
            "--cpus-per-task=\(cpusPerTask)",
            "--time=\(time)",
            // %A is the array's job id, %a the task's index: the name `grid status` looks for.
            "--output=\(Slurm.directiveValue(logDirectory + "/%A_%a.out"))",
            "--chdir=\(Slurm.directiveValue(workingDirectory))",
        ]
        if let p = options.partition { directives.append("--partition=\(p)") }
        if let a = options.account { directives.append("--account=\(a)") }
        if let m = memory ?? options.memory { directives.append("--mem=\(m)") }
        directives += options.extra
        let command = [Slurm.shellQuoted(executable), "grid", "run-one", "--manifest", Slurm.shellQuoted(manifest),
                       "--index", "\"$SLURM_ARRAY_TASK_ID\"", "--threads", "\(cpusPerTask)"]
            .joined(separator: " ") + (memoryMode.map { " --memory \($0.rawValue)" } ?? "")
        return """
            #!/bin/bash
            # A Slurm job array written by `genecoding grid submit`: task I trains entry I of the manifest
            # \(manifest)
            # and writes its record into that entry's result store. Submit through genecoding (it records
            # the job for `genecoding grid status`) rather than editing and resubmitting this file.
            \(directives.map { "#SBATCH " + $0 }.joined(separator: "\n"))
            set -euo pipefail
            exec \(command)

            """
    }
}

// MARK: - What Slurm says

/// One array task's state as `scontrol` prints it.
public struct SlurmTaskState: Hashable, Sendable {
    /// PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, OUT_OF_MEMORY, NODE_FAIL, ...
    public var state: String
    /// `exit:signal`, e.g. "1:0" or "0:15".
    public var exitCode: String
    public var reason: String

    public init(state: String, exitCode: String = "0:0", reason: String = "None") {
        self.state = state
        self.exitCode = exitCode
        self.reason = reason
    }

    public enum Phase: Sendable { case waiting, running, ended }

    public var phase: Phase {
        switch state {
        case "PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "CONFIGURING", "SPECIAL_EXIT":
            return .waiting
        case "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING":
            return .running
        default:
            return .ended
        }
    }
}

/// What the controller knows about one job array.
public enum SlurmJobLookup: Hashable, Sendable {
    /// The controller knows the job: its tasks by array index.
    case tasks([Int: SlurmTaskState])
    /// The controller does not know the id: it ended longer than MinJobAge ago.
    case forgotten
    /// Slurm could not be asked (no scontrol, controller down); the reason.
    case unavailable(String)
}

extension Slurm {
    /// The tasks in `scontrol -o show job ID` output, by array index (folded waiting tasks unfolded).
    public static func parseShowJob(_ output: String) -> [Int: SlurmTaskState] {
        var tasks: [Int: SlurmTaskState] = [:]
        for line in output.split(separator: "\n") {
            var fields: [String: String] = [:]
            for word in line.split(separator: " ") {
                guard let equals = word.firstIndex(of: "=") else { continue }
                let name = String(word[..<equals])
                if fields[name] == nil { fields[name] = String(word[word.index(after: equals)...]) }
            }
            guard let ids = fields["ArrayTaskId"], let state = fields["JobState"] else { continue }
            let task = SlurmTaskState(state: state, exitCode: fields["ExitCode"] ?? "0:0", reason: fields["Reason"] ?? "None")
            for index in expandIndices(ids) { tasks[index] = task }
        }
        return tasks
    }

    /// "3,7-9%2" is [3, 7, 8, 9]; "0-10:5" is [0, 5, 10].
    static func expandIndices(_ text: String) -> [Int] {
        let list = text.split(separator: "%").first.map(String.init) ?? ""
        var indices: [Int] = []
        for part in list.split(separator: ",") {
            let stepParts = part.split(separator: ":")
            let step = stepParts.count == 2 ? Int(stepParts[1]) ?? 1 : 1
            let bounds = stepParts[0].split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { indices.append(bounds[0]) }
            else if bounds.count == 2, bounds[0] <= bounds[1], step > 0 { indices += Array(stride(from: bounds[0], through: bounds[1], by: step)) }
        }
        return indices
    }
}

/// How genecoding reaches Slurm; tests put their own in its place.
public struct SlurmClient: Sendable {
    public var showJob: @Sendable (_ jobID: String) -> SlurmJobLookup
    /// Submits a batch script, returns the job id.
    public var submit: @Sendable (_ scriptPath: String) throws -> String

    public init(showJob: @escaping @Sendable (String) -> SlurmJobLookup, submit: @escaping @Sendable (String) throws -> String) {
        self.showJob = showJob
        self.submit = submit
    }

    /// The `scontrol` and `sbatch` on PATH, configured as the environment says (SLURM_CONF, ...).
    public static let system = SlurmClient(
        showJob: { id in
            guard let scontrol = Subprocess.find("scontrol") else { return .unavailable("scontrol is not on PATH") }
            guard let result = try? Subprocess.run(scontrol, ["-o", "show", "job", id]) else { return .unavailable("scontrol did not start") }
            if result.status == 0 { return .tasks(Slurm.parseShowJob(result.standardOutput)) }
            if result.standardError.contains("Invalid job id") { return .forgotten }
            return .unavailable(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
        },
        submit: { script in
            guard let sbatch = Subprocess.find("sbatch") else {
                throw ConfigurationError(message: "sbatch is not on PATH: submit from a machine of the Slurm cluster")
            }
            let result = try Subprocess.run(sbatch, ["--parsable", script])
            // --parsable prints "jobid" or "jobid;cluster".
            let id = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
            guard result.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
                throw ConfigurationError(message: "sbatch \(script) failed (status \(result.status)): "
                                         + (result.standardError + result.standardOutput).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return id
        })
}
