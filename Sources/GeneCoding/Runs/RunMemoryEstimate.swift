// How much memory a run holds at its peak, counted before it runs: what a cluster job must ask for.
//
// Slurm gives a job the site's default memory (often a few GB per CPU) unless the job asks, and kills
// it for going over only after it has queued and trained for hours. At the paper's scale the smallest
// runs hold a few GB and the largest tens of GB, so every array asks for the memory of its largest run
// (`GridSubmission`), and the plan packs runs into nodes by it (`GridPlan`).
//
// Legend: B sequences in a batch, T its padded length in tokens, n = B·T rows, C width, F feed-forward
// width, H heads, L layers, K classes, V vocabulary, P parameters, w compute threads. Counts are of
// Floats (4 bytes each).
//
// The tested part counts the bytes of live tensors, as `TensorMemory` sees them, at the worst moment of
// each phase of a run, in the run's memory mode (`MemoryMode`: what training keeps for backward); the
// peak is the largest:
//
//   peak = max( state while training  + one training step,          the largest training batch
//               state at evaluation   + one evaluation batch,       dev, the train sample, test (batches of 64)
//               state at an epoch's end,                            copies of the snapshots being made
//               parameters, gradients + one evaluation batch,       test crops and extra test files, after training
//               pretraining phases,                                 for a pretrained run, before fine-tuning )
//
//   state while training   9P after the first epoch (5P in it): parameters P, gradients P, AdamW's moments 2P,
//                          the best-on-dev snapshot P and the initial one P, and the checkpoint state's copies
//                          of the parameters P and of the moments 2P (`TrainerCopies` says where each is held)
//   state at evaluation    9P (dev is scored at each epoch's end with that state; 7P for a one-epoch run)
//   state at an epoch end  11P: new copies of the moments (2P) are made while the old ones are held
//   one training step      embeddings + what the blocks keep + head + backward
//   one evaluation batch   the evaluation path: one block at a time, nothing kept (`evaluationFloats`)
//   embeddings             2nC: e, and LN_emb(e) (post-norm) or the final LayerNorm's output (pre-norm)
//   a full block keeps     keepAll: 8nC + 3nF + 2BHT² (attention probabilities and their dropout copy per head);
//                          recomputeAttention: 8nC + 3nF; recomputeLayers: its input, nC
//   the last block keeps   with [CLS] or last-token pooling it computes the pooled rows only: K and V [n, C]
//                          and a few B×C and B×F (plus 2BHT with keepAll); with mean pooling, a full block
//   backward               10nC + 2nF + max(nC, w·T²·s): the top full block's gradients, its incoming dy, and
//                          dx_L, held throughout (B×C when the last block is pooled rows only); then each
//                          worker's scratch in attention (s = 1: dP; s = 3 when P, P̃ are recomputed), or the
//                          block's dx after it; with recomputeLayers also that block's rebuilt cache (no P)
//   head                   a few B×C and B×K (pooling, pooler, logits and their gradients)
//
// Every count that depends on how the engine lays out its tensors is in `activationTerms`,
// `evaluationFloats`, `Blocks` and `TrainerCopies`. The tests hold the estimate to `TensorMemory.peak` on
// nine shapes in every mode (at most 20% over, 5% under; it matches to 0.1%), so they fail when the
// engine changes and these counts do not.
//
// What is not a tensor enters only the request (`MemoryRequest`), with a stated margin:
//
//   process = baseline (Swift runtime, Foundation, OpenBLAS and its buffers)
//           + data (the task's rows as text, the encoded splits as [[Int32]])
//           + max(peak, checkpoint writing: the 9P state plus 8P of Swift arrays and file bytes)
//   request = proportional margin × process + fixed margin, rounded up to whole GiB (`MemoryRequest`)
import Foundation

public struct RunMemoryEstimate: Hashable, Sendable {
    /// A batch as the engine sees it: sequences, padded to the longest.
    public struct Batch: Hashable, Sendable {
        public var sequences: Int
        public var tokens: Int
        public init(sequences: Int, tokens: Int) {
            self.sequences = sequences
            self.tokens = tokens
        }
        var rows: Int { sequences * tokens }
    }

    /// Masked-language-model pretraining before fine-tuning (`Pretrainer`, MaskedLanguageModel.swift).
    public struct PretrainingShape: Hashable, Sendable {
        public var training: Batch
        /// Masked rows of the training batch that masks the most (the head's N).
        public var maskedRows: Int
        /// The largest held-out batch and its masked rows.
        public var heldOut: Batch
        public var heldOutMaskedRows: Int
        public var epochs: Int
        public init(training: Batch, maskedRows: Int, heldOut: Batch, heldOutMaskedRows: Int, epochs: Int) {
            self.training = training
            self.maskedRows = maskedRows
            self.heldOut = heldOut
            self.heldOutMaskedRows = heldOutMaskedRows
            self.epochs = epochs
        }
    }

    /// One phase of a run and the tensor bytes live at its worst moment.
    public struct Phase: Hashable, Sendable {
        public var name: String
        public var bytes: Int
    }

    public var model: ModelConfiguration
    /// The largest training batch.
    public var training: Batch
    /// The largest batch of each split scored inside `Trainer.run` (dev, the train sample, test).
    public var evaluations: [Batch]
    /// Batches scored after training, with only the parameters and gradients held (test crops, extra tests).
    public var laterEvaluations: [Batch]
    public var epochs: Int
    public var threads: Int
    public var pretraining: PretrainingShape?
    /// What training keeps for backward (`MemoryMode`): the mode the run trains in.
    public var memoryMode: MemoryMode

    public init(model: ModelConfiguration, training: Batch, evaluations: [Batch], laterEvaluations: [Batch] = [],
                epochs: Int, threads: Int, pretraining: PretrainingShape? = nil, memoryMode: MemoryMode = .keepAll) {
        self.model = model
        self.training = training
        self.evaluations = evaluations
        self.laterEvaluations = laterEvaluations
        self.epochs = epochs
        self.threads = threads
        self.pretraining = pretraining
        self.memoryMode = memoryMode
    }

    /// The same run in another mode.
    public func inMode(_ mode: MemoryMode) -> RunMemoryEstimate {
        var copy = self
        copy.memoryMode = mode
        return copy
    }

    static let floatBytes = MemoryLayout<Float>.stride

    /// P × 4: one copy of every parameter.
    public var parameterBytes: Int { model.parameterCount * Self.floatBytes }

    /// The masked-language model's parameters: the classifier's plus the prediction head's
    /// transform (C×C + C), its LayerNorm (2C) and the output bias (V); the output matrix is E, tied.
    var pretrainingParameterBytes: Int {
        let c = model.width
        return (model.parameterCount + c * c + c + 2 * c + model.vocabularySize) * Self.floatBytes
    }

    /// Every phase of the run with its peak tensor bytes, in the order they happen.
    public var phases: [Phase] {
        let p = parameterBytes
        let copies = TrainerCopies.self
        let afterFirst = epochs >= 2
        var phases: [Phase] = []
        if let pretraining {
            let mlm = pretrainingParameterBytes
            let later = pretraining.epochs >= 2
            // The classifier (parameters and gradients) is built before its encoder is pretrained.
            let classifier = copies.modelOnly * p
            let state = (later ? copies.pretrainingLater : copies.pretrainingFirst) * mlm
            phases.append(Phase(name: "pretraining step", bytes: classifier + state
                + Self.floatBytes * Self.activationTerms(model, pretraining.training, training: true, threads: threads,
                                                         maskedRows: pretraining.maskedRows, mode: memoryMode).total))
            phases.append(Phase(name: "pretraining evaluation", bytes: classifier + state
                + Self.floatBytes * Self.activationTerms(model, pretraining.heldOut, training: false, threads: threads,
                                                         maskedRows: pretraining.heldOutMaskedRows, mode: memoryMode).total))
            phases.append(Phase(name: "pretraining epoch end",
                                bytes: classifier + (later ? copies.pretrainingEpochEndLater : copies.pretrainingEpochEndFirst) * mlm))
        }
        phases.append(Phase(name: "training step", bytes: (afterFirst ? copies.trainingLater : copies.trainingFirst) * p
            + Self.floatBytes * Self.activationTerms(model, training, training: true, threads: threads, mode: memoryMode).total))
        if let largest = evaluations.map({ Self.evaluationFloats(model, $0, threads: threads) }).max() {
            phases.append(Phase(name: "evaluation", bytes: (afterFirst ? copies.evaluation : copies.evaluationOneEpoch) * p
                                + Self.floatBytes * largest))
        }
        phases.append(Phase(name: "epoch end", bytes: (afterFirst ? copies.epochEndLater : copies.epochEndFirst) * p))
        if let largest = laterEvaluations.map({ Self.evaluationFloats(model, $0, threads: threads) }).max() {
            phases.append(Phase(name: "evaluation after training", bytes: copies.modelOnly * p + Self.floatBytes * largest))
        }
        return phases
    }

    /// The most tensor bytes live at once: what `TensorMemory.peak` measures over the run.
    public var peakTensorBytes: Int { phases.map(\.bytes).max() ?? 0 }

    /// The phase that sets the peak ("evaluation", "training step", ...).
    public var peakPhase: String { phases.max { $0.bytes < $1.bytes }?.name ?? "" }

    // MARK: - The engine's layout: update these when the engine changes

    /// How many copies of the parameters (P) the trainers hold in each phase. Counted from
    /// Trainer.run, TrainingLoop.run, AdamW and Pretrainer.run; the epoch-end figures are the transient
    /// maximum while `snapshot()` and the moments' copies replace the ones held.
    enum TrainerCopies {
        /// Parameters and their gradients (the model alone).
        static let modelOnly = 2
        /// + AdamW's moments m, v (2) + the best-on-dev snapshot (1).
        static let trainingFirst = 5
        /// + the checkpoint state's parameters (1) and moments (2), kept from the first epoch's end on,
        /// and a second best-on-dev snapshot (1): `Trainer.run` hands the loop its initial state, whose
        /// snapshot of the initial parameters stays held for the whole run once a better one replaces it.
        static let trainingLater = 9
        /// Dev is scored at every epoch's end from the second on with that state held (9); a one-epoch
        /// run's largest scoring is the test split's after training, with the parameters, gradients and
        /// the state the loop returns (parameters, moments, best) and the initial snapshot held (7).
        static let evaluation = 9
        static let evaluationOneEpoch = 7
        /// At the first epoch's end: 5 + the new best snapshot 1 + the checkpoint's parameters 1 and moments 2.
        static let epochEndFirst = 9
        /// Later: the new moments (2) are copied while the old ones are still held.
        static let epochEndLater = 11
        /// Pretrainer: parameters, gradients, moments (4); its best snapshot is the checkpoint's parameters.
        static let pretrainingFirst = 4
        /// + the checkpoint state's parameters (1) and moments (2).
        static let pretrainingLater = 7
        /// At the first epoch's end: 4 + parameters 1 + moments 2; later 7 + the moments' new copies 2.
        static let pretrainingEpochEndFirst = 7
        static let pretrainingEpochEndLater = 9
        /// The checkpoint writer turns parameters, best, m and v into Float arrays (4) and then into
        /// the file's bytes (4): outside TensorMemory, beside the state.
        static let checkpointSerialization = 8
    }

    /// Floats of the activations of one training pass (or a cached forward pass), as the engine holds
    /// them, by part.
    public struct ActivationTerms: Hashable, Sendable {
        /// e, and LN_emb(e) (post-norm) or the final LayerNorm's output (pre-norm).
        public var embeddings: Int
        /// A full block's cache as the mode keeps it (every block but a last one computed for the pooled rows).
        public var perLayer: Int
        /// What all blocks keep from forward to backward.
        public var layers: Int
        /// Pooling, pooler, dropout copy, logits and their gradients; or the masked-language head.
        public var head: Int
        /// At backward's worst moment: the gradients alive together, and with `recomputeLayers` the
        /// block's cache rebuilt for them; 0 in a forward pass alone.
        public var backward: Int
        public var total: Int { embeddings + layers + head + backward }
    }

    /// Floats live at the worst moment of one pass over `batch` through `forward` (and `backward` when
    /// `training`): what each block keeps (`mode`) until backward ends, and during backward the
    /// gradients it holds at once. `maskedRows` makes it a pass of the masked-language model (N rows
    /// through its head) instead of the classifier. Evaluation does not come through here: it takes the
    /// path that keeps nothing (`evaluationFloats`).
    ///
    /// Each term names the tensors it counts (Model/*.swift). Backward's figure was read off the code
    /// and confirmed by measurement: Swift releases none of a block's gradients before the block returns.
    public static func activationTerms(_ m: ModelConfiguration, _ batch: Batch, training: Bool, threads: Int,
                                       maskedRows: Int? = nil, mode: MemoryMode = .keepAll) -> ActivationTerms {
        let (b, t, c, f, k, v) = (batch.sequences, batch.tokens, m.width, m.feedForwardWidth, m.classCount, m.vocabularySize)
        let blocks = Blocks(m, batch, dropout: training && m.dropout > 0, threads: threads, pooledRowsOnly: maskedRows == nil)
        let (n, last) = (blocks.n, blocks.lastRows)
        // Embeddings: e [n, C], then LN_emb(e) (post-norm) or the final LayerNorm's output (pre-norm), the
        // latter [B, C] when the last block computed the pooled rows only.
        let embeddings = m.normPlacement == .post ? 2 * n * c : n * c + last * c
        var layers: Int, backward = 0
        switch mode {
        case .keepAll, .recomputeAttention:
            let keepsP = mode == .keepAll
            layers = (m.layers - 1) * blocks.fullCache(probabilities: keepsP) + blocks.lastCache(probabilities: keepsP)
        case .recomputeLayers:
            // Each block's input (x₀ is counted with the embeddings) and x_L, the last block's output.
            layers = (m.layers - 1) * n * c + last * c
            if !training {
                // Forward alone: the last block's cache, made and let go, beside the inputs.
                layers += blocks.lastCache(probabilities: false) - last * c
            }
        }
        var head: Int
        if let maskedRows {
            // MaskedLanguageModel: x_m, u, GELU(u), Φ(u), h [N, C]; logits and their gradient [N, V].
            head = 5 * maskedRows * c + 2 * maskedRows * v
            if training {
                // Its backward: dh, dg, du, dx_m [N, C] and the scattered gradient of x_L [n, C].
                head += 4 * maskedRows * c
            }
        } else {
            let pooler = m.pooling == .classToken
            let dropout = training && m.dropout > 0
            // gathered [B, C] (x_L itself when the last block computed the pooled rows); pooled (tanh of
            // the pooler) [B, C]; drop(pooled), a copy when dropout is on.
            head = (blocks.pooledOnly ? 0 : b * c) + (pooler ? b * c : 0) + (dropout ? b * c : 0)
            if !training && pooler { head += b * c }   // the pooler's pre-tanh output, freed when tanh returns
            // logits [B, K] and the loss's gradient dz [B, K].
            head += 2 * b * k
            if training {
                // dHead, and with a pooler dPre and dGathered [B, C]; dx_L is counted with backward.
                head += (pooler ? 3 : 1) * b * c
            }
        }
        if training {
            backward = blocks.backward(mode: mode, finalNorm: m.normPlacement == .pre)
        }
        return ActivationTerms(embeddings: embeddings, perLayer: blocks.fullCache(probabilities: mode == .keepAll),
                               layers: layers, head: head, backward: backward)
    }

    /// Floats live at the worst moment of scoring `batch` on the evaluation path (`logits`): one block
    /// at a time, its input freed once its output is made, nothing kept for backward.
    public static func evaluationFloats(_ m: ModelConfiguration, _ batch: Batch, threads: Int) -> Int {
        let (b, c, f, k) = (batch.sequences, m.width, m.feedForwardWidth, m.classCount)
        let blocks = Blocks(m, batch, dropout: false, threads: threads, pooledRowsOnly: true)
        let (n, last) = (blocks.n, blocks.lastRows)
        let pre = m.normPlacement == .pre ? 1 : 0
        // Embeddings: e and LN_emb(e) (post-norm).
        var worst = m.normPlacement == .post ? 2 * n * c : n * c
        if m.layers >= 2 || !blocks.pooledOnly {
            // A full block: the input x (and LN₁(x) for pre-norm) beside, in attention, Q, K, V and the
            // context, with one worker's scores [T, T] each, then the output projection; in the
            // feed-forward h (and LN₂(h)), u [n, F] (GELU in place) and its output; then LN₂'s output.
            worst = max(worst, (5 + pre) * n * c + blocks.workers * blocks.t * blocks.t, (6 + pre) * n * c, (3 + pre) * n * c + n * f)
        }
        if blocks.pooledOnly {
            // The last block for the pooled rows: x (and LN₁(x)), K and V over every row; x_q, Q, the
            // context and the output [B, C]; its feed-forward runs on B rows.
            worst = max(worst, (3 + pre) * n * c + 4 * last * c + blocks.workers * blocks.t, (3 + pre) * n * c + 3 * last * c + last * f)
        }
        // The head: x_L (and the final LayerNorm's output), the pooler's output and tanh, logits and the loss's gradient.
        let pooler = m.pooling == .classToken ? 2 * b * c : 0
        return max(worst, (1 + pre) * last * c + (blocks.pooledOnly ? 0 : b * c) + pooler + 2 * b * k)
    }

    /// Counts of one batch's blocks, as the engine lays them out (Attention.swift, EncoderLayer.swift).
    struct Blocks {
        let m: ModelConfiguration
        let b: Int, t: Int, n: Int, c: Int, f: Int, h: Int
        /// 2 when dropout is on (P and P̃), else 1 (P̃ is P).
        let copies: Int
        /// Workers of attention's (sequence, head) loop, each with its own scratch.
        let workers: Int
        /// The last block computes the pooled rows only ([CLS] or last-token pooling of a classifier).
        let pooledOnly: Bool
        /// Rows of the last block: B, or n.
        var lastRows: Int { pooledOnly ? b : n }

        init(_ m: ModelConfiguration, _ batch: Batch, dropout: Bool, threads: Int, pooledRowsOnly: Bool) {
            self.m = m
            (b, t, n, c, f, h) = (batch.sequences, batch.tokens, batch.rows, m.width, m.feedForwardWidth, m.heads)
            copies = dropout ? 2 : 1
            workers = min(max(threads, 1), batch.sequences * m.heads)
            pooledOnly = pooledRowsOnly && m.pooling != .mean
        }

        /// A full block's cache: q, k, v, the context O, the attention output (which becomes the residual
        /// sum), h (LN₁'s output, or LN₂'s input for pre-norm), f (the FFN output and second residual sum)
        /// and y (LN₂'s output; pre-norm keeps LN₁(x) instead): 8 of [n, C]; u, GELU(u), Φ(u): 3 of [n, F];
        /// with `probabilities`, P [B, H, T, T] and P̃ beside it when dropout is on.
        func fullCache(probabilities: Bool) -> Int {
            8 * n * c + 3 * n * f + (probabilities ? copies * b * h * t * t : 0)
        }

        /// The last block's cache. Computed for the pooled rows only: K, V [n, C] (and LN₁(x) [n, C] for
        /// pre-norm); x_q, Q, the context, the attention output, h, f and y [B, C] (pre-norm: LN₁(x)_q, Q,
        /// the context, h, LN₂(h), y); u, GELU(u), Φ(u) [B, F]; P and P̃ [B, H, 1, T].
        func lastCache(probabilities: Bool) -> Int {
            guard pooledOnly else { return fullCache(probabilities: probabilities) }
            let kept = m.normPlacement == .post ? 2 * n * c + 7 * b * c : 3 * n * c + 6 * b * c
            return kept + 3 * b * f + (probabilities ? copies * b * h * t : 0)
        }

        /// At backward's worst moment, the floats beside what forward kept: while the top-most full block
        /// is differentiated (EncoderLayer.backward, SelfAttention.backward), post-norm names: dSum2, df,
        /// dSum1, da, dContext, dq, dk, dv (8 of [n, C]); dg, du (2 of [n, F]); dx_L, which the caller
        /// holds for the whole of backward ([B, C] when the last block computed the pooled rows), and the
        /// block's incoming dy when it is another tensor; then either each worker's scratch in the
        /// attention loop, dP [T, T] (and P, P̃ when they are recomputed), or after it the block's dx.
        /// With `recomputeLayers` the block's cache, rebuilt just before without P and P̃, is held too
        /// (without y, the block's output, which is let go at once).
        func backward(mode: MemoryMode, finalNorm: Bool) -> Int {
            let scratch = mode == .keepAll ? 1 : 1 + copies   // dP, and P (P̃) recomputed
            guard m.layers >= 2 || !pooledOnly else {
                // A lone block computed for the pooled rows: its gradients are [B, ·] but for dk, dv and
                // dx [n, C]; then LN_emb's backward makes a second dx beside the block's.
                let rows = 10 * b * c + 2 * b * f + workers * scratch * t
                let rebuilt = mode == .recomputeLayers ? lastCache(probabilities: false) - b * c : 0
                return max(3 * n * c + rows + rebuilt, 2 * n * c)
            }
            var floats = 8 * n * c + 2 * n * f
            let dxL = pooledOnly ? b * c : n * c
            // Its incoming dy: the block below the last, or behind pre-norm's final LayerNorm; in a lone
            // post-norm block dy is dx_L itself (9nC).
            let dy = pooledOnly || m.layers >= 2 || finalNorm ? n * c : 0
            floats += dxL + dy + max(n * c, workers * scratch * t * t)
            if mode == .recomputeLayers { floats += fullCache(probabilities: false) - n * c }
            return floats
        }
    }
}

// MARK: - From a run

extension RunMemoryEstimate {
    /// Sequences the trainer scores at once (`Trainer.evaluate`'s default batch).
    static let evaluationBatchSize = 64

    /// The estimate of `run` on a task of `task`'s size, with a vocabulary of `vocabularySize` ids,
    /// on `threads` threads. Lengths come from `RunCostEstimate.tokens`, the longest sequence of each
    /// split in tokens (an estimate for BPE); batches of the longest sequences are counted full.
    public init(_ run: Run, task: RunCostEstimate.TaskSize, vocabularySize: Int, threads: Int, memoryMode: MemoryMode = .keepAll) {
        let train = min(task.trainRows, run.trainLimit ?? .max)
        let dev = min(task.devRows, run.devLimit ?? .max)
        let test = min(task.testRows, run.testLimit ?? .max)
        let tokens = RunCostEstimate.tokensPerSequence(run, task)
        func scored(_ rows: Int, _ tokens: Int, batch: Int = Self.evaluationBatchSize) -> Batch {
            Batch(sequences: max(1, min(batch, rows)), tokens: tokens)
        }
        let evaluations = [scored(dev, tokens), scored(min(train, RunCostEstimate.trainScoreSample), tokens), scored(test, tokens)]
        var later: [Batch] = (run.testCrops ?? []).map { bases in
            scored(test, RunCostEstimate.tokens(run, bases: min(bases, task.longestBases)))
        }
        for extra in task.extraTests {
            let t = RunCostEstimate.tokens(run, bases: extra.longestBases)
            later.append(scored(min(extra.rows, run.testLimit ?? .max), t, batch: RunExecutor.evaluationBatch(longest: t)))
        }
        // The model is sized for the longest input of any split the run encodes (learned positions).
        let longest = ([tokens] + later.map(\.tokens)).max()!
        let configuration = ModelConfiguration(
            vocabularySize: vocabularySize, classCount: task.classes,
            maxLength: run.pretraining == nil ? longest : max(longest, run.maxTokens), width: run.width, heads: run.heads,
            feedForwardWidth: run.feedForwardWidth, layers: run.layers, positionEncoding: run.positionEncoding,
            normPlacement: run.normPlacement, pooling: run.pooling, dropout: run.dropout, causal: run.causal)
        var pretrainingShape: PretrainingShape? = nil
        if let p = run.pretraining {
            // Pretraining reads whole sequences (no crop), up to maxTokens.
            let whole = RunCostEstimate.tokens(run, bases: task.longestBases)
            let corpus = min(task.trainRows, p.corpusLimit ?? .max)
            let trainingBatch = Batch(sequences: max(1, min(p.batchSize, corpus)), tokens: whole)
            let heldOut = scored(dev, whole)
            pretrainingShape = PretrainingShape(
                training: trainingBatch, maskedRows: Self.maskedRows(trainingBatch, probability: p.maskProbability),
                heldOut: heldOut, heldOutMaskedRows: Self.maskedRows(heldOut, probability: p.maskProbability), epochs: p.epochs)
        }
        self.init(model: configuration, training: Batch(sequences: max(1, min(run.batchSize, train)), tokens: tokens),
                  evaluations: evaluations, laterEvaluations: later, epochs: run.epochs, threads: threads, pretraining: pretrainingShape,
                  memoryMode: memoryMode)
    }

    /// Masked rows of a batch that masks many: BERT's corruption picks each ordinary token (all but
    /// [CLS] and [SEP]) with `probability`, so the count is binomial; four standard deviations above
    /// its mean, at most every ordinary token.
    static func maskedRows(_ batch: Batch, probability: Double) -> Int {
        let ordinary = Double(batch.sequences * max(batch.tokens - 2, 1))
        let mean = probability * ordinary
        let spread = 4 * (ordinary * probability * (1 - probability)).squareRoot()
        return max(1, min(Int(ordinary), Int((mean + spread).rounded(.up))))
    }

    /// Ids of a tokenizer: k-mers and a BPE size are known; a file is read.
    public static func vocabularySize(of tokenizer: TokenizerSpec) throws -> Int {
        switch tokenizer {
        case let .kmer(k, overlapping): return KmerTokenizer(k: k, overlapping: overlapping).vocabularySize
        case let .bpe(size): return size
        case .file: return try tokenizer.makeTokenizer(trainingSequences: []).vocabularySize
        }
    }
}

// MARK: - The request

/// What a run's job asks for, beside the tested tensor estimate.
public struct MemoryRequest: Codable, Hashable, Sendable {
    /// Peak bytes of live tensors (`RunMemoryEstimate.peakTensorBytes`), the part the tests hold.
    public var tensorBytes: Int
    /// Which phase sets that peak ("evaluation", "training step", ...).
    public var peakPhase: String
    /// The whole process at its peak: tensors, what is not a tensor, and the baseline.
    public var processBytes: Int
    /// What the job asks for: `processBytes` with the margin, in whole GiB.
    public var requestBytes: Int
    /// The memory mode these figures are for (nil in manifests written before modes: keepAll).
    public var memoryMode: MemoryMode? = nil
    /// The request in each mode, fastest first (nil in manifests written before modes).
    public var modes: [MemoryRequest]? = nil

    /// The request in `mode`, when it is known.
    public func inMode(_ mode: MemoryMode) -> MemoryRequest? {
        modes?.first { $0.memoryMode == mode } ?? ((memoryMode ?? .keepAll) == mode ? self : nil)
    }

    public static let gibibyte = 1 << 30
    /// The Swift runtime, Foundation, OpenBLAS with its buffers, and the allocator's slack: three runs
    /// of `genecoding train` (width 768 and 256, 2 layers, 1-mers and BPE on tf/0 and EMP/H3) peaked
    /// 44-186 MiB above their estimated tensors and checkpoint copies (`/usr/bin/time`, 2026-11-30).
    public static let baselineBytes = 256 << 20
    /// Proportional margin: the tests allow the tensor estimate 5% under the measurement (and 20% over;
    /// it matched to 0.1%), the BPE lengths are a guess (`RunCostEstimate.basesPerToken`); glibc keeps freed
    /// blocks (`ComputeThreads.keepFreedMemory`), so fragmentation adds to the resident size; and Swift
    /// arrays beside the tensors (LayerNorm statistics, RoPE tables, token ids) are not counted.
    public static let proportionalMargin = 1.25
    /// Fixed margin, for what is small and not modelled: learning a BPE vocabulary when none is cached,
    /// tokenizer statistics, thread stacks, and the page cache of files the job writes, which cgroups
    /// count against the job.
    public static let fixedMargin = gibibyte

    public init(tensorBytes: Int, peakPhase: String, processBytes: Int) {
        self.tensorBytes = tensorBytes
        self.peakPhase = peakPhase
        self.processBytes = processBytes
        requestBytes = Self.request(forProcessBytes: processBytes)
    }

    /// `proportionalMargin` × process + `fixedMargin`, rounded up to whole GiB.
    public static func request(forProcessBytes bytes: Int) -> Int {
        let wanted = proportionalMargin * Double(bytes) + Double(fixedMargin)
        return Int((wanted / Double(gibibyte)).rounded(.up)) * gibibyte
    }

    /// The request of `estimate`, with `dataBytes` of rows and encoded splits beside it.
    public init(_ estimate: RunMemoryEstimate, dataBytes: Int) {
        let copies = RunMemoryEstimate.TrainerCopies.self
        // The checkpoint is written at each epoch's end with the 9P state held (no activations then).
        var checkpoint = (copies.epochEndFirst + copies.checkpointSerialization) * estimate.parameterBytes
        if estimate.pretraining != nil {
            // The pretrainer's checkpoint: its state (7P after any epoch) and the same 8P of copies, beside the classifier.
            let state = copies.pretrainingLater + copies.checkpointSerialization
            checkpoint = max(checkpoint, copies.modelOnly * estimate.parameterBytes + state * estimate.pretrainingParameterBytes)
        }
        self.init(tensorBytes: estimate.peakTensorBytes, peakPhase: estimate.peakPhase,
                  processBytes: Self.baselineBytes + dataBytes + max(estimate.peakTensorBytes, checkpoint))
        memoryMode = estimate.memoryMode
    }

    /// Bytes of a task's rows as text and of the splits a run encodes, as Swift holds them: a row is
    /// its String (a heap object: a 32-byte header and the bases) in a 24-byte LabeledSequence, an
    /// encoded sequence an [Int32] (a 32-byte header and 4 bytes an id) behind an 8-byte reference;
    /// allocations round up to 16 bytes, counted as 16 more per object.
    public static func dataBytes(_ run: Run, task: RunCostEstimate.TaskSize) -> Int {
        func text(_ rows: Int, _ bases: Int) -> Int { rows * (24 + 32 + 16 + bases) }
        func encoded(_ rows: Int, _ tokens: Int) -> Int { rows * (8 + 32 + 16 + 4 * tokens) }
        let tokens = RunCostEstimate.tokensPerSequence(run, task)
        let whole = RunCostEstimate.tokens(run, bases: task.longestBases)
        let (train, dev, test) = (min(task.trainRows, run.trainLimit ?? .max), min(task.devRows, run.devLimit ?? .max),
                                  min(task.testRows, run.testLimit ?? .max))
        var bytes = text(task.trainRows + task.devRows + task.testRows, task.longestBases)
        bytes += encoded(train + dev + test * (1 + (run.testCrops?.count ?? 0)), tokens)
        for extra in task.extraTests {
            bytes += text(extra.rows, extra.longestBases) + encoded(min(extra.rows, run.testLimit ?? .max), RunCostEstimate.tokens(run, bases: extra.longestBases))
        }
        if let p = run.pretraining { bytes += encoded(min(task.trainRows, p.corpusLimit ?? .max) + dev, whole) }
        return bytes
    }

    /// The request of `run` on a task of `task`'s size in `memoryMode`, with the request in every mode
    /// beside it (`modes`).
    public init(_ run: Run, task: RunCostEstimate.TaskSize, vocabularySize: Int, threads: Int, memoryMode: MemoryMode = .keepAll) {
        let data = Self.dataBytes(run, task: task)
        let estimate = RunMemoryEstimate(run, task: task, vocabularySize: vocabularySize, threads: threads)
        let modes = MemoryMode.fastestFirst.map { MemoryRequest(estimate.inMode($0), dataBytes: data) }
        self = modes.first { $0.memoryMode == memoryMode }!
        self.modes = modes
    }
}

extension RunExecutor {
    /// The memory request of `run` in `memoryMode` on this executor's data (its task, extra test files
    /// and tokenizer), with the request in every mode beside it.
    public func memoryRequest(_ run: Run, threads: Int, memoryMode: MemoryMode = .keepAll) throws -> MemoryRequest {
        MemoryRequest(run, task: try taskSize(run), vocabularySize: try RunMemoryEstimate.vocabularySize(of: run.tokenizer), threads: threads,
                      memoryMode: memoryMode)
    }

    /// The tensor estimate of `run` in `memoryMode` on this executor's data, phase by phase.
    public func memoryEstimate(_ run: Run, threads: Int, memoryMode: MemoryMode = .keepAll) throws -> RunMemoryEstimate {
        RunMemoryEstimate(run, task: try taskSize(run), vocabularySize: try RunMemoryEstimate.vocabularySize(of: run.tokenizer), threads: threads,
                          memoryMode: memoryMode)
    }

    private func taskSize(_ run: Run) throws -> RunCostEstimate.TaskSize {
        RunCostEstimate.TaskSize(try task(run.task), extraTests: try (run.extraTests ?? []).map { try extraTest($0, of: run.task) })
    }
}
