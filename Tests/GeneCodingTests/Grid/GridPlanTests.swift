// The plan of a grid: CPU-hours, memory classes, and the greedy packing's wall time, on a
// constructed manifest whose answers are worked out by hand.
import XCTest
@testable import GeneCoding

final class GridPlanTests: XCTestCase {
    let gib = MemoryRequest.gibibyte
    let hour = 3600.0

    /// Runs of `hours` each, asking for `request` GiB each (the process estimate that gives exactly that
    /// request: (request - 1) / 1.25 GiB), all on the manifest's 2 threads.
    func manifest(_ runs: [(hours: Double, request: Int)], source: String = "grid", keyOffset: Int = 0) -> GridManifest {
        let entries = runs.enumerated().map { i, r -> GridManifest.Entry in
            let run = Run(task: "tf/\(i)", tokenizer: .kmer(k: 1, overlapping: false), profile: .paper, seed: 1)
            let process = Int(Double(r.request - 1) / 1.25 * Double(gib))
            let memory = MemoryRequest(tensorBytes: process / 2, peakPhase: "evaluation", processBytes: process)
            precondition(memory.requestBytes == r.request * gib, "the fixture's request is \(memory.requestBytes), not \(r.request) GiB")
            return GridManifest.Entry(key: String(format: "%064x", i + keyOffset), label: run.label, run: run, profile: "paper", gue: "/g",
                                      results: "/r", estimatedSeconds: r.hours * hour, memory: memory)
        }
        return GridManifest(source: source, renderCommand: [], threadsPerRun: 2, runs: entries)
    }

    /// Three 4-hour runs of 8 GiB and two 2-hour runs of 2 GiB, and one of 20 GiB that no node holds.
    var example: GridManifest {
        manifest([(4, 8), (4, 8), (4, 8), (2, 2), (2, 2), (1, 20)])
    }

    func testTotalsAndMemoryClasses() {
        let plan = GridPlan(example)
        XCTAssertEqual(plan.runs.count, 6)
        XCTAssertEqual(plan.cpuHours, (3 * 4 + 2 * 2 + 1) * 2, accuracy: 1e-9, "hours x 2 threads")
        XCTAssertEqual(plan.largestMemory?.index, 5)
        XCTAssertEqual(plan.longest?.index, 0, "the first of the equally long runs")
        XCTAssertEqual(plan.memoryClasses.map { $0.limit / gib }, [2, 8, 32])
        XCTAssertEqual(plan.memoryClasses.map(\.runs.count), [2, 3, 1])
        // At 4 threads each run is faster, the CPU-hours more (the fixed overhead and the imperfect split).
        XCTAssertLessThan(GridPlan(example, threads: 4).longest!.seconds, 4 * hour)
    }

    /// One node of 8 cores and 16 GiB. By hand: at 0 the two first 8 GiB runs take all the memory
    /// (4 cores of 8 used), so the third and both small ones wait; at 4 h the third and both small ones
    /// start; the third ends at 8 h. Cores alone would have allowed 4 runs at once and 4 h in all.
    func testPackingRespectsMemoryAsWellAsCores() {
        let plan = GridPlan(example)
        let packing = plan.packed(on: GridPlan.Cluster(nodes: 1, coresPerNode: 8, memoryPerNode: 16 * gib))
        XCTAssertEqual(packing.wallSeconds, 8 * hour)
        XCTAssertEqual(packing.unplaceable.map(\.index), [5], "20 GiB fits no 16 GiB node")
        XCTAssertEqual(packing.starts[0]?.seconds, 0)
        XCTAssertEqual(packing.starts[1]?.seconds, 0)
        XCTAssertEqual(packing.starts[2]?.seconds, 4 * hour)
        XCTAssertEqual(packing.starts[3]?.seconds, 4 * hour)
        XCTAssertEqual(packing.starts[4]?.seconds, 4 * hour)

        // Memory to spare: at 0 four runs (8 cores); the fifth at 2 h when the 2-hour run ends; the
        // 1-hour 20 GiB run at 4 h, when the rest end: 5 h.
        let roomy = plan.packed(on: GridPlan.Cluster(nodes: 1, coresPerNode: 8, memoryPerNode: 64 * gib))
        XCTAssertEqual(roomy.wallSeconds, 5 * hour)
        XCTAssertEqual(roomy.starts[4]?.seconds, 2 * hour)
        XCTAssertEqual(roomy.starts[5]?.seconds, 4 * hour)
        XCTAssertEqual(roomy.unplaceable, [])

        // Two nodes of 4 cores: the first node takes both first runs, the second the third and a small
        // one; the last small one starts at 2 h on the second node: 4 h.
        let two = plan.packed(on: GridPlan.Cluster(nodes: 2, coresPerNode: 4, memoryPerNode: 16 * gib))
        XCTAssertEqual(two.wallSeconds, 4 * hour)
        XCTAssertEqual(two.starts[1]?.node, 0)
        XCTAssertEqual(two.starts[2]?.node, 1)
        XCTAssertEqual(two.starts[4]?.seconds, 2 * hour)

        // Runs wider than a node never start.
        let narrow = GridPlan(example, threads: 16).packed(on: GridPlan.Cluster(nodes: 4, coresPerNode: 8, memoryPerNode: 64 * gib))
        XCTAssertEqual(narrow.unplaceable.count, 6)
        XCTAssertEqual(narrow.wallSeconds, 0)
    }

    /// The Markdown a script pastes: one row per grid and one for all, each run counted once.
    func testTheTablesCountSharedRunsOnce() {
        let first = GridPlan(example)
        let second = GridPlan(manifest([(4, 8), (3, 4)], source: "other", keyOffset: 5))  // its first run is the example's run 5
        let text = GridPlan.markdown([first, second], cluster: GridPlan.Cluster(nodes: 1, coresPerNode: 8, memoryPerNode: 16 * gib))
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("| grid ") && lines[0].contains("wall time on 1 node × 8 cores, 16 GiB"), lines[0])
        func cells(_ line: String) -> [String] { line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        let grid = cells(lines.first { $0.hasPrefix("| grid ") && !$0.contains("runs |") }!)
        XCTAssertEqual(grid, ["grid", "6", "34", "20 GiB (tf/5 kmer:1 rope L12, evaluation)", "4 h 00 min (tf/0 kmer:1 rope L12)",
                              "≤ 2 GiB: 2 · ≤ 8 GiB: 3 · ≤ 32 GiB: 1", "8 h 00 min (1 run fit no node)"])
        let all = cells(lines.first { $0.hasPrefix("| all, each run once") }!)
        XCTAssertEqual(all[1], "7", "6 + 2 runs with one shared")
        XCTAssertEqual(all[2], "40", "34 + the 3-hour run on 2 threads")
        XCTAssertTrue(text.contains("| ≤ 4 GiB        |    1 |"), text)
        XCTAssertTrue(text.contains("Runs that fit no node (1 node × 8 cores, 16 GiB): tf/5 kmer:1 rope L12 seed 1 (2 cores, 20 GiB)."), text)
    }
}
