// How we decide that two configurations differ: the method note every report cites.
//
// WHAT IS ESTIMATED. A cell is one configuration (tokenizer, position encoding, depth, task)
// trained with n seeds and scored by test MCC. Comparing cell A with cell B we estimate
//     d = mean_s MCC(A, s) − mean_s MCC(B, s),
// the difference of their mean test MCCs, and ask how far d could be from the difference we would
// see with infinitely many seeds on the task's whole population of sequences. Two things make d
// uncertain, and by the law of total variance, T being the test set,
//     Var(d) = E_T[ Var_seed(d | T) ] + Var_T( E[d | T] ).
// The first term is the seeds' part: other seeds give other training subsets, data orders, dropout
// masks, so other models. The second is the test set's part: a test split of ~600 sequences puts a
// standard error of several hundredths on one MCC by itself, which seed-to-seed spread on one fixed
// test set does not show.
//
// 1. THE SEEDS' PART, estimated from the n MCCs on our one test set.
//    - Paired, when both cells ran the same set of seeds. A seed fixes the training subset, the
//      order of the batches and the dropout keys, so the two cells' runs with one seed share part
//      of their luck, and it cancels in d_s = MCC(A, s) − MCC(B, s):
//          SE_seed² = var(d_s) / n,  df_seed = n − 1          (the paired t-test).
//    - Welch otherwise (Welch 1947, with Satterthwaite's 1946 degrees of freedom):
//          SE_seed² = s_A²/n_A + s_B²/n_B,
//          df_seed = SE_seed⁴ / ((s_A²/n_A)²/(n_A − 1) + (s_B²/n_B)²/(n_B − 1)).
//    - With fewer than two seeds on a side the seeds' variance cannot be estimated: SE_seed = 0,
//      and the estimate says so (`seedVarianceKnown` false). Such a comparison is not evidence.
// 2. THE TEST SET'S PART, when every run's predictions on the shared test set are at hand: the
//    bootstrap (Efron & Tibshirani 1993). B resamples of the test examples (n drawn with
//    replacement, B = 1,000, a fixed seed, so the result is the same bit for bit); one resample is
//    applied to every run of both cells, each run's MCC recomputed on it (Bootstrap.swift), and
//        d* = mean_s MCC*(A, s) − mean_s MCC*(B, s),   SE_test = standard deviation of d* over resamples.
//    This holds our n models fixed while the test set varies, so it also counts the part of the
//    models' own variation that shows up as model-by-example interaction, which the seeds' part
//    already counts: it slightly overstates Var_T(E[d | T]), on the conservative side. Without
//    predictions SE_test = 0 and the estimate says test sampling was not accounted for
//    (`testSamplingIncluded` false).
// 3. TOGETHER. SE = √(SE_seed² + SE_test²). The bootstrap's variance is known almost exactly
//    (df_test = ∞), so Satterthwaite's rule gives df = SE⁴ / (SE_seed⁴ / df_seed), ∞ when
//    SE_seed = 0 (then the reference distribution is the normal).
// 4. INTERVAL AND TEST. The 95% interval is d ± t_{0.975, df} · SE, and the two-sided p-value is
//    P(|T_df| ≥ |d| / SE). A difference is CLEAR when the interval excludes 0, which is the same as
//    p < 0.05 (strictly: p = 0.05 is not clear). When SE = 0 (one seed each, no predictions, or
//    identical numbers) p is 0 for d ≠ 0 and 1 for d = 0.
// 5. POWER. Where no difference is found, we say how large a difference the design could have
//    found: the minimum detectable effect at two-sided α = 0.05 with 80% power (Bloom 1995),
//        MDE = (t_{0.975, df} + t_{0.80, df}) · SE,
//    Bloom's multiplier (1.96 + 0.84 = 2.80 for the normal) with t quantiles at our degrees of
//    freedom, as few seeds require. Such a comparison reads "no difference found; the design could
//    detect about MDE".
// 6. SEVERAL TASKS. A claim made over several tasks (or cells) tests one hypothesis per task, and
//    some would come out clear by chance alone. The per-task p-values are adjusted by Holm's
//    step-down procedure (Holm 1979), which holds the family-wise error rate at 0.05, and a claim
//    counts the tasks whose adjusted p < 0.05. Benjamini–Hochberg adjusted p-values (Benjamini &
//    Hochberg 1995; false discovery rate) are given beside them. The adjustments are those of
//    statsmodels' `multipletests` ("holm", "fdr_bh"), and are held against it in the tests.
// FAILED RUNS. A run whose MCC is NaN (or otherwise not finite) is dropped, with its predictions,
// before anything else; a cell left with no runs gives no comparison (nil).
//
// Sources. B. L. Welch (1947), "The generalization of 'Student's' problem when several different
// population variances are involved", Biometrika 34:28–35. F. E. Satterthwaite (1946), "An
// approximate distribution of estimates of variance components", Biometrics Bulletin 2:110–114.
// S. Holm (1979), "A simple sequentially rejective multiple test procedure", Scandinavian Journal
// of Statistics 6:65–70. Y. Benjamini & Y. Hochberg (1995), "Controlling the false discovery rate",
// JRSS B 57:289–300. B. Efron & R. J. Tibshirani (1993), An Introduction to the Bootstrap, Chapman
// & Hall. H. S. Bloom (1995), "Minimum detectable effects: a simple way to report the statistical
// power of experimental designs", Evaluation Review 19:547–556. The t distribution: StudentT.swift.
//
// Checked against scipy (ttest_ind with equal_var=False, ttest_rel, t.ppf) and statsmodels
// (multipletests) in Tests/GeneCodingTests/Metrics/InferenceTests.swift, on the fixture
// Resources/statistics/inference.json made by make_inference_fixture.py beside it.
import Foundation

/// One cell's runs: per seed, its test MCC and, where kept, its predictions on the test set that
/// every cell of the comparison shares (same examples, same order), with that test set's labels.
public struct CellSample: Sendable {
    /// Names the cell in error messages ("EMP/H3, BPE-4096, RoPE").
    public let name: String
    public let seeds: [UInt64]
    /// Test MCC per seed; NaN for a failed run.
    public let values: [Double]
    /// predictions[run][example], class indices; a failed run's entry is ignored (it may be empty).
    public let predictions: [[Int]]?
    /// The test set's labels, one per example, in the order of every run's predictions.
    public let labels: [Int]?

    /// Checks that the arrays agree: one seed per value, no seed twice, predictions and labels both
    /// given or both absent, one prediction list per run and, for every run that did not fail, one
    /// prediction per label.
    public init(name: String = "cell", seeds: [UInt64], values: [Double],
                predictions: [[Int]]? = nil, labels: [Int]? = nil) throws {
        func fail(_ message: String) -> InferenceError { InferenceError("cell '\(name)': \(message)") }
        guard seeds.count == values.count else {
            throw fail("\(seeds.count) seeds but \(values.count) values")
        }
        if let repeated = Dictionary(grouping: seeds, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw fail("seed \(repeated) appears more than once")
        }
        switch (predictions, labels) {
        case (nil, nil): break
        case (nil, _?): throw fail("labels given without predictions")
        case (_?, nil): throw fail("predictions given without labels")
        case let (predictions?, labels?):
            guard !labels.isEmpty else { throw fail("the test set has no labels") }
            guard predictions.count == values.count else {
                throw fail("\(predictions.count) prediction lists for \(values.count) runs")
            }
            for (run, list) in predictions.enumerated() where values[run].isFinite && list.count != labels.count {
                throw fail("seed \(seeds[run]) has \(list.count) predictions for \(labels.count) labels")
            }
        }
        self.name = name
        self.seeds = seeds
        self.values = values
        self.predictions = predictions
        self.labels = labels
    }

    /// The runs whose MCC is finite, with their seeds and predictions.
    func withoutFailedRuns() -> (seeds: [UInt64], values: [Double], predictions: [[Int]]?) {
        let kept = values.indices.filter { values[$0].isFinite }
        return (kept.map { seeds[$0] }, kept.map { values[$0] }, predictions.map { p in kept.map { p[$0] } })
    }
}

/// Inputs that cannot be compared, said so that the caller can find them.
public struct InferenceError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The difference of two cells' mean test MCC, d = mean(A) − mean(B), with its uncertainty.
public struct DifferenceEstimate: Codable, Sendable, Hashable {
    public enum Pairing: String, Codable, Sendable { case paired, welch }

    public var difference: Double
    /// √(seedStandardError² + testStandardError²).
    public var standardError: Double
    /// Satterthwaite's; +∞ when the seeds' part is zero or unknown (the normal is then used).
    public var degreesOfFreedom: Double
    /// The interval at confidence 1 − `Inference.significance`.
    public var lower: Double
    public var upper: Double
    /// Two-sided.
    public var pValue: Double
    /// The smallest difference this design detects with probability `Inference.power` in a two-sided
    /// test at `Inference.significance` (Bloom 1995).
    public var detectable: Double
    public var seedStandardError: Double
    public var testStandardError: Double
    public var pairing: Pairing
    /// Runs that count (failed runs dropped).
    public var countA: Int
    public var countB: Int
    /// False with fewer than two seeds on a side: the seeds' part of the error is then taken as 0.
    public var seedVarianceKnown: Bool
    /// False when either cell lacks predictions: test-set sampling is then not in the error.
    public var testSamplingIncluded: Bool

    /// The interval excludes 0 (equivalently, p is below `Inference.significance`).
    public var isClear: Bool { lower > 0 || upper < 0 }

    /// "+0.043 [+0.012, +0.074]": the difference and its interval, signed, to the thousandth.
    public var text: String {
        "\(Inference.signed(difference)) [\(Inference.signed(lower)), \(Inference.signed(upper))]"
    }

    /// The sentence a report prints: "+0.043 [+0.012, +0.074], p = 0.0081", or, with no clear
    /// difference, "no difference found (+0.004 [-0.031, +0.039], p = 0.81); the design could detect
    /// about 0.052", followed by what the error leaves out.
    public var summary: String {
        var sentence = isClear
            ? "\(text), \(Inference.pValueText(pValue))"
            : "no difference found (\(text), \(Inference.pValueText(pValue))); the design could detect about \(Inference.unsigned(detectable))"
        if !seedVarianceKnown { sentence += " (seed-to-seed variation unknown: fewer than two seeds on a side)" }
        if !testSamplingIncluded { sentence += " (test-set sampling not accounted for)" }
        return sentence
    }
}

/// One cell's mean test MCC with its interval, by the same recipe as a difference.
public struct MeanEstimate: Codable, Sendable, Hashable {
    public var mean: Double
    public var standardError: Double
    public var degreesOfFreedom: Double
    public var lower: Double
    public var upper: Double
    public var seedStandardError: Double
    public var testStandardError: Double
    public var count: Int
    public var seedVarianceKnown: Bool
    public var testSamplingIncluded: Bool

    /// "0.512 [0.488, 0.536]".
    public var text: String {
        "\(Inference.unsigned(mean)) [\(Inference.unsigned(lower)), \(Inference.unsigned(upper))]"
    }
}

public enum Inference {
    /// The threshold p must fall below, per test and family-wise; the intervals are at 1 − this
    /// confidence. Written out rather than computed as 1 − 0.95, which is 0.05000000000000004 in
    /// binary and would make p = 0.05 clear.
    public static let significance = 0.05
    /// The power at which the detectable difference is stated.
    public static let power = 0.80
    public static let bootstrapResamples = 1000
    /// The bootstrap's seed unless the caller gives one: every comparison draws the same resamples.
    public static let bootstrapSeed: UInt64 = 0x1993_EF60_B007_5EED

    /// A p-value counts as a clear difference when it is below `significance`, strictly.
    public static func isClear(pValue: Double) -> Bool { pValue < significance }

    // MARK: Two cells

    /// The difference mean(A) − mean(B) with its interval, p-value and detectable difference; nil
    /// when either cell has no finite value. Throws when both cells carry predictions but not on the
    /// same test set (their labels differ), or when `resamples` is below 2.
    public static func difference(_ a: CellSample, _ b: CellSample, bootstrapSeed: UInt64 = bootstrapSeed,
                                  resamples: Int = bootstrapResamples) throws -> DifferenceEstimate? {
        guard resamples >= 2 else { throw InferenceError("the bootstrap needs at least 2 resamples, not \(resamples)") }
        let runsA = a.withoutFailedRuns(), runsB = b.withoutFailedRuns()
        guard !runsA.values.isEmpty, !runsB.values.isEmpty else { return nil }
        let difference = Statistics.mean(runsA.values) - Statistics.mean(runsB.values)

        // 1. The seeds' part.
        let seeds = seedPart(runsA, runsB)

        // 2. The test set's part: one resample for all runs of both cells; d* per resample.
        var testError = 0.0, testIncluded = false
        if let labels = a.labels, let labelsB = b.labels, let predictionsA = runsA.predictions, let predictionsB = runsB.predictions {
            try requireSameTestSet(labels, labelsB, a.name, b.name)
            let bootstrap = TestSetBootstrap(labels: labels, predictions: predictionsA + predictionsB)
            let scores = bootstrap.resampledMCC(resamples: resamples, seed: bootstrapSeed)
            let runs = bootstrap.runCount, countA = predictionsA.count
            let differences = (0..<resamples).map { r -> Double in
                let row = scores[(r * runs)..<((r + 1) * runs)]
                return Statistics.mean(Array(row.prefix(countA))) - Statistics.mean(Array(row.dropFirst(countA)))
            }
            testError = sampleVariance(differences).squareRoot()
            testIncluded = true
        }

        // 3.–5. Together: interval, p-value, detectable difference.
        let combined = combine(estimate: difference, seedError: seeds.error, seedDegrees: seeds.degrees, testError: testError)
        return DifferenceEstimate(
            difference: difference, standardError: combined.error, degreesOfFreedom: combined.degrees,
            lower: combined.lower, upper: combined.upper, pValue: combined.pValue, detectable: combined.detectable,
            seedStandardError: seeds.error, testStandardError: testError, pairing: seeds.pairing,
            countA: runsA.values.count, countB: runsB.values.count,
            seedVarianceKnown: seeds.known, testSamplingIncluded: testIncluded)
    }

    /// SE_seed and df_seed: paired when both cells ran the same set of seeds, Welch otherwise.
    static func seedPart(_ a: (seeds: [UInt64], values: [Double], predictions: [[Int]]?),
                         _ b: (seeds: [UInt64], values: [Double], predictions: [[Int]]?))
        -> (error: Double, degrees: Double, pairing: DifferenceEstimate.Pairing, known: Bool) {
        if Set(a.seeds) == Set(b.seeds) {
            // d_s = A_s − B_s, B's runs looked up by seed.
            let valueB = Dictionary(uniqueKeysWithValues: zip(b.seeds, b.values))
            let differences = zip(a.seeds, a.values).map { seed, value in value - valueB[seed]! }
            let n = differences.count
            guard n >= 2 else { return (0, .infinity, .paired, false) }
            let variance = sampleVariance(differences)
            return ((variance / Double(n)).squareRoot(), Double(n - 1), .paired, true)
        }
        let nA = a.values.count, nB = b.values.count
        guard nA >= 2, nB >= 2 else { return (0, .infinity, .welch, false) }
        // s²/n of each side, and Welch–Satterthwaite's degrees of freedom.
        let shareA = sampleVariance(a.values) / Double(nA), shareB = sampleVariance(b.values) / Double(nB)
        let variance = shareA + shareB
        let denominator = shareA * shareA / Double(nA - 1) + shareB * shareB / Double(nB - 1)
        let degrees = denominator > 0 ? variance * variance / denominator : .infinity
        return (variance.squareRoot(), degrees, .welch, true)
    }

    static func requireSameTestSet(_ labelsA: [Int], _ labelsB: [Int], _ nameA: String, _ nameB: String) throws {
        guard labelsA.count == labelsB.count else {
            throw InferenceError("cells '\(nameA)' and '\(nameB)' were not scored on the same test set: \(labelsA.count) labels against \(labelsB.count)")
        }
        if let first = labelsA.indices.first(where: { labelsA[$0] != labelsB[$0] }) {
            throw InferenceError("cells '\(nameA)' and '\(nameB)' were not scored on the same test set: example \(first) is labelled \(labelsA[first]) in one and \(labelsB[first]) in the other")
        }
    }

    // MARK: One cell

    /// One cell's mean MCC and its interval: SE² = s²/n + the bootstrap variance of the seeds'
    /// mean MCC, df by Satterthwaite as for a difference. nil when the cell has no finite value.
    public static func interval(of cell: CellSample, bootstrapSeed: UInt64 = bootstrapSeed,
                                resamples: Int = bootstrapResamples) throws -> MeanEstimate? {
        guard resamples >= 2 else { throw InferenceError("the bootstrap needs at least 2 resamples, not \(resamples)") }
        let runs = cell.withoutFailedRuns()
        guard !runs.values.isEmpty else { return nil }
        let n = runs.values.count
        let mean = Statistics.mean(runs.values)
        let seedKnown = n >= 2
        let seedError = seedKnown ? (sampleVariance(runs.values) / Double(n)).squareRoot() : 0
        var testError = 0.0, testIncluded = false
        if let labels = cell.labels, let predictions = runs.predictions {
            let bootstrap = TestSetBootstrap(labels: labels, predictions: predictions)
            let scores = bootstrap.resampledMCC(resamples: resamples, seed: bootstrapSeed)
            let means = (0..<resamples).map { r in Statistics.mean(Array(scores[(r * n)..<((r + 1) * n)])) }
            testError = sampleVariance(means).squareRoot()
            testIncluded = true
        }
        let combined = combine(estimate: mean, seedError: seedError, seedDegrees: seedKnown ? Double(n - 1) : .infinity,
                               testError: testError)
        return MeanEstimate(mean: mean, standardError: combined.error, degreesOfFreedom: combined.degrees,
                            lower: combined.lower, upper: combined.upper, seedStandardError: seedError,
                            testStandardError: testError, count: n, seedVarianceKnown: seedKnown,
                            testSamplingIncluded: testIncluded)
    }

    // MARK: The shared arithmetic

    /// Steps 3–5 of the method note: the combined error and its degrees of freedom, the interval,
    /// the two-sided p-value of estimate = 0, and the detectable difference.
    static func combine(estimate: Double, seedError: Double, seedDegrees: Double, testError: Double)
        -> (error: Double, degrees: Double, lower: Double, upper: Double, pValue: Double, detectable: Double) {
        let error = (seedError * seedError + testError * testError).squareRoot()
        // Satterthwaite with df_test = ∞: SE⁴ / (SE_seed⁴ / df_seed), written as a ratio to stay in range.
        let degrees: Double
        if seedError > 0 {
            let ratio = error / seedError
            degrees = seedDegrees * ratio * ratio * ratio * ratio
        } else {
            degrees = .infinity
        }
        guard error > 0 else {
            return (0, degrees, estimate, estimate, estimate == 0 ? 1 : 0, 0)
        }
        let critical = StudentT.quantile(1 - significance / 2, degreesOfFreedom: degrees)
        let pValue = StudentT.twoSidedPValue(estimate / error, degreesOfFreedom: degrees)
        return (error, degrees, estimate - critical * error, estimate + critical * error, pValue,
                detectableDifference(standardError: error, degreesOfFreedom: degrees))
    }

    /// Bloom's minimum detectable effect: (t_{1−α/2, df} + t_{power, df}) · SE, α = `significance`.
    public static func detectableDifference(standardError: Double, degreesOfFreedom: Double) -> Double {
        guard standardError > 0 else { return 0 }
        return (StudentT.quantile(1 - significance / 2, degreesOfFreedom: degreesOfFreedom)
                + StudentT.quantile(power, degreesOfFreedom: degreesOfFreedom)) * standardError
    }

    /// Sample variance (n − 1 in the denominator), of the values less the first one: the same in
    /// exact arithmetic, and exactly 0 when every value is the same (the mean of three 0.4s is not
    /// 0.4 in binary, and deviations from it would leave an SE of 1e-17 where there is none).
    static func sampleVariance(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let shifted = values.map { $0 - values[0] }
        let mean = shifted.reduce(0, +) / Double(shifted.count)
        return shifted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(shifted.count - 1)
    }

    // MARK: Several tasks

    /// Holm's step-down adjusted p-values (Holm 1979), in the order given: the k-th smallest of m
    /// p-values becomes max over j ≤ k of (m − j + 1) · p_(j), capped at 1. A task is clear after
    /// adjustment when its adjusted p < `significance`. NaN entries (no comparison) stay NaN and do
    /// not count in m.
    public static func holm(_ pValues: [Double]) -> [Double] {
        let order = pValues.indices.filter { !pValues[$0].isNaN }.sorted { pValues[$0] < pValues[$1] }
        let m = order.count
        var adjusted = pValues
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = Swift.max(running, pValues[index] * Double(m - rank))
            adjusted[index] = Swift.min(running, 1)
        }
        return adjusted
    }

    /// Benjamini–Hochberg adjusted p-values (false discovery rate; Benjamini & Hochberg 1995), in the
    /// order given: the k-th smallest of m becomes min over j ≥ k of p_(j) / (j/m), capped at 1.
    /// NaN entries stay NaN and do not count in m.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let order = pValues.indices.filter { !pValues[$0].isNaN }.sorted { pValues[$0] < pValues[$1] }
        let m = order.count
        var adjusted = pValues
        var running = Double.infinity
        for (rank, index) in order.enumerated().reversed() {
            // p / (k/m) as statsmodels writes it, so that the two round alike.
            running = Swift.min(running, pValues[index] / (Double(rank + 1) / Double(m)))
            adjusted[index] = Swift.min(running, 1)
        }
        return adjusted
    }

    // MARK: Text

    /// "+0.043", "-0.012", "0.000" (a value that rounds to zero has no sign).
    static func signed(_ value: Double, decimals: Int = 3) -> String {
        let text = unsigned(value, decimals: decimals)
        guard value.isFinite, !text.hasPrefix("-"), text.contains(where: { ("1"..."9").contains($0) }) else { return text }
        return "+" + text
    }

    static func unsigned(_ value: Double, decimals: Int = 3) -> String {
        value.isFinite ? MeanAndDeviation.fixed(value, decimals: decimals) : "\(value)"
    }

    /// "p = 0.47", "p = 0.0081", "p < 0.001".
    static func pValueText(_ p: Double) -> String {
        guard p.isFinite else { return "p = \(p)" }
        if p < 0.001 { return "p < 0.001" }
        if p < 0.1 { return "p = " + String(format: "%.3g", p) }
        return "p = " + String(format: "%.2f", p)
    }
}
