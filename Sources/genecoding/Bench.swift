import ArgumentParser
import Foundation
import GeneCoding

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine and the tokenizer, and PyTorch and Hugging Face tokenizers when Python has them.",
        discussion: "Writes bench/results.json and bench/RESULTS.md. Run on an otherwise idle machine.")

    @Option(help: "Threads.") var threads: Int = 2
    @Option(help: "Seconds of training steps per configuration.") var seconds: Double = 8
    @Option(help: "Rounds: ours then PyTorch's, repeated; the figures are the medians.") var rounds: Int = 5
    @Option(help: "Output folder.") var output: String = "bench"
    @Flag(help: ArgumentHelp("Instead: the time and memory of a training step in each memory mode (keep, attention, layers), interleaved "
                             + "over --rounds, on a default-profile 1-mer step of 500 bp (one thread) and a width-768 step (--threads); "
                             + "prints tables, writes nothing."))
    var memoryModes = false

    func run() throws {
        if memoryModes { return try reported { try measureMemoryModes() } }
        try reported {
            let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let report = try BenchmarkSuite.run(threads: threads, seconds: seconds, rounds: rounds, repository: repository) { print($0) }
            let json = URL(fileURLWithPath: output).appendingPathComponent("results.json")
            try AtomicFile.write(try ResultStore.encoder.encode(report), to: json.path)
            let page = BenchmarkSuite.markdown(report, path: URL(fileURLWithPath: output).appendingPathComponent("RESULTS.md").path)
            let provenance = Provenance.current(profile: "bench", seeds: [1], threads: threads).finished(at: Date())
            try page.write(provenance: provenance)
            print("written: \(json.path), \(output)/RESULTS.md")
        }
    }
}

extension Bench {
    /// The two shapes of the memory modes' cost: chapter 1's dearest default-profile cell (1-mers on
    /// 500 bp, RoPE, width 64, batch 16, one thread, as the chapters train it), and the paper's width on
    /// a few hundred tokens.
    func measureMemoryModes() throws {
        let shapes: [(name: String, model: ModelConfiguration, batch: Int, tokens: Int, threads: Int)] = [
            ("default profile, 1-mers on 500 bp", ModelConfiguration(vocabularySize: 9, classCount: 2, maxLength: 502, width: 64, heads: 4,
                                                                     feedForwardWidth: 256, layers: 3, positionEncoding: .rope, dropout: 0.1),
             16, 502, 1),
            ("width 768, 4 layers, 302 tokens", ModelConfiguration(vocabularySize: 9, classCount: 2, maxLength: 302, width: 768, heads: 12,
                                                                   feedForwardWidth: 3072, layers: 4, positionEncoding: .rope, dropout: 0.1),
             4, 302, threads),
        ]
        for shape in shapes {
            ComputeThreads.set(shape.threads)
            let points = try MemoryModeCost.measure(shape.model, batch: shape.batch, tokens: shape.tokens, rounds: rounds)
            print("\(shape.name): batch \(shape.batch) × \(shape.tokens) tokens, \(Format.plural(shape.threads, "thread")), "
                  + "medians of \(Format.plural(rounds, "round"))\n")
            print(MemoryModeCost.table(points, tokensPerStep: shape.batch * shape.tokens).markdown())
        }
    }
}
