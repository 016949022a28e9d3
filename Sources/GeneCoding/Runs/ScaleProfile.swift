// Scale profiles: how big every experiment is, in one place. Every report prints its profile.
//
// smoke    seconds per run; for tests, CI and `make smoke`. Scores mean nothing at this size.
// default  what `make` runs: every chapter on a 2-core laptop (the README gives the measured time).
// paper    the paper's model (BERT-base width), whole splits, its optimiser.
//
// Why the default sizes (measured on 2 cores; see README). The costliest cells are 1-mers on the
// 400-500 bp tasks: 500 tokens a sequence, where attention's T² dominates. So chapters 1-4 train a
// small, shallow model on a sample of each training split for a few epochs, two runs side by side
// with one thread each; chapter 5 (`scale`) then asks what changes with more data and width on tasks
// with large training splits. Test sets are used whole: scoring is one forward pass, and a larger
// test set shrinks the sampling error of every comparison. The learning rate is higher than the
// paper's (`OptimizerSettings.paper`) because the models are far smaller and see few steps; the
// schedule has the paper's shape (linear warm-up, cosine decay).

public struct ScaleProfile: Codable, Hashable, Sendable {
    public var name: String
    public var summary: String
    public var width: Int
    public var heads: Int
    public var feedForwardWidth: Int
    /// Depth used where a chapter does not vary depth.
    public var layers: Int
    /// The depths of the depth chapter.
    public var depths: [Int]
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerSettings
    public var dropout: Double
    /// Caps on examples per split (nil: the whole split): seeded samples stratified by label (Data/Subsets.swift).
    public var trainLimit: Int?
    public var devLimit: Int?
    public var testLimit: Int?
    /// Sequences a BPE vocabulary is learned from (nil: the whole training split).
    public var tokenizerTrainingLimit: Int?
    /// Longest model input in tokens; longer sequences are cut (reports say how many were).
    public var maxTokens: Int
    /// Seeds of chapters 1–3, which decide the paper's claims.
    public var seeds: [UInt64]
    /// Seeds of chapters 4 and 5, whose grids are many times larger (their verdicts say how many).
    public var exploratorySeeds: [UInt64]
    /// The tasks chapters 1–4 run when `--tasks` is not given (`paperTasks`, or a few of them).
    public var tasks: [String]
    /// Runs side by side, and threads each.
    public var workers: Int
    public var threadsPerRun: Int
    /// What chapter 5 varies.
    public var scale: ScaleStudy

    /// Chapter 5's grid: training-set sizes on tasks with large training splits.
    public struct ScaleStudy: Codable, Hashable, Sendable {
        /// Its tasks (`--tasks` replaces them).
        public var tasks: [String]
        /// Training-set sizes; nil is the whole split. Sizes at or above a task's split are its whole split.
        public var sizes: [Int?]
        /// The sizes of the secondary contrasts (encodings, depth, width): the smallest, a middle and the largest.
        public var checkpointSizes: [Int?]
        /// A floor on optimiser steps: a run trains for the profile's epochs or, when that would give fewer
        /// steps, for as many epochs as reach the floor (see the chapter for why).
        public var minimumSteps: Int
        /// The wider model and the widest one, at its largest size only.
        public var widths: [Int]
        public var deepLayers: Int
        /// Peak learning rate of every run of chapter 5: lower than chapters 1-4's, because thousands of
        /// steps at their rate made the deepest and widest models collapse to one class (the chapter shows it).
        public var learningRate: Double

        public init(tasks: [String], sizes: [Int?], checkpointSizes: [Int?], minimumSteps: Int, widths: [Int], deepLayers: Int,
                    learningRate: Double) {
            self.tasks = tasks
            self.sizes = sizes
            self.checkpointSizes = checkpointSizes
            self.minimumSteps = minimumSteps
            self.widths = widths
            self.deepLayers = deepLayers
            self.learningRate = learningRate
        }
    }

    /// The six tasks of the paper's study (two of them promoter tasks).
    public static let paperTasks = ["prom/prom_core_all", "prom/prom_300_tata", "tf/0", "mouse/0", "EMP/H3", "splice/reconstructed"]

    public static let smoke = ScaleProfile(
        name: "smoke", summary: "seconds per run, for tests and CI; scores carry no meaning",
        width: 16, heads: 2, feedForwardWidth: 32, layers: 1, depths: [1, 2], epochs: 1, batchSize: 16,
        optimizer: OptimizerSettings(learningRate: 1e-3, weightDecay: 0.01), dropout: 0.1,
        trainLimit: 96, devLimit: 48, testLimit: 64, tokenizerTrainingLimit: 400, maxTokens: 512,
        seeds: [1], exploratorySeeds: [1], tasks: ["tf/0", "EMP/H3"], workers: 2, threadsPerRun: 1,
        scale: ScaleStudy(tasks: ["tf/0"], sizes: [48, 96], checkpointSizes: [48, 96], minimumSteps: 4, widths: [32, 64], deepLayers: 2, learningRate: 1e-3))

    public static let `default` = ScaleProfile(
        name: "default", summary: "the whole report on a 2-core laptop: width 64, 1,000 training sequences, 5 seeds (3 in chapters 4-5)",
        width: 64, heads: 4, feedForwardWidth: 256, layers: 3, depths: [3, 6, 12, 24], epochs: 4, batchSize: 16,
        optimizer: OptimizerSettings(learningRate: 1e-3, weightDecay: 0.01), dropout: 0.1,
        trainLimit: 1000, devLimit: 300, testLimit: nil, tokenizerTrainingLimit: nil, maxTokens: 512,
        seeds: [1, 2, 3, 4, 5], exploratorySeeds: [1, 2, 3], tasks: paperTasks, workers: 2, threadsPerRun: 1,
        scale: ScaleStudy(tasks: ["tf/0", "prom/prom_core_all", "mouse/4"], sizes: [1000, 2000, 4000, 8000, 16000],
                          checkpointSizes: [1000, 4000, 16000], minimumSteps: 1000, widths: [128, 256], deepLayers: 12,
                          learningRate: 3e-4))

    public static let paper = ScaleProfile(
        name: "paper", summary: "the paper's scale: width 768, 12 heads, ff 3072, full data, lr 1e-4",
        width: 768, heads: 12, feedForwardWidth: 3072, layers: 12, depths: [3, 6, 12, 24], epochs: 10, batchSize: 32,
        optimizer: .paper, dropout: 0.1,
        trainLimit: nil, devLimit: nil, testLimit: nil, tokenizerTrainingLimit: nil, maxTokens: 512,
        seeds: [1, 2, 3], exploratorySeeds: [1, 2, 3], tasks: paperTasks, workers: 1, threadsPerRun: 2,
        scale: ScaleStudy(tasks: ["tf/0", "tf/1", "tf/3", "prom/prom_core_all", "prom/prom_core_notata", "mouse/4"],
                          sizes: [1000, 2000, 4000, 8000, 16000, nil], checkpointSizes: [1000, 8000, nil], minimumSteps: 2000,
                          widths: [384, 1536], deepLayers: 24, learningRate: 1e-4))

    public static let all = [smoke, `default`, paper]

    public static func named(_ name: String) throws -> ScaleProfile {
        guard let p = all.first(where: { $0.name == name }) else {
            throw ConfigurationError(message: "unknown profile '\(name)'; the profiles are: "
                                     + all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; "))
        }
        return p
    }

    /// Checks the profile as a chapter would run it, with the chapter's `tasks`, `workers` and
    /// `threads` in place of the profile's where given: one `ConfigurationError` names every problem,
    /// each with what is allowed. Every run the profile makes, at every depth and seed, must pass
    /// `Run.validated` (the tokenizer, and any change a chapter makes to a run, are checked again
    /// when the run executes). For chapters' options, and for profiles read from elsewhere.
    public func validate(tasks: [String]? = nil, workers: Int? = nil, threads: Int? = nil,
                         memoryLimit: Double = ModelConfiguration.memoryLimit) throws {
        var problems: [String] = []
        func note(_ body: () throws -> Void) {
            do { try body() } catch let error as ConfigurationError { problems += error.problems } catch { problems.append("\(error)") }
        }
        note { try RunExecutor.validate(workers: workers ?? self.workers, threads: threads ?? threadsPerRun) }
        let tasks = tasks ?? self.tasks
        if tasks.isEmpty { problems.append("no tasks: name at least one, as <group>/<task>") }
        if seeds.isEmpty { problems.append("no seeds: name at least one") }
        if depths.isEmpty { problems.append("no depths: name at least one layer count") }
        for task in tasks { note { _ = try Run.normalizedTaskName(task) } }
        // One run of the profile, changed as a chapter changes it (a task and seed change no limit).
        func check(_ change: (inout Run) -> Void) {
            var run = Run(task: "group/task", tokenizer: .kmer(k: 1, overlapping: false), profile: self, seed: seeds.first ?? 0)
            change(&run)
            note { _ = try run.validated(memoryLimit: memoryLimit) }
        }
        // The model and training settings, once per depth.
        for depth in Set([layers] + depths).sorted() { check { $0.layers = depth } }
        // Chapter 5's models: its wider widths (feed-forward four times the width) and its deeper
        // encoder, at its learning rate; its sizes and step floor.
        for (width, depth) in scale.widths.map({ ($0, layers) }) + [(width, scale.deepLayers)] {
            check { run in
                (run.width, run.feedForwardWidth, run.layers) = (width, 4 * width, depth)
                run.optimizer.learningRate = scale.learningRate
            }
        }
        if scale.widths.count != 2 { problems.append("chapter 5 takes two widths (the wider model and the widest), not \(scale.widths.count)") }
        if scale.sizes.isEmpty || scale.checkpointSizes.isEmpty { problems.append("chapter 5 needs at least one training-set size and one checkpoint size") }
        for size in (scale.sizes + scale.checkpointSizes).compactMap({ $0 }) where size < 1 {
            problems.append("chapter 5's training-set size \(size): give at least 1 sequence, or none for the whole split")
        }
        if scale.minimumSteps < 1 { problems.append("chapter 5's step floor is \(scale.minimumSteps): give at least 1") }
        // Each problem once (a bad width shows at every depth).
        var seen = Set<String>()
        problems = problems.filter { seen.insert($0).inserted }
        if !problems.isEmpty { throw ConfigurationError(message: "profile \(name): " + problems.joined(separator: "; ")) }
    }

    /// One line for reports.
    public var description: String {
        "\(name): width \(width), \(heads) heads, ff \(feedForwardWidth), \(layers) layers, \(epochs) epochs, batch \(batchSize), "
            + "lr \(optimizer.learningRate), train/dev/test caps \(trainLimit.map(String.init) ?? "all")/"
            + "\(devLimit.map(String.init) ?? "all")/\(testLimit.map(String.init) ?? "all"), seeds \(seeds.map(String.init).joined(separator: ","))"
    }
}
