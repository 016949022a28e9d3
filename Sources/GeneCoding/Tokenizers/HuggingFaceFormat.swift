// Reading and writing Hugging Face `tokenizers`' `tokenizer.json`: BPE vocabularies, so that
// DNABERT-2's published vocabulary loads here and vocabularies trained here load in Python; and
// k-mer vocabularies, so that every checkpoint folder says exactly how its model reads DNA.
//
// BPE files hold what the study uses and nothing more: the five special tokens as added tokens,
// the Whitespace pre-tokenizer, the post-processor "[CLS] $A [SEP]" (and
// "[CLS] $A [SEP] $B:1 [SEP]:1" for pairs), no decoder, and a BPE model with no dropout, [UNK] as
// the unknown token, no subword prefix or suffix, fuse_unk, byte_fallback and ignore_merges all
// false. The vocabulary is written in id order and the merges in rank order as ["left", "right"]
// arrays, as current `tokenizers` writes them; reading also accepts the older "left right" strings
// of DNABERT-2's file. A vocabulary file (`write(to:)`) has no normalizer; the copy in a checkpoint
// folder (`write(to:forModelWithMaxLength:)`) adds Alphabet's normalizer and the model's truncation.
//
// Alphabet's normalizer in HF terms: a Sequence of Replace normalizers, one per character class,
// that upper-cases a c g t and turns every IUPAC ambiguity code (either case) into `N`. HF then
// gives `N` the id [UNK], as our tokenizers do: BPE has no `N` token (fuse_unk false: one [UNK] per
// N), and no k-mer containing `N` is in a k-mer vocabulary. What HF cannot do is refuse a character
// outside the alphabet: it maps it to [UNK] too, so callers check sequences first (Alphabet here,
// the same character class in scripts/genecoding_torch.py).
//
// k-mer files (`KmerTokenizer.write(to:)`): the same added tokens, normalizer and post-processor;
// the pre-tokenizer Split on the regex `.{1,k}` with the behaviour Isolated, which cuts a sequence
// into consecutive k-mers from its first base and leaves the shorter tail as a piece of its own,
// the project's tail rule; and a WordLevel model whose vocabulary is KmerTokenizer's, id for id,
// with [UNK] for a piece it lacks (one holding `N`). Overlapping k-mers (DNABERT-1's stride 1) have
// no HF equivalent, since a pre-tokenizer cannot emit overlapping pieces: they get no file.
//
// Reading refuses a file that would encode differently from our tokenizers and says which setting
// is the problem: for BPE, dropout, a prefix or suffix, fused or byte-fallback unknowns,
// ignore_merges, a pre-tokenizer other than whitespace splitting, or a normalizer that does not
// agree with Alphabet on every character it accepts; for WordLevel (`WordLevelTokenizer`), anything
// but the Split above and a Replace normalizer. The WordLevel reader is a literal interpreter of
// the file: it applies the file's own character replacements, cuts the file's own piece length and
// looks pieces up in the file's own vocabulary, so a test that compares it with KmerTokenizer
// checks the file, not a copy of KmerTokenizer.
import Foundation

extension BPETokenizer {
    /// Loads a `tokenizer.json`. `name` defaults to the file's path, which is also its spec.
    public init(contentsOf url: URL, name: String? = nil) throws {
        let file = url.path
        let root = try HuggingFaceJSON.readObject(url)

        if let component = root["pre_tokenizer"], !(component is NSNull) {
            let type = (component as? [String: Any])?["type"] as? String
            guard let type, ["Whitespace", "WhitespaceSplit"].contains(type) else {
                throw InputError(file: file, "pre_tokenizer \(type ?? "(without a type)") is not supported; only a Whitespace pre-tokenizer is")
            }
        }
        // A normalizer is accepted when it is Alphabet's (a checkpoint's copy of a vocabulary):
        // encoding normalizes through Alphabet anyway, so any other would encode differently.
        if let disagreement = try CharacterReplacements(root["normalizer"], file: file).disagreementWithAlphabet() {
            throw InputError(file: file, "normalizer: \(disagreement); only Alphabet's normalization (or none) is supported")
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

        let tokens = try HuggingFaceJSON.vocabulary(model, file: file)

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
            try self.init(tokens: tokens, merges: merges, name: name ?? file)
        } catch let error as VocabularyError {
            throw InputError(file: file, error.message)
        }
    }

    /// Writes the vocabulary as a `tokenizer.json` that Python `tokenizers` loads.
    public func write(to url: URL) throws {
        try AtomicFile.write(huggingFaceJSON(normalizer: "null", truncation: "null"), to: url.path)
    }

    /// Writes the vocabulary as the `tokenizer.json` of a model folder: as `write(to:)`, plus
    /// Alphabet's normalizer and truncation to the model's `maxLength` tokens ([CLS] and [SEP]
    /// included), so that HF gives exactly the ids the model was trained and evaluated on.
    public func write(to url: URL, forModelWithMaxLength maxLength: Int) throws {
        try AtomicFile.write(huggingFaceJSON(normalizer: HuggingFaceJSON.alphabetNormalizer,
                                             truncation: HuggingFaceJSON.truncation(maxLength)), to: url.path)
    }

    private func huggingFaceJSON(normalizer: String, truncation: String) -> String {
        var model = "    \"type\": \"BPE\",\n"
        model += "    \"dropout\": null,\n"
        model += "    \"unk_token\": \(JSONText.string(SpecialToken.unknown.text)),\n"
        model += "    \"continuing_subword_prefix\": null,\n"
        model += "    \"end_of_word_suffix\": null,\n"
        model += "    \"fuse_unk\": false,\n"
        model += "    \"byte_fallback\": false,\n"
        model += "    \"ignore_merges\": false,\n"
        model += HuggingFaceJSON.vocabulary(tokens)
        model += "    \"merges\": [\n"
        model += merges.map { "      [\(JSONText.string($0.left)), \(JSONText.string($0.right))]" }.joined(separator: ",\n")
        model += "\n    ]\n"
        return HuggingFaceJSON.document(truncation: truncation, normalizer: normalizer, preTokenizer: "{\"type\": \"Whitespace\"}", model: model)
    }
}

// MARK: - k-mers

extension KmerTokenizer {
    /// False for overlapping k-mers, which no HF pre-tokenizer can cut (see the header).
    public var hasHuggingFaceEquivalent: Bool { !overlapping }

    /// Writes the vocabulary as a `tokenizer.json` (WordLevel, see the header) that Python
    /// `tokenizers` loads and that gives KmerTokenizer's ids. With `maxLength`, HF also truncates
    /// to the model's input as training did. Overlapping k-mers throw.
    public func write(to url: URL, forModelWithMaxLength maxLength: Int? = nil) throws {
        guard hasHuggingFaceEquivalent else {
            throw VocabularyError("\(name): Hugging Face tokenizers has no pre-tokenizer for overlapping k-mers, so no tokenizer.json can reproduce them")
        }
        let texts = (0..<vocabularySize).map { token(for: Int32($0)) }
        try AtomicFile.write(HuggingFaceJSON.wordLevel(tokens: texts, pieceLength: k, maxLength: maxLength), to: url.path)
    }
}

// MARK: - WordLevel files, read literally

/// A k-mer vocabulary read from a WordLevel `tokenizer.json` and applied as the file says: the
/// file's character replacements, pieces of the file's length cut from the first base, the file's
/// ids. Sequences are checked with Alphabet first, so bad characters throw as in every tokenizer.
public struct WordLevelTokenizer: Tokenizer {
    public let name: String
    /// Text of every id; the first five are the special tokens.
    public let tokens: [String]
    /// Bases of a full piece (k); the last piece of a sequence may be shorter.
    public let pieceLength: Int
    private let idOfToken: [String: Int32]
    private let replacements: CharacterReplacements

    public init(contentsOf url: URL, name: String? = nil) throws {
        let file = url.path
        try self.init(root: try HuggingFaceJSON.readObject(url), file: file, name: name ?? file)
    }

    init(root: [String: Any], file: String, name: String) throws {
        guard let model = root["model"] as? [String: Any] else { throw InputError(file: file, "no \"model\" object") }
        guard model["type"] as? String == "WordLevel" else {
            throw InputError(file: file, "model type is \(model["type"] ?? "missing"), not WordLevel")
        }
        if let unknown = model["unk_token"] as? String, unknown != SpecialToken.unknown.text {
            throw InputError(file: file, "model.unk_token is \(unknown), expected \(SpecialToken.unknown.text)")
        }
        tokens = try HuggingFaceJSON.vocabulary(model, file: file)

        // The pre-tokenizer: Split on ".{1,k}", each match a piece of its own.
        let split = root["pre_tokenizer"] as? [String: Any]
        let pattern = (split?["pattern"] as? [String: Any])?["Regex"] as? String
        let prefix = ".{1,", suffix = "}"
        guard split?["type"] as? String == "Split", let pattern, pattern.hasPrefix(prefix), pattern.hasSuffix(suffix),
              let length = Int(pattern.dropFirst(prefix.count).dropLast(suffix.count)), length >= 1,
              split?["behavior"] as? String == "Isolated", (split?["invert"] as? Bool) != true else {
            throw InputError(file: file, "pre_tokenizer must be a Split on the regex .{1,k} with the behavior Isolated (consecutive k-mers); found \(root["pre_tokenizer"].map { "\($0)" } ?? "none")")
        }
        pieceLength = length
        replacements = try CharacterReplacements(root["normalizer"], file: file)
        try HuggingFaceJSON.checkPostProcessor(root["post_processor"], file: file)
        var ids = [String: Int32](minimumCapacity: tokens.count)
        for (id, text) in tokens.enumerated() { ids[text] = Int32(id) }
        idOfToken = ids
        self.name = name
    }

    public var vocabularySize: Int { tokens.count }

    public func token(for id: Int32) -> String {
        precondition(id >= 0 && Int(id) < tokens.count, "id \(id) is outside the vocabulary of \(name)")
        return tokens[Int(id)]
    }

    public func encode(_ sequence: String) throws -> [Int32] { try pieces(sequence).map(\.id) }

    /// Every piece's id and its length in bases, in order.
    public func pieces(_ sequence: String) throws -> [(id: Int32, bases: Int)] {
        _ = try Alphabet.normalize(sequence)  // the same errors as every tokenizer; the ids come from the file
        let bytes = replacements.apply(Array(sequence.utf8))
        let unknown = SpecialToken.unknown.rawValue
        return stride(from: 0, to: bytes.count, by: pieceLength).map { start in
            let piece = bytes[start..<min(start + pieceLength, bytes.count)]
            return (idOfToken[String(decoding: piece, as: UTF8.self)] ?? unknown, piece.count)
        }
    }

    public func decode(_ ids: [Int32]) -> String {
        ids.filter { Int($0) >= SpecialToken.allCases.count }.map(token(for:)).joined()
    }

    /// Writes the file in the form KmerTokenizer writes, with Alphabet's normalizer; a vocabulary
    /// read with another normalizer throws, since the written file would encode differently.
    public func write(to url: URL, forModelWithMaxLength maxLength: Int? = nil) throws {
        if let disagreement = replacements.disagreementWithAlphabet() {
            throw VocabularyError("\(name): its normalizer differs from Alphabet's (\(disagreement)), which the written file would not keep")
        }
        try AtomicFile.write(HuggingFaceJSON.wordLevel(tokens: tokens, pieceLength: pieceLength, maxLength: maxLength), to: url.path)
    }
}

/// Either kind of `tokenizer.json` this project reads: BPE (BPETokenizer) or WordLevel k-mers
/// (WordLevelTokenizer), chosen by the file's model type.
public enum HuggingFaceTokenizerFile {
    public static func load(_ url: URL, name: String? = nil) throws -> any Tokenizer {
        let root = try HuggingFaceJSON.readObject(url)
        let type = (root["model"] as? [String: Any])?["type"] as? String
        switch type {
        case "WordLevel": return try WordLevelTokenizer(root: root, file: url.path, name: name ?? url.path)
        case "BPE", nil: return try BPETokenizer(contentsOf: url, name: name)
        default: throw InputError(file: url.path, "model type \(type!) is not supported; BPE and WordLevel (k-mers) are")
        }
    }
}

// MARK: - Normalizers made of character replacements

/// A Hugging Face normalizer made only of Replace steps, each turning one character, or one class
/// of characters ("[...]" of letters and digits), into one character; nested Sequences allowed.
/// Such a normalizer acts on each ASCII character alone, so it is a table of 128 bytes.
struct CharacterReplacements {
    /// The replacement of each ASCII byte after every step; nil when the file has no normalizer.
    let table: [UInt8]?

    init(_ json: Any?, file: String) throws {
        guard let json, !(json is NSNull) else { table = nil; return }
        var table = (0..<128).map { UInt8($0) }
        func apply(_ component: Any) throws {
            guard let object = component as? [String: Any], let type = object["type"] as? String else {
                throw InputError(file: file, "normalizer \(component) has no type")
            }
            switch type {
            case "Sequence":
                for step in object["normalizers"] as? [Any] ?? [] { try apply(step) }
            case "Replace":
                let pattern = object["pattern"] as? [String: Any]
                let characters: [UInt8]
                if let literal = pattern?["String"] as? String, literal.utf8.count == 1, literal.utf8.first! < 128 {
                    characters = Array(literal.utf8)
                } else if let regex = pattern?["Regex"] as? String, let members = Self.characterClass(regex) {
                    characters = members
                } else {
                    throw InputError(file: file, "normalizer Replace \(pattern.map { "\($0)" } ?? "without a pattern") is not supported: the pattern must be one character or a class [...] of letters and digits")
                }
                guard let content = object["content"] as? String, content.utf8.count == 1, content.utf8.first! < 128 else {
                    throw InputError(file: file, "normalizer Replace: the content must be one ASCII character, found \(object["content"] ?? "none")")
                }
                let replacement = content.utf8.first!
                for byte in 0..<128 where characters.contains(table[byte]) { table[byte] = replacement }
            default:
                throw InputError(file: file, "normalizer \(type) is not supported; only Replace steps (in a Sequence) are")
            }
        }
        try apply(json)
        self.table = table
    }

    /// The members of "x" or "[xyz]" where each is a letter or digit; nil for any other regex.
    private static func characterClass(_ regex: String) -> [UInt8]? {
        var bytes = Array(regex.utf8)
        if bytes.count > 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") { bytes = Array(bytes.dropFirst().dropLast()) }
        let plain = bytes.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
        return plain && !bytes.isEmpty && (bytes.count == 1 || regex.hasPrefix("[")) ? bytes : nil
    }

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        guard let table else { return bytes }
        return bytes.map { $0 < 128 ? table[Int($0)] : $0 }
    }

    /// Where this normalizer and Alphabet.normalize differ on a character Alphabet accepts, said in
    /// words; nil when they agree on all of them (or there is no normalizer).
    func disagreementWithAlphabet() -> String? {
        guard let table else { return nil }
        for byte in 0..<128 {
            let character = String(UnicodeScalar(UInt8(byte)))
            guard let expected = (try? Alphabet.normalize(character))?.first else { continue }
            if table[byte] != expected {
                return "it turns '\(character)' into '\(String(UnicodeScalar(table[byte])))', where Alphabet gives '\(String(UnicodeScalar(expected)))'"
            }
        }
        return nil
    }
}

// MARK: - Shared pieces of the written files

enum HuggingFaceJSON {
    /// The five special tokens, at their fixed ids, never split or normalized.
    static let addedTokens: String = "[\n" + SpecialToken.allCases.map { special in
        "    {\"id\": \(special.rawValue), \"content\": \(JSONText.string(special.text)), \"single_word\": false, "
            + "\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
    }.joined(separator: ",\n") + "\n  ]"

    /// Alphabet.normalize as Replace steps: ambiguity codes (either case) to N, then a c g t upper-cased.
    static let alphabetNormalizer: String = {
        let codes = Alphabet.ambiguityCodes.sorted().map { String(UnicodeScalar($0)) }.joined()
        var steps = ["{\"type\": \"Replace\", \"pattern\": {\"Regex\": \(JSONText.string("[" + codes + codes.lowercased() + "]"))}, "
                     + "\"content\": \(JSONText.string(String(UnicodeScalar(Alphabet.unknownBase))))}"]
        for base in Alphabet.bases {
            let upper = String(UnicodeScalar(base))
            steps.append("{\"type\": \"Replace\", \"pattern\": {\"String\": \(JSONText.string(upper.lowercased()))}, \"content\": \(JSONText.string(upper))}")
        }
        return "{\"type\": \"Sequence\", \"normalizers\": [\n    " + steps.joined(separator: ",\n    ") + "\n  ]}"
    }()

    /// Keep the first `maxLength` - 2 tokens, as training did; [CLS] and [SEP] make up the rest.
    static func truncation(_ maxLength: Int) -> String {
        "{\"direction\": \"Right\", \"max_length\": \(maxLength), \"strategy\": \"LongestFirst\", \"stride\": 0}"
    }

    /// "[CLS] $A [SEP]" for one sequence, "[CLS] $A [SEP] $B:1 [SEP]:1" for a pair, as HF writes it.
    static let postProcessor: String = {
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

    /// A post-processor is either absent or frames one sequence as [CLS] $A [SEP] with our ids.
    static func checkPostProcessor(_ json: Any?, file: String) throws {
        guard let json, !(json is NSNull) else { return }
        let object = json as? [String: Any]
        let single = (object?["single"] as? [[String: Any]])?.map { piece -> String in
            if let special = piece["SpecialToken"] as? [String: Any] { return special["id"] as? String ?? "?" }
            if let sequence = piece["Sequence"] as? [String: Any] { return "$" + (sequence["id"] as? String ?? "?") }
            return "?"
        }
        let expected = [SpecialToken.classification.text, "$A", SpecialToken.separator.text]
        let specials = object?["special_tokens"] as? [String: Any]
        func ids(_ token: SpecialToken) -> [Int]? { (specials?[token.text] as? [String: Any])?["ids"] as? [Int] }
        guard object?["type"] as? String == "TemplateProcessing", single == expected,
              ids(.classification) == [Int(SpecialToken.classification.rawValue)], ids(.separator) == [Int(SpecialToken.separator.rawValue)] else {
            throw InputError(file: file, "post_processor must be the template \(expected.joined(separator: " ")) with [CLS] = \(SpecialToken.classification.rawValue) and [SEP] = \(SpecialToken.separator.rawValue)")
        }
    }

    /// A WordLevel file cutting pieces of `pieceLength` (see the header).
    static func wordLevel(tokens: [String], pieceLength: Int, maxLength: Int?) -> String {
        let split = "{\"type\": \"Split\", \"pattern\": {\"Regex\": \(JSONText.string(".{1,\(pieceLength)}"))}, "
            + "\"behavior\": \"Isolated\", \"invert\": false}"
        let model = "    \"type\": \"WordLevel\",\n" + vocabulary(tokens)
            + "    \"unk_token\": \(JSONText.string(SpecialToken.unknown.text))\n"
        return document(truncation: maxLength.map(truncation) ?? "null", normalizer: alphabetNormalizer, preTokenizer: split, model: model)
    }

    /// A whole tokenizer.json: what every file written here shares (the added tokens, the
    /// post-processor, no padding or decoder) around the given parts; `model` is the inside of the
    /// model object, its lines indented and ending in a line break.
    static func document(truncation: String, normalizer: String, preTokenizer: String, model: String) -> String {
        var json = "{\n"
        json += "  \"version\": \"1.0\",\n"
        json += "  \"truncation\": \(truncation),\n"
        json += "  \"padding\": null,\n"
        json += "  \"added_tokens\": \(addedTokens),\n"
        json += "  \"normalizer\": \(normalizer),\n"
        json += "  \"pre_tokenizer\": \(preTokenizer),\n"
        json += "  \"post_processor\": \(postProcessor),\n"
        json += "  \"decoder\": null,\n"
        json += "  \"model\": {\n"
        json += model
        json += "  }\n"
        json += "}\n"
        return json
    }

    /// The model's "vocab" object, texts in id order, as a line of the model object (with its comma).
    static func vocabulary(_ tokens: [String]) -> String {
        "    \"vocab\": {\n" + tokens.enumerated().map { "      \(JSONText.string($1)): \($0)" }.joined(separator: ",\n") + "\n    },\n"
    }

    /// A JSON file's top-level object; errors name the file.
    static func readObject(_ url: URL) throws -> [String: Any] {
        let file = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(file: file, "cannot read the file: \(error.localizedDescription)")
        }
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw InputError(file: file, "the top level is not a JSON object")
            }
            return object
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: file, "not valid JSON: \(error.localizedDescription)")
        }
    }

    /// model.vocab as texts in id order: ids 0..<count without gaps or repeats, specials first.
    static func vocabulary(_ model: [String: Any], file: String) throws -> [String] {
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
        for special in SpecialToken.allCases {
            let id = Int(special.rawValue)
            guard id < tokens.count, tokens[id] == special.text else {
                throw InputError(file: file, "model.vocab: id \(id) must be the special token \(special.text), found \(id < tokens.count ? tokens[id]! : "nothing")")
            }
        }
        return tokens.map { $0! }
    }
}
