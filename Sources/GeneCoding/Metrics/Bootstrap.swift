// The test-set bootstrap (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 6): each
// run's MCC recomputed on many resamples of the test set, n examples drawn with replacement from the
// n it has, so that Inference.swift can measure how much a mean of MCCs owes to which test set we
// happened to have.
//
// Every run of a comparison was scored on the same test examples, so one resample is drawn per
// round and applied to every run of both cells: the runs' resampled MCCs move together as they
// would on another test set, and what the models share cancels in their difference.
//
// Speed: a chapter makes hundreds of comparisons, each 1,000 resamples of up to ~6,000 examples
// for 6–10 runs. MCC needs only n, the true-class counts t_k (shared by all runs of a resample), and
// per run the predicted-class counts p_k and the correct count c. Each of these is a sum over
// examples of something that depends only on the example's *pattern*, its label together with every
// run's prediction for it, and runs mostly agree, so a test set of thousands of examples has a few
// dozen patterns (at most K^(runs+1), never more than n). A resample is therefore kept as how many
// times each pattern was drawn (its weight w), and
//     t_k = Σ_patterns w [label = k],   p_k = Σ_patterns w [prediction_r = k],   c = Σ_patterns w [prediction_r = label].
// One resample costs n draws plus, per run, one pass over the patterns, in integers, with no
// allocation; the Double arithmetic is ConfusionMatrix's own formula on those counts.
//
// Determinism: the draws come from one RandomSource seeded by the caller, consumed in a fixed order,
// and bounded by Lemire's multiply-shift with rejection (Lemire 2019, "Fast random integer generation
// in an interval", ACM TOMACS 29(1)), written out here so that no library change can alter which
// indices a seed gives. Counts are integers, so every resampled MCC is the same bit for bit on any
// machine and thread count. `referenceResampledMCC` does the same the plain way (list the drawn
// indices, build a ConfusionMatrix per run) and the tests hold the two equal bit for bit.

/// Class labels mapped onto 0..<classCount, each run's predictions with them, and the examples'
/// patterns.
struct TestSetBootstrap: Sendable {
    let exampleCount: Int
    let classCount: Int
    /// The true class of each example, 0..<classCount.
    let labels: [Int32]
    /// predictions[run][example], 0..<classCount.
    let predictions: [[Int32]]
    /// Which pattern (label and every run's prediction) each example has: 0..<patternCount.
    let patternOfExample: [Int32]
    /// Per pattern: its label, and per run its prediction and whether that is right (1) or not (0).
    let patternLabel: [Int32]
    let patternPrediction: [[Int32]]
    let patternCorrect: [[Int32]]

    /// `labels` and every run's predictions must have the same length (checked by the caller).
    /// Classes may be any integers: only equality matters to MCC, and a class that occurs in no label
    /// and no prediction changes nothing, so they are renumbered densely.
    init(labels: [Int], predictions: [[Int]]) {
        let everything = [labels] + predictions
        let smallest = everything.lazy.compactMap { $0.min() }.min() ?? 0
        let largest = everything.lazy.compactMap { $0.max() }.max() ?? 0
        let dense: (Int) -> Int32
        let classCount: Int
        if smallest >= 0 && largest < 1 << 16 {
            dense = { Int32($0) }
            classCount = largest + 1
        } else {
            let classes = Set(everything.joined()).sorted()
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
            dense = { index[$0]! }
            classCount = classes.count
        }
        let labels = labels.map(dense), predictions = predictions.map { $0.map(dense) }
        self.exampleCount = labels.count
        self.classCount = classCount
        self.labels = labels
        self.predictions = predictions

        // Number the patterns in order of first appearance.
        var patternIndex: [[Int32]: Int32] = [:]
        var patternOfExample = [Int32](repeating: 0, count: labels.count)
        var patternLabel: [Int32] = [], patternPrediction = [[Int32]](repeating: [], count: predictions.count)
        for i in labels.indices {
            let pattern = [labels[i]] + predictions.map { $0[i] }
            if let known = patternIndex[pattern] {
                patternOfExample[i] = known
                continue
            }
            let new = Int32(patternLabel.count)
            patternIndex[pattern] = new
            patternOfExample[i] = new
            patternLabel.append(labels[i])
            for r in predictions.indices { patternPrediction[r].append(predictions[r][i]) }
        }
        self.patternOfExample = patternOfExample
        self.patternLabel = patternLabel
        self.patternPrediction = patternPrediction
        self.patternCorrect = patternPrediction.map { run in zip(run, patternLabel).map { $0 == $1 ? 1 : 0 } }
    }

    var runCount: Int { predictions.count }
    var patternCount: Int { patternLabel.count }

    /// MCC of every run on each of `resamples` resamples: element [b · runCount + r] is run r's MCC
    /// on resample b.
    func resampledMCC(resamples: Int, seed: UInt64) -> [Double] {
        let n = exampleCount, runs = runCount, patterns = patternCount
        var scores = [Double](repeating: 0, count: resamples * runs)
        var draws = ResampleDraws(seed: seed, exampleCount: n)
        var weights = [Int](repeating: 0, count: patterns)            // times each pattern was drawn
        var truthCounts = [Int](repeating: 0, count: classCount)      // t_k on this resample
        var predictionCounts = [Int](repeating: 0, count: classCount) // p_k of one run on it
        for b in 0..<resamples {
            weights.withUnsafeMutableBufferPointer { w in
                w.update(repeating: 0)
                patternOfExample.withUnsafeBufferPointer { pattern in
                    for _ in 0..<n { w[Int(pattern[draws.next()])] += 1 }
                }
            }
            truthCounts.withUnsafeMutableBufferPointer { t in
                t.update(repeating: 0)
                weights.withUnsafeBufferPointer { w in
                    patternLabel.withUnsafeBufferPointer { y in
                        for q in 0..<patterns { t[Int(y[q])] += w[q] }
                    }
                }
            }
            for r in 0..<runs {
                var correct = 0
                predictionCounts.withUnsafeMutableBufferPointer { p in
                    p.update(repeating: 0)
                    weights.withUnsafeBufferPointer { w in
                        patternPrediction[r].withUnsafeBufferPointer { yHat in
                            patternCorrect[r].withUnsafeBufferPointer { right in
                                for q in 0..<patterns {
                                    p[Int(yHat[q])] += w[q]
                                    correct += Int(right[q]) * w[q]
                                }
                            }
                        }
                    }
                }
                scores[b * runs + r] = ConfusionMatrix.matthewsCorrelation(
                    truthCounts: truthCounts, predictionCounts: predictionCounts, correct: correct, total: n)
            }
        }
        return scores
    }

    /// The same resampled MCCs the plain way: list the drawn indices and build each run's
    /// ConfusionMatrix from them. For the tests; equal to `resampledMCC` bit for bit.
    func referenceResampledMCC(resamples: Int, seed: UInt64) -> [Double] {
        var draws = ResampleDraws(seed: seed, exampleCount: exampleCount)
        var scores: [Double] = []
        for _ in 0..<resamples {
            let drawn = (0..<exampleCount).map { _ in draws.next() }
            let truth = drawn.map { Int(labels[$0]) }
            for run in predictions {
                let matrix = ConfusionMatrix(truth: truth, prediction: drawn.map { Int(run[$0]) }, classCount: classCount)
                scores.append(matrix.matthewsCorrelation)
            }
        }
        return scores
    }
}

/// Example indices drawn uniformly from 0..<exampleCount, from a seeded RandomSource.
struct ResampleDraws {
    private var random: RandomSource
    private let bound: UInt64
    /// 2⁶⁴ mod bound: products whose low half falls below it are rejected, which makes every index
    /// exactly equally likely.
    private let threshold: UInt64

    init(seed: UInt64, exampleCount: Int) {
        random = RandomSource(seed: seed)
        bound = UInt64(Swift.max(exampleCount, 1))
        threshold = (0 &- bound) % bound
    }

    /// Lemire's method: the high half of a 64×64-bit product of a random word and the bound.
    @inline(__always)
    mutating func next() -> Int {
        var product = random.next().multipliedFullWidth(by: bound)
        while product.low < threshold { product = random.next().multipliedFullWidth(by: bound) }
        return Int(product.high)
    }
}
