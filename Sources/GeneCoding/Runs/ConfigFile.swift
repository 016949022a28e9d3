// The config.json of a model folder: everything a loader outside this project needs to rebuild the
// model from model.safetensors and feed it as training did, in one file.
//
// Top level: Hugging Face's usual field names where they mean the same thing here (vocab_size,
// hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, hidden_act,
// max_position_embeddings, layer_norm_eps, num_labels, id2label, the special token ids). Everything
// specific to this project sits under "genecoding": the position encoding with its exact convention,
// norm placement, pooling, the causal mask, and how a DNA string becomes the model's input.
//
// `model_type` is "genecoding-encoder", which no version of `transformers` knows: AutoModel refuses
// the folder instead of building a BERT around our tensors, silently missing the RoPE or ALiBi its
// attention needs and re-initialising weights whose names lack the `bert.` prefix. When the model
// *is* exactly BERT (learned positions, post-norm, [CLS] with the tanh pooler, not causal),
// "genecoding.equivalent_hf_class" says so and how to map the tensors (the `bert.` prefix and a zero
// token-type row: we have no segment embeddings); scripts/interop-check.sh loads such a model with
// `transformers.BertForSequenceClassification` and checks the logits agree.
//
// Older folders (written before this file existed) have a shorter config.json: the `genecoding`
// block holds only position_encoding, norm_placement, pooling, causal, tokenizer, task and engine,
// and k-mer models have no tokenizer.json. They still load: `ModelDescription` fills what is missing
// (see its fields), and `ModelFolder` makes the k-mer tokenizer from the spec.
import Foundation

enum ConfigFile {
    /// The version of this layout; an older file has none (version 1).
    static let format = 2

    static func object(_ c: ModelConfiguration, run: Run, key: String?, tokenizerFile: String?, tokenizerNote: String?) -> [String: Any] {
        let labels = (0..<c.classCount).map(String.init)
        var project: [String: Any] = [
            "format": format,
            "task": run.task, "tokenizer": run.tokenizer.description, "engine": engineVersion,
            "tokenizer_file": tokenizerFile ?? NSNull(),
            "special_tokens": Dictionary(uniqueKeysWithValues: SpecialToken.allCases.map { ($0.text, Int($0.rawValue)) }),
            "input": [
                "alphabet": "A C G T; lower case is upper-cased; the IUPAC ambiguity codes "
                    + Alphabet.ambiguityCodes.sorted().map { String(UnicodeScalar($0)) }.joined(separator: " ")
                    + " (either case) become N, and a token holding N is [UNK]; any other character is an error",
                "framing": "[CLS] tokens [SEP]",
                "truncation": "sequences of more than max_position_embeddings - 2 tokens keep their first max_position_embeddings - 2 tokens",
                "padding": "[PAD] after the last token; padded keys are masked out of attention (to -inf before the softmax) and padded tokens out of pooling",
            ] as [String: Any],
            "training_max_tokens": run.maxTokens,
            "position_encoding": c.positionEncoding.rawValue,
            "position_encoding_details": positionDetails(c),
            "norm_placement": c.normPlacement.rawValue,
            "norm_placement_details": c.normPlacement == .post
                ? "post-norm (BERT): x = LN(e) after the embeddings; each block h = LN1(x + Attn(x)), y = LN2(h + FFN(h)); no final LayerNorm"
                : "pre-norm: x = e (no embedding LayerNorm); each block h = x + Attn(LN1(x)), y = h + FFN(LN2(h)); encoder.LayerNorm after the last block",
            "pooling": c.pooling.rawValue,
            "pooling_details": poolingDetails(c.pooling),
            "causal": c.causal,
            "attention": "per head: scores = q k^T / sqrt(head_size)"
                + (c.positionEncoding == .alibi ? " - slope * |i - j|" : "")
                + "; keys that are padding" + (c.causal ? ", or after the query (j > i)," : "")
                + " get -inf; softmax over keys; output = softmax V, heads concatenated, then attention.output.dense",
            "feed_forward": "intermediate.dense, exact GELU x * (1 + erf(x / sqrt(2))) / 2 (not the tanh approximation), output.dense",
            "classifier": "logits = classifier(pooled); probabilities = softmax(logits)",
            "tensor_names": "Hugging Face BERT names without the bert. prefix; no token_type_embeddings; pre-norm LayerNorms at attention.LayerNorm and intermediate.LayerNorm (as RoBERTa-PreLayerNorm)",
            "equivalent_hf_class": equivalentClass(c) ?? NSNull(),
        ]
        if let key { project["run_key"] = key }
        if let tokenizerNote { project["tokenizer_note"] = tokenizerNote }
        return [
            "model_type": "genecoding-encoder",
            "architectures": ["GeneCodingForSequenceClassification"],
            "vocab_size": c.vocabularySize, "hidden_size": c.width, "num_hidden_layers": c.layers,
            "num_attention_heads": c.heads, "intermediate_size": c.feedForwardWidth,
            // transformers' "gelu" is the exact erf form.
            "hidden_act": "gelu",
            "max_position_embeddings": c.maxLength, "layer_norm_eps": c.layerNormEpsilon,
            "num_labels": c.classCount,
            "id2label": Dictionary(uniqueKeysWithValues: labels.map { ($0, $0) }),
            "label2id": Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) }),
            "hidden_dropout_prob": c.dropout, "attention_probs_dropout_prob": c.dropout,
            "unk_token_id": Int(SpecialToken.unknown.rawValue), "cls_token_id": Int(SpecialToken.classification.rawValue),
            "sep_token_id": Int(SpecialToken.separator.rawValue), "pad_token_id": Int(SpecialToken.padding.rawValue),
            "mask_token_id": Int(SpecialToken.mask.rawValue),
            "genecoding": project,
        ]
    }

    /// The exact convention of each encoding, as PositionEncoding.swift and Embedding.swift compute it.
    static func positionDetails(_ c: ModelConfiguration) -> [String: Any] {
        switch c.positionEncoding {
        case .sinusoidal:
            return [
                "formula": "PE[t, 2i] = sin(t / 10000^(2i / hidden_size)), PE[t, 2i + 1] = cos(t / 10000^(2i / hidden_size)), t = 0 at [CLS]",
                "layout": "interleaved",
                "layout_details": "sin at even channels, cos at odd ones; not sin in the first half and cos in the second",
                "token_embedding_scale": Double(Float(c.width).squareRoot()),
                "applied": "e = word_embeddings[id] * sqrt(hidden_size) (in float32) + PE[t]; PE computed in float64, rounded to float32",
            ]
        case .alibi:
            return [
                "slopes": ALiBi.slopes(heads: c.heads),
                "distance": "symmetric |i - j| (the encoder looks both ways)",
                "formula": "scores[h, i, j] = q_i k_j / sqrt(head_size) - slopes[h] * |i - j|, before the mask and the softmax; slopes rounded to float32",
                "slope_rule": "2^(-8h/H) for h = 1..H; for H not a power of two, the slopes of the nearest smaller power of two, then every other slope of the next power up (Press et al.)",
            ]
        case .rope:
            return [
                "pairing": "adjacent",
                "formula": "(x[2i], x[2i + 1]) -> (x[2i] cos(t theta_i) - x[2i + 1] sin(t theta_i), x[2i] sin(t theta_i) + x[2i + 1] cos(t theta_i)), theta_i = 10000^(-2i / head_size), t = 0 at [CLS]",
                "applied": "to each head's query and key after their projections (biases included), before q k^T / sqrt(head_size); cos and sin computed in float64, rounded to float32",
                "not": "GPT-NeoX / Llama's rotate_half, which pairs channel i with i + head_size/2",
            ]
        case .learned:
            return ["table": "embeddings.position_embeddings.weight", "applied": "e = word_embeddings[id] + position_embeddings[t], t = 0 at [CLS]"]
        case .none:
            return ["applied": "no position information: e = word_embeddings[id]"]
        }
    }

    static func poolingDetails(_ pooling: Pooling) -> String {
        switch pooling {
        case .classToken: return "the [CLS] vector (position 0) through pooler.dense and tanh"
        case .mean: return "the mean of the last layer over the real tokens, [CLS] and [SEP] included, padding excluded; no pooler"
        case .last: return "the last real token ([SEP]) of the last layer; no pooler"
        }
    }

    /// How to load the folder in `transformers` when one of its classes computes exactly this model.
    static func equivalentClass(_ c: ModelConfiguration) -> [String: Any]? {
        guard c.positionEncoding == .learned, c.normPlacement == .post, c.pooling == .classToken, !c.causal else { return nil }
        return [
            "class": "transformers.BertForSequenceClassification",
            "state_dict": "prefix every tensor name with bert. except classifier.weight and classifier.bias, and add bert.embeddings.token_type_embeddings.weight = zeros [1, hidden_size]",
            "config": ["model_type": "bert", "type_vocab_size": 1, "position_embedding_type": "absolute", "hidden_act": "gelu"] as [String: Any],
            "inputs": "token_type_ids all 0 and attention_mask 1 on real tokens",
        ]
    }
}

/// What a config.json says about its model, old or new layout; `derived` lists what an older file
/// lacked and where it came from.
public struct ModelDescription: Sendable {
    public var configuration: ModelConfiguration
    public var task: String
    /// The tokenizer spec the model was trained with ("kmer:3", "bpe:4096", a file's path).
    public var tokenizer: String
    /// The layout version: 1 for a file written before ConfigFile.swift.
    public var format: Int
    /// False for a file without the "genecoding" block (never written by this project).
    public var hasProjectBlock: Bool
    /// A value the file did not hold, and where it came from instead.
    public struct Derived: Sendable, Hashable {
        public var field: String
        public var value: String
        public var source: String
    }
    public var derived: [Derived]

    /// Reads config.json at `path`; `runRecord` supplies the task and tokenizer when an old file lacks them.
    public init(contentsOf path: String, runRecord: RunRecord? = nil) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, "missing or unreadable: a model folder holds config.json, model.safetensors and tokenizer.json")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw InputError(file: path, "not valid JSON: \(error.localizedDescription)")
        }
        guard let json = parsed as? [String: Any] else { throw InputError(file: path, "the top level is not a JSON object") }
        let project = json["genecoding"] as? [String: Any] ?? [:]
        var derived: [Derived] = []
        func int(_ key: String) throws -> Int {
            guard let value = json[key] as? Int else { throw InputError(file: path, "missing integer \(key)") }
            return value
        }
        func choice<T: RawRepresentable>(_ key: String, _: T.Type, default value: T) throws -> T where T.RawValue == String {
            guard let raw = project[key] else {
                derived.append(Derived(field: key, value: value.rawValue, source: runRecord == nil ? "the default" : "from the run record"))
                return value
            }
            guard let text = raw as? String, let parsed = T(rawValue: text) else { throw InputError(file: path, "genecoding.\(key) is \(raw), not a known value") }
            return parsed
        }
        func optional<T>(_ value: Any?, _ name: String, default fallback: T) -> T {
            if let value = value as? T { return value }
            derived.append(Derived(field: name, value: "\(fallback)", source: "the value every older run used"))
            return fallback
        }
        let epsilon = optional(json["layer_norm_eps"], "layer_norm_eps", default: 1e-12)
        let causal = optional(project["causal"], "causal", default: false)
        let configuration = ModelConfiguration(
            vocabularySize: try int("vocab_size"), classCount: try int("num_labels"), maxLength: try int("max_position_embeddings"),
            width: try int("hidden_size"), heads: try int("num_attention_heads"), feedForwardWidth: try int("intermediate_size"),
            layers: try int("num_hidden_layers"),
            positionEncoding: try choice("position_encoding", PositionEncoding.self, default: runRecord?.run.positionEncoding ?? .rope),
            normPlacement: try choice("norm_placement", NormPlacement.self, default: runRecord?.run.normPlacement ?? .post),
            pooling: try choice("pooling", Pooling.self, default: runRecord?.run.pooling ?? .classToken),
            dropout: json["hidden_dropout_prob"] as? Double ?? 0, causal: causal, layerNormEpsilon: epsilon)
        do { try configuration.validate() } catch { throw InputError(file: path, "\(error)") }
        if let specials = project["special_tokens"] as? [String: Int] {
            for special in SpecialToken.allCases where specials[special.text] != Int(special.rawValue) {
                throw InputError(file: path, "genecoding.special_tokens gives \(special.text) the id \(specials[special.text].map(String.init) ?? "none"); this project's models use \(special.rawValue)")
            }
        } else {
            derived.append(Derived(field: "special token ids", value: SpecialToken.allCases.map { "\($0.text) \($0.rawValue)" }.joined(separator: ", "),
                                   source: "fixed for every model of the project"))
        }
        if let text = project["tokenizer"] as? String {
            tokenizer = text
        } else if let run = runRecord?.run {
            tokenizer = run.tokenizer.description
            derived.append(Derived(field: "tokenizer", value: tokenizer, source: "from the run record"))
        } else {
            tokenizer = ""
        }
        if let text = project["task"] as? String {
            task = text
        } else {
            task = runRecord?.run.task ?? ""
            if !task.isEmpty { derived.append(Derived(field: "task", value: task, source: "from the run record")) }
        }
        self.configuration = configuration
        self.format = project["format"] as? Int ?? 1
        self.hasProjectBlock = json["genecoding"] is [String: Any]
        self.derived = derived
    }
}
