import ArgumentParser
import Foundation
import GeneCoding

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one model (or reuse its stored result) and print its scores.",
        discussion: """
        The profile sets everything not given here (see `genecoding profiles`). Training keeps the
        parameters with the best dev MCC and reports the test scores of those (the GUE protocol).
        Interrupt with Ctrl-C at any time: the next identical command resumes from the last epoch.
        A run that diverges is stored as failed, with the reason, and the command exits with status 1;
        --retry-failed trains it again.
        """)

    @OptionGroup var data: DataOptions

    @Option(help: "GUE task, as <group>/<task> (see `genecoding tasks`).")
    var task: String

    @Option(help: "kmer:K, kmer:K:overlap, bpe:SIZE (learned from the task's training split), or a tokenizer.json path.")
    var tokenizer: String = "bpe:4096"

    @Option(help: "Position encoding: \(PositionEncoding.allCases.map(\.rawValue).joined(separator: ", ")).")
    var position: PositionEncoding = .rope

    @Option(help: "Scale profile: \(ScaleProfile.all.map(\.name).joined(separator: ", ")).")
    var profile: String = "default"

    // Numbers are parsed `.unconditional`ly, so that `--epochs -1` reaches the check as -1 (and is
    // refused with what is allowed) instead of being read as an unknown option.
    @Option(parsing: .unconditional, help: "Encoder layers (default: the profile's).") var layers: Int?
    @Option(parsing: .unconditional, help: "Width (default: the profile's).") var width: Int?
    @Option(parsing: .unconditional, help: "Attention heads (default: the profile's).") var heads: Int?
    @Option(parsing: .unconditional, help: "Feed-forward width (default: 4 x width, or the profile's).") var feedForward: Int?
    @Option(parsing: .unconditional, help: "Epochs (default: the profile's).") var epochs: Int?
    @Option(parsing: .unconditional, help: "Peak learning rate (default: the profile's).") var learningRate: Double?
    @Option(help: "Norm placement: post (BERT) or pre.") var norm: NormPlacement = .post
    @Option(help: "Pooling: cls, mean or last.") var pooling: Pooling = .classToken
    @Flag(help: "Causal (decoder-only) attention.") var causal = false
    @Option(parsing: .unconditional, help: "Training examples to use (default: the profile's cap; 0 for all).") var trainLimit: Int?
    @Option(parsing: .unconditional, help: "Random seed (a whole number from 0).") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Threads.") var threads: Int = 2
    @Option(help: ArgumentHelp(MemoryModeChoice.help, valueName: "mode")) var memory: MemoryModeChoice?
    @Flag(help: "Train again a run whose stored result says it failed (diverged).") var retryFailed = false
    @Flag(help: "Print the stored record as JSON.") var json = false
    @Flag(help: "Print the run's estimated memory at its peak in each memory mode (RunMemoryEstimate), and train nothing.")
    var estimateMemory = false

    /// The run these options describe, checked (`Run.validated`): every problem in one message.
    func makeRun() throws -> Run {
        let profile = try ScaleProfile.named(profile)
        let spec = try TokenizerSpec.parse(tokenizer)
        var run = Run(task: task, tokenizer: spec, positionEncoding: position, profile: profile, seed: seed)
        if let layers { run.layers = layers }
        if let width {
            run.width = width
            // 4 x width, the BERT ratio; saturated so that a hostile width is refused, not overflowed.
            run.feedForwardWidth = width.multipliedReportingOverflow(by: 4).overflow ? .max : 4 * width
        }
        if let heads { run.heads = heads }
        if let feedForward { run.feedForwardWidth = feedForward }
        if let epochs { run.epochs = epochs }
        if let learningRate { run.optimizer.learningRate = learningRate }
        if let trainLimit { run.trainLimit = trainLimit == 0 ? nil : trainLimit }
        run.normPlacement = norm
        run.pooling = pooling
        run.causal = causal
        try RunExecutor.validate(threads: threads)
        return try run.validated()
    }

    func run() throws {
        try reported {
            let run = try makeRun()
            ComputeThreads.set(threads)
            let executor = RunExecutor(gue: try data.benchmark(), store: data.store())
            executor.retryFailed = retryFailed
            executor.memoryMode = memory
            if estimateMemory { return print(try Self.memoryTable(run, executor: executor, threads: threads)) }
            let key = try executor.key(run)
            let stored = executor.store.record(key).map { !(retryFailed && $0.status == .failed) } ?? false
            let record = try executor.execute(run, threads: threads)
            if json {
                print(String(decoding: try ResultStore.encoder.encode(record), as: UTF8.self))
            } else {
                print(RecordSummary(record, reused: stored).text)
                print("stored: \(executor.store.recordURL(key).path)")
                if record.status == .done { print("model:  \(executor.store.checkpointDirectory(key).path)/model.safetensors") }
            }
            // A failed run is a result (stored, so it is not retrained by accident), but not a success.
            if record.status == .failed {
                if !json { print("Stored as failed: the same command returns this record; add --retry-failed to train it again.") }
                throw ExitCode.failure
            }
        }
    }
}

extension Train {
    /// The run's memory in each mode, as Markdown: the tensors of a training step, an evaluation batch
    /// and the peak (and the phase that sets it), the whole process, the job request (with its margin),
    /// and whether that fits here.
    static func memoryTable(_ run: Run, executor: RunExecutor, threads: Int) throws -> String {
        let request = try executor.memoryRequest(run, threads: threads)
        let available = MemoryModeChoice.availableMemory()
        var table = Table(columns: [Table.Column("memory mode"), Table.Column("what training keeps for backward"),
                                    Table.Column("training step", alignment: .right), Table.Column("evaluation", alignment: .right),
                                    Table.Column("tensors at the peak", alignment: .right), Table.Column("peak phase"),
                                    Table.Column("process", alignment: .right), Table.Column("job request", alignment: .right),
                                    Table.Column("fits \(Format.bytes(available.bytes))")])
        for mode in MemoryMode.fastestFirst {
            guard let r = request.inMode(mode) else { continue }
            let phases = try executor.memoryEstimate(run, threads: threads, memoryMode: mode).phases
            func phase(_ name: String) -> String { phases.first { $0.name == name }.map { Format.bytes($0.bytes) } ?? "—" }
            table.append([mode.rawValue, mode.summary, phase("training step"), phase("evaluation"), Format.bytes(r.tensorBytes), r.peakPhase,
                          Format.bytes(r.processBytes), Slurm.memory(bytes: r.requestBytes), r.requestBytes <= available.bytes ? "yes" : "no"])
        }
        return "\(run.label), batch \(run.batchSize), \(Format.plural(threads, "thread")); tensors as RunMemoryEstimate counts them, "
            + "with the trainer's copies of the parameters; available: \(available.source)\n\n" + table.markdown()
    }
}

/// A few readable lines about a run's record.
struct RecordSummary {
    let text: String
    init(_ r: RunRecord, reused: Bool) {
        var lines = ["\(r.run.label) [\(r.run.profile) profile]\(reused ? " (stored result, not retrained)" : "")"]
        if let o = r.outcome {
            lines.append(String(format: "  test  MCC %.3f  accuracy %.3f  macro-F1 %.3f   (best dev epoch %d of %d)",
                                o.test.mcc, o.test.accuracy, o.test.macroF1, o.bestEpoch, r.run.epochs))
            lines.append(String(format: "  dev   MCC %.3f  accuracy %.3f  macro-F1 %.3f", o.dev.mcc, o.dev.accuracy, o.dev.macroF1))
            lines.append(String(format: "  %d steps, %.0f s training, %.0f tokens/s, %d parameters, vocabulary %d, max length %d",
                                o.steps, o.trainingSeconds, o.tokensPerSecond, r.parameters, r.vocabularySize, r.maxLength)
                         + (r.memoryMode.map { ", memory mode \($0.rawValue)" } ?? ""))
            for c in r.croppedTests ?? [] {
                lines.append(String(format: "  test cut to %d bp: MCC %.3f (%.1f tokens)", c.bases, c.scores.mcc, c.meanTokens))
            }
        } else {
            lines.append("  FAILED: \(r.failure ?? "unknown")")
        }
        if let note = r.taskNote { lines.append("  note: " + note.split(separator: "\n").joined(separator: " ")) }
        text = lines.joined(separator: "\n")
    }
}

extension MemoryModeChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(word: argument) }
    public static var allValueStrings: [String] { words }

    /// The help of every --memory option.
    static let help = "What training keeps for backward: keep (every activation, the fastest), attention (recomputes "
        + "attention's probabilities in backward), layers (recomputes each layer from its input; least memory), or auto "
        + "(the fastest whose memory request fits this machine or Slurm job). Results are the same bit for bit in every "
        + "mode (default: $GENECODING_MEMORY, else keep)."
}
