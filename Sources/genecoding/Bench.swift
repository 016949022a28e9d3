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
    @Option(help: "The Python with torch and tokenizers for the comparisons (default: python3; make bench makes one with scripts/python-env.sh).")
    var python: String?
    @Option(help: "Where the real-workload rows cache their vocabularies.") var store: String = "build/bench-store"
    @Flag(help: ArgumentHelp("Instead: the time and memory of a training step in each memory mode (keep, attention, layers), interleaved "
                             + "over --rounds, on a default-profile 1-mer step of 500 bp (one thread) and a width-768 step (--threads); "
                             + "prints tables, writes nothing."))
    var memoryModes = false
    @Flag(help: ArgumentHelp("Instead: only the chapters' real workload and the default profile's two runs side by side, ours then "
                             + "PyTorch's on the same batches, over --rounds (needs GUE_DIR); prints each round and the medians, writes nothing."))
    var workload = false
    @Flag(help: ArgumentHelp("Instead: only BPE's training and encoding, ours then Hugging Face tokenizers' on the same sequences, "
                             + "over --rounds; prints each round, writes nothing."))
    var tokenizer = false

    /// The settings checked before anything is measured: a wrong --python would otherwise end the run
    /// halfway, and no rounds would stop it at a precondition.
    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds is \(rounds): give a whole number from 1") }
        try RunExecutor.validate(threads: threads)
        if let python, Subprocess.find(python) == nil {
            throw ValidationError("--python \(python): " + (python.contains("/") ? "no executable file there" : "not found on PATH"))
        }
    }

    func run() throws {
        if memoryModes { return try reported { try measureMemoryModes() } }
        if tokenizer {
            return try reported {
                try BenchmarkSuite.tokenizerOnly(threads: threads, rounds: rounds, repository: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                                 python: python) { print($0) }
            }
        }
        if workload {
            return try reported {
                let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                try BenchmarkSuite.workloadOnly(threads: threads, rounds: rounds, repository: repository, python: python,
                                                gue: try GUE.fromEnvironment(), store: ResultStore(root: URL(fileURLWithPath: store))) { print($0) }
            }
        }
        try reported {
            let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            // The real-workload rows read tf/0 and EMP/H3 when GUE_DIR is there; without it they are left out, and the page says so.
            let gue = try? GUE.fromEnvironment()
            let report = try BenchmarkSuite.run(threads: threads, seconds: seconds, rounds: rounds, repository: repository, python: python,
                                                gue: gue, store: ResultStore(root: URL(fileURLWithPath: store))) { print($0) }
            let json = URL(fileURLWithPath: output).appendingPathComponent("results.json")
            let measurements = try ResultStore.encoder.encode(report)
            try AtomicFile.write(measurements, to: json.path)
            let page = BenchmarkSuite.markdown(report, path: URL(fileURLWithPath: output).appendingPathComponent("RESULTS.md").path)
            // The page is made from results.json: its banner carries that file's digest (the machine and
            // the date of the measurement are in the page itself).
            var inputs = InputDigest()
            inputs.add("results.json", measurements)
            try page.write(provenance: Provenance(command: Provenance.commandLine(), profile: "bench", seeds: [1], inputs: inputs.hex))
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
