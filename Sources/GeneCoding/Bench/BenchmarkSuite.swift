// `make bench`: every speed figure of the README, measured in one run, with the reference
// implementations (PyTorch, Hugging Face tokenizers) measured on the same machine in the same run
// when Python has them. Results go to bench/results.json and bench/RESULTS.md.
//
// Training speed is measured in rounds, ours then PyTorch's, and each figure is the median over the
// rounds: on this shared machine single measurements move from round to round (bench/RESULTS.md gives
// each figure's range), and in one run the per-round ratio of the same workload has spread over 0.4.
import Foundation

public struct BenchmarkReport: Codable, Sendable {
    public var sgemm: SgemmMeasurement
    /// Per configuration, the round with the median tokens per second.
    public var training: [TrainingMeasurement]
    /// PyTorch's measurement of the same configurations, when torch is importable (median round).
    public var torch: [TorchMeasurement]?
    /// Every round, in order: ours, and PyTorch's right after it.
    public var trainingRounds: [[TrainingMeasurement]]?
    public var torchRounds: [[TorchMeasurement]]?
    public var torchVersion: String?
    public var torchNote: String?
    public var tokenizer: TokenizerBenchmark.Result
    public var huggingFace: HuggingFaceTokenizerMeasurement?
    public var huggingFaceNote: String?
    public var peakMemoryBytes: Int
    public var threads: Int
    public var machine: Machine
    /// The chapters' real work, ours and PyTorch's on the same batches, every round (nil without GUE).
    public var workloadRounds: [WorkloadMeasurement]? = nil
    public var workloadTorchRounds: [TorchWorkloadMeasurement]? = nil
    /// The default profile's two extremes side by side, one thread each, every round.
    public var defaultShapeRounds: [[WorkloadMeasurement]]? = nil
    public var workloadNote: String? = nil
    /// When it was measured (the page says so).
    public var measured: Date? = nil
}

/// PyTorch's epoch of the real workload (scripts/bench_workload_torch.py).
public struct TorchWorkloadMeasurement: Codable, Sendable, ThroughputMeasurement {
    public var label: String
    public var tokensPerSecond: Double
    public var secondsPerEpoch: Double
}

/// A training-speed measurement of one configuration.
public protocol ThroughputMeasurement {
    var label: String { get }
    var tokensPerSecond: Double { get }
}

extension TrainingMeasurement: ThroughputMeasurement {}
extension TorchMeasurement: ThroughputMeasurement {}

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
    /// `python` is the interpreter with torch and tokenizers (make bench makes one: scripts/python-env.sh);
    /// `gue` the GUE folder for the real-workload rows, `store` where their vocabularies are cached.
    public static func run(threads: Int, seconds: Double, rounds: Int, repository: URL, python given: String? = nil,
                           gue: GUE? = nil, store: ResultStore? = nil, log: (String) -> Void) throws -> BenchmarkReport {
        precondition(rounds >= 1, "at least one round")
        ComputeThreads.set(threads)
        let sgemm = EngineBenchmark.sgemm()
        log(String(format: "sgemm 2048^3 on %d threads: %.1f GFLOP/s", threads, sgemm.gflops))
        let python = given ?? Subprocess.find("python3")
        let workloads = try prepareWorkloads(gue: gue, store: store, log: log)
        var oursRounds: [[TrainingMeasurement]] = [], torchRounds: [[TorchMeasurement]] = []
        var torchVersion: String?, torchNote: String? = python == nil ? "python3 not found" : nil
        for round in 1...rounds {
            var ours: [TrainingMeasurement] = []
            for (label, w, h, f, b) in [("width128", 128, 4, 512, 32), ("width768", 768, 12, 3072, 8)] {
                let m = try EngineBenchmark.training(label: label, width: w, heads: h, feedForwardWidth: f, layers: 3, batch: b,
                                                     length: 128, minimumSeconds: seconds, sgemmGflops: sgemm.gflops)
                ours.append(m)
                log(String(format: "round %d/%d, %@: %.0f tokens/s, %.1f model GFLOP/s (%.0f%% of sgemm), %.3f s/step", round, rounds,
                           label, m.tokensPerSecond, m.modelGflops, 100 * m.shareOfSgemm, m.secondsPerStep))
            }
            oursRounds.append(ours)
            if let workloads {
                try workloadRound(workloads, threads: threads, python: python, repository: repository, round: round, of: rounds, log: log)
                ComputeThreads.set(threads)
            }
            // PyTorch on the identical model, right after ours; exit status 3 means torch is not installed.
            guard let python, torchNote == nil else { continue }
            switch try torchRound(python: python, threads: threads, seconds: seconds, repository: repository) {
            case let .success(version, results):
                torchVersion = version
                torchRounds.append(results)
                for t in results {
                    let mine = ours.first { $0.label == t.label }
                    log(String(format: "round %d/%d, PyTorch %@ %@: %.0f tokens/s; ours / PyTorch = %.2f", round, rounds, version,
                               t.label, t.tokensPerSecond, (mine?.tokensPerSecond ?? .nan) / t.tokensPerSecond))
                }
            case let .failure(note):
                torchNote = note
                log(note)
            }
        }
        let training = medians(oursRounds)
        let peak = EngineBenchmark.peakMemoryBytes()

        // Our BPE, then Hugging Face tokenizers on the same sequences.
        let (tokenizer, huggingFaceRound) = try withTokenizerFiles { sequencesFile, vocabularyFile in
            let tokenizer = try TokenizerBenchmark.run(sequencesFile: sequencesFile, tokenizerFile: vocabularyFile)
            log(String(format: "BPE %d on %d x %d bp: training %.2f s, encoding %.2f s (one thread)", tokenizer.vocabularySize,
                       tokenizer.sequenceCount, tokenizer.sequenceLength, tokenizer.trainingSeconds, tokenizer.encodingSeconds))
            guard let python else { return (tokenizer, HuggingFaceRound.unavailable(note: "python3 not found")) }
            return (tokenizer, try huggingFace(python: python, sequencesFile: sequencesFile, vocabularyFile: vocabularyFile,
                                               repository: repository, log: log))
        }

        var report = BenchmarkReport(sgemm: sgemm, training: training, torch: torchRounds.isEmpty ? nil : medians(torchRounds),
                                     trainingRounds: oursRounds, torchRounds: torchRounds.isEmpty ? nil : torchRounds,
                                     torchVersion: torchVersion, torchNote: torchNote,
                                     tokenizer: tokenizer, huggingFace: nil, huggingFaceNote: nil, peakMemoryBytes: peak,
                                     threads: threads, machine: .current())
        report.measured = Date()
        switch huggingFaceRound {
        case let .measured(m): report.huggingFace = m
        case let .unavailable(note): report.huggingFaceNote = note
        }
        if let workloads {
            report.workloadRounds = workloads.ours
            report.workloadTorchRounds = workloads.torch.isEmpty ? nil : workloads.torch
            report.defaultShapeRounds = workloads.sideBySide
            report.workloadNote = workloads.note
        } else {
            report.workloadNote = "GUE_DIR not set: the real-workload rows need tf/0 and EMP/H3"
        }
        if let torch = report.torch {
            for t in torch {
                let mine = training.first { $0.label == t.label }
                log(String(format: "median of %d rounds, %@: ours %.0f, PyTorch %.0f tokens/s; ours / PyTorch = %.2f", rounds, t.label,
                           mine?.tokensPerSecond ?? .nan, t.tokensPerSecond, (mine?.tokensPerSecond ?? .nan) / t.tokensPerSecond))
            }
        }
        return report
    }

    /// The files the tokenizer rows share with scripts/bench_tokenizers.py (the sequences, our learned
    /// tokenizer.json), in a scratch folder removed after `body`.
    static func withTokenizerFiles<T>(_ body: (_ sequences: URL, _ vocabulary: URL) throws -> T) throws -> T {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try body(scratch.appendingPathComponent("sequences.txt"), scratch.appendingPathComponent("ours.json"))
    }

    /// What scripts/bench_tokenizers.py gave: its measurement, or why there is none.
    enum HuggingFaceRound {
        case measured(HuggingFaceTokenizerMeasurement)
        case unavailable(note: String)
    }

    /// scripts/bench_tokenizers.py on the sequences our BPE benchmark learned from and encoded.
    static func huggingFace(python: String, sequencesFile: URL, vocabularyFile: URL, repository: URL,
                            log: (String) -> Void) throws -> HuggingFaceRound {
        let hf = try Subprocess.run(python, [repository.appendingPathComponent("scripts/bench_tokenizers.py").path,
                                             sequencesFile.path, "--vocab-size", "4096", "--ours", vocabularyFile.path])
        guard hf.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(hf.standardOutput.utf8)) as? [String: Any] else {
            let note = "tokenizers not available: " + (hf.standardError.split(separator: "\n").last.map(String.init) ?? "")
            log(note)
            return .unavailable(note: note)
        }
        let m = HuggingFaceTokenizerMeasurement(
            version: json["tokenizers_version"] as? String ?? "?", trainSeconds: json["train_seconds"] as? Double ?? .nan,
            encodeBatchSeconds: json["encode_batch_seconds"] as? Double ?? .nan,
            encodeLoopSeconds: json["encode_loop_seconds"] as? Double ?? .nan,
            sameVocabulary: (json["vocabularies_equal"] as? Bool).map { $0 && (json["merges_equal"] as? Bool ?? false) })
        log(String(format: "Hugging Face tokenizers %@: training %.2f s, encode_batch %.2f s, encode loop %.2f s; same vocabulary: %@",
                   m.version, m.trainSeconds, m.encodeBatchSeconds, m.encodeLoopSeconds, m.sameVocabulary.map { "\($0)" } ?? "?"))
        return .measured(m)
    }

    /// The tokenizer rows alone (`genecoding bench --tokenizer`): ours, then Hugging Face's on the same
    /// sequences, every round; nothing written.
    public static func tokenizerOnly(threads: Int, rounds: Int, repository: URL, python given: String?, log: (String) -> Void) throws {
        precondition(rounds >= 1, "at least one round")
        ComputeThreads.set(threads)
        try withTokenizerFiles { sequencesFile, vocabularyFile in
            for round in 1...rounds {
                let t = try TokenizerBenchmark.run(sequencesFile: sequencesFile, tokenizerFile: vocabularyFile)
                log(String(format: "round %d: BPE %d on %d x %d bp: training %.2f s, encoding %.2f s (one thread), %.2f s (a batch, %d threads)", round,
                           t.vocabularySize, t.sequenceCount, t.sequenceLength, t.trainingSeconds, t.encodingSeconds, t.batchEncodingSeconds ?? .nan, threads))
                if let python = given ?? Subprocess.find("python3") {
                    _ = try huggingFace(python: python, sequencesFile: sequencesFile, vocabularyFile: vocabularyFile, repository: repository, log: log)
                }
            }
        }
    }

    /// The prepared batches of the real workload and the default profile's two runs, and what each round measured.
    final class Workloads {
        let real: WorkloadBenchmark.Prepared, bpe: WorkloadBenchmark.Prepared, oneMer: WorkloadBenchmark.Prepared
        let torchFile: URL
        var ours: [WorkloadMeasurement] = [], torch: [TorchWorkloadMeasurement] = [], sideBySide: [[WorkloadMeasurement]] = []
        var note: String?
        init(real: WorkloadBenchmark.Prepared, bpe: WorkloadBenchmark.Prepared, oneMer: WorkloadBenchmark.Prepared, torchFile: URL) {
            self.real = real; self.bpe = bpe; self.oneMer = oneMer; self.torchFile = torchFile
        }
    }

    static func prepareWorkloads(gue: GUE?, store: ResultStore?, log: (String) -> Void) throws -> Workloads? {
        guard let gue, let store else { return nil }
        let executor = RunExecutor(gue: gue, store: store)
        executor.log = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let real = try WorkloadBenchmark.prepare(WorkloadBenchmark.real, executor: executor)
        let bpe = try WorkloadBenchmark.prepare(WorkloadBenchmark.defaultBPE, executor: executor)
        let oneMer = try WorkloadBenchmark.prepare(WorkloadBenchmark.defaultOneMer, executor: executor)
        let file = store.root.appendingPathComponent("workload-for-torch.json")
        try WorkloadBenchmark.writeForTorch(real, to: file)
        return Workloads(real: real, bpe: bpe, oneMer: oneMer, torchFile: file)
    }

    /// The workload rows alone (`genecoding bench --workload`): every round, then the medians; nothing written.
    public static func workloadOnly(threads: Int, rounds: Int, repository: URL, python given: String?, gue: GUE, store: ResultStore,
                                    log: (String) -> Void) throws {
        precondition(rounds >= 1, "at least one round")
        guard let w = try prepareWorkloads(gue: gue, store: store, log: log) else { return }
        let python = given ?? Subprocess.find("python3")
        for round in 1...rounds {
            try workloadRound(w, threads: threads, python: python, repository: repository, round: round, of: rounds, log: log)
        }
        let ours = median(w.ours.map(\.tokensPerSecond))
        var line = String(format: "medians of %d rounds: %@ %.0f tokens/s", rounds, w.real.workload.label, ours)
        if !w.torch.isEmpty {
            let torch = median(w.torch.map(\.tokensPerSecond))
            line += String(format: ", PyTorch %.0f tokens/s, ours / PyTorch = %.2f", torch, ours / torch)
        }
        log(line + String(format: "; side by side: BPE %.0f, 1-mer %.0f tokens/s", median(w.sideBySide.map { $0[0].tokensPerSecond }),
                                 median(w.sideBySide.map { $0[1].tokensPerSecond })))
    }

    /// One round of the workload rows: ours on the real batches, PyTorch on the same, then the default
    /// profile's two runs side by side.
    static func workloadRound(_ w: Workloads, threads: Int, python: String?, repository: URL, round: Int, of rounds: Int,
                              log: (String) -> Void) throws {
        ComputeThreads.set(threads)
        let ours = try WorkloadBenchmark.measure(w.real)
        w.ours.append(ours)
        log(String(format: "round %d/%d, %@: %.0f tokens/s, %.2f s per epoch of %d steps", round, rounds, ours.label,
                   ours.tokensPerSecond, ours.secondsPerEpoch, ours.steps))
        if let python, w.note == nil {
            let out = w.torchFile.deletingLastPathComponent().appendingPathComponent("workload-torch-result.json")
            let torch = try Subprocess.run(python, [repository.appendingPathComponent("scripts/bench_workload_torch.py").path,
                                                    w.torchFile.path, "--threads", "\(threads)", "--json", out.path])
            if torch.status == 0, let data = FileManager.default.contents(atPath: out.path),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                let m = TorchWorkloadMeasurement(label: ours.label, tokensPerSecond: json["tokensPerSecond"] as? Double ?? .nan,
                                                 secondsPerEpoch: json["secondsPerEpoch"] as? Double ?? .nan)
                w.torch.append(m)
                log(String(format: "round %d/%d, PyTorch %@: %.0f tokens/s; ours / PyTorch = %.2f", round, rounds, m.label,
                           m.tokensPerSecond, ours.tokensPerSecond / m.tokensPerSecond))
            } else {
                w.note = torch.status == 3 ? "PyTorch is not installed" : "PyTorch workload run failed: \(torch.standardError.suffix(300))"
                log(w.note!)
            }
        }
        let pair = try WorkloadBenchmark.sideBySide(w.bpe, w.oneMer)
        w.sideBySide.append(pair)
        log(String(format: "round %d/%d, default profile side by side: BPE %.0f tokens/s, 1-mer %.0f tokens/s, %.0f%% of the time outside matrix products",
                   round, rounds, pair[0].tokensPerSecond, pair[1].tokensPerSecond, 100 * (pair[0].shareOutsideProducts ?? .nan)))
    }

    private enum TorchRound {
        case success(version: String, results: [TorchMeasurement])
        case failure(note: String)
    }

    /// One run of scripts/bench_torch.py over both configurations.
    private static func torchRound(python: String, threads: Int, seconds: Double, repository: URL) throws -> TorchRound {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("genecoding-bench-torch-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let torchJSON = scratch.appendingPathComponent("torch.json")
        let torch = try Subprocess.run(python, [repository.appendingPathComponent("scripts/bench_torch.py").path, "--threads",
                                                "\(threads)", "--seconds", "\(Int(seconds))", "--json", torchJSON.path])
        guard torch.status == 0, let data = FileManager.default.contents(atPath: torchJSON.path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = json["results"] as? [[String: Any]] else {
            return .failure(note: torch.status == 3 ? "PyTorch is not installed" : "PyTorch run failed: \(torch.standardError.suffix(300))")
        }
        return .success(version: json["torch_version"] as? String ?? "?", results: results.map {
            TorchMeasurement(label: $0["label"] as? String ?? "?", parameters: $0["parameters"] as? Int,
                             tokensPerSecond: $0["tokensPerSecond"] as? Double ?? .nan,
                             modelGflops: $0["modelGflops"] as? Double ?? .nan, secondsPerStep: $0["secondsPerStep"] as? Double ?? .nan)
        })
    }

    /// Per configuration (in the first round's order), the round with the median tokens per second
    /// (the lower middle one for an even count).
    static func medians<M: ThroughputMeasurement>(_ rounds: [[M]]) -> [M] {
        guard let first = rounds.first else { return [] }
        return first.map { m in
            let all = measurements(rounds, label: m.label).sorted { $0.tokensPerSecond < $1.tokensPerSecond }
            return all[(all.count - 1) / 2]
        }
    }

    /// The median of the rounds' figures, the lower middle one for an even count (as `medians` picks a
    /// round); nan for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[(sorted.count - 1) / 2]
    }

    /// One configuration's measurement from each round that has it, in round order.
    static func measurements<M: ThroughputMeasurement>(_ rounds: [[M]], label: String) -> [M] {
        rounds.compactMap { $0.first { $0.label == label } }
    }

    /// The Markdown page of a report.
    public static func markdown(_ r: BenchmarkReport, path: String) -> MarkdownDocument {
        var doc = MarkdownDocument(path: path)
        doc.heading("Benchmarks", level: 1)
        doc.paragraph("Measured by `make bench` on \(r.machine.cores) cores (\(r.machine.processor)), \(r.threads) threads"
                      + (r.machine.build.map { ", with the library built for \($0)" } ?? "") + ". "
                      + "Model FLOPs count 6 × matrix parameters × tokens plus 12 × layers × length × width × tokens "
                      + "(attention), forward and backward; the embedding table is a lookup and is not counted.")
        doc.paragraph(String(format: "OpenBLAS sgemm (2048³): **%.1f GFLOP/s**. Peak memory of the benchmark process: %@.",
                             r.sgemm.gflops, Format.bytes(r.peakMemoryBytes)))
        var table = Table(["configuration", "tokens/s (ours)", "model GFLOP/s", "share of sgemm", "tokens/s (PyTorch)",
                           "ours / PyTorch", "per round"])
        let rounds = r.trainingRounds ?? [r.training]
        /// "low–high" tokens per second of one configuration over the rounds
        func spread<M: ThroughputMeasurement>(_ rounds: [[M]], _ label: String) -> String {
            let values = measurements(rounds, label: label).map(\.tokensPerSecond)
            guard values.count > 1 else { return "" }
            return String(format: " (%.0f–%.0f)", values.min()!, values.max()!)
        }
        for m in r.training {
            let torch = r.torch?.first { $0.label == m.label }
            let perRound = zip(rounds, r.torchRounds ?? []).compactMap { ours, theirs -> Double? in
                guard let o = ours.first(where: { $0.label == m.label }), let t = theirs.first(where: { $0.label == m.label }) else { return nil }
                return o.tokensPerSecond / t.tokensPerSecond
            }
            table.append([
                "width \(m.width), \(m.heads) heads, ff \(m.feedForwardWidth), \(m.layers) layers, batch \(m.batch) × \(m.tokens), dropout \(m.dropout)",
                String(format: "%.0f", m.tokensPerSecond) + spread(rounds, m.label), String(format: "%.1f", m.modelGflops),
                Format.percent(m.shareOfSgemm),
                torch.map { String(format: "%.0f", $0.tokensPerSecond) + spread(r.torchRounds ?? [], m.label) } ?? "–",
                torch.map { String(format: "%.2f", m.tokensPerSecond / $0.tokensPerSecond) } ?? "–",
                perRound.isEmpty ? "–" : perRound.map { String(format: "%.2f", $0) }.joined(separator: ", "),
            ])
        }
        let how = "Medians of \(rounds.count) round\(rounds.count == 1 ? "" : "s") (range in brackets); in each round ours is "
            + "measured first, then PyTorch's"
        doc.table(table, caption: r.torch == nil ? how + ". " + (r.torchNote ?? "")
                  : how + ": PyTorch \(r.torchVersion ?? "") on the identical model, same threads. "
                  + "The ratio is of the medians; per round, of that round's two figures.")
        if let ours = r.workloadRounds, !ours.isEmpty {
            let torch = r.workloadTorchRounds ?? []
            let o = median(ours.map(\.tokensPerSecond)), t = median(torch.map(\.tokensPerSecond))
            let w = ours[0]
            var real = Table(["the chapters' real work", "ours", "PyTorch", "ours / PyTorch", "per round"])
            real.append(["\(w.task), \(w.tokenizer), RoPE, width \(w.width), \(w.heads) heads, ff \(w.feedForwardWidth), \(w.layers) layers, "
                         + "batch \(w.batch), \(w.sequences) sequences (\(Format.fixed(w.meanTokensPerSequence, 1)) tokens each), one epoch of \(w.steps) steps",
                         String(format: "%.0f tokens/s (%.0f–%.0f); %.1f s an epoch", o, ours.map(\.tokensPerSecond).min()!,
                                ours.map(\.tokensPerSecond).max()!, median(ours.map(\.secondsPerEpoch))),
                         torch.isEmpty ? "–" : String(format: "%.0f tokens/s (%.0f–%.0f); %.1f s an epoch", t, torch.map(\.tokensPerSecond).min()!,
                                                      torch.map(\.tokensPerSecond).max()!, median(torch.map(\.secondsPerEpoch))),
                         torch.isEmpty ? "–" : String(format: "%.2f", o / t),
                         zip(ours, torch).map { String(format: "%.2f", $0.tokensPerSecond / $1.tokensPerSecond) }.joined(separator: ", ")])
            doc.table(real, caption: "The same batches (the trainer's shuffled order of a seeded 8,000-sequence sample of tf/0's training "
                      + "split, BPE-4096 learned on the whole split) through full training steps on \(r.threads) threads, both sides; "
                      + "medians of the rounds, range in brackets. " + (r.workloadNote ?? ""))
        }
        if let pairs = r.defaultShapeRounds, !pairs.isEmpty {
            var shape = Table(["the default profile, as make trains it", "tokens/s", "share of time outside matrix products"])
            for i in 0..<2 {
                let m = pairs[0][i]
                shape.append(["\(m.label): \(m.task), \(m.tokenizer), width \(m.width), \(m.layers) layers, batch \(m.batch), "
                              + "\(Format.fixed(m.meanTokensPerSequence, 0)) tokens a sequence",
                              String(format: "%.0f", median(pairs.map { $0[i].tokensPerSecond })),
                              Format.percent(median(pairs.map { $0[i].shareOutsideProducts ?? .nan }), 0)])
            }
            doc.table(shape, caption: "Two runs side by side with one thread each, as `make` trains the default profile (medians of "
                      + "\(pairs.count) rounds); the share outside matrix products is of both runs' time together (BLAS calls and "
                      + "attention's small products timed by ProductTimer).")
        }
        let t = r.tokenizer
        var tok = Table(["BPE 4,096 on \(t.sequenceCount) × \(t.sequenceLength) bp", "ours", "Hugging Face tokenizers", "ratio"])
        let hf = r.huggingFace
        tok.append(["training (s)", String(format: "%.2f", t.trainingSeconds), hf.map { String(format: "%.2f", $0.trainSeconds) } ?? "–",
                    hf.map { String(format: "%.1f× faster", $0.trainSeconds / t.trainingSeconds) } ?? "–"])
        tok.append(["encoding, one thread (s)", String(format: "%.2f", t.encodingSeconds),
                    hf.map { String(format: "%.2f (encode loop)", $0.encodeLoopSeconds) } ?? "–",
                    hf.map { String(format: "%.1f× faster", $0.encodeLoopSeconds / t.encodingSeconds) } ?? "–"])
        if let batch = t.batchEncodingSeconds {
            tok.append(["encoding a batch, \(r.threads) threads (s)", String(format: "%.2f", batch),
                        hf.map { String(format: "%.2f (encode_batch)", $0.encodeBatchSeconds) } ?? "–",
                        hf.map { String(format: "%.1f× faster", $0.encodeBatchSeconds / batch) } ?? "–"])
        }
        doc.table(tok, caption: hf.map { "Same learned vocabulary as Hugging Face: \($0.sameVocabulary.map { $0 ? "yes" : "NO" } ?? "?")." }
                  ?? (r.huggingFaceNote ?? ""))
        return doc
    }
}
