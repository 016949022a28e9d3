// What a grid will cost, before it is paid for: its runs, CPU-hours, its largest run's memory and its
// longest run's time, its runs by memory class, and how long a given cluster would take to train it.
//
// Every figure comes from the manifest's estimates: time from `RunCostEstimate` (a rough guess with a
// margin, at the run's threads), memory from `RunMemoryEstimate` (the request a job makes, margin
// included). CPU-hours count a run's threads for its whole estimated time.
//
// The wall time on a cluster of N nodes, each of C cores and M memory, is a greedy packing, longest
// first: whenever cores and memory are free, the longest waiting run that fits on a node starts there
// (the first such node), and shorter ones fill what is left, as Slurm's backfill would. A run asking
// for more cores or memory than a node has never starts; the plan names it apart. It is a plan for
// an empty cluster, not a forecast of a shared one's queue.
//
// Memory modes (`MemoryMode`): the requests are keepAll's unless a mode is chosen (`inMemoryMode`): one
// for every run, or `auto`, each run's fastest mode that fits a node, as `grid submit --memory auto`
// chooses; the mode table gives each mode's largest request and the runs that fit a node in it. A
// slower mode's extra time is not in the time estimates.
import Foundation

public struct GridPlan: Sendable {
    /// One run as the plan sees it.
    public struct PlannedRun: Sendable, Hashable {
        public var index: Int
        public var key: String
        public var label: String
        /// Estimated wall seconds at `threads`.
        public var seconds: Double
        public var threads: Int
        /// The memory its job asks for (nil when the manifest has no estimate: counted as none).
        public var memory: MemoryRequest?
        /// The mode it is planned to train in (nil: keepAll, as the manifest's request is).
        public var memoryMode: MemoryMode? = nil

        public init(index: Int, key: String, label: String, seconds: Double, threads: Int, memory: MemoryRequest?) {
            self.index = index
            self.key = key
            self.label = label
            self.seconds = seconds
            self.threads = threads
            self.memory = memory
        }

        var requestBytes: Int { memory?.requestBytes ?? 0 }
    }

    /// N identical nodes.
    public struct Cluster: Sendable, Hashable {
        public var nodes: Int
        public var coresPerNode: Int
        public var memoryPerNode: Int

        public init(nodes: Int, coresPerNode: Int, memoryPerNode: Int) {
            self.nodes = nodes
            self.coresPerNode = coresPerNode
            self.memoryPerNode = memoryPerNode
        }

        /// "16 nodes × 64 cores, 256 GiB".
        public var description: String {
            "\(Format.plural(nodes, "node")) × \(Format.plural(coresPerNode, "core")), \(GridPlan.gibibytes(memoryPerNode))"
        }
    }

    /// Where and when each run starts on a cluster.
    public struct Packing: Sendable {
        /// When the last run ends.
        public var wallSeconds: Double
        /// Start seconds and node of each run that fits, by manifest index.
        public var starts: [Int: (seconds: Double, node: Int)]
        /// Runs that ask for more cores or memory than a node has.
        public var unplaceable: [PlannedRun]
    }

    /// Where the runs came from: a chapter's name, or "all".
    public var source: String
    public var runs: [PlannedRun]

    public init(source: String, runs: [PlannedRun]) {
        self.source = source
        self.runs = runs
    }

    /// The runs of a manifest, each at `threads` (default: the manifest's threads per run).
    public init(_ manifest: GridManifest, threads: Int? = nil) {
        let threads = threads ?? manifest.threadsPerRun
        let memory = manifest.memoryRequests()
        self.init(source: manifest.source, runs: manifest.runs.enumerated().map { index, entry in
            PlannedRun(index: index, key: entry.key, label: entry.label,
                       seconds: RunCostEstimate.rescale(entry.estimatedSeconds, fromThreads: manifest.threadsPerRun, toThreads: threads),
                       threads: threads, memory: memory[index])
        })
    }

    /// Every run in `choice`'s mode, its request that mode's: one mode for all, or with `auto` the fastest
    /// whose request is at most `nodeMemory` bytes (the one that needs least when none is). Runs whose
    /// manifest entry has no per-mode requests keep theirs.
    public func inMemoryMode(_ choice: MemoryModeChoice, nodeMemory: Int?) -> GridPlan {
        var plan = self
        for i in plan.runs.indices {
            guard let request = plan.runs[i].memory, request.modes != nil else { continue }
            let mode: MemoryMode
            switch choice {
            case let .fixed(fixed): mode = fixed
            case .auto:
                let candidates = MemoryMode.fastestFirst.compactMap { m in request.inMode(m).map { (m, $0) } }
                mode = MemoryModeChoice.fastestFitting(candidates, available: nodeMemory ?? .max).mode
            }
            var chosen = request.inMode(mode) ?? request
            chosen.modes = request.modes
            plan.runs[i].memory = chosen
            plan.runs[i].memoryMode = mode
        }
        return plan
    }

    /// The runs of several plans, each key once (chapters share runs: chapter 2's RoPE column is chapter 1's).
    public static func merged(_ plans: [GridPlan], source: String) -> GridPlan {
        var seen = Set<String>()
        return GridPlan(source: source, runs: plans.flatMap(\.runs).filter { seen.insert($0.key).inserted })
    }

    public var cpuHours: Double { runs.reduce(0) { $0 + $1.seconds * Double($1.threads) } / 3600 }
    public var largestMemory: PlannedRun? { runs.max { ($0.requestBytes, $1.index) < ($1.requestBytes, $0.index) } }
    public var longest: PlannedRun? { runs.max { ($0.seconds, $1.index) < ($1.seconds, $0.index) } }
    /// Runs without a memory estimate.
    public var unestimated: Int { runs.filter { $0.memory == nil }.count }

    /// Runs by memory class (`GridSubmission.memoryClass`: up to 1, 2, 4, ... GiB), smallest first.
    public var memoryClasses: [(limit: Int, runs: [PlannedRun])] {
        let grouped = Dictionary(grouping: runs.filter { $0.memory != nil }) { GridSubmission.memoryClass(of: $0.requestBytes) }
        return grouped.keys.sorted().map { ($0, grouped[$0]!) }
    }

    /// The greedy longest-first packing of the runs on `cluster` (see the header).
    public func packed(on cluster: Cluster) -> Packing {
        let fits = { (r: PlannedRun) in r.threads <= cluster.coresPerNode && r.requestBytes <= cluster.memoryPerNode }
        var waiting = runs.filter(fits).sorted { ($0.seconds, $1.index) > ($1.seconds, $0.index) }
        var cores = [Int](repeating: cluster.coresPerNode, count: cluster.nodes)
        var memory = [Int](repeating: cluster.memoryPerNode, count: cluster.nodes)
        var running: [(end: Double, node: Int, run: PlannedRun)] = []
        var starts: [Int: (seconds: Double, node: Int)] = [:]
        var now = 0.0, wall = 0.0
        while !waiting.isEmpty && cluster.nodes > 0 {
            waiting.removeAll { run in
                guard let node = cores.indices.first(where: { cores[$0] >= run.threads && memory[$0] >= run.requestBytes }) else { return false }
                cores[node] -= run.threads
                memory[node] -= run.requestBytes
                running.append((now + run.seconds, node, run))
                starts[run.index] = (now, node)
                wall = max(wall, now + run.seconds)
                return true
            }
            guard !waiting.isEmpty, let next = running.map(\.end).min() else { break }
            // The next moment something ends: its cores and memory come back.
            now = next
            for finished in running where finished.end <= now {
                cores[finished.node] += finished.run.threads
                memory[finished.node] += finished.run.requestBytes
            }
            running.removeAll { $0.end <= now }
        }
        return Packing(wallSeconds: wall, starts: starts, unplaceable: runs.filter { !fits($0) })
    }

    // MARK: - Tables

    /// "64 GiB", from bytes (requests are whole GiB).
    static func gibibytes(_ bytes: Int) -> String {
        bytes % MemoryRequest.gibibyte == 0 ? "\(bytes / MemoryRequest.gibibyte) GiB" : Format.bytes(bytes)
    }

    /// A whole number with thousands separators: 21,940; below 10 with one decimal: 0.4.
    static func grouped(_ value: Double) -> String {
        if value < 9.95 { return Format.fixed(value, 1) }
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// A run's label without its seed: the seeds of a cell cost the same.
    static func cell(_ run: PlannedRun) -> String {
        guard let range = run.label.range(of: " seed ", options: .backwards) else { return run.label }
        return String(run.label[..<range.lowerBound])
    }

    /// The summary table: one row per plan, and a row for all of them (each run once) when there are
    /// several; the wall-time column when a cluster is given.
    public static func summaryTable(_ plans: [GridPlan], cluster: Cluster?) -> Table {
        var columns = ["grid", "runs", "CPU-hours", "largest memory request", "longest run", "runs by memory request"]
        if let cluster { columns.append("wall time on \(cluster.description)") }
        var table = Table(columns: columns.map { Table.Column($0) })
        let rows = plans.count > 1 ? plans + [merged(plans, source: "all, each run once")] : plans
        for plan in rows {
            var row = [plan.source, "\(plan.runs.count)", grouped(plan.cpuHours)]
            if let largest = plan.largestMemory, largest.memory != nil {
                row.append("\(gibibytes(largest.requestBytes)) (\(cell(largest)), \(largest.memory!.peakPhase))")
            } else {
                row.append("—")
            }
            row.append(plan.longest.map { "\(Format.duration($0.seconds)) (\(cell($0)))" } ?? "—")
            var classes = plan.memoryClasses.map { "≤ \(gibibytes($0.limit)): \($0.runs.count)" }
            if plan.unestimated > 0 { classes.append("no estimate: \(plan.unestimated)") }
            row.append(classes.isEmpty ? "—" : classes.joined(separator: " · "))
            if let cluster {
                let packing = plan.packed(on: cluster)
                var cell = Format.duration(packing.wallSeconds)
                if !packing.unplaceable.isEmpty { cell += " (\(Format.plural(packing.unplaceable.count, "run")) fit no node)" }
                row.append(cell)
            }
            table.append(row)
        }
        return table
    }

    /// The runs of all plans (each once) by memory class: how many, their CPU-hours, the longest.
    public static func memoryTable(_ plans: [GridPlan]) -> Table {
        let all = merged(plans, source: "all")
        var table = Table(columns: ["memory request", "runs", "CPU-hours", "longest run"].map { Table.Column($0) })
        for group in all.memoryClasses {
            let plan = GridPlan(source: "", runs: group.runs)
            table.append(["≤ \(gibibytes(group.limit))", "\(group.runs.count)", grouped(plan.cpuHours),
                          plan.longest.map { "\(Format.duration($0.seconds)) (\(cell($0)))" } ?? "—"])
        }
        let unknown = all.runs.filter { $0.memory == nil }
        if !unknown.isEmpty {
            let plan = GridPlan(source: "", runs: unknown)
            table.append(["no estimate", "\(unknown.count)", grouped(plan.cpuHours), plan.longest.map { Format.duration($0.seconds) } ?? "—"])
        }
        return table
    }

    /// Each memory mode's largest request over the runs of all plans (each once), and with a cluster the
    /// runs whose request in that mode fits a node; nil when no run has per-mode requests. The plans'
    /// own choice of modes is ignored: every run is counted in each mode.
    public static func modeTable(_ plans: [GridPlan], cluster: Cluster?) -> Table? {
        let estimated = merged(plans, source: "all").runs.compactMap(\.memory).filter { $0.modes != nil }
        guard !estimated.isEmpty else { return nil }
        var columns = ["memory mode", "what training keeps for backward", "largest memory request"]
        if let cluster { columns.append("runs that fit a node of \(gibibytes(cluster.memoryPerNode))") }
        var table = Table(columns: columns.map { Table.Column($0) })
        for mode in MemoryMode.fastestFirst {
            let requests = estimated.compactMap { request in request.modes?.first { $0.memoryMode == mode } }
            guard let largest = requests.map(\.requestBytes).max() else { continue }
            var row = [mode.rawValue, mode.summary, gibibytes(largest)]
            if let cluster { row.append("\(requests.filter { $0.requestBytes <= cluster.memoryPerNode }.count) of \(requests.count)") }
            table.append(row)
        }
        return table
    }

    /// The tables, and the runs that fit no node of `cluster`, named.
    public static func markdown(_ plans: [GridPlan], cluster: Cluster?) -> String {
        var parts = [summaryTable(plans, cluster: cluster).markdown(), memoryTable(plans).markdown()]
        if let modes = modeTable(plans, cluster: cluster) { parts.append(modes.markdown()) }
        if let cluster {
            let unplaceable = merged(plans, source: "all").packed(on: cluster).unplaceable
            if !unplaceable.isEmpty {
                parts.append("Runs that fit no node (\(cluster.description)): " + unplaceable.map {
                    "\($0.label) (\($0.threads) cores, \(gibibytes($0.requestBytes)))"
                }.joined(separator: "; ") + ".")
            }
        }
        return parts.joined(separator: "\n\n") + "\n"
    }
}
