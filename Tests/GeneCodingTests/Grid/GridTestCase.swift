// What the tests of submitting and planning share: a scratch folder with a manifest's files in it, and
// manifests of paper-scale runs with given memory requests, written without reading data or training.
import XCTest
@testable import GeneCoding

class GridTestCase: XCTestCase {
    var root: URL!
    var files: GridFiles!
    let gib = MemoryRequest.gibibyte

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-\(type(of: self))-\(UUID().uuidString)")
        files = GridFiles(manifest: root.appendingPathComponent("grids/grid.json").path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// The request of a run whose process needs `process` GiB at its peak in `phase` (half of it tensors).
    func request(process: Double, phase: String) -> MemoryRequest {
        MemoryRequest(tensorBytes: Int(process * Double(gib)) / 2, peakPhase: phase, processBytes: Int(process * Double(gib)))
    }

    /// A manifest of one paper-scale run per request, run i estimated at `hours[i]` on 2 threads, written
    /// to `files.manifest`.
    func manifest(requests: [MemoryRequest], hours: [Double]) throws -> GridManifest {
        let entries = zip(requests, hours).enumerated().map { i, planned -> GridManifest.Entry in
            let run = Run(task: "tf/\(i)", tokenizer: .kmer(k: 1, overlapping: false), profile: .paper, seed: 1)
            return GridManifest.Entry(key: String(repeating: String(i, radix: 16), count: 64), label: run.label, run: run, profile: "paper",
                                      gue: root.appendingPathComponent("gue").path, results: root.appendingPathComponent("results").path,
                                      estimatedSeconds: planned.1 * 3600, memory: planned.0)
        }
        let grid = GridManifest(source: "grid", renderCommand: [], threadsPerRun: 2, runs: entries, created: Date(timeIntervalSince1970: 1_800_000_000))
        try grid.write(to: files.manifest)
        return grid
    }
}
