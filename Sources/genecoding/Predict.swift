import ArgumentParser
import Foundation
import GeneCoding

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Class probabilities of sequences under a trained model, as a TSV.",
        discussion: """
        Input (--input, or standard input): FASTA (multi-line records; the id is the header's first \
        word), a GUE CSV ('sequence,label' or 'sequence' header; with labels, MCC, accuracy and \
        macro-F1 go to standard error), or one sequence a line (ids seq1, seq2, ...). The format is \
        read from the content and named on standard error. Lower case and IUPAC ambiguity codes are \
        read as in training (upper-cased; a token holding an ambiguity code is [UNK]); any other \
        character is an error naming the file, line and column.

        Output (--output, or standard output): a TSV with the header id, prediction, probability_0 \
        ... probability_{C-1}, then label when the input has labels, and windows with --windows; one \
        row per sequence in input order.

        Long sequences: the model reads at most max_position_embeddings tokens ([CLS] and [SEP] \
        included; config.json). By default a longer sequence keeps its first max_position_embeddings \
        - 2 tokens, as in training, and the number cut is printed. With --windows it is scored in \
        overlapping windows: with T = max_position_embeddings - 2 tokens and L the longest token in \
        bases (k for k-mers), the window starting at base s takes the bases s ..< s + T*L, tokenizes \
        them and keeps the first T tokens, covering c bases (T*k for k-mers). The first window \
        starts at base 0, each next one --stride bases later (default: half the window, floor(c/2)), \
        and the last is the first that reaches the sequence's end. The probabilities are the mean \
        over the windows; the prediction is their argmax. A sequence that fits is one window, scored \
        exactly as without --windows.

        Example:
          genecoding predict --model results/checkpoints/<key> --input promoters.fa > predictions.tsv
        """)

    @Option(help: "Model folder (config.json, model.safetensors, tokenizer.json), as train prints it.") var model: String
    @Option(help: "FASTA, CSV or one-sequence-a-line file; - for standard input.") var input: String = "-"
    @Option(help: "TSV file to write; - for standard output.") var output: String = "-"
    @Flag(help: "Score sequences longer than the model's input in overlapping windows, averaging their probabilities.") var windows = false
    @Option(help: "With --windows: bases from one window's start to the next (default: half a window).") var stride: Int?
    @Option(help: "Model inputs per forward pass (fewer for very long inputs).") var batchSize: Int = 64
    @Option(help: "Threads.") var threads: Int = 2

    func validate() throws {
        if let stride, stride < 1 { throw ValidationError("--stride must be a positive number of bases, not \(stride)") }
        if stride != nil && !windows { throw ValidationError("--stride applies to --windows only") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        try reported {
            ComputeThreads.set(threads)
            let folder = try ModelFolder(directory: URL(fileURLWithPath: model))
            for note in folder.notes { say("note: " + note) }
            let sequences = try SequenceInput(path: input)
            let c = folder.configuration
            say("\(sequences.file): \(sequences.format.rawValue), \(Format.plural(sequences.records.count, "sequence"))"
                + (sequences.hasLabels ? " with labels" : ""))
            say("model: \(folder.config.tokenizer.isEmpty ? folder.tokenizer.name : folder.config.tokenizer), \(c.positionEncoding.displayName), "
                + "\(Format.plural(c.layers, "layer")), width \(c.width), \(c.classCount) classes, input up to \(c.maxLength) tokens"
                + (folder.config.task.isEmpty ? "" : ", trained on \(folder.config.task)"))

            var predictor = Predictor(folder)
            predictor.batchSize = batchSize
            // A progress line (in batches) once scoring has taken a few seconds: large inputs only.
            var reporter: ProgressReporter? = nil
            let started = ProcessInfo.processInfo.systemUptime
            let outcome = try predictor.predict(sequences.records, file: sequences.file, windows: windows, stride: stride) { done, total in
                if reporter == nil, done < total, ProcessInfo.processInfo.systemUptime - started > 3 {
                    reporter = ProgressReporter(label: "predict \(sequences.file)", totalSteps: total, startStep: done)
                }
                reporter?.update(step: done, tokens: 0)
            }
            reporter?.finish()

            let T = c.maxLength - 2
            if windows {
                say("scored \(Format.plural(outcome.inputCount, "window")) of up to \(T) tokens"
                    + (stride.map { ", stride \($0) bases" } ?? ", stride half a window"))
                if outcome.uncoveredBases > 0 {
                    say("warning: \(Format.plural(outcome.uncoveredBases, "base")) fell between windows (the stride is longer than a window)")
                }
            } else if outcome.cutCount > 0 {
                say("\(outcome.cutCount) of \(Format.plural(sequences.records.count, "sequence")) had more than \(T) tokens and were cut to their first \(T), "
                    + "as in training (--windows scores them whole)")
            }
            if let scores = outcome.scores {
                say(String(format: "scores on %d labelled sequences: MCC %.4f  accuracy %.4f  macro-F1 %.4f",
                           sequences.records.count, scores.mcc, scores.accuracy, scores.macroF1))
            }
            let text = outcome.tsv(classCount: c.classCount, windows: windows)
            if output == "-" {
                FileHandle.standardOutput.write(Data(text.utf8))
            } else {
                do { try AtomicFile.write(text, to: output) } catch {
                    throw InputError(file: output, "cannot be written: \(error)")
                }
                say("wrote \(output)")
            }
        }
    }

    private func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
