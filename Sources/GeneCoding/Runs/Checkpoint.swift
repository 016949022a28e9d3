// Checkpoints in the safetensors format, with a config.json beside them.
//
// During training, `state.safetensors` holds everything needed to continue exactly: parameters
// (`param/<name>`), the best-on-dev parameters (`best/<name>`) and AdamW's moments
// (`adam_m/<name>`, `adam_v/<name>`), with the trainer's counters and curves in `trainer.json`.
// It is rewritten atomically after every epoch. When the run ends it is replaced by
// `model.safetensors`: the best parameters alone, under Hugging Face BERT names, which a PyTorch
// user loads with `safetensors.torch.load_file`, beside `config.json` (every convention a loader
// needs, ConfigFile.swift) and `tokenizer.json` (Hugging Face `tokenizers`, the model's exact ids).
// scripts/genecoding_torch.py builds the model from the three in PyTorch.
import Foundation

enum Checkpoint {
    static let stateFile = "state.safetensors"
    static let trainerFile = "trainer.json"
    static let modelFile = "model.safetensors"
    static let configFile = "config.json"
    static let tokenizerFile = "tokenizer.json"

    /// The trainer's counters and curves: the part of its state that is not a tensor.
    struct Counters: Codable {
        var key: String
        var epochsDone: Int
        var step: Int
        var bestEpoch: Int
        var bestDevMCC: Double
        var evaluations: [Evaluation]
        var lossCurve: [Double]
        var trainingSeconds: Double
        var trainedTokens: Int
        /// Pretraining's per-epoch held-out scores (absent for a classification run).
        var pretrainingEpochs: [PretrainingEpoch]?
    }

    static func saveState(_ state: TrainerState<Float>, key: String, order: [String], to directory: URL) throws {
        var entries: [SafetensorsFile.Entry] = []
        for (name, (m, v)) in zip(order, state.moments) {
            for (prefix, t) in [("param/", state.parameters[name]!), ("best/", state.bestParameters[name]!), ("adam_m/", m), ("adam_v/", v)] {
                entries.append(.init(name: prefix + name, shape: t.shape, values: t.values))
            }
        }
        // Tensors first, counters second: a kill between the two leaves counters of the previous
        // epoch beside tensors of this one, which `loadState` detects (the epoch is stored in both).
        try SafetensorsFile(tensors: entries, metadata: ["epochs_done": "\(state.epochsDone)", "key": key])
            .write(to: directory.appendingPathComponent(stateFile).path)
        let counters = Counters(key: key, epochsDone: state.epochsDone, step: state.step, bestEpoch: state.bestEpoch,
                                bestDevMCC: state.bestDevMCC, evaluations: state.evaluations, lossCurve: state.lossCurve,
                                trainingSeconds: state.trainingSeconds, trainedTokens: state.trainedTokens,
                                pretrainingEpochs: state.pretrainingEpochs)
        try AtomicFile.write(try ResultStore.encoder.encode(counters), to: directory.appendingPathComponent(trainerFile).path)
    }

    /// The saved state of run `key`, or nil when there is none or it does not belong together.
    static func loadState(key: String, order: [String], shapes: [String: [Int]], from directory: URL) -> TrainerState<Float>? {
        let countersURL = directory.appendingPathComponent(trainerFile)
        guard let data = FileManager.default.contents(atPath: countersURL.path),
              let counters = try? ResultStore.decoder.decode(Counters.self, from: data), counters.key == key,
              let file = try? SafetensorsFile(contentsOf: directory.appendingPathComponent(stateFile).path),
              file.metadata["key"] == key, file.metadata["epochs_done"] == "\(counters.epochsDone)"
        else { return nil }
        func tensor(_ name: String) -> Tensor<Float>? {
            guard let e = file[name], e.shape == shapes[String(name.split(separator: "/", maxSplits: 1)[1])] else { return nil }
            return Tensor(shape: e.shape, values: e.values)
        }
        var parameters: [String: Tensor<Float>] = [:], best: [String: Tensor<Float>] = [:]
        var moments: [(m: Tensor<Float>, v: Tensor<Float>)] = []
        for name in order {
            guard let p = tensor("param/" + name), let b = tensor("best/" + name),
                  let m = tensor("adam_m/" + name), let v = tensor("adam_v/" + name) else { return nil }
            parameters[name] = p
            best[name] = b
            moments.append((m, v))
        }
        return TrainerState(epochsDone: counters.epochsDone, step: counters.step, parameters: parameters, moments: moments,
                            bestParameters: best, bestEpoch: counters.bestEpoch, bestDevMCC: counters.bestDevMCC,
                            evaluations: counters.evaluations, lossCurve: counters.lossCurve,
                            trainingSeconds: counters.trainingSeconds, trainedTokens: counters.trainedTokens,
                            pretrainingEpochs: counters.pretrainingEpochs)
    }

    /// The finished model: parameters under their Hugging Face names, a config.json that says
    /// everything a loader needs (ConfigFile.swift), and the `tokenizer.json` of `tokenizer` with the
    /// model's truncation, when Hugging Face `tokenizers` can reproduce it (all but overlapping k-mers).
    static func saveModel(_ model: TransformerClassifier<Float>, run: Run, key: String, tokenizer: (any Tokenizer)? = nil,
                          to directory: URL) throws {
        let entries = model.parameters.all.map { SafetensorsFile.Entry(name: $0.name, shape: $0.value.shape, values: $0.value.values) }
        try SafetensorsFile(tensors: entries, metadata: ["format": "pt", "genecoding_key": key])
            .write(to: directory.appendingPathComponent(modelFile).path)
        let tokenizerURL = directory.appendingPathComponent(tokenizerFile)
        let written = try tokenizer.map { try writeTokenizer($0, maxLength: model.configuration.maxLength, to: tokenizerURL) } ?? false
        if !written { try? FileManager.default.removeItem(at: tokenizerURL) }
        let tokenizerNote: String? = written ? nil : tokenizer.map { "\($0.name) has no Hugging Face tokenizers equivalent (overlapping k-mers cannot be cut by a pre-tokenizer); use genecoding predict" }
            ?? "the tokenizer was not given when the model was saved"
        try AtomicFile.write(try configJSON(model.configuration, run: run, key: key, tokenizerFile: written ? tokenizerFile : nil,
                                            tokenizerNote: tokenizerNote),
                             to: directory.appendingPathComponent(configFile).path)
        for leftover in [stateFile, trainerFile] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(leftover))
        }
    }

    /// Writes the tokenizer.json of a model folder; false when the tokenizer has no HF form.
    static func writeTokenizer(_ tokenizer: any Tokenizer, maxLength: Int, to url: URL) throws -> Bool {
        switch tokenizer {
        case let bpe as BPETokenizer:
            try bpe.write(to: url, forModelWithMaxLength: maxLength)
        case let kmer as KmerTokenizer where kmer.hasHuggingFaceEquivalent:
            try kmer.write(to: url, forModelWithMaxLength: maxLength)
        case let wordLevel as WordLevelTokenizer:
            try wordLevel.write(to: url, forModelWithMaxLength: maxLength)
        default:
            return false
        }
        return true
    }

    static func configJSON(_ c: ModelConfiguration, run: Run, key: String? = nil, tokenizerFile: String? = Checkpoint.tokenizerFile,
                           tokenizerNote: String? = nil) throws -> Data {
        try JSONSerialization.data(withJSONObject: ConfigFile.object(c, run: run, key: key, tokenizerFile: tokenizerFile, tokenizerNote: tokenizerNote),
                                   options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// A finished model read back: configuration and parameters.
    static func loadModel(from directory: URL) throws -> TransformerClassifier<Float> {
        let configPath = directory.appendingPathComponent(configFile).path
        guard let data = FileManager.default.contents(atPath: configPath),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let extra = json["genecoding"] as? [String: Any] else {
            throw InputError(file: configPath, "missing or not a GeneCoding config.json")
        }
        func int(_ k: String) throws -> Int {
            guard let v = json[k] as? Int else { throw InputError(file: configPath, "missing integer \(k)") }
            return v
        }
        func choice<T: RawRepresentable>(_ k: String, _: T.Type) throws -> T where T.RawValue == String {
            guard let raw = extra[k] as? String, let v = T(rawValue: raw) else { throw InputError(file: configPath, "bad \(k)") }
            return v
        }
        let configuration = ModelConfiguration(
            vocabularySize: try int("vocab_size"), classCount: try int("num_labels"), maxLength: try int("max_position_embeddings"),
            width: try int("hidden_size"), heads: try int("num_attention_heads"), feedForwardWidth: try int("intermediate_size"),
            layers: try int("num_hidden_layers"), positionEncoding: try choice("position_encoding", PositionEncoding.self),
            normPlacement: try choice("norm_placement", NormPlacement.self), pooling: try choice("pooling", Pooling.self),
            dropout: json["hidden_dropout_prob"] as? Double ?? 0, causal: extra["causal"] as? Bool ?? false,
            layerNormEpsilon: json["layer_norm_eps"] as? Double ?? 1e-12)
        let model = try TransformerClassifier<Float>(configuration, seed: 0)
        let weightsPath = directory.appendingPathComponent(modelFile).path
        let file = try SafetensorsFile(contentsOf: weightsPath)
        for p in model.parameters.all {
            guard let e = file[p.name] else { throw InputError(file: weightsPath, "no tensor \(p.name)") }
            guard e.shape == p.value.shape else { throw InputError(file: weightsPath, "\(p.name) has shape \(e.shape), expected \(p.value.shape)") }
            e.values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.value.count) }
        }
        return model
    }
}

extension Checkpoint {
    /// The weights of model.safetensors in `directory` under a configuration given by the caller:
    /// for a config.json too old for `loadModel` (no "genecoding" block; ModelFolder derives it).
    static func loadWeights(_ configuration: ModelConfiguration, from directory: URL) throws -> TransformerClassifier<Float> {
        let model = try TransformerClassifier<Float>(configuration, seed: 0)
        let weightsPath = directory.appendingPathComponent(modelFile).path
        let file = try SafetensorsFile(contentsOf: weightsPath)
        for p in model.parameters.all {
            guard let e = file[p.name] else { throw InputError(file: weightsPath, "no tensor \(p.name)") }
            guard e.shape == p.value.shape else { throw InputError(file: weightsPath, "\(p.name) has shape \(e.shape), expected \(p.value.shape)") }
            e.values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.value.count) }
        }
        return model
    }
}

/// A finished model as `train` leaves it: weights, configuration and, for BPE, its vocabulary.
public struct StoredModel {
    public let model: TransformerClassifier<Float>
    public let task: String
    public let tokenizer: String
    /// The BPE vocabulary the model was trained with (tokenizer.json beside the weights), if any.
    public let vocabularyFile: URL?

    public init(directory: URL) throws {
        model = try Checkpoint.loadModel(from: directory)
        let configPath = directory.appendingPathComponent(Checkpoint.configFile).path
        let json = try JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: configPath)!) as? [String: Any]
        let extra = json?["genecoding"] as? [String: Any] ?? [:]
        task = extra["task"] as? String ?? ""
        tokenizer = extra["tokenizer"] as? String ?? ""
        let vocabulary = directory.appendingPathComponent(Checkpoint.tokenizerFile)
        vocabularyFile = FileManager.default.fileExists(atPath: vocabulary.path) ? vocabulary : nil
    }
}
