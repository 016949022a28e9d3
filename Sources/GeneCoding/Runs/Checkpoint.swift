// Checkpoints in the safetensors format, with a config.json beside them.
//
// During training, `state.safetensors` holds everything needed to continue exactly: parameters
// (`param/<name>`), the best-on-dev parameters (`best/<name>`) and AdamW's moments
// (`adam_m/<name>`, `adam_v/<name>`), with the trainer's counters and curves as JSON in its
// metadata. It is one file, rewritten atomically after every epoch, so a kill at any instant
// leaves the previous epoch's state or this one's, never half of each. It is sealed (a SHA-256 of
// every tensor and of the counters, see `SafetensorsFile.sealed`) and checked when it is read: a
// damaged or edited state (random bytes, a NaN, a scaled tensor, an edited step counter) is refused
// with the file named, and the run starts again from scratch (see `RunExecutor`).
//
// When the run ends, `model.safetensors` is written: the best parameters alone, under Hugging Face
// BERT names, which a PyTorch user loads with `safetensors.torch.load_file`, beside `config.json`
// (every convention a loader needs, ConfigFile.swift) and `tokenizer.json` (Hugging Face `tokenizers`,
// the model's exact ids); scripts/genecoding_torch.py builds the model from the three in PyTorch. The
// model is sealed too, and records the SHA-256 of the config.json and tokenizer.json beside it, so
// that `StoredModel` refuses a model whose weights, configuration or vocabulary were changed.
// The state is removed only after the model and the run's record are on disk (`removeState`).
import Foundation

enum Checkpoint {
    static let stateFile = "state.safetensors"
    /// Where the counters lived before they moved into the state's metadata; removed with the state.
    static let trainerFile = "trainer.json"
    static let modelFile = "model.safetensors"
    static let configFile = "config.json"
    static let tokenizerFile = "tokenizer.json"
    /// A damaged state is moved here (one kept, for a person to look at) before the run starts over.
    static let damagedStateFile = "state.damaged.safetensors"

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
        /// Wall seconds the run had spent when this state was saved, over every process that got it
        /// here (time a killed process spent after its last checkpoint is not counted: it was redone).
        var wallSeconds: Double?
    }

    /// What reading a checkpoint found.
    enum Loaded {
        /// No checkpoint: the run starts from scratch.
        case none
        case state(TrainerState<Float>, wallSeconds: Double)
        /// A checkpoint that cannot be trusted: the file, and what is wrong with it.
        case damaged(file: String, reason: String)

        /// The state, when one was read and trusted.
        var trainerState: TrainerState<Float>? {
            if case let .state(state, _) = self { return state }
            return nil
        }
    }

    static func saveState(_ state: TrainerState<Float>, key: String, order: [String], wallSeconds: Double, to directory: URL) throws {
        var entries: [SafetensorsFile.Entry] = []
        for (name, (m, v)) in zip(order, state.moments) {
            guard let p = state.parameters[name], let b = state.bestParameters[name] else {
                throw ConfigurationError(message: "checkpoint of \(key): the trainer's state has no parameter \(name)")
            }
            for (prefix, t) in [("param/", p), ("best/", b), ("adam_m/", m), ("adam_v/", v)] {
                entries.append(.init(name: prefix + name, shape: t.shape, values: t.values))
            }
        }
        let counters = Counters(key: key, epochsDone: state.epochsDone, step: state.step, bestEpoch: state.bestEpoch,
                                bestDevMCC: state.bestDevMCC, evaluations: state.evaluations, lossCurve: state.lossCurve,
                                trainingSeconds: state.trainingSeconds, trainedTokens: state.trainedTokens,
                                pretrainingEpochs: state.pretrainingEpochs, wallSeconds: wallSeconds)
        let countersJSON = String(decoding: try ResultStore.compactEncoder.encode(counters), as: UTF8.self)
        try SafetensorsFile(tensors: entries, metadata: ["epochs_done": "\(state.epochsDone)", "key": key, "counters": countersJSON])
            .sealed().write(to: directory.appendingPathComponent(stateFile).path)
    }

    /// The saved state of run `key`: none, the state, or why the file there cannot be trusted. A state
    /// of another run (another key) counts as none, as before: the folder is named by the key.
    static func loadState(key: String, order: [String], shapes: [String: [Int]], from directory: URL) -> Loaded {
        let path = directory.appendingPathComponent(stateFile).path
        guard FileManager.default.fileExists(atPath: path) else { return .none }
        func damaged(_ reason: String) -> Loaded { .damaged(file: path, reason: reason) }
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(contentsOf: path)
            try file.verifySeal(file: path)
        } catch let error as InputError {
            return damaged(error.message)
        } catch {
            return damaged("\(error)")
        }
        guard file.metadata["key"] == key else { return .none }
        guard let text = file.metadata["counters"],
              let counters = try? ResultStore.decoder.decode(Counters.self, from: Data(text.utf8)) else {
            return damaged("its metadata holds no readable trainer counters")
        }
        guard counters.key == key, file.metadata["epochs_done"] == "\(counters.epochsDone)" else {
            return damaged("its counters (epoch \(counters.epochsDone), run \(counters.key.prefix(12))) disagree with its tensors' metadata")
        }
        if let (name, index) = file.firstNonFinite() {
            return damaged("tensor \(name) holds a non-finite value at index \(index)")
        }
        var tensors: [String: Tensor<Float>] = [:]
        for prefix in ["param/", "best/", "adam_m/", "adam_v/"] {
            for name in order {
                guard let e = file[prefix + name] else { return damaged("no tensor \(prefix + name)") }
                guard e.shape == shapes[name] else {
                    return damaged("tensor \(prefix + name) has shape \(e.shape), the model's is \(shapes[name] ?? [])")
                }
                tensors[prefix + name] = Tensor(shape: e.shape, values: e.values)
            }
        }
        func group(_ prefix: String) -> [String: Tensor<Float>] {
            Dictionary(uniqueKeysWithValues: order.map { ($0, tensors[prefix + $0]!) })
        }
        let moments = order.map { (m: tensors["adam_m/" + $0]!, v: tensors["adam_v/" + $0]!) }
        let state = TrainerState(epochsDone: counters.epochsDone, step: counters.step, parameters: group("param/"), moments: moments,
                                 bestParameters: group("best/"), bestEpoch: counters.bestEpoch, bestDevMCC: counters.bestDevMCC,
                                 evaluations: counters.evaluations, lossCurve: counters.lossCurve,
                                 trainingSeconds: counters.trainingSeconds, trainedTokens: counters.trainedTokens,
                                 pretrainingEpochs: counters.pretrainingEpochs)
        return .state(state, wallSeconds: counters.wallSeconds ?? 0)
    }

    /// Moves a damaged state aside (keeping the latest one for inspection), so the run starts over.
    static func setAsideDamagedState(in directory: URL) {
        let damaged = directory.appendingPathComponent(damagedStateFile)
        try? FileManager.default.removeItem(at: damaged)
        try? FileManager.default.moveItem(at: directory.appendingPathComponent(stateFile), to: damaged)
    }

    /// Removes the training state once the run's result is safely stored.
    static func removeState(from directory: URL) {
        for leftover in [stateFile, trainerFile] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(leftover))
        }
    }

    /// The finished model: parameters under their Hugging Face names, a config.json that says
    /// everything a loader needs (ConfigFile.swift), and the `tokenizer.json` of `tokenizer` with the
    /// model's truncation, when Hugging Face `tokenizers` can reproduce it (all but overlapping k-mers).
    /// The weights are written last and sealed with the SHA-256 of config.json and tokenizer.json.
    /// Returns the SHA-256 of model.safetensors.
    @discardableResult
    static func saveModel(_ model: TransformerClassifier<Float>, run: Run, key: String, tokenizer: (any Tokenizer)? = nil,
                          to directory: URL) throws -> String {
        let tokenizerURL = directory.appendingPathComponent(tokenizerFile)
        let written = try tokenizer.map { try writeTokenizer($0, maxLength: model.configuration.maxLength, to: tokenizerURL) } ?? false
        if !written { try? FileManager.default.removeItem(at: tokenizerURL) }
        let tokenizerNote: String? = written ? nil : tokenizer.map { "\($0.name) has no Hugging Face tokenizers equivalent (overlapping k-mers cannot be cut by a pre-tokenizer); use genecoding predict" }
            ?? "the tokenizer was not given when the model was saved"
        let config = try configJSON(model.configuration, run: run, key: key, tokenizerFile: written ? tokenizerFile : nil,
                                    tokenizerNote: tokenizerNote)
        try AtomicFile.write(config, to: directory.appendingPathComponent(configFile).path)
        var metadata = ["format": "pt", "genecoding_key": key, "config_sha256": SHA256.hexDigest(config)]
        if written { metadata["tokenizer_sha256"] = try SHA256.hexDigest(ofFile: tokenizerURL) }
        let entries = model.parameters.all.map { SafetensorsFile.Entry(name: $0.name, shape: $0.value.shape, values: $0.value.values) }
        let bytes = SafetensorsFile(tensors: entries, metadata: metadata).sealed().encoded()
        try AtomicFile.write(bytes, to: directory.appendingPathComponent(modelFile).path)
        return SHA256.hexDigest(bytes)
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

    /// A finished model read back and checked: configuration and parameters, with the config.json's
    /// GeneCoding section. Every problem names its file. A sealed model must match its seal, its
    /// config.json and its tokenizer.json; an unsealed one (written before models were sealed) loads
    /// with `sealed` false, and callers say that it could not be verified.
    static func loadModel(from directory: URL) throws -> (model: TransformerClassifier<Float>, extra: [String: Any], sealed: Bool) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw InputError(file: directory.path, "no such model folder (`genecoding train` prints the folder of the model it stored)")
        }
        guard isDirectory.boolValue else {
            throw InputError(file: directory.path, "is a file; give the folder that holds \(modelFile) and \(configFile)")
        }
        let configPath = directory.appendingPathComponent(configFile).path
        let configBytes = try readFile(configPath, what: "the model's configuration")
        let json: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: configBytes) as? [String: Any] else {
                throw InputError(file: configPath, "is not a JSON object")
            }
            json = object
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: configPath, "is not valid JSON (\(error.localizedDescription))")
        }
        guard let extra = json["genecoding"] as? [String: Any] else {
            throw InputError(file: configPath, "has no \"genecoding\" section: not a config.json written by genecoding train")
        }
        func int(_ k: String) throws -> Int {
            guard let v = json[k] as? Int else { throw InputError(file: configPath, "\(k) is missing or not a whole number") }
            return v
        }
        func choice<T: RawRepresentable & CaseIterable>(_ k: String, _: T.Type) throws -> T where T.RawValue == String {
            guard let raw = extra[k] as? String, let v = T(rawValue: raw) else {
                throw InputError(file: configPath, "genecoding.\(k) is missing or not one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return v
        }
        let configuration = ModelConfiguration(
            vocabularySize: try int("vocab_size"), classCount: try int("num_labels"), maxLength: try int("max_position_embeddings"),
            width: try int("hidden_size"), heads: try int("num_attention_heads"), feedForwardWidth: try int("intermediate_size"),
            layers: try int("num_hidden_layers"), positionEncoding: try choice("position_encoding", PositionEncoding.self),
            normPlacement: try choice("norm_placement", NormPlacement.self), pooling: try choice("pooling", Pooling.self),
            dropout: json["hidden_dropout_prob"] as? Double ?? 0, causal: extra["causal"] as? Bool ?? false,
            layerNormEpsilon: json["layer_norm_eps"] as? Double ?? 1e-12)
        do { try configuration.validate() } catch let error as ConfigurationError {
            throw InputError(file: configPath, "describes a model that cannot be built: \(error.message)")
        }

        let weightsPath = directory.appendingPathComponent(modelFile).path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw InputError(file: weightsPath, "missing: the model folder holds no weights")
        }
        let file = try SafetensorsFile(contentsOf: weightsPath)
        if file.isSealed {
            try file.verifySeal(file: weightsPath)
            guard file.metadata["config_sha256"] == SHA256.hexDigest(configBytes) else {
                throw InputError(file: configPath, "does not belong to \(weightsPath): its SHA-256 is not the one the weights record (edited or replaced)")
            }
            let tokenizerPath = directory.appendingPathComponent(tokenizerFile).path
            if let recorded = file.metadata["tokenizer_sha256"] {
                let bytes = try readFile(tokenizerPath, what: "the vocabulary the model was trained with")
                guard recorded == SHA256.hexDigest(bytes) else {
                    throw InputError(file: tokenizerPath, "does not belong to \(weightsPath): its SHA-256 is not the one the weights record (edited or replaced)")
                }
            }
        }
        if let (name, index) = file.firstNonFinite() {
            throw InputError(file: weightsPath, "tensor \(name) holds a non-finite value at index \(index)")
        }
        let model = try TransformerClassifier<Float>(configuration, seed: 0)
        for p in model.parameters.all {
            guard let e = file[p.name] else { throw InputError(file: weightsPath, "no tensor \(p.name)") }
            guard e.shape == p.value.shape else { throw InputError(file: weightsPath, "\(p.name) has shape \(e.shape), expected \(p.value.shape)") }
            e.values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.value.count) }
        }
        return (model, extra, file.isSealed)
    }

    /// The bytes of a file a model needs, or an error that names it and says what it is for.
    static func readFile(_ path: String, what: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "missing (\(what))")
        }
        guard !isDirectory.boolValue else { throw InputError(file: path, "is a folder, not a file (\(what))") }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot be read: \(error.localizedDescription)")
        }
    }
}

extension Checkpoint {
    /// The weights of model.safetensors in `directory` under a configuration given by the caller:
    /// for a config.json too old for `loadModel` (no "genecoding" block; ModelFolder derives it).
    static func loadWeights(_ configuration: ModelConfiguration, from directory: URL) throws -> TransformerClassifier<Float> {
        let model = try TransformerClassifier<Float>(configuration, seed: 0)
        let weightsPath = directory.appendingPathComponent(modelFile).path
        let file = try SafetensorsFile(contentsOf: weightsPath)
        if file.metadata[SafetensorsFile.sealKey] != nil { try file.verifySeal(file: weightsPath) }
        for p in model.parameters.all {
            guard let e = file[p.name] else { throw InputError(file: weightsPath, "no tensor \(p.name)") }
            guard e.shape == p.value.shape else { throw InputError(file: weightsPath, "\(p.name) has shape \(e.shape), expected \(p.value.shape)") }
            e.values.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.value.count) }
        }
        return model
    }
}

/// A finished model as `train` leaves it: weights, configuration and, for BPE, its vocabulary,
/// checked against the checksums the weights carry.
public struct StoredModel {
    public let model: TransformerClassifier<Float>
    public let task: String
    public let tokenizer: String
    /// The BPE vocabulary the model was trained with (tokenizer.json beside the weights), if any.
    public let vocabularyFile: URL?
    /// Whether the weights carried checksums and matched them (false only for models written before
    /// models were sealed, which load unverified).
    public let verified: Bool

    public init(directory: URL) throws {
        let loaded = try Checkpoint.loadModel(from: directory)
        model = loaded.model
        verified = loaded.sealed
        task = loaded.extra["task"] as? String ?? ""
        tokenizer = loaded.extra["tokenizer"] as? String ?? ""
        let vocabulary = directory.appendingPathComponent(Checkpoint.tokenizerFile)
        vocabularyFile = FileManager.default.fileExists(atPath: vocabulary.path) ? vocabulary : nil
    }
}
