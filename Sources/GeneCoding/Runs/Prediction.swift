// Using a trained model: a model folder read back with its tokenizer, and class probabilities for
// sequences a user brings (`genecoding predict`).
//
// A sequence becomes the model's input exactly as in training and evaluation: the tokenizer of the
// folder (tokenizer.json; for older k-mer folders, the spec in config.json), `[CLS] ids [SEP]`, and
// at most maxLength tokens, so a longer sequence keeps its first maxLength - 2 tokens (the stated
// default policy, counted and reported). Evaluation is without dropout, in batches of sequences
// sorted by length, as `Trainer.evaluate` does, so that the same sequences give the same logits bit
// for bit; results go back to input order.
//
// Windows (`--windows`), for sequences longer than the model's input. Let T = maxLength - 2 tokens
// and L the longest token of the vocabulary in bases (k for k-mers), so that T tokens hold at most
// T·L bases. Window 0 starts at base 0; a window starting at base s takes the text s ..< s + T·L
// (or to the end), tokenizes it, and keeps its first T tokens, framed by [CLS] and [SEP]: the
// window covers the bases of those tokens, c of them (T·k for k-mers, all but the last window).
// The next window starts at s + stride, where stride is the option's number of bases, or half the
// window's covered bases (⌊c/2⌋) by default. The last window is the first that reaches the end of
// the sequence. A sequence that fits the model is one window, the same input as without
// `--windows`. The sequence's probabilities are the mean of its windows' probabilities, and its
// prediction their argmax. A stride longer than a window leaves bases unscored; they are counted.
import Foundation

// MARK: - A model folder

/// A finished model read from its folder (config.json, model.safetensors, tokenizer.json), with the
/// tokenizer that reads its input.
public struct ModelFolder {
    public let directory: URL
    public let model: TransformerClassifier<Float>
    public let tokenizer: any Tokenizer
    /// What config.json says (old or new layout).
    public let config: ModelDescription
    /// What an older folder lacked and how it was filled in, one sentence each.
    public let notes: [String]

    public var configuration: ModelConfiguration { model.configuration }

    public init(directory: URL) throws {
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            // A result reused from a store (the committed results/ among them) has no model beside it:
            // checkpoints are not kept in git.
            let store = ResultStore(root: directory.deletingLastPathComponent().deletingLastPathComponent())
            if FileManager.default.fileExists(atPath: store.recordURL(directory.lastPathComponent).path) {
                throw InputError(file: path, "no such model folder: \(store.recordURL(directory.lastPathComponent).path) holds the run's result but its model was not kept (checkpoints are not committed); train it into another result store, e.g. train ... --results build/models")
            }
            throw InputError(file: path, "no such model folder (train prints it: results/checkpoints/<key>)")
        }
        let configURL = directory.appendingPathComponent(Checkpoint.configFile)
        let weightsURL = directory.appendingPathComponent(Checkpoint.modelFile)
        for url in [configURL, weightsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw InputError(file: url.path, "missing: a model folder holds config.json, model.safetensors and tokenizer.json")
        }
        let record = Self.runRecord(weights: weightsURL)
        let config = try ModelDescription(contentsOf: configURL.path, runRecord: record)
        // Every folder ever written has the "genecoding" block loadModel reads; one without it
        // (edited by hand) gets the configuration derived above.
        var notes = config.derived.map { "\(configURL.path) has no \($0.field) (an older folder): using \($0.value), \($0.source)" }
        if config.hasProjectBlock {
            let loaded = try Checkpoint.loadModel(from: directory)
            model = loaded.model
            if !loaded.sealed { notes.append("\(weightsURL.path) carries no checksum (written before models were sealed): it could not be verified") }
        } else {
            model = try Checkpoint.loadWeights(config.configuration, from: directory)
        }

        let tokenizerURL = directory.appendingPathComponent(Checkpoint.tokenizerFile)
        let tokenizer: any Tokenizer
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            tokenizer = try HuggingFaceTokenizerFile.load(tokenizerURL, name: config.tokenizer.isEmpty ? nil : config.tokenizer)
        } else {
            // An older folder: k-mers had no tokenizer.json (their vocabulary follows from k).
            let spec: TokenizerSpec
            do { spec = try TokenizerSpec.parse(config.tokenizer) } catch {
                throw InputError(file: tokenizerURL.path, "missing, and config.json names no tokenizer to rebuild it from")
            }
            switch spec {
            case .kmer:
                tokenizer = try spec.makeTokenizer(trainingSequences: [])
                notes.append("\(tokenizerURL.path) is missing (an older k-mer folder): using \(spec), whose vocabulary follows from k")
            case .bpe:
                throw InputError(file: tokenizerURL.path, "missing: the BPE vocabulary \(spec) was learned from the training data and is only in this file")
            case let .file(vocabulary):
                tokenizer = try HuggingFaceTokenizerFile.load(URL(fileURLWithPath: vocabulary))
                notes.append("\(tokenizerURL.path) is missing: using \(vocabulary), the file config.json names")
            }
        }
        guard tokenizer.vocabularySize == model.configuration.vocabularySize else {
            throw InputError(file: tokenizerURL.path, "holds \(tokenizer.vocabularySize) tokens but the model (config.json) has \(model.configuration.vocabularySize)")
        }
        self.directory = directory
        self.tokenizer = tokenizer
        self.config = config
        self.notes = notes
    }

    /// The run record of a folder inside a result store (results/checkpoints/<key>/ beside
    /// results/runs/<key>.json), found through the key in the weights' metadata.
    static func runRecord(weights: URL) -> RunRecord? {
        guard let key = try? SafetensorsFile(contentsOf: weights.path).metadata["genecoding_key"] else { return nil }
        let store = ResultStore(root: weights.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        return store.record(key)
    }
}

// MARK: - Windows

/// One model input cut from a sequence: the bases it covers and its ids, [CLS] and [SEP] included.
public struct SequenceWindow: Equatable, Sendable {
    /// First base covered, 0-based.
    public let start: Int
    /// Bases covered.
    public let bases: Int
    public let ids: [Int32]
}

/// Cuts sequences into model inputs for one tokenizer and one model length.
public struct InputCutter: Sendable {
    public let tokenizer: any Tokenizer
    /// The model's longest input, [CLS] and [SEP] included.
    public let maxLength: Int
    /// Tokens of a sequence a window keeps: maxLength - 2.
    public var tokensPerWindow: Int { maxLength - 2 }
    /// The longest token in bases: tokensPerWindow of them hold at most this many bases each.
    public let longestToken: Int?

    public init(tokenizer: any Tokenizer, maxLength: Int) {
        precondition(maxLength >= 3, "a model input holds [CLS], [SEP] and at least one token")
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        switch tokenizer {
        case let kmer as KmerTokenizer: longestToken = kmer.overlapping ? nil : kmer.k
        case let file as WordLevelTokenizer: longestToken = file.pieceLength
        case let bpe as BPETokenizer:
            longestToken = bpe.tokens.dropFirst(SpecialToken.allCases.count).map(\.utf8.count).max() ?? 1
        default: longestToken = nil
        }
    }

    /// The input of the whole sequence, cut like training; `cut` says whether tokens were dropped.
    public func input(_ sequence: String) throws -> (ids: [Int32], cut: Bool) {
        let ids = try tokenizer.encode(sequence)
        return (framed(ids.prefix(tokensPerWindow)), ids.count > tokensPerWindow)
    }

    /// The windows of a sequence (see the file's header); `stride` in bases, nil for half a window.
    public func windows(_ sequence: String, stride: Int? = nil) throws -> [SequenceWindow] {
        guard let longestToken else {
            throw ConfigurationError(message: "windows need a tokenizer that cuts a sequence into consecutive tokens; \(tokenizer.name) does not")
        }
        precondition(stride.map { $0 > 0 } ?? true, "a stride is a positive number of bases")
        let bases = Array(sequence.utf8)
        let reach = tokensPerWindow * longestToken
        var windows: [SequenceWindow] = []
        var start = 0
        while true {
            let text = String(decoding: bases[start..<min(bases.count, start + reach)], as: UTF8.self)
            let kept = try segments(text).prefix(tokensPerWindow)
            let covered = kept.reduce(0) { $0 + $1.bases }
            windows.append(SequenceWindow(start: start, bases: covered, ids: framed(kept.map(\.id))))
            if start + covered >= bases.count { return windows }
            start += stride ?? max(1, covered / 2)
            if start >= bases.count { return windows }
        }
    }

    /// Ids with the bases each covers, in order; the bases add up to the sequence's length.
    func segments(_ sequence: String) throws -> [(id: Int32, bases: Int)] {
        switch tokenizer {
        case let file as WordLevelTokenizer:
            return try file.pieces(sequence)
        case let kmer as KmerTokenizer where !kmer.overlapping:
            let ids = try kmer.encode(sequence)
            let length = sequence.utf8.count
            return ids.enumerated().map { ($1, min(kmer.k, length - $0 * kmer.k)) }
        case let bpe as BPETokenizer:
            // An ambiguity code is a one-base [UNK] of its own (BPETokenizer.swift).
            return try bpe.encode(sequence).map { ($0, $0 == SpecialToken.unknown.rawValue ? 1 : bpe.token(for: $0).utf8.count) }
        default:
            throw ConfigurationError(message: "windows need a tokenizer that cuts a sequence into consecutive tokens; \(tokenizer.name) does not")
        }
    }

    private func framed(_ ids: some Collection<Int32>) -> [Int32] {
        [SpecialToken.classification.rawValue] + ids + [SpecialToken.separator.rawValue]
    }
}

// MARK: - Predictions

public struct SequencePrediction: Sendable {
    public var id: String
    /// The class of highest probability (the first, on a tie).
    public var prediction: Int
    public var probabilities: [Double]
    public var label: Int?
    /// Model inputs the prediction averages: 1 without windows.
    public var windows: Int
    /// True when the sequence was longer than the model's input and was cut (without windows).
    public var cut: Bool
}

public struct PredictionOutcome: Sendable {
    /// One per input record, in input order.
    public var predictions: [SequencePrediction]
    /// Sequences cut to the model's input (without windows).
    public var cutCount: Int
    /// Model inputs scored (sequences, or windows).
    public var inputCount: Int
    /// Bases no window covered (only with a stride longer than a window).
    public var uncoveredBases: Int
    /// MCC, accuracy and macro-F1 against the labels, when every record has one.
    public var scores: ClassificationScores?
}

public struct Predictor {
    public let model: TransformerClassifier<Float>
    public let cutter: InputCutter
    /// Inputs per forward pass; fewer when inputs are long (RunExecutor.evaluationBatch).
    public var batchSize = 64

    public init(model: TransformerClassifier<Float>, tokenizer: any Tokenizer) {
        self.model = model
        cutter = InputCutter(tokenizer: tokenizer, maxLength: model.configuration.maxLength)
    }

    public init(_ folder: ModelFolder) { self.init(model: folder.model, tokenizer: folder.tokenizer) }

    /// Class probabilities of every record. `windows` scores long sequences window by window
    /// (`stride` in bases, nil for half a window); `progress` hears (batches done, batches).
    /// Labels outside the model's classes throw, naming the record's line of `file`.
    public func predict(_ records: [SequenceRecord], file: String = "input", windows: Bool = false, stride: Int? = nil,
                        progress: ((Int, Int) -> Void)? = nil) throws -> PredictionOutcome {
        let classCount = model.configuration.classCount
        for record in records {
            if let label = record.label, label >= classCount {
                throw InputError(file: file, line: record.line, "label \(label) is outside the model's classes 0 to \(classCount - 1)")
            }
        }
        // Every model input, with the record it belongs to.
        var inputs: [[Int32]] = [], owners: [Int] = []
        var cut = [Bool](repeating: false, count: records.count)
        var uncovered = 0
        for (index, record) in records.enumerated() {
            do {
                if windows {
                    let pieces = try cutter.windows(record.sequence, stride: stride)
                    var reached = 0  // windows come in order of their start
                    for window in pieces {
                        uncovered += max(0, window.start - reached)
                        reached = max(reached, window.start + window.bases)
                    }
                    uncovered += record.sequence.utf8.count - reached
                    for piece in pieces { inputs.append(piece.ids); owners.append(index) }
                } else {
                    let (ids, wasCut) = try cutter.input(record.sequence)
                    inputs.append(ids)
                    owners.append(index)
                    cut[index] = wasCut
                }
            } catch let error as AlphabetError {
                throw InputError(file: file, line: record.line, "\(error)")
            }
        }

        // Batches of inputs sorted by length, as Trainer.evaluate makes them.
        let byLength = (0..<inputs.count).sorted { inputs[$0].count < inputs[$1].count }
        let size = min(batchSize, RunExecutor.evaluationBatch(longest: inputs.map(\.count).max() ?? 1))
        let batches = (inputs.count + size - 1) / size
        var sums = [[Double]](repeating: [Double](repeating: 0, count: classCount), count: records.count)
        var counts = [Int](repeating: 0, count: records.count)
        for (batchIndex, start) in Swift.stride(from: 0, to: byLength.count, by: size).enumerated() {
            let indices = byLength[start..<min(start + size, byLength.count)]
            let batch = TokenBatch(sequences: indices.map { inputs[$0] }, labels: indices.map { _ in 0 })
            let logits = model.logits(batch)
            for (row, input) in indices.enumerated() {
                let probabilities = Self.softmax(Array(UnsafeBufferPointer(start: logits.pointer + row * classCount, count: classCount)))
                for k in 0..<classCount { sums[owners[input]][k] += probabilities[k] }
                counts[owners[input]] += 1
            }
            progress?(batchIndex + 1, batches)
        }

        let predictions = records.enumerated().map { index, record -> SequencePrediction in
            let probabilities = sums[index].map { $0 / Double(counts[index]) }
            return SequencePrediction(id: record.id, prediction: Self.argmax(probabilities), probabilities: probabilities,
                                      label: record.label, windows: counts[index], cut: cut[index])
        }
        let labelled = !records.isEmpty && records.allSatisfy { $0.label != nil }
        let scores = labelled ? ClassificationScores(truth: records.map { $0.label! }, prediction: predictions.map(\.prediction)) : nil
        return PredictionOutcome(predictions: predictions, cutCount: cut.filter { $0 }.count, inputCount: inputs.count,
                                 uncoveredBases: uncovered, scores: scores)
    }

    /// softmax of Float logits, in Double.
    static func softmax(_ logits: [Float]) -> [Double] {
        let largest = Double(logits.max()!)
        let exps = logits.map { Foundation.exp(Double($0) - largest) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// The first index of the largest value, as TransformerClassifier.predictions picks.
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for k in 1..<values.count where values[k] > values[best] { best = k }
        return best
    }
}

// MARK: - The TSV

extension PredictionOutcome {
    /// A header line, then one line per sequence in input order: id, prediction, probability_0 ...
    /// probability_{K-1} (fixed decimals, fine enough to compare two implementations at 1e-6),
    /// then `label` when the input had labels and `windows` when windows were scored.
    public func tsv(classCount: Int, windows: Bool) -> String {
        let labelled = scores != nil
        var header = ["id", "prediction"] + (0..<classCount).map { "probability_\($0)" }
        if labelled { header.append("label") }
        if windows { header.append("windows") }
        var lines = [header.joined(separator: "\t")]
        lines.reserveCapacity(predictions.count + 1)
        for p in predictions {
            var fields = [p.id, String(p.prediction)] + p.probabilities.map { String(format: "%.8f", $0) }
            if labelled { fields.append(p.label.map(String.init) ?? "") }
            if windows { fields.append(String(p.windows)) }
            lines.append(fields.joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
