// Using a trained model: a model folder read back (new and older layouts, damaged ones refused with
// the file named), predictions equal to what evaluation computed, and windows over long sequences.
import Foundation
import XCTest
@testable import GeneCoding

final class PredictionTests: StoreTestCase {

    /// `smallRun` trained for six epochs, as these tests have trained it from the start.
    func tinyRun(tokenizer: TokenizerSpec = .kmer(k: 3, overlapping: false), position: PositionEncoding = .rope) -> Run {
        smallRun(tokenizer: tokenizer, position: position, epochs: 6)
    }

    /// The checkpoint folder of `run`, trained now.
    func trainedFolder(_ run: Run) throws -> URL {
        let record = try executor.execute(run)
        XCTAssertEqual(record.status, .done)
        return executor.store.checkpointDirectory(record.key)
    }

    /// Makes the folder's model.safetensors an unsealed one, as models were written before checksums:
    /// what an older folder holds, whose config.json and tokenizer.json nothing vouches for.
    func unseal(_ directory: URL) throws {
        let path = directory.appendingPathComponent("model.safetensors").path
        var file = try SafetensorsFile(contentsOf: path)
        for key in [SafetensorsFile.sealKey, "config_sha256", "tokenizer_sha256"] { file.metadata[key] = nil }
        try file.write(to: path)
    }

    func records(_ rows: [LabeledSequence]) -> [SequenceRecord] {
        rows.enumerated().map { SequenceRecord(id: "r\($0)", sequence: $1.sequence, label: $1.label, line: $0 + 2) }
    }

    // MARK: predictions

    func testPredictionsEqualTrainerEvaluate() throws {
        for tokenizer in [TokenizerSpec.kmer(k: 3, overlapping: false), .bpe(vocabularySize: 64)] {
            let run = tinyRun(tokenizer: tokenizer)
            let directory = try trainedFolder(run)
            let folder = try ModelFolder(directory: directory)
            XCTAssertEqual(folder.notes, [], "a folder written now needs nothing derived")
            let test = try executor.task(run.task).test
            let outcome = try Predictor(folder).predict(records(test.rows))
            let encoded = EncodedSplit(sequences: try test.rows.map { try folder.tokenizer.encodeForModel($0.sequence, maxLength: folder.configuration.maxLength) },
                                       labels: test.labels)
            let evaluation = Trainer.evaluate(folder.model, encoded)
            XCTAssertEqual(outcome.predictions.map(\.prediction), evaluation.predictions, "\(tokenizer)")
            XCTAssertEqual(outcome.scores, evaluation.scores, "\(tokenizer)")
            XCTAssertEqual(outcome.scores, try XCTUnwrap(executor.store.record(try executor.key(run))?.outcome).test,
                           "predict scores the test split as training reported (\(tokenizer))")
            XCTAssertEqual(Set(outcome.predictions.map(\.prediction)).count, 2, "a model that learned predicts both classes (\(tokenizer))")
            for p in outcome.predictions {
                XCTAssertEqual(p.probabilities.reduce(0, +), 1, accuracy: 1e-12)
                XCTAssertEqual(p.prediction, p.probabilities.firstIndex(of: p.probabilities.max()!))
                XCTAssertEqual(p.windows, 1)
            }
        }
    }

    func testInputOrderDoesNotChangeAPrediction() throws {
        let folder = try ModelFolder(directory: trainedFolder(tinyRun()))
        let rows = records(Array(try executor.task("synthetic/motif").test.rows.prefix(40)))
        let forward = try Predictor(folder).predict(rows).predictions
        let backward = try Predictor(folder).predict(rows.reversed()).predictions.reversed()
        for (a, b) in zip(forward, backward) {
            XCTAssertEqual(a.id, b.id)
            for (x, y) in zip(a.probabilities, b.probabilities) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
    }

    func testLowerCaseAndAmbiguityCodesReadAsInTraining() throws {
        let folder = try ModelFolder(directory: trainedFolder(tinyRun()))
        let sequence = try executor.task("synthetic/motif").test.rows[1].sequence
        var withCode = Array(sequence)
        withCode[10] = "R"
        let variants = [sequence, sequence.lowercased(), String(withCode), String(withCode).lowercased().replacingOccurrences(of: "r", with: "n")]
        let outcome = try Predictor(folder).predict(variants.enumerated().map { SequenceRecord(id: "v\($0)", sequence: $1, line: $0 + 1) })
        // Equal inputs in other rows of a batch agree to rounding (BLAS may take another path for another row).
        func gap(_ a: Int, _ b: Int) -> Double { abs(outcome.predictions[a].probabilities[0] - outcome.predictions[b].probabilities[0]) }
        XCTAssertLessThan(gap(0, 1), 1e-7, "lower case is upper-cased")
        XCTAssertLessThan(gap(2, 3), 1e-7, "every ambiguity code is N")
        XCTAssertGreaterThan(gap(0, 2), 1e-5, "an ambiguity code is [UNK], which the model sees")
    }

    func testALabelOutsideTheModelsClassesNamesItsLine() throws {
        let folder = try ModelFolder(directory: trainedFolder(tinyRun()))
        let rows = [SequenceRecord(id: "a", sequence: "ACGT", label: 1, line: 2), SequenceRecord(id: "b", sequence: "ACGT", label: 2, line: 3)]
        XCTAssertThrowsError(try Predictor(folder).predict(rows, file: "x.csv")) { error in
            XCTAssertEqual((error as? InputError)?.file, "x.csv")
            XCTAssertEqual((error as? InputError)?.line, 3)
            XCTAssertTrue("\(error)".contains("label 2 is outside the model's classes 0 to 1"), "\(error)")
        }
    }

    func testLongSequencesAreCutLikeTrainingAndCounted() throws {
        let folder = try ModelFolder(directory: trainedFolder(tinyRun()))
        let maxLength = folder.configuration.maxLength
        let sequence = String(repeating: "ACGTTGCA", count: 40)
        let outcome = try Predictor(folder).predict([SequenceRecord(id: "long", sequence: sequence, line: 1),
                                                     SequenceRecord(id: "short", sequence: "ACGTAC", line: 2)])
        XCTAssertEqual(outcome.predictions.map(\.cut), [true, false])
        XCTAssertEqual(outcome.cutCount, 1)
        let cut = String(sequence.prefix(3 * (maxLength - 2)))  // 3-mers: the first maxLength - 2 tokens
        let reference = try Predictor(folder).predict([SequenceRecord(id: "cut", sequence: cut, line: 1)])
        XCTAssertEqual(outcome.predictions[0].probabilities[0], reference.predictions[0].probabilities[0], accuracy: 1e-7,
                       "the first maxLength - 2 tokens, as training cut them (to rounding: another batch)")
        let uncut = try Predictor(folder).predict([SequenceRecord(id: "more", sequence: String(sequence.prefix(3 * maxLength)), line: 1)])
        XCTAssertEqual(uncut.cutCount, 1)
    }

    // MARK: windows

    func testWindowsOfKmersCountCoverAndStride() throws {
        // 3-mers, 10 tokens a window: 30 bases.
        let cutter = InputCutter(tokenizer: KmerTokenizer(k: 3), maxLength: 12)
        let sequence = String((0..<100).map { i in Array("ACGT")[(i * 7 + i / 3) % 4] })
        let halves = try cutter.windows(sequence)
        XCTAssertEqual(halves.map(\.start), [0, 15, 30, 45, 60, 75])
        XCTAssertEqual(halves.map(\.bases), [30, 30, 30, 30, 30, 25], "the last window is the first to reach the end")
        for window in halves {
            XCTAssertLessThanOrEqual(window.ids.count, 12)
            let text = String(Array(sequence)[window.start..<(window.start + window.bases)])
            XCTAssertEqual(window.ids, try KmerTokenizer(k: 3).encodeForModel(text, maxLength: 12), "a window is its bases, tokenized alone")
        }
        let tiled = try cutter.windows(sequence, stride: 30)
        XCTAssertEqual(tiled.map(\.start), [0, 30, 60, 90])
        XCTAssertEqual(tiled.map(\.bases), [30, 30, 30, 10])
        let gapped = try cutter.windows(sequence, stride: 40)
        XCTAssertEqual(gapped.map(\.start), [0, 40, 80])
        XCTAssertEqual(gapped.map(\.bases), [30, 30, 20])
        let short = try cutter.windows("ACGTACGTA")
        XCTAssertEqual(short.count, 1)
        XCTAssertEqual(short[0].ids, try cutter.input("ACGTACGTA").ids, "a sequence that fits is one window, the plain input")
    }

    func testWindowsOfBPECoverTheSequenceAndFitTheModel() throws {
        let bpe = try BPETrainer(vocabularySize: 60).train(TokenizerFixtures.randomSequences(count: 100, lengths: 40...80, seed: 3))
        let cutter = InputCutter(tokenizer: bpe, maxLength: 18)
        let sequence = TokenizerFixtures.randomSequences(count: 1, lengths: 400...400, seed: 9)[0]
        let windows = try cutter.windows(sequence)
        XCTAssertGreaterThan(windows.count, 2)
        XCTAssertEqual(windows.first?.start, 0)
        XCTAssertEqual(windows.last.map { $0.start + $0.bases }, 400, "the last window reaches the end")
        for (window, next) in zip(windows, windows.dropFirst()) {
            XCTAssertEqual(next.start, window.start + window.bases / 2, "the default stride is half the window's bases")
        }
        for window in windows {
            XCTAssertLessThanOrEqual(window.ids.count, 18)
            if window != windows.last { XCTAssertEqual(window.ids.count, 18, "every window but the last fills the model") }
            XCTAssertEqual(bpe.decode(window.ids), String(Array(sequence)[window.start..<(window.start + window.bases)]),
                           "a window's tokens spell exactly its bases")
        }
        // An ambiguity code is one base of [UNK].
        let withN = try cutter.windows("ACGTN" + String(sequence.prefix(200)))
        XCTAssertEqual(withN.last.map { $0.start + $0.bases }, 205)
    }

    func testWindowProbabilitiesAreTheMeanOverWindows() throws {
        let folder = try ModelFolder(directory: trainedFolder(tinyRun()))
        let predictor = Predictor(folder)
        let motif = try executor.task("synthetic/motif").test.rows.map(\.sequence)
        let long = motif[0] + motif[1] + motif[2] + motif[3]
        let outcome = try predictor.predict([SequenceRecord(id: "long", sequence: long, line: 1),
                                             SequenceRecord(id: "short", sequence: motif[5], line: 2)], windows: true)
        let windows = try predictor.cutter.windows(long)
        XCTAssertEqual(outcome.predictions.map(\.windows), [windows.count, 1])
        XCTAssertEqual(outcome.inputCount, windows.count + 1)
        XCTAssertEqual(outcome.cutCount, 0, "windows cut nothing away")
        var mean = [Double](repeating: 0, count: 2)
        for window in windows {
            let logits = folder.model.forward(TokenBatch(sequences: [window.ids], labels: [0])).logits.values
            let p = Predictor.softmax(logits)
            for k in 0..<2 { mean[k] += p[k] / Double(windows.count) }
        }
        for k in 0..<2 { XCTAssertEqual(outcome.predictions[0].probabilities[k], mean[k], accuracy: 1e-6) }
        let plain = try predictor.predict([SequenceRecord(id: "short", sequence: motif[5], line: 1)])
        for k in 0..<2 { XCTAssertEqual(outcome.predictions[1].probabilities[k], plain.predictions[0].probabilities[k], accuracy: 1e-6) }
        let gapped = try predictor.predict([SequenceRecord(id: "long", sequence: long, line: 1)], windows: true, stride: 200)
        XCTAssertGreaterThan(gapped.uncoveredBases, 0, "a stride longer than a window leaves bases out, counted")
        XCTAssertEqual(outcome.uncoveredBases, 0)
    }

    func testTheTSVHasAHeaderAndOneRowPerSequence() throws {
        let outcome = PredictionOutcome(
            predictions: [SequencePrediction(id: "a", prediction: 1, probabilities: [0.25, 0.75], label: 1, windows: 1, cut: false),
                          SequencePrediction(id: "b", prediction: 0, probabilities: [0.5, 0.5], label: 0, windows: 3, cut: false)],
            cutCount: 0, inputCount: 4, uncoveredBases: 0, scores: ClassificationScores(mcc: 1, accuracy: 1, macroF1: 1))
        XCTAssertEqual(outcome.tsv(classCount: 2, windows: false),
                       "id\tprediction\tprobability_0\tprobability_1\tlabel\na\t1\t0.25000000\t0.75000000\t1\nb\t0\t0.50000000\t0.50000000\t0\n")
        XCTAssertEqual(outcome.tsv(classCount: 2, windows: true).split(separator: "\n").first, "id\tprediction\tprobability_0\tprobability_1\tlabel\twindows")
    }

    // MARK: model folders

    func testConfigJSONSaysEverythingALoaderNeeds() throws {
        let directory = try trainedFolder(tinyRun(position: .alibi))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as? [String: Any])
        let project = try XCTUnwrap(json["genecoding"] as? [String: Any])
        XCTAssertEqual(json["model_type"] as? String, "genecoding-encoder", "no transformers class loads these tensors correctly")
        for special in SpecialToken.allCases {
            XCTAssertEqual((project["special_tokens"] as? [String: Int])?[special.text], Int(special.rawValue))
        }
        XCTAssertEqual(json["unk_token_id"] as? Int, 0)
        XCTAssertEqual(json["cls_token_id"] as? Int, 1)
        XCTAssertEqual(json["sep_token_id"] as? Int, 2)
        XCTAssertEqual(json["mask_token_id"] as? Int, 4)
        XCTAssertEqual(json["id2label"] as? [String: String], ["0": "0", "1": "1"])
        XCTAssertEqual((project["position_encoding_details"] as? [String: Any])?["slopes"] as? [Double], ALiBi.slopes(heads: 2))
        XCTAssertEqual(project["tokenizer_file"] as? String, "tokenizer.json")
        XCTAssertTrue(project["equivalent_hf_class"] is NSNull)
    }

    func testConfigRoundTripsForEveryModelShape() throws {
        let folder = root.appendingPathComponent("configs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = tinyRun()
        var shapes: [ModelConfiguration] = []
        for position in PositionEncoding.allCases {
            for placement in NormPlacement.allCases {
                for (pooling, causal) in [(Pooling.classToken, false), (.mean, false), (.last, true)] {
                    shapes.append(ModelConfiguration(vocabularySize: 89, classCount: 3, maxLength: 40, width: 24, heads: 3,
                                                     feedForwardWidth: 48, layers: 2, positionEncoding: position, normPlacement: placement,
                                                     pooling: pooling, dropout: 0.1, causal: causal, layerNormEpsilon: 1e-6))
                }
            }
        }
        for c in shapes {
            let url = folder.appendingPathComponent("config.json")
            try Checkpoint.configJSON(c, run: run).write(to: url)
            let read = try ModelDescription(contentsOf: url.path)
            XCTAssertEqual(read.configuration, c)
            XCTAssertEqual(read.format, ConfigFile.format)
            XCTAssertEqual(read.derived, [], "a new file lacks nothing")
            XCTAssertEqual(read.tokenizer, "kmer:3")
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let project = try XCTUnwrap(json["genecoding"] as? [String: Any])
            let details = try XCTUnwrap(project["position_encoding_details"] as? [String: Any])
            switch c.positionEncoding {
            case .sinusoidal:
                XCTAssertEqual(details["layout"] as? String, "interleaved")
                XCTAssertEqual(details["token_embedding_scale"] as? Double, Double(Float(24).squareRoot()))
            case .rope: XCTAssertEqual(details["pairing"] as? String, "adjacent")
            case .alibi: XCTAssertEqual(details["slopes"] as? [Double], ALiBi.slopes(heads: 3), "3 heads: the interleaving rule")
            case .learned, .none: break
            }
            let bert = c.positionEncoding == .learned && c.normPlacement == .post && c.pooling == .classToken && !c.causal
            XCTAssertEqual(!(project["equivalent_hf_class"] is NSNull), bert, "BERT is named exactly when it computes this model: \(c)")
        }
    }

    /// config.json as checkpoints were written before ConfigFile.swift (kept verbatim).
    func legacyConfig(_ c: ModelConfiguration, run: Run) throws -> Data {
        let config: [String: Any] = [
            "model_type": "bert",
            "architectures": ["BertForSequenceClassification"],
            "vocab_size": c.vocabularySize, "hidden_size": c.width, "num_hidden_layers": c.layers,
            "num_attention_heads": c.heads, "intermediate_size": c.feedForwardWidth, "hidden_act": "gelu",
            "max_position_embeddings": c.maxLength, "layer_norm_eps": c.layerNormEpsilon, "num_labels": c.classCount,
            "hidden_dropout_prob": c.dropout, "attention_probs_dropout_prob": c.dropout,
            "pad_token_id": Int(SpecialToken.padding.rawValue),
            "genecoding": [
                "position_encoding": c.positionEncoding.rawValue, "norm_placement": c.normPlacement.rawValue,
                "pooling": c.pooling.rawValue, "causal": c.causal, "tokenizer": run.tokenizer.description,
                "task": run.task, "engine": engineVersion,
                "note": "BERT names where BERT has the tensor; no token_type embeddings; positions as position_encoding says",
            ] as [String: Any],
        ]
        return try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
    }

    func testOlderFoldersStillLoadAndPredictTheSame() throws {
        for tokenizer in [TokenizerSpec.kmer(k: 3, overlapping: false), .bpe(vocabularySize: 64)] {
            let run = tinyRun(tokenizer: tokenizer)
            let directory = try trainedFolder(run)
            let rows = records(Array(try executor.task(run.task).test.rows.prefix(30)))
            let now = try Predictor(ModelFolder(directory: directory)).predict(rows)

            // Make it an older folder: an unsealed model, the old config.json, and for k-mers no
            // tokenizer.json; a BPE vocabulary as RunExecutor wrote it (no normalizer, no truncation).
            let current = try ModelFolder(directory: directory)
            try unseal(directory)
            try legacyConfig(current.configuration, run: run).write(to: directory.appendingPathComponent("config.json"))
            let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
            if case .kmer = tokenizer {
                try FileManager.default.removeItem(at: tokenizerURL)
            } else {
                try (current.tokenizer as! BPETokenizer).write(to: tokenizerURL)
            }
            let old = try ModelFolder(directory: directory)
            XCTAssertEqual(old.config.format, 1)
            XCTAssertEqual(old.configuration, current.configuration)
            XCTAssertTrue(old.notes.contains { $0.contains("special token ids") }, "\(old.notes)")
            if case .kmer = tokenizer {
                XCTAssertTrue(old.notes.contains { $0.contains("tokenizer.json is missing") && $0.contains("kmer:3") }, "\(old.notes)")
            }
            let then = try Predictor(old).predict(rows)
            XCTAssertEqual(then.predictions.map(\.probabilities), now.predictions.map(\.probabilities), "\(tokenizer)")
        }
    }

    func testAnOldConfigWithoutTheProjectsFieldsTakesThemFromTheRunRecord() throws {
        let run = tinyRun(position: .alibi)
        let directory = try trainedFolder(run)
        let current = try ModelFolder(directory: directory)
        try unseal(directory)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: legacyConfig(current.configuration, run: run)) as? [String: Any])
        json["genecoding"] = nil
        json["layer_norm_eps"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: directory.appendingPathComponent("config.json"))
        let old = try ModelFolder(directory: directory)
        XCTAssertEqual(old.configuration, current.configuration, "position, norm and pooling from results/runs/<key>.json")
        XCTAssertEqual(old.config.tokenizer, "kmer:3")
        XCTAssertEqual(old.config.task, run.task)
        XCTAssertEqual(Set(old.config.derived.map(\.field)).isSuperset(of: ["position_encoding", "tokenizer", "layer_norm_eps"]), true, "\(old.config.derived)")
    }

    func testDamagedFoldersNameTheFile() throws {
        let directory = try trainedFolder(tinyRun(tokenizer: .bpe(vocabularySize: 64)))
        func assertRefused(_ name: String, _ words: String..., line: UInt = #line) {
            XCTAssertThrowsError(try ModelFolder(directory: directory), line: line) { error in
                guard let error = error as? InputError else { return XCTFail("expected InputError, got \(error)", line: line) }
                XCTAssertEqual(error.file, directory.appendingPathComponent(name).path, line: line)
                for word in words { XCTAssertTrue(error.message.contains(word), "'\(error.message)' should mention \(word)", line: line) }
            }
        }
        func damage(_ name: String, with text: String?, _ body: () -> Void) throws {
            let url = directory.appendingPathComponent(name)
            let saved = try Data(contentsOf: url)
            if let text { try Data(text.utf8).write(to: url) } else { try FileManager.default.removeItem(at: url) }
            body()
            try saved.write(to: url)
        }
        XCTAssertNoThrow(try ModelFolder(directory: directory))
        // A sealed model refuses a config.json or tokenizer.json that is not the one it was saved with.
        let edited = String(decoding: try Data(contentsOf: directory.appendingPathComponent("config.json")), as: UTF8.self) + "\n"
        try damage("config.json", with: edited) { assertRefused("config.json", "does not belong to") }
        try damage("tokenizer.json", with: "[1, 2]") { assertRefused("tokenizer.json", "does not belong to") }
        // Unsealed (an older folder), each file's own problem is named.
        try unseal(directory)
        try damage("config.json", with: nil) { assertRefused("config.json", "missing") }
        try damage("config.json", with: "{\"vocab_size\": ") { assertRefused("config.json", "not valid JSON") }
        try damage("config.json", with: "{\"vocab_size\": 64}") { assertRefused("config.json", "missing integer num_labels") }
        try damage("model.safetensors", with: nil) { assertRefused("model.safetensors", "missing") }
        try damage("model.safetensors", with: "1234") { assertRefused("model.safetensors", "truncated") }
        try damage("tokenizer.json", with: nil) { assertRefused("tokenizer.json", "missing", "learned from the training data") }
        try damage("tokenizer.json", with: "[1, 2]") { assertRefused("tokenizer.json", "not a JSON object") }
        let otherVocabulary = root.appendingPathComponent("kmer.json")
        try KmerTokenizer(k: 2).write(to: otherVocabulary)
        try damage("tokenizer.json", with: String(decoding: try Data(contentsOf: otherVocabulary), as: UTF8.self)) {
            assertRefused("tokenizer.json", "holds 25 tokens but the model (config.json) has 64")
        }
        XCTAssertThrowsError(try ModelFolder(directory: directory.appendingPathComponent("nothing"))) { error in
            XCTAssertTrue("\(error)".contains("no such model folder"), "\(error)")
        }
    }

    func testAStoredResultWithoutItsModelSaysWhy() throws {
        let directory = try trainedFolder(tinyRun())
        try FileManager.default.removeItem(at: directory)
        XCTAssertThrowsError(try ModelFolder(directory: directory)) { error in
            XCTAssertEqual((error as? InputError)?.file, directory.path)
            XCTAssertTrue("\(error)".contains("holds the run's result but its model was not kept"), "\(error)")
        }
    }

    func testOverlappingKmersGetNoTokenizerFileAndSaySo() throws {
        let run = tinyRun(tokenizer: .kmer(k: 3, overlapping: true))
        let directory = try trainedFolder(run)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as? [String: Any])
        let project = try XCTUnwrap(json["genecoding"] as? [String: Any])
        XCTAssertTrue(project["tokenizer_file"] is NSNull)
        XCTAssertTrue((project["tokenizer_note"] as? String)?.contains("overlapping") ?? false, "\(project)")
        let folder = try ModelFolder(directory: directory)
        XCTAssertEqual(folder.tokenizer.name, "kmer:3:overlap", "rebuilt from the spec")
        XCTAssertThrowsError(try Predictor(folder).predict([SequenceRecord(id: "a", sequence: "ACGT", line: 1)], windows: true))
    }
}
