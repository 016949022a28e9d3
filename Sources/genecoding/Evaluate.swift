import ArgumentParser
import Foundation
import GeneCoding

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a stored model on a split of a task.",
        discussion: """
        The model folder is the one `train` prints (results/checkpoints/<key>), holding model.safetensors
        and config.json. The weights carry checksums of themselves, of config.json and of tokenizer.json:
        a damaged or edited file is refused with its name (exit status 1) rather than scored.
        """)

    @OptionGroup var data: DataOptions
    @Option(help: "Folder with model.safetensors and config.json.") var model: String
    @Option(help: "GUE task (default: the one the model was trained on).") var task: String?
    @Option(help: "Split: train, dev or test.") var split: String = "test"
    @Option(help: "Tokenizer spec (default: the model's).") var tokenizer: String?
    @Option(parsing: .unconditional, help: "Threads.") var threads: Int = 2

    func run() throws {
        try reported {
            try RunExecutor.validate(threads: threads)
            ComputeThreads.set(threads)
            let directory = URL(fileURLWithPath: model)
            let loaded = try StoredModel(directory: directory)
            if !loaded.verified {
                FileHandle.standardError.write(Data("warning: \(directory.path)/model.safetensors carries no checksum (written before models were sealed); it is scored unverified\n".utf8))
            }
            let taskName = try Run.normalizedTaskName(task ?? loaded.task)
            let executor = RunExecutor(gue: try data.benchmark(), store: data.store())
            let t = try executor.task(taskName)
            guard let rows = ["train": t.train, "dev": t.dev, "test": t.test][split] else {
                throw ValidationError("unknown split '\(split)'; the splits are train, dev, test")
            }
            let tokenizerText = tokenizer ?? loaded.tokenizer
            let tok: any Tokenizer
            if tokenizer == nil, let vocabulary = loaded.vocabularyFile { tok = try HuggingFaceTokenizerFile.load(vocabulary) }
            else {
                var run = Run(task: taskName, tokenizer: try TokenizerSpec.parse(tokenizerText), profile: .default, seed: 1)
                run.tokenizerTrainingLimit = nil
                tok = try executor.tokenizer(for: run)
            }
            // Ids past the model's vocabulary, or labels past its classes, have no row to read.
            let configuration = loaded.model.configuration
            guard tok.vocabularySize <= configuration.vocabularySize else {
                throw CommandFailure(description: "the tokenizer \(tokenizerText) has \(tok.vocabularySize) ids but the model in \(directory.path) "
                                     + "knows \(configuration.vocabularySize): give the tokenizer it was trained with")
            }
            guard t.classCount <= configuration.classCount else {
                throw CommandFailure(description: "\(taskName) has \(t.classCount) classes but the model in \(directory.path) predicts "
                                     + "\(configuration.classCount): give a task it was trained for")
            }
            let encoded = EncodedSplit(sequences: try rows.rows.map { try tok.encodeForModel($0.sequence, maxLength: loaded.model.configuration.maxLength) },
                                       labels: rows.labels)
            let result = Trainer.evaluate(loaded.model, encoded)
            print(String(format: "%@ %@ (%d sequences): MCC %.4f  accuracy %.4f  macro-F1 %.4f  loss %.4f", taskName, split,
                         encoded.count, result.scores.mcc, result.scores.accuracy, result.scores.macroF1, result.loss))
        }
    }
}
