import ArgumentParser
import Foundation
import GeneCoding

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a sample of stored runs again and check that they come out the same, bit for bit.",
        discussion: """
        Picks stored runs from --results to cover as many tasks, tokenizers, position encodings, depths, widths,
        norm placements, poolings and memory modes as --sample runs can (cheapest first), trains each again into
        a scratch store, and compares
        the model's SHA-256, every test prediction and the scores with the stored record. Exit status 1 when
        any comparable run differs: then the engine moved results without a new engine version. A record
        made by another engine version, other OpenBLAS kernels or another build target is reported as not
        comparable and not counted. `make repro-check` runs it on the committed store.
        """)

    @OptionGroup var data: DataOptions
    @Option(help: "How many stored runs to train again.") var sample: Int = 10
    @Option(help: "Only stored runs whose training took at most this many seconds.") var maximumSeconds: Double = 30
    @Option(help: "Threads for each run (the results do not depend on it).") var threads: Int = 2
    @Option(help: "Scratch store for the runs trained again (default: a temporary folder, removed after).") var scratch: String?

    func run() throws {
        try reported {
            guard sample >= 1 else { throw ValidationError("--sample is \(sample): give a whole number from 1") }
            try RunExecutor.validate(threads: threads)
            ComputeThreads.set(threads)
            let stored = data.store().allRecords()
            guard !stored.isEmpty else { throw CommandFailure(description: "no stored runs in \(data.results)/runs") }
            let chosen = Reproduction.sample(stored, count: sample, maximumSeconds: maximumSeconds)
            let machine = Machine.current()
            let scratchURL = scratch.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-reproduce-\(getpid())")
            if scratch == nil { try FileManager.default.createDirectory(at: scratchURL, withIntermediateDirectories: true) }
            defer { if scratch == nil { try? FileManager.default.removeItem(at: scratchURL) } }
            let executor = RunExecutor(gue: try data.benchmark(), store: ResultStore(root: scratchURL))
            print("\(chosen.count) of \(stored.count) stored runs, trained again on \(Format.plural(threads, "thread")) (\(engineVersion), "
                  + "\(machine.blasKernels ?? "?") kernels, build for \(machine.build ?? "?")):")
            var differing: [String] = [], skipped = 0, same = 0
            for record in chosen {
                if let reason = Reproduction.notComparable(record, machine: machine) {
                    print("  \(record.run.label): not comparable (\(reason))")
                    skipped += 1
                    continue
                }
                let started = Date()
                let c = try Reproduction.compare(record, executor: executor, threads: threads)
                let seconds = Date().timeIntervalSince(started)
                let what = [c.sameKey ? nil : "key \(c.again.key.prefix(12)) ≠ stored \(record.key.prefix(12))",
                            c.sameModel ? nil : "model SHA-256 differs",
                            c.samePredictions ? nil : "test predictions differ",
                            c.sameScores ? nil : String(format: "test MCC %.6f, stored %.6f", c.again.outcome?.test.mcc ?? .nan,
                                                        record.outcome?.test.mcc ?? .nan)].compactMap { $0 }
                if what.isEmpty {
                    same += 1
                    print(String(format: "  %@: the same bit for bit (model %@…, test MCC %.4f; %.1f s)", record.run.label,
                                 String(record.modelSHA256?.prefix(12) ?? ""), record.outcome?.test.mcc ?? .nan, seconds))
                } else {
                    differing.append(record.run.label)
                    print("  \(record.run.label): DIFFERS — \(what.joined(separator: "; "))")
                }
            }
            print("\(same) the same, \(differing.count) different, \(skipped) not comparable")
            if !differing.isEmpty {
                throw CommandFailure(description: "\(differing.count) stored run(s) came out differently: this engine moves results "
                                     + "without a new engine version (\(engineVersion)); bump it and recompute the store")
            }
        }
    }
}
