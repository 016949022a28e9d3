// `make bench`: every speed figure of the README, measured in one run, with the reference
// implementations (PyTorch, Hugging Face tokenizers) measured on the same machine in the same run
// when Python has them. Results go to bench/results.json and bench/RESULTS.md.
import Foundation

public struct BenchmarkReport: Codable, Sendable {
    public var sgemm: SgemmMeasurement
    public var training: [TrainingMeasurement]
    /// PyTorch's measurement of the same configurations, when torch is importable.
    public var torch: [TorchMeasurement]?
    public var torchVersion: String?
    public var torchNote: String?
    public var tokenizer: TokenizerBenchmark.Result
    public var huggingFace: HuggingFaceTokenizerMeasurement?
    public var huggingFaceNote: String?
    public var peakMemoryBytes: Int
    public var threads: Int
    public var machine: Provenance.Machine
}

public struct TorchMeasurement: Codable, Sendable {
    public var label: String
    public var parameters: Int?
    public var tokensPerSecond: Double
    public var modelGflops: Double
    public var secondsPerStep: Double
}

public struct HuggingFaceTokenizerMeasurement: Codable, Sendable {
    public var version: String
    public var trainSeconds: Double
    public var encodeBatchSeconds: Double
    public var encodeLoopSeconds: Double
    public var sameVocabulary: Bool?
}

public enum BenchmarkSuite {
    /// Runs everything; `log` gets one line per measurement as it finishes.
    public static func run(threads: Int, seconds: Double, repository: URL, log: (String) -> Void) throws -> BenchmarkReport {
        ComputeThreads.set(threads)
        let sgemm = EngineBenchmark.sgemm()
        log(String(format: "sgemm 2048^3 on %d threads: %.1f GFLOP/s", threads, sgemm.gflops))
        var training: [TrainingMeasurement] = []
        for (label, w, h, f, b) in [("width128", 128, 4, 512, 32), ("width768", 768, 12, 3072, 8)] {
            let m = try EngineBenchmark.training(label: label, width: w, heads: h, feedForwardWidth: f, layers: 3, batch: b,
                                                 length: 128, minimumSeconds: seconds, sgemmGflops: sgemm.gflops)
            training.append(m)
            log(String(format: "%@: %.0f tokens/s, %.1f model GFLOP/s (%.0f%% of sgemm), %.3f s/step", label,
                       m.tokensPerSecond, m.modelGflops, 100 * m.shareOfSgemm, m.secondsPerStep))
        }
        let peak = EngineBenchmark.peakMemoryBytes()

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sequencesFile = scratch.appendingPathComponent("sequences.txt")
        let vocabularyFile = scratch.appendingPathComponent("ours.json")
        let tokenizer = try TokenizerBenchmark.run(sequencesFile: sequencesFile, tokenizerFile: vocabularyFile)
        log(String(format: "BPE %d on %d x %d bp: training %.2f s, encoding %.2f s (one thread)", tokenizer.vocabularySize,
                   tokenizer.sequenceCount, tokenizer.sequenceLength, tokenizer.trainingSeconds, tokenizer.encodingSeconds))

        var report = BenchmarkReport(sgemm: sgemm, training: training, torch: nil, torchVersion: nil, torchNote: nil,
                                     tokenizer: tokenizer, huggingFace: nil, huggingFaceNote: nil, peakMemoryBytes: peak,
                                     threads: threads, machine: .current())
        guard let python = Subprocess.find("python3") else {
            report.torchNote = "python3 not found"
            report.huggingFaceNote = "python3 not found"
            return report
        }
        // Hugging Face tokenizers on the same sequences.
        let hf = try Subprocess.run(python, [repository.appendingPathComponent("scripts/bench_tokenizers.py").path,
                                             sequencesFile.path, "--vocab-size", "4096", "--ours", vocabularyFile.path])
        if hf.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(hf.standardOutput.utf8)) as? [String: Any] {
            let m = HuggingFaceTokenizerMeasurement(
                version: json["tokenizers_version"] as? String ?? "?", trainSeconds: json["train_seconds"] as? Double ?? .nan,
                encodeBatchSeconds: json["encode_batch_seconds"] as? Double ?? .nan,
                encodeLoopSeconds: json["encode_loop_seconds"] as? Double ?? .nan,
                sameVocabulary: (json["vocabularies_equal"] as? Bool).map { $0 && (json["merges_equal"] as? Bool ?? false) })
            report.huggingFace = m
            log(String(format: "Hugging Face tokenizers %@: training %.2f s, encode_batch %.2f s, encode loop %.2f s; same vocabulary: %@",
                       m.version, m.trainSeconds, m.encodeBatchSeconds, m.encodeLoopSeconds, m.sameVocabulary.map { "\($0)" } ?? "?"))
        } else {
            report.huggingFaceNote = "tokenizers not available: " + (hf.standardError.split(separator: "\n").last.map(String.init) ?? "")
            log(report.huggingFaceNote!)
        }
        // PyTorch on the identical model; exit status 3 means torch is not installed.
        let torchJSON = scratch.appendingPathComponent("torch.json")
        let torch = try Subprocess.run(python, [repository.appendingPathComponent("scripts/bench_torch.py").path, "--threads",
                                                "\(threads)", "--seconds", "\(Int(seconds))", "--json", torchJSON.path])
        if torch.status == 0, let data = FileManager.default.contents(atPath: torchJSON.path),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let results = json["results"] as? [[String: Any]] {
            report.torchVersion = json["torch_version"] as? String
            report.torch = results.map {
                TorchMeasurement(label: $0["label"] as? String ?? "?", parameters: $0["parameters"] as? Int,
                                 tokensPerSecond: $0["tokensPerSecond"] as? Double ?? .nan,
                                 modelGflops: $0["modelGflops"] as? Double ?? .nan, secondsPerStep: $0["secondsPerStep"] as? Double ?? .nan)
            }
            for t in report.torch! {
                let ours = training.first { $0.label == t.label }
                log(String(format: "PyTorch %@ %@: %.0f tokens/s; ours / PyTorch = %.2f", report.torchVersion ?? "", t.label,
                           t.tokensPerSecond, (ours?.tokensPerSecond ?? .nan) / t.tokensPerSecond))
            }
        } else {
            report.torchNote = torch.status == 3 ? "PyTorch is not installed" : "PyTorch run failed: \(torch.standardError.suffix(300))"
            log(report.torchNote!)
        }
        return report
    }

    /// The Markdown page of a report.
    public static func markdown(_ r: BenchmarkReport, path: String) -> MarkdownDocument {
        var doc = MarkdownDocument(path: path)
        doc.heading("Benchmarks", level: 1)
        doc.paragraph("Measured by `make bench` on \(r.machine.cores) cores (\(r.machine.processor)), \(r.threads) threads. "
                      + "Model FLOPs count 6 × matrix parameters × tokens plus 12 × layers × length × width × tokens "
                      + "(attention), forward and backward; the embedding table is a lookup and is not counted.")
        doc.paragraph(String(format: "OpenBLAS sgemm (2048³): **%.1f GFLOP/s**. Peak memory of the benchmark process: %@.",
                             r.sgemm.gflops, Format.bytes(r.peakMemoryBytes)))
        var table = Table(["configuration", "tokens/s (ours)", "model GFLOP/s", "share of sgemm", "tokens/s (PyTorch)", "ours / PyTorch"])
        for m in r.training {
            let torch = r.torch?.first { $0.label == m.label }
            table.append([
                "width \(m.width), \(m.heads) heads, ff \(m.feedForwardWidth), \(m.layers) layers, batch \(m.batch) × \(m.tokens), dropout \(m.dropout)",
                String(format: "%.0f", m.tokensPerSecond), String(format: "%.1f", m.modelGflops), Format.percent(m.shareOfSgemm),
                torch.map { String(format: "%.0f", $0.tokensPerSecond) } ?? "–",
                torch.map { String(format: "%.2f", m.tokensPerSecond / $0.tokensPerSecond) } ?? "–",
            ])
        }
        doc.table(table, caption: r.torch == nil ? (r.torchNote ?? "") : "PyTorch \(r.torchVersion ?? "") on the identical model, same threads.")
        let t = r.tokenizer
        var tok = Table(["BPE 4,096 on \(t.sequenceCount) × \(t.sequenceLength) bp", "ours", "Hugging Face tokenizers", "ratio"])
        let hf = r.huggingFace
        tok.append(["training (s)", String(format: "%.2f", t.trainingSeconds), hf.map { String(format: "%.2f", $0.trainSeconds) } ?? "–",
                    hf.map { String(format: "%.1f× faster", $0.trainSeconds / t.trainingSeconds) } ?? "–"])
        tok.append(["encoding (s)", String(format: "%.2f", t.encodingSeconds),
                    hf.map { String(format: "%.2f (encode_batch)", $0.encodeBatchSeconds) } ?? "–",
                    hf.map { String(format: "%.1f× faster", $0.encodeBatchSeconds / t.encodingSeconds) } ?? "–"])
        doc.table(tok, caption: hf.map { "Same learned vocabulary as Hugging Face: \($0.sameVocabulary.map { $0 ? "yes" : "NO" } ?? "?")." }
                  ?? (r.huggingFaceNote ?? ""))
        return doc
    }
}
