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
// for 6–10 runs. A resample is kept as how many times each example was drawn (its weight w_i), and
// MCC needs only n, the true-class counts t_k = Σ w_i [y_i = k] (shared by all runs of the
// resample), and per run the predicted-class counts p_k and the correct count c. So one resample
// costs n draws plus one pass over the examples per run, in integers, with no allocation;
// the Double arithmetic is ConfusionMatrix's own formula on those counts.
//
// Determinism: the draws come from one RandomSource seeded by the caller, consumed in a fixed order,
// and bounded by Lemire's multiply-shift with rejection (Lemire 2019, "Fast random integer generation
// in an interval", ACM TOMACS 29(1)), written out here so that no library change can alter which
// indices a seed gives. Counts are integers, so every resampled MCC is the same bit for bit on any
// machine and thread count. `referenceResampledMCC` does the same the plain way (list the drawn
// indices, build a ConfusionMatrix per run) and the tests hold the two equal bit for bit.

/// Class labels mapped onto 0..<classCount, and each run's predictions with them.
struct TestSetBootstrap: Sendable {
    let exampleCount: Int
    let classCount: Int
    /// The true class of each example, 0..<classCount.
    let labels: [Int32]
    /// predictions[run][example], 0..<classCount.
    let predictions: [[Int32]]

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
        self.exampleCount = labels.count
        self.classCount = classCount
        self.labels = labels.map(dense)
        self.predictions = predictions.map { $0.map(dense) }
    }

    var runCount: Int { predictions.count }

    /// MCC of every run on each of `resamples` resamples: element [b · runCount + r] is run r's MCC
    /// on resample b.
    func resampledMCC(resamples: Int, seed: UInt64) -> [Double] {
        let n = exampleCount, runs = runCount
        var scores = [Double](repeating: 0, count: resamples * runs)
        var draws = ResampleDraws(seed: seed, exampleCount: n)
        var weights = [Int](repeating: 0, count: n)                 // times each example was drawn
        var truthCounts = [Int](repeating: 0, count: classCount)      // t_k on this resample
        var predictionCounts = [Int](repeating: 0, count: classCount) // p_k of one run on it
        for b in 0..<resamples {
            weights.withUnsafeMutableBufferPointer { w in
                w.update(repeating: 0)
                for _ in 0..<n { w[draws.next()] += 1 }
            }
            truthCounts.withUnsafeMutableBufferPointer { t in
                t.update(repeating: 0)
                weights.withUnsafeBufferPointer { w in
                    labels.withUnsafeBufferPointer { y in
                        for i in 0..<n { t[Int(y[i])] += w[i] }
                    }
                }
            }
            for r in 0..<runs {
                var correct = 0
                predictionCounts.withUnsafeMutableBufferPointer { p in
                    p.update(repeating: 0)
                    weights.withUnsafeBufferPointer { w in
                        labels.withUnsafeBufferPointer { y in
                            predictions[r].withUnsafeBufferPointer { yHat in
                                for i in 0..<n {
                                    let predicted = yHat[i]
                                    p[Int(predicted)] += w[i]
                                    correct += predicted == y[i] ? w[i] : 0
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
