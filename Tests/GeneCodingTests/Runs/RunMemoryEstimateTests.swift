// The memory estimate against what the engine really holds: `TensorMemory.peak` around real
// training (Trainer.run, Pretrainer.run, RunExecutor.execute) on several shapes, each in every memory
// mode, held within 20% of the estimate, phase by phase (one step, one evaluation batch) and over the
// whole run.
import XCTest
@testable import GeneCoding

final class RunMemoryEstimateTests: XCTestCase {
    override func setUp() {
        ComputeThreads.set(1)
    }

    override func tearDown() {
        ComputeThreads.set(1)
    }

    /// `count` sequences of exactly `tokens` ids ([CLS] ... [SEP]), labels alternating.
    func split(_ count: Int, tokens: Int, vocabulary: Int, seed: UInt64 = 7) -> EncodedSplit {
        var random = RandomSource(seed: seed)
        let first = UInt64(SpecialToken.allCases.count)
        let sequences = (0..<count).map { _ in
            [SpecialToken.classification.rawValue]
                + (0..<(tokens - 2)).map { _ in Int32(first + random.next() % (UInt64(vocabulary) - first)) }
                + [SpecialToken.separator.rawValue]
        }
        return EncodedSplit(sequences: sequences, labels: (0..<count).map { $0 % 2 })
    }

    struct Shape {
        var name: String
        var model: ModelConfiguration
        var batch: Int
        var tokens: Int
        var trainRows: Int
        var devRows: Int
        var testRows: Int
        var epochs: Int
        var threads = 1
        var modes = MemoryMode.allCases
    }

    /// The estimate of a shape, built as `RunMemoryEstimate(run:...)` builds it from a run.
    func estimate(_ s: Shape, mode: MemoryMode) -> RunMemoryEstimate {
        let scored = { (rows: Int) in RunMemoryEstimate.Batch(sequences: min(64, rows), tokens: s.tokens) }
        return RunMemoryEstimate(model: s.model, training: .init(sequences: min(s.batch, s.trainRows), tokens: s.tokens),
                                 evaluations: [scored(s.devRows), scored(min(s.trainRows, 1024)), scored(s.testRows)],
                                 epochs: s.epochs, threads: s.threads, memoryMode: mode)
    }

    /// The estimate within `tolerance` (20%) above the measurement and at most 5% below it: a job
    /// asked for too little is killed, one asked for too much only waits longer for a node.
    func assertWithin(_ estimated: Int, _ measured: Int, _ what: String, tolerance: Double = 0.2,
                      file: StaticString = #filePath, line: UInt = #line) {
        let ratio = Double(estimated) / Double(measured)
        XCTAssertTrue((0.95...(1 + tolerance)).contains(ratio),
                      "\(what): estimated \(Format.bytes(estimated)), measured \(Format.bytes(measured)) (ratio \(Format.fixed(ratio, 3)))",
                      file: file, line: line)
    }

    /// First one training step and one evaluation batch with the first epoch's state held (the model,
    /// AdamW's moments, a best-on-dev snapshot), then, unless `wholeRun` is false, the whole of
    /// Trainer.run (snapshots, checkpoint state, steps and evaluations), each against the estimate.
    func check(_ s: Shape, wholeRun: Bool = true, tolerance: Double = 0.2, file: StaticString = #filePath, line: UInt = #line) throws {
        for mode in s.modes {
            var shape = s
            shape.name += ", \(mode)"
            try check(shape, mode: mode, wholeRun: wholeRun, tolerance: tolerance, file: file, line: line)
        }
    }

    func check(_ s: Shape, mode: MemoryMode, wholeRun: Bool, tolerance: Double, file: StaticString, line: UInt) throws {
        ComputeThreads.set(s.threads)
        let e = estimate(s, mode: mode)
        let train = split(s.trainRows, tokens: s.tokens, vocabulary: s.model.vocabularySize)
        let dev = split(s.devRows, tokens: s.tokens, vocabulary: s.model.vocabularySize, seed: 8)
        let test = split(s.testRows, tokens: s.tokens, vocabulary: s.model.vocabularySize, seed: 9)
        let state = RunMemoryEstimate.TrainerCopies.trainingFirst * e.parameterBytes
        func activations(_ b: RunMemoryEstimate.Batch, training: Bool) -> Int {
            RunMemoryEstimate.floatBytes * (training ? RunMemoryEstimate.activationTerms(s.model, b, training: true, threads: s.threads, mode: mode).total
                                                     : RunMemoryEstimate.evaluationFloats(s.model, b, threads: s.threads))
        }

        // Phase by phase, as the first epoch holds them.
        do {
            let before = TensorMemory.current
            let model = try TransformerClassifier<Float>(s.model, seed: 1)
            model.memoryMode = mode
            let optimizer = AdamW(model.parameters, settings: OptimizerSettings(learningRate: 1e-3, weightDecay: 0.01))
            let best = model.parameters.snapshot()
            let batch = TokenBatch(sequences: Array(train.sequences.prefix(s.batch)), labels: Array(train.labels.prefix(s.batch)))
            TensorMemory.resetPeak()
            do {
                let pass = model.forward(batch, dropoutKey: 3)
                let (_, dz) = model.loss(pass)
                model.parameters.zeroGradients()
                model.backward(pass, logitGradient: dz)
                optimizer.update(model.parameters, learningRate: 1e-3)
            }
            let step = TensorMemory.peak - before
            let evaluationBatch = TokenBatch(sequences: Array(dev.sequences.prefix(64)), labels: Array(dev.labels.prefix(64)))
            TensorMemory.resetPeak()
            do {
                let logits = model.logits(evaluationBatch)
                _ = model.loss(logits: logits, labels: evaluationBatch.labels)
            }
            let evaluation = TensorMemory.peak - before
            withExtendedLifetime(best) {}
            assertWithin(state + activations(e.training, training: true), step, "\(s.name): one training step", tolerance: tolerance,
                         file: file, line: line)
            assertWithin(state + activations(.init(sequences: evaluationBatch.size, tokens: s.tokens), training: false), evaluation,
                         "\(s.name): one evaluation batch", tolerance: tolerance, file: file, line: line)
            print("memory estimate \(s.name): step \(Format.bytes(step)) measured, ratio \(Format.fixed(Double(state + activations(e.training, training: true)) / Double(step), 4)); "
                  + "evaluation \(Format.bytes(evaluation)) measured, ratio "
                  + Format.fixed(Double(state + activations(.init(sequences: evaluationBatch.size, tokens: s.tokens), training: false)) / Double(evaluation), 4))
        }
        guard wholeRun else { return }

        // The whole run, as the trainer holds it.
        let before = TensorMemory.current
        TensorMemory.resetPeak()
        do {
            let model = try TransformerClassifier<Float>(s.model, seed: 1)
            model.memoryMode = mode
            let settings = TrainingSettings(epochs: s.epochs, batchSize: s.batch, optimizer: OptimizerSettings(learningRate: 1e-3, weightDecay: 0.01))
            _ = try Trainer(model: model, settings: settings, seed: 1, train: train, dev: dev, test: test).run()
        }
        let measured = TensorMemory.peak - before
        assertWithin(e.peakTensorBytes, measured, "\(s.name): Trainer.run, peak set by \(e.peakPhase)", tolerance: tolerance, file: file, line: line)
        print("memory estimate \(s.name): \(Format.bytes(e.peakTensorBytes)) estimated (\(e.peakPhase)), \(Format.bytes(measured)) measured, "
              + "ratio \(Format.fixed(Double(e.peakTensorBytes) / Double(measured), 4))")
    }

    func configuration(vocabulary: Int, width: Int, heads: Int, layers: Int, position: PositionEncoding = .rope,
                       norm: NormPlacement = .post, pooling: Pooling = .classToken, causal: Bool = false, maxLength: Int) -> ModelConfiguration {
        ModelConfiguration(vocabularySize: vocabulary, classCount: 2, maxLength: maxLength, width: width, heads: heads, layers: layers,
                           positionEncoding: position, normPlacement: norm, pooling: pooling, dropout: 0.1, causal: causal)
    }

    /// 1-mers on 300 bp: attention's T² dominates, and the evaluation batch outweighs the training one.
    func testLongKmerSequences() throws {
        try check(Shape(name: "1-mer, 302 tokens", model: configuration(vocabulary: 9, width: 32, heads: 2, layers: 2, maxLength: 302),
                        batch: 8, tokens: 302, trainRows: 8, devRows: 16, testRows: 16, epochs: 2))
    }

    /// BPE on 101 bp: short sequences, a large vocabulary; the parameter copies weigh as much as activations.
    func testShortBPESequences() throws {
        try check(Shape(name: "BPE-4096, 28 tokens", model: configuration(vocabulary: 4096, width: 64, heads: 4, layers: 3, maxLength: 28),
                        batch: 32, tokens: 28, trainRows: 32, devRows: 64, testRows: 64, epochs: 2))
    }

    /// Short sequences and a large vocabulary, as the paper's BPE runs: the trainer's copies of the
    /// parameters are most of it, and they are counted exactly, so they are held within 5%. Three
    /// epochs: the peak is at an epoch's end, when the moments' new copies are made. One epoch with a
    /// full evaluation batch: the test split is scored with the checkpoint state held.
    func testParameterCopies() throws {
        let model = configuration(vocabulary: 8192, width: 64, heads: 2, layers: 1, maxLength: 16)
        try check(Shape(name: "BPE-8192, 8 tokens", model: model, batch: 4, tokens: 8, trainRows: 8, devRows: 4, testRows: 4, epochs: 3),
                  tolerance: 0.05)
        try check(Shape(name: "BPE-8192, 16 tokens, one epoch", model: model, batch: 4, tokens: 16, trainRows: 4, devRows: 64, testRows: 64,
                        epochs: 1), tolerance: 0.05)
    }

    /// Pre-norm (the final LayerNorm), sinusoidal positions, one layer, two threads.
    func testPreNorm() throws {
        try check(Shape(name: "pre-norm", model: configuration(vocabulary: 69, width: 48, heads: 4, layers: 1, position: .sinusoidal, norm: .pre, maxLength: 100),
                        batch: 16, tokens: 100, trainRows: 16, devRows: 32, testRows: 32, epochs: 3, threads: 2))
    }

    /// Mean pooling reads every row, so the last block is a full one: three post-norm blocks on two
    /// threads (each worker's attention scratch counts), and a lone pre-norm block on one.
    func testMeanPooling() throws {
        try check(Shape(name: "mean pooling", model: configuration(vocabulary: 69, width: 32, heads: 4, layers: 3, pooling: .mean, maxLength: 150),
                        batch: 8, tokens: 150, trainRows: 16, devRows: 8, testRows: 8, epochs: 2, threads: 2))
        try check(Shape(name: "mean pooling, one pre-norm block", model: configuration(vocabulary: 69, width: 32, heads: 2, layers: 1, position: .alibi,
                                                                                       norm: .pre, pooling: .mean, maxLength: 120),
                        batch: 8, tokens: 120, trainRows: 8, devRows: 8, testRows: 8, epochs: 1))
    }

    /// A causal decoder classifying from its last token (no pooler), ALiBi, learned positions off.
    func testCausalDecoder() throws {
        try check(Shape(name: "causal, last-token", model: configuration(vocabulary: 261, width: 32, heads: 4, layers: 2, position: .alibi,
                                                                          pooling: .last, causal: true, maxLength: 64),
                        batch: 16, tokens: 64, trainRows: 16, devRows: 24, testRows: 24, epochs: 2))
    }

    /// The paper's model (width 768, 12 heads, feed-forward 3072) on 512 tokens, two layers, batch 1:
    /// one real step at the paper's shape, on two threads, and one evaluation batch: a few seconds. The
    /// trainer's copies of the parameters are the same at every shape, held by the whole runs above.
    func testPaperShapeStep() throws {
        try check(Shape(name: "paper shape", model: configuration(vocabulary: 9, width: 768, heads: 12, layers: 2, maxLength: 512),
                        batch: 1, tokens: 512, trainRows: 1, devRows: 1, testRows: 1, epochs: 1, threads: 2), wholeRun: false)
    }

    /// Masked-language-model pretraining (chapter 4's third question) with the classifier it will
    /// fine-tune already built, as `RunExecutor.execute` holds them: the pretraining phases' peak.
    func testPretraining() throws {
        let model = configuration(vocabulary: 69, width: 32, heads: 2, layers: 2, maxLength: 40)
        let training = RunMemoryEstimate.Batch(sequences: 16, tokens: 40), heldOut = RunMemoryEstimate.Batch(sequences: 24, tokens: 40)
        let shape = RunMemoryEstimate.PretrainingShape(
            training: training, maskedRows: RunMemoryEstimate.maskedRows(training, probability: 0.15),
            heldOut: heldOut, heldOutMaskedRows: RunMemoryEstimate.maskedRows(heldOut, probability: 0.15), epochs: 2)
        for mode in MemoryMode.allCases {
        let e = RunMemoryEstimate(model: model, training: training, evaluations: [heldOut], epochs: 1, threads: 1, pretraining: shape,
                                  memoryMode: mode)
        let estimated = e.phases.filter { $0.name.hasPrefix("pretraining") }.map(\.bytes).max()!

        let before = TensorMemory.current
        TensorMemory.resetPeak()
        do {
            let classifier = try TransformerClassifier<Float>(model, seed: 2)
            let encoder = try TransformerClassifier<Float>(model, seed: 1)
            encoder.memoryMode = mode
            let settings = PretrainingSettings(epochs: 2, batchSize: 16, optimizer: OptimizerSettings(learningRate: 1e-3, weightDecay: 0.01))
            let corpus = split(32, tokens: 40, vocabulary: 69).sequences, held = split(24, tokens: 40, vocabulary: 69, seed: 5).sequences
            _ = try Pretrainer(model: MaskedLanguageModel(encoder: encoder, seed: 1), settings: settings, seed: 1, corpus: corpus, heldOut: held).run()
            withExtendedLifetime(classifier) {}
        }
        let measured = TensorMemory.peak - before
        assertWithin(estimated, measured, "pretraining, \(mode)")
        print("memory estimate pretraining, \(mode): \(Format.bytes(estimated)) estimated, \(Format.bytes(measured)) measured")
        }
    }
}

/// The estimate of a `Run` (lengths from the task's size, vocabulary from the tokenizer, evaluation
/// batches, test crops) against `RunExecutor.execute` training it on a small generated task.
final class RunMemoryRequestTests: StoreTestCase {
    func testARunsEstimateHoldsForTheExecutor() throws {
        var run = Run(task: "synthetic/motif", tokenizer: .kmer(k: 1, overlapping: false), positionEncoding: .rope, profile: .smoke, seed: 1)
        (run.width, run.heads, run.feedForwardWidth, run.layers, run.epochs, run.batchSize) = (32, 2, 64, 2, 2, 16)
        (run.trainLimit, run.devLimit, run.testLimit) = (48, nil, nil)
        run.testCrops = [35]
        let request = try executor.memoryRequest(run, threads: 1)
        XCTAssertEqual(request.peakPhase, "training step",
                       "the evaluation path keeps no caches: 64 sequences scored at once hold less than a training batch of 16")

        let before = TensorMemory.current
        TensorMemory.resetPeak()
        let record = try executor.execute(run, threads: 1)
        let measured = TensorMemory.peak - before
        XCTAssertEqual(record.maxLength, 72, "70 bp as 1-mers with [CLS] and [SEP]")
        let ratio = Double(request.tensorBytes) / Double(measured)
        XCTAssertTrue((0.95...1.2).contains(ratio), "estimated \(Format.bytes(request.tensorBytes)), measured \(Format.bytes(measured))")
        // The request adds the baseline and the margins: never below the tensors it holds.
        XCTAssertGreaterThan(request.processBytes, request.tensorBytes + MemoryRequest.baselineBytes - 1)
        XCTAssertEqual(request.requestBytes % MemoryRequest.gibibyte, 0)
        XCTAssertGreaterThanOrEqual(Double(request.requestBytes), 1.25 * Double(request.processBytes) + Double(MemoryRequest.gibibyte))
    }

    /// The request's arithmetic: 1.25 x the process estimate + 1 GiB, up to whole GiB; and the run-level
    /// estimate's inputs: the learned positions' table, and BPE lengths that grow as the vocabulary shrinks.
    func testTheRequestsMarginAndTheRunsShape() {
        let gib = MemoryRequest.gibibyte
        XCTAssertEqual(MemoryRequest.request(forProcessBytes: 0), gib)
        XCTAssertEqual(MemoryRequest.request(forProcessBytes: 4 * gib), 6 * gib, "5 GiB + 1 GiB")
        XCTAssertEqual(MemoryRequest.request(forProcessBytes: 4 * gib + 1), 7 * gib, "just over 6 GiB rounds up")

        let task = RunCostEstimate.TaskSize(trainRows: 30_000, devRows: 1000, testRows: 1000, longestBases: 101, classes: 3)
        var run = Run(task: "tf/0", tokenizer: .bpe(vocabularySize: 256), positionEncoding: .learned, profile: .paper, seed: 1)
        let small = RunMemoryEstimate(run, task: task, vocabularySize: 256, threads: 2)
        run.tokenizer = .bpe(vocabularySize: 4096)
        let large = RunMemoryEstimate(run, task: task, vocabularySize: 4096, threads: 2)
        XCTAssertEqual(large.training, .init(sequences: 32, tokens: 30), "101 bp at 3.7 bases a token, [CLS] and [SEP]")
        XCTAssertEqual(small.training.tokens, 43, "101 bp at 2.5 bases a token")
        XCTAssertEqual(large.model.classCount, 3)
        XCTAssertEqual(large.model.maxLength, 30, "the learned table covers the longest input")
        XCTAssertEqual(large.evaluations.map(\.sequences), [64, 64, 64])
        XCTAssertEqual(large.model.parameterCount, ModelConfiguration.paper(vocabularySize: 4096, classCount: 3, maxLength: 30, layers: 12,
                                                                            positionEncoding: .learned).parameterCount)
    }
}
