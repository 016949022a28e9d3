// Reading and writing Hugging Face `tokenizers`' `tokenizer.json` for BPE vocabularies, so that
// DNABERT-2's published vocabulary loads here and vocabularies trained here load in Python.
//
// Written files hold what the study uses and nothing more: the five special tokens as added tokens,
// no normalizer, the Whitespace pre-tokenizer, the post-processor "[CLS] $A [SEP]" (and
// "[CLS] $A [SEP] $B:1 [SEP]:1" for pairs), no decoder, and a BPE model with no dropout, [UNK] as
// the unknown token, no subword prefix or suffix, fuse_unk, byte_fallback and ignore_merges all
// false. The vocabulary is written in id order and the merges in rank order as ["left", "right"]
// arrays, as current `tokenizers` writes them; reading also accepts the older "left right" strings
// of DNABERT-2's file.
//
// Reading refuses a file whose model would encode differently from BPETokenizer (dropout, a prefix
// or suffix, fused or byte-fallback unknowns, ignore_merges, a normalizer or a pre-tokenizer other
// than whitespace splitting), and says which setting is the problem.
import Foundation

extension BPETokenizer {
    /// Loads a `tokenizer.json`. `name` defaults to the file's path, which is also its spec.
    public init(contentsOf url: URL, name: String? = nil) throws {
        let file = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(file: file, "cannot read the file: \(error.localizedDescription)")
        }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw InputError(file: file, "the top level is not a JSON object")
            }
            root = object
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: file, "not valid JSON: \(error.localizedDescription)")
        }

        for key in ["normalizer", "pre_tokenizer"] {
            guard let component = root[key], !(component is NSNull) else { continue }
            let type = (component as? [String: Any])?["type"] as? String
            let acceptable = key == "pre_tokenizer" ? ["Whitespace", "WhitespaceSplit"] : []
            guard let type, acceptable.contains(type) else {
                throw InputError(file: file, "\(key) \(type ?? "(without a type)") is not supported; only a Whitespace pre-tokenizer and no normalizer are")
            }
        }

        guard let model = root["model"] as? [String: Any] else {
            throw InputError(file: file, "no \"model\" object")
        }
        if let type = model["type"] as? String, type != "BPE" {
            throw InputError(file: file, "model type is \(type), not BPE")
        }
        func isUnset(_ key: String) -> Bool {
            guard let value = model[key] else { return true }
            if value is NSNull { return true }
            if let flag = value as? Bool { return !flag }
            return false
        }
        for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", "byte_fallback", "ignore_merges"]
        where !isUnset(key) {
            throw InputError(file: file, "model.\(key) is \(model[key]!), which BPETokenizer does not reproduce; it must be null or false")
        }
        if let unknown = model["unk_token"] as? String, unknown != SpecialToken.unknown.text {
            throw InputError(file: file, "model.unk_token is \(unknown), expected \(SpecialToken.unknown.text)")
        }

        guard let vocabulary = model["vocab"] as? [String: Any] else {
            throw InputError(file: file, "model.vocab is missing or not an object")
        }
        var tokens = [String?](repeating: nil, count: vocabulary.count)
        for (text, value) in vocabulary {
            guard let id = value as? Int else {
                throw InputError(file: file, "model.vocab: the id of '\(text)' is not an integer")
            }
            guard id >= 0 && id < vocabulary.count else {
                throw InputError(file: file, "model.vocab: '\(text)' has id \(id); ids must run from 0 to \(vocabulary.count - 1) without gaps")
            }
            if let other = tokens[id] {
                throw InputError(file: file, "model.vocab: id \(id) is given to both '\(other)' and '\(text)'")
            }
            tokens[id] = text
        }

        guard let mergeList = model["merges"] as? [Any] else {
            throw InputError(file: file, "model.merges is missing or not a list")
        }
        var merges = [BPEMerge]()
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            let parts: [String]?
            if let text = entry as? String {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = entry as? [String]
            }
            guard let parts, parts.count == 2 else {
                throw InputError(file: file, "model.merges[\(index)] is \(entry); expected \"left right\" or [\"left\", \"right\"]")
            }
            merges.append(BPEMerge(parts[0], parts[1]))
        }

        do {
            try self.init(tokens: tokens.map { $0! }, merges: merges, name: name ?? file)
        } catch let error as VocabularyError {
            throw InputError(file: file, error.message)
        }
    }

    /// Writes the vocabulary as a `tokenizer.json` that Python `tokenizers` loads.
    public func write(to url: URL) throws {
        var json = "{\n"
        json += "  \"version\": \"1.0\",\n"
        json += "  \"truncation\": null,\n"
        json += "  \"padding\": null,\n"
        json += "  \"added_tokens\": [\n"
        json += SpecialToken.allCases.map { special in
            "    {\"id\": \(special.rawValue), \"content\": \(JSONText.string(special.text)), \"single_word\": false, "
                + "\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }.joined(separator: ",\n")
        json += "\n  ],\n"
        json += "  \"normalizer\": null,\n"
        json += "  \"pre_tokenizer\": {\"type\": \"Whitespace\"},\n"
        json += "  \"post_processor\": \(Self.postProcessor),\n"
        json += "  \"decoder\": null,\n"
        json += "  \"model\": {\n"
        json += "    \"type\": \"BPE\",\n"
        json += "    \"dropout\": null,\n"
        json += "    \"unk_token\": \(JSONText.string(SpecialToken.unknown.text)),\n"
        json += "    \"continuing_subword_prefix\": null,\n"
        json += "    \"end_of_word_suffix\": null,\n"
        json += "    \"fuse_unk\": false,\n"
        json += "    \"byte_fallback\": false,\n"
        json += "    \"ignore_merges\": false,\n"
        json += "    \"vocab\": {\n"
        json += tokens.enumerated().map { "      \(JSONText.string($1)): \($0)" }.joined(separator: ",\n")
        json += "\n    },\n"
        json += "    \"merges\": [\n"
        json += merges.map { "      [\(JSONText.string($0.left)), \(JSONText.string($0.right))]" }.joined(separator: ",\n")
        json += "\n    ]\n"
        json += "  }\n"
        json += "}\n"
        try AtomicFile.write(json, to: url.path)
    }

    /// "[CLS] $A [SEP]" for one sequence, "[CLS] $A [SEP] $B:1 [SEP]:1" for a pair, as HF writes it.
    private static let postProcessor: String = {
        let classification = SpecialToken.classification
        let separator = SpecialToken.separator
        func special(_ token: SpecialToken, typeId: Int) -> String {
            "{\"SpecialToken\": {\"id\": \(JSONText.string(token.text)), \"type_id\": \(typeId)}}"
        }
        func sequence(_ id: String, typeId: Int) -> String {
            "{\"Sequence\": {\"id\": \"\(id)\", \"type_id\": \(typeId)}}"
        }
        let single = [special(classification, typeId: 0), sequence("A", typeId: 0), special(separator, typeId: 0)]
        let pair = single + [sequence("B", typeId: 1), special(separator, typeId: 1)]
        let specials = [classification, separator].map { token in
            "\(JSONText.string(token.text)): {\"id\": \(JSONText.string(token.text)), \"ids\": [\(token.rawValue)], \"tokens\": [\(JSONText.string(token.text))]}"
        }
        return "{\"type\": \"TemplateProcessing\", "
            + "\"single\": [\(single.joined(separator: ", "))], "
            + "\"pair\": [\(pair.joined(separator: ", "))], "
            + "\"special_tokens\": {\(specials.joined(separator: ", "))}}"
    }()
}

