// The statistics behind every verdict (Metrics/Inference.swift, StudentT.swift, Bootstrap.swift),
// against scipy and statsmodels on Resources/statistics/inference.json (made by
// make_inference_fixture.py beside it) and against cases worked out by hand.
import Foundation
import XCTest
@testable import GeneCoding

final class InferenceTests: XCTestCase {
    // MARK: The fixture

    struct TCase: Decodable {
        var df: Double
        var t: [Double], cdf: [Double], twoSided: [Double], density: [Double]
        var p: [Double], quantile: [Double]
    }
    struct TestCase: Decodable {
        var name: String
        var a: [Double], b: [Double]
        var difference: Double, standardError: Double, df: Double
        var lower: Double, upper: Double, pValue: Double
    }
    struct OneCellCase: Decodable { var name: String; var values: [Double]; var mean: Double; var lower: Double; var upper: Double }
    struct MultipleCase: Decodable { var name: String; var p: [Double]; var holm: [Double]; var benjaminiHochberg: [Double] }
    struct BootstrapCase: Decodable {
        var name: String
        var labels: [Int]
        var a: [[Int]], b: [[Int]]
        var mccA: [Double], mccB: [Double]
        var resamples: Int
        var testStandardError: Double
        var testStandardErrorOfA: Double
    }
    struct Fixture: Decodable {
        var scipy: String, statsmodels: String
        var studentT: [TCase], studentTLargeDegrees: [TCase]
        var welch: [TestCase], paired: [TestCase], oneCell: [OneCellCase]
        var multipleComparisons: [MultipleCase]
        var bootstrap: [BootstrapCase]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!
            .appendingPathComponent("statistics/inference.json")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(Fixture.self, from: Data(contentsOf: url)) } catch { fatalError("statistics/inference.json: \(error)") }
    }()
    var fixture: Fixture { Self.fixture }

    /// |actual − expected| within `relative` of |expected| (or `absolute`, for values near 0).
    func assertClose(_ actual: Double, _ expected: Double, relative: Double, absolute: Double = 0, _ what: @autoclosure () -> String,
                     file: StaticString = #filePath, line: UInt = #line) {
        if actual == expected { return }
        let error = abs(actual - expected)
        XCTAssertTrue(error <= relative * abs(expected) || error <= absolute,
                      "\(what()): \(actual) against \(expected) (relative error \(error / abs(expected)))", file: file, line: line)
    }

    /// A cell of values only, seeds 0, 1, 2, … shifted by `firstSeed`.
    func cell(_ values: [Double], firstSeed: UInt64 = 0, name: String = "cell") throws -> CellSample {
        try CellSample(name: name, seeds: (0..<values.count).map { firstSeed + UInt64($0) }, values: values)
    }

    /// A cell whose runs have predictions: values are their MCCs, computed by ConfusionMatrix.
    func cell(labels: [Int], predictions: [[Int]], firstSeed: UInt64 = 0, name: String = "cell") throws -> CellSample {
        let values = predictions.map { ConfusionMatrix(truth: labels, prediction: $0).matthewsCorrelation }
        return try CellSample(name: name, seeds: (0..<values.count).map { firstSeed + UInt64($0) }, values: values,
                              predictions: predictions, labels: labels)
    }

    // MARK: Student's t

    func testStudentTAgainstScipy() {
        XCTAssertEqual(fixture.studentT.map(\.df), [1, 1.5, 2, 3, 4.3, 10, 30, 1000, .infinity], "the fixture lost its grid of degrees of freedom")
        XCTAssertTrue(fixture.studentTLargeDegrees.contains { $0.df < StudentT.hillFrom } && fixture.studentTLargeDegrees.contains { $0.df >= StudentT.hillFrom },
                      "the fixture should hold degrees of freedom on both sides of the switch to Hill's form")
        var worst: [String: Double] = [:]
        func relative(_ actual: Double, _ expected: Double) -> Double { actual == expected ? 0 : abs(actual - expected) / abs(expected) }
        for c in fixture.studentT + fixture.studentTLargeDegrees {
            for (i, t) in c.t.enumerated() {
                let what = "df \(c.df), t \(t)"
                let cdf = StudentT.cdf(t, degreesOfFreedom: c.df), twoSided = StudentT.twoSidedPValue(t, degreesOfFreedom: c.df)
                if c.cdf[i] == 0 {
                    XCTAssertLessThan(cdf, 1e-300, "cdf, \(what)")
                } else {
                    assertClose(cdf, c.cdf[i], relative: 1e-10, "cdf, \(what)")
                    worst["cdf", default: 0] = max(worst["cdf", default: 0], relative(cdf, c.cdf[i]))
                }
                if c.twoSided[i] == 0 {
                    XCTAssertLessThan(twoSided, 1e-300, "two-sided p, \(what)")
                } else {
                    assertClose(twoSided, c.twoSided[i], relative: 1e-10, "two-sided p, \(what)")
                    worst["two-sided p", default: 0] = max(worst["two-sided p", default: 0], relative(twoSided, c.twoSided[i]))
                }
                if c.density[i] > 1e-300 {
                    let density = StudentT.density(t, degreesOfFreedom: c.df)
                    assertClose(density, c.density[i], relative: 1e-10, "density, \(what)")
                    worst["density", default: 0] = max(worst["density", default: 0], relative(density, c.density[i]))
                }
            }
            for (i, p) in c.p.enumerated() {
                let quantile = StudentT.quantile(p, degreesOfFreedom: c.df)
                assertClose(quantile, c.quantile[i], relative: 1e-10, absolute: 1e-14, "quantile, df \(c.df), p \(p)")
                if c.quantile[i] != 0 { worst["quantile", default: 0] = max(worst["quantile", default: 0], relative(quantile, c.quantile[i])) }
            }
        }
        print("Student's t against scipy, worst relative error: " + worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }

    func testStudentTFinishesOnExtremeInputs() {
        // Tiny degrees of freedom put quantiles beyond any Double: the answer is then infinite, not a hang.
        XCTAssertEqual(StudentT.quantile(1e-300, degreesOfFreedom: 0.01), -.infinity)
        XCTAssertEqual(StudentT.quantile(1 - 1e-16, degreesOfFreedom: 0.01), .infinity)
        XCTAssertEqual(StudentT.quantile(1e-6, degreesOfFreedom: 0.2), -7.508285934582992e+27, accuracy: 1e-10 * 7.5e27)   // scipy's t.ppf
        XCTAssertEqual(StudentT.cdf(-1e154, degreesOfFreedom: 0.01), 0.013995146034306571, accuracy: 1e-10 * 0.014)       // scipy's t.cdf
        let farOut = StudentT.cdf(-1e300, degreesOfFreedom: 1e-5)        // (1e300)^(−1e-5) is still about 1
        XCTAssertTrue(farOut > 0.1 && farOut <= 0.5, "\(farOut)")
        XCTAssertEqual(StudentT.cdf(-1e300, degreesOfFreedom: 3), 0)
        XCTAssertEqual(StudentT.cdf(1e300, degreesOfFreedom: 1e300), 1)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 1e300), 1.959963984540054, accuracy: 1e-13)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: .greatestFiniteMagnitude), 1.959963984540054, accuracy: 1e-13)
    }

    func testStudentTKnownValues() {
        // Printed tables: t_{0.975, ∞} = 1.959963984540054, t_{0.975, 4} = 2.7764451051977987,
        // and the Cauchy (df 1) quantile tan(π(p − ½)).
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: .infinity), 1.959963984540054, accuracy: 1e-13)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 4), 2.7764451051977987, accuracy: 1e-12)
        for p in [0.01, 0.2, 0.7, 0.999] {
            XCTAssertEqual(StudentT.quantile(p, degreesOfFreedom: 1), Foundation.tan(Double.pi * (p - 0.5)), accuracy: 1e-10 * abs(Foundation.tan(Double.pi * (p - 0.5))))
        }
        // Round trips and symmetry at fractional degrees of freedom.
        for df in [1.3, 2.5, 7.7, 123.4] {
            for t in [-7.0, -1.2, 0.3, 4.0] {
                XCTAssertEqual(StudentT.quantile(StudentT.cdf(t, degreesOfFreedom: df), degreesOfFreedom: df), t, accuracy: 1e-9 * abs(t), "df \(df), t \(t)")
                XCTAssertEqual(StudentT.cdf(t, degreesOfFreedom: df) + StudentT.cdf(-t, degreesOfFreedom: df), 1, accuracy: 1e-15)
            }
        }
    }

    func testStudentTOutsideItsDomain() {
        XCTAssertEqual(StudentT.quantile(0, degreesOfFreedom: 3), -.infinity)
        XCTAssertEqual(StudentT.quantile(1, degreesOfFreedom: 3), .infinity)
        XCTAssertEqual(StudentT.quantile(0.5, degreesOfFreedom: 3), 0)
        XCTAssertTrue(StudentT.quantile(1.5, degreesOfFreedom: 3).isNaN)
        XCTAssertTrue(StudentT.quantile(.nan, degreesOfFreedom: 3).isNaN)
        XCTAssertTrue(StudentT.cdf(1, degreesOfFreedom: 0).isNaN)
        XCTAssertTrue(StudentT.cdf(1, degreesOfFreedom: -2).isNaN)
        XCTAssertTrue(StudentT.cdf(1, degreesOfFreedom: .nan).isNaN)
        XCTAssertTrue(StudentT.cdf(.nan, degreesOfFreedom: 3).isNaN)
        XCTAssertEqual(StudentT.cdf(.infinity, degreesOfFreedom: 3), 1)
        XCTAssertEqual(StudentT.cdf(-.infinity, degreesOfFreedom: 3), 0)
        XCTAssertEqual(StudentT.twoSidedPValue(0, degreesOfFreedom: 3), 1)
        XCTAssertEqual(StudentT.twoSidedPValue(0, degreesOfFreedom: .infinity), 1)
        // Degrees of freedom far beyond the fixture's still give the normal's answer to within 1/df.
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 1e12), 1.959963984540054, accuracy: 1e-9)
    }

    // MARK: Two cells, values only

    func testWelchAgainstScipy() throws {
        XCTAssertGreaterThanOrEqual(fixture.welch.count, 5)
        for c in fixture.welch {
            // Different seeds on the two sides: nothing to pair.
            let estimate = try XCTUnwrap(Inference.difference(cell(c.a), cell(c.b, firstSeed: 100)), c.name)
            XCTAssertEqual(estimate.pairing, .welch, c.name)
            assertClose(estimate.difference, c.difference, relative: 1e-12, absolute: 1e-15, "difference, \(c.name)")
            assertClose(estimate.standardError, c.standardError, relative: 1e-12, "SE, \(c.name)")
            assertClose(estimate.seedStandardError, c.standardError, relative: 1e-12, "seed SE, \(c.name)")
            XCTAssertEqual(estimate.testStandardError, 0, c.name)
            assertClose(estimate.degreesOfFreedom, c.df, relative: 1e-12, "df, \(c.name)")
            assertClose(estimate.lower, c.lower, relative: 1e-10, absolute: 1e-13, "lower, \(c.name)")
            assertClose(estimate.upper, c.upper, relative: 1e-10, absolute: 1e-13, "upper, \(c.name)")
            assertClose(estimate.pValue, c.pValue, relative: 1e-10, "p, \(c.name)")
            XCTAssertEqual(estimate.isClear, c.lower > 0 || c.upper < 0, c.name)
            XCTAssertEqual(estimate.isClear, Inference.isClear(pValue: estimate.pValue), c.name)
            XCTAssertTrue(estimate.seedVarianceKnown, c.name)
            XCTAssertFalse(estimate.testSamplingIncluded, c.name)
            XCTAssertEqual(estimate.countA, c.a.count)
            XCTAssertEqual(estimate.countB, c.b.count)
        }
        XCTAssertTrue(fixture.welch.contains { $0.lower > 0 || $0.upper < 0 }, "the fixture should hold a clear difference")
        XCTAssertTrue(fixture.welch.contains { $0.lower < 0 && $0.upper > 0 }, "and one that is not")
    }

    func testPairedAgainstScipy() throws {
        XCTAssertGreaterThanOrEqual(fixture.paired.count, 3)
        for c in fixture.paired {
            let a = try cell(c.a, firstSeed: 7)
            // B lists the same seeds in another order: pairs are matched by seed, not by position.
            let order = Array((0..<c.b.count).reversed())
            let b = try CellSample(seeds: order.map { 7 + UInt64($0) }, values: order.map { c.b[$0] })
            let estimate = try XCTUnwrap(Inference.difference(a, b), c.name)
            XCTAssertEqual(estimate.pairing, .paired, c.name)
            assertClose(estimate.difference, c.difference, relative: 1e-12, absolute: 1e-15, "difference, \(c.name)")
            assertClose(estimate.standardError, c.standardError, relative: 1e-12, "SE, \(c.name)")
            XCTAssertEqual(estimate.degreesOfFreedom, c.df, c.name)
            assertClose(estimate.lower, c.lower, relative: 1e-10, absolute: 1e-13, "lower, \(c.name)")
            assertClose(estimate.upper, c.upper, relative: 1e-10, absolute: 1e-13, "upper, \(c.name)")
            assertClose(estimate.pValue, c.pValue, relative: 1e-10, "p, \(c.name)")
            XCTAssertEqual(estimate.isClear, c.lower > 0 || c.upper < 0, c.name)
        }
    }

    func testPairingNarrowsTheIntervalWhenSeedsCorrelate() throws {
        // The same numbers, once with shared seeds (paired) and once with B's seeds renamed (Welch).
        let a = [0.512, 0.498, 0.530], b = [0.490, 0.471, 0.512]         // B ≈ A − 0.022, seed by seed
        let paired = try XCTUnwrap(Inference.difference(cell(a), cell(b)))
        let unpaired = try XCTUnwrap(Inference.difference(cell(a), cell(b, firstSeed: 50)))
        XCTAssertEqual(paired.pairing, .paired)
        XCTAssertEqual(unpaired.pairing, .welch)
        XCTAssertEqual(paired.difference, unpaired.difference)
        XCTAssertLessThan(paired.upper - paired.lower, (unpaired.upper - unpaired.lower) / 3)
        XCTAssertTrue(paired.isClear, "a consistent gap of 0.022 over three seeds is clear when paired")
        XCTAssertFalse(unpaired.isClear, "and lost in the seeds' spread when not")
    }

    func testPartlySharedSeedsAreNotPaired() throws {
        let a = try CellSample(seeds: [1, 2, 3], values: [0.5, 0.52, 0.49])
        let b = try CellSample(seeds: [1, 2, 4], values: [0.45, 0.47, 0.44])
        XCTAssertEqual(try XCTUnwrap(Inference.difference(a, b)).pairing, .welch)
    }

    func testOneCellIntervalAgainstScipy() throws {
        for c in fixture.oneCell {
            let estimate = try XCTUnwrap(Inference.interval(of: cell(c.values)), c.name)
            assertClose(estimate.mean, c.mean, relative: 1e-14, "mean, \(c.name)")
            assertClose(estimate.lower, c.lower, relative: 1e-10, "lower, \(c.name)")
            assertClose(estimate.upper, c.upper, relative: 1e-10, "upper, \(c.name)")
            XCTAssertEqual(estimate.degreesOfFreedom, Double(c.values.count - 1), c.name)
            XCTAssertFalse(estimate.testSamplingIncluded)
        }
        XCTAssertNil(try Inference.interval(of: cell([.nan, .nan])))
        let single = try XCTUnwrap(Inference.interval(of: cell([0.4])))
        XCTAssertFalse(single.seedVarianceKnown)
        XCTAssertEqual(single.lower, 0.4)
        XCTAssertEqual(single.text, "0.400 [0.400, 0.400]")
    }

    // MARK: Edge cases worked by hand

    func testZeroVariance() throws {
        // Every seed gives the same number: no spread, so SE = 0, and a nonzero d is certain.
        let apart = try XCTUnwrap(Inference.difference(cell([0.5, 0.5, 0.5]), cell([0.4, 0.4, 0.4], firstSeed: 9)))
        XCTAssertEqual(apart.standardError, 0)
        XCTAssertEqual(apart.pValue, 0)
        XCTAssertTrue(apart.isClear)
        XCTAssertEqual(apart.lower, apart.difference)
        XCTAssertEqual(apart.detectable, 0)
        XCTAssertTrue(apart.seedVarianceKnown)
        let same = try XCTUnwrap(Inference.difference(cell([0.5, 0.5, 0.5]), cell([0.5, 0.5, 0.5], firstSeed: 9)))
        XCTAssertEqual(same.difference, 0)
        XCTAssertEqual(same.pValue, 1)
        XCTAssertFalse(same.isClear)
        // Paired, with a gap exact in binary on every seed: the differences have no spread.
        let shifted = try XCTUnwrap(Inference.difference(cell([0.5, 0.75, 0.25]), cell([0.25, 0.5, 0.0])))
        XCTAssertEqual(shifted.pairing, .paired)
        XCTAssertEqual(shifted.difference, 0.25)
        XCTAssertEqual(shifted.standardError, 0)
        XCTAssertEqual(shifted.pValue, 0)
        XCTAssertTrue(shifted.isClear)
    }

    func testTiesAreNeverClear() throws {
        // The same values under other seeds: d = 0 exactly, t = 0, p = 1.
        // (Values exact in binary, so that both means are exactly 0.375 whatever the order of the sum.)
        let tie = try XCTUnwrap(Inference.difference(cell([0.25, 0.5, 0.375]), cell([0.5, 0.375, 0.25], firstSeed: 10)))
        XCTAssertEqual(tie.difference, 0)
        XCTAssertEqual(tie.pValue, 1)
        XCTAssertFalse(tie.isClear)
        XCTAssertLessThan(tie.lower, 0)
        XCTAssertGreaterThan(tie.upper, 0)
    }

    func testOneSeedLeavesTheSeedVarianceUnknown() throws {
        let estimate = try XCTUnwrap(Inference.difference(cell([0.6]), cell([0.5, 0.55, 0.52], firstSeed: 3)))
        XCTAssertFalse(estimate.seedVarianceKnown)
        XCTAssertEqual(estimate.seedStandardError, 0)
        XCTAssertEqual(estimate.standardError, 0)
        XCTAssertEqual(estimate.degreesOfFreedom, .infinity)
        XCTAssertEqual(estimate.pValue, 0, "with no error to weigh it against, any difference is 'clear': the flag says it means nothing")
        XCTAssertTrue(estimate.summary.contains("seed-to-seed variation unknown"), estimate.summary)
        // One seed each, same seed: paired, still unknown.
        let pairedOne = try XCTUnwrap(Inference.difference(cell([0.6]), cell([0.5])))
        XCTAssertEqual(pairedOne.pairing, .paired)
        XCTAssertFalse(pairedOne.seedVarianceKnown)
        // With predictions the test set's part still gives an error, on the normal (df = ∞).
        let labels = (0..<200).map { $0 % 2 }
        let noisy = labels.enumerated().map { i, y in i % 5 == 0 ? 1 - y : y }
        let withTests = try XCTUnwrap(Inference.difference(cell(labels: labels, predictions: [labels]),
                                                           cell(labels: labels, predictions: [noisy])))
        XCTAssertFalse(withTests.seedVarianceKnown)
        XCTAssertTrue(withTests.testSamplingIncluded)
        XCTAssertGreaterThan(withTests.standardError, 0)
        XCTAssertEqual(withTests.standardError, withTests.testStandardError)
        XCTAssertEqual(withTests.degreesOfFreedom, .infinity)
        XCTAssertEqual(withTests.upper - withTests.difference, 1.959963984540054 * withTests.standardError, accuracy: 1e-12)
    }

    func testFailedRunsAreDropped() throws {
        let withFailure = try CellSample(seeds: [1, 2, 3], values: [0.5, .nan, 0.6])
        let without = try CellSample(seeds: [1, 3], values: [0.5, 0.6])
        let b = try CellSample(seeds: [1, 2, 3], values: [0.4, 0.45, 0.42])
        let estimate = try XCTUnwrap(Inference.difference(withFailure, b))
        XCTAssertEqual(estimate, try Inference.difference(without, b))
        XCTAssertEqual(estimate.countA, 2)
        XCTAssertEqual(estimate.pairing, .welch, "seeds {1, 3} against {1, 2, 3}")
        XCTAssertFalse(estimate.difference.isNaN)
        // A failed run's predictions may be missing altogether.
        let labels = [0, 1, 0, 1, 1, 0]
        let failed = try CellSample(seeds: [1, 2], values: [1, .nan], predictions: [labels, []], labels: labels)
        let other = try cell(labels: labels, predictions: [[0, 1, 1, 1, 1, 0]], firstSeed: 1)
        XCTAssertEqual(try XCTUnwrap(Inference.difference(failed, other)).pairing, .paired)
    }

    func testEmptyCellsGiveNoComparison() throws {
        let some = try cell([0.5, 0.6])
        XCTAssertNil(try Inference.difference(cell([]), some))
        XCTAssertNil(try Inference.difference(some, cell([.nan, .nan, .nan])))
        XCTAssertNil(try Inference.difference(cell([.nan]), cell([.infinity])))
        XCTAssertNil(try Inference.interval(of: cell([])))
    }

    func testTheThresholdIsStrict() throws {
        XCTAssertFalse(Inference.isClear(pValue: 0.05), "p = 0.05 is not below 0.05")
        XCTAssertTrue(Inference.isClear(pValue: 0.05.nextDown))
        XCTAssertFalse(Inference.isClear(pValue: .nan))
        // An interval that touches 0 does not exclude it.
        var estimate = try XCTUnwrap(Inference.difference(cell([0.5, 0.52, 0.49]), cell([0.45, 0.47, 0.44], firstSeed: 5)))
        estimate.lower = 0
        XCTAssertFalse(estimate.isClear)
        estimate.lower = 0.0.nextUp
        XCTAssertTrue(estimate.isClear)
        // A difference placed exactly at the critical value: d = t_{0.975, df} · SE makes p 0.05 up to
        // rounding, and the interval's lower end 0 up to rounding.
        let seedError = 0.01, degrees = 4.0
        let critical = StudentT.quantile(0.975, degreesOfFreedom: degrees)
        let atThreshold = Inference.combine(estimate: critical * seedError, seedError: seedError, seedDegrees: degrees, testError: 0)
        XCTAssertEqual(atThreshold.pValue, 0.05, accuracy: 1e-12)
        XCTAssertEqual(atThreshold.lower, 0, accuracy: 1e-15)
    }

    func testDetectableDifferenceByHand() throws {
        // MDE = (t_{0.975, df} + t_{0.80, df}) · SE, with scipy's quantiles from the fixture.
        for c in fixture.studentT {
            let t975 = try XCTUnwrap(c.p.firstIndex(of: 0.975).map { c.quantile[$0] })
            let t80 = try XCTUnwrap(c.p.firstIndex(of: 0.8).map { c.quantile[$0] })
            assertClose(Inference.detectableDifference(standardError: 0.02, degreesOfFreedom: c.df), (t975 + t80) * 0.02,
                        relative: 1e-10, "MDE, df \(c.df)")
        }
        // The normal's multiplier is Bloom's 2.80.
        XCTAssertEqual(Inference.detectableDifference(standardError: 1, degreesOfFreedom: .infinity), 2.8016, accuracy: 1e-4)
        // And an estimate reports the same as the function does for its SE and df.
        let estimate = try XCTUnwrap(Inference.difference(cell([0.40, 0.43]), cell([0.41, 0.39, 0.45, 0.38], firstSeed: 5)))
        XCTAssertEqual(estimate.detectable, Inference.detectableDifference(standardError: estimate.standardError,
                                                                            degreesOfFreedom: estimate.degreesOfFreedom))
        XCTAssertFalse(estimate.isClear)
        XCTAssertTrue(estimate.summary.hasPrefix("no difference found ("), estimate.summary)
        XCTAssertTrue(estimate.summary.contains("the design could detect about \(Inference.unsigned(estimate.detectable))"), estimate.summary)
    }

    // MARK: Several tasks

    func testHolmAndBenjaminiHochbergAgainstStatsmodels() {
        XCTAssertGreaterThanOrEqual(fixture.multipleComparisons.count, 5)
        for c in fixture.multipleComparisons {
            for (i, (ours, theirs)) in zip(Inference.holm(c.p), c.holm).enumerated() {
                XCTAssertEqual(ours, theirs, accuracy: 1e-15, "Holm, \(c.name), entry \(i)")
            }
            for (i, (ours, theirs)) in zip(Inference.benjaminiHochberg(c.p), c.benjaminiHochberg).enumerated() {
                XCTAssertEqual(ours, theirs, accuracy: 1e-15, "BH, \(c.name), entry \(i)")
            }
        }
    }

    func testHolmByHand() {
        // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 → running max 0.06.
        let adjusted = Inference.holm([0.01, 0.04, 0.03, 0.005])
        for (ours, expected) in zip(adjusted, [0.03, 0.06, 0.06, 0.02]) { XCTAssertEqual(ours, expected, accuracy: 1e-15) }
        XCTAssertEqual(adjusted.filter(Inference.isClear(pValue:)).count, 2, "two of four tasks survive the correction")
        // No comparison (NaN) stays NaN and does not count in m.
        let withGap = Inference.holm([0.01, .nan, 0.04])
        XCTAssertEqual(withGap[0], 0.02, accuracy: 1e-15)
        XCTAssertTrue(withGap[1].isNaN)
        XCTAssertEqual(withGap[2], 0.04, accuracy: 1e-15)
        XCTAssertTrue(Inference.benjaminiHochberg([.nan])[0].isNaN)
        XCTAssertEqual(Inference.holm([]), [])
        XCTAssertEqual(Inference.benjaminiHochberg([]), [])
    }

    // MARK: The test-set bootstrap

    func testBootstrapAgainstAPythonBootstrap() throws {
        XCTAssertEqual(fixture.bootstrap.count, 3)
        for c in fixture.bootstrap {
            let a = try CellSample(name: "A", seeds: (0..<c.a.count).map(UInt64.init), values: c.mccA, predictions: c.a, labels: c.labels)
            let b = try CellSample(name: "B", seeds: (0..<c.b.count).map { UInt64($0 + 10) }, values: c.mccB, predictions: c.b, labels: c.labels)
            // The fixture's MCCs are ConfusionMatrix's.
            for (run, mcc) in zip(c.a + c.b, c.mccA + c.mccB) {
                XCTAssertEqual(ConfusionMatrix(truth: c.labels, prediction: run).matthewsCorrelation, mcc, accuracy: 1e-12, c.name)
            }
            let estimate = try XCTUnwrap(Inference.difference(a, b))
            XCTAssertTrue(estimate.testSamplingIncluded)
            // Ours has 1,000 resamples, so its SD is off by about 1/√(2·999) ≈ 2.2% of itself: allow 10%.
            assertClose(estimate.testStandardError, c.testStandardError, relative: 0.10, "test SE, \(c.name)")
            let combined = (estimate.seedStandardError * estimate.seedStandardError + estimate.testStandardError * estimate.testStandardError).squareRoot()
            XCTAssertEqual(estimate.standardError, combined, accuracy: 1e-15, c.name)
            let one = try XCTUnwrap(Inference.interval(of: a))
            if c.testStandardErrorOfA == 0 {
                XCTAssertEqual(one.testStandardError, 0, "a perfect cell is perfect on every resample, \(c.name)")
            } else {
                assertClose(one.testStandardError, c.testStandardErrorOfA, relative: 0.10, "one cell's test SE, \(c.name)")
            }
        }
    }

    func testPerfectAgainstRandomMatchesTheLargeSampleValue() throws {
        // A predicts every label; B's three seeds guess at random. A's MCC is 1 on every resample, and
        // each of B's is a correlation of independent variables, with variance 1/n: their mean over
        // three seeds has SD 1/√(3n).
        let n = 2000
        var random = RandomSource(seed: 42)
        let labels = (0..<n).map { _ in Int(random.next() % 2) }
        let guesses = (0..<3).map { _ in (0..<n).map { _ in Int(random.next() % 2) } }
        let estimate = try XCTUnwrap(Inference.difference(cell(labels: labels, predictions: [labels, labels, labels]),
                                                          cell(labels: labels, predictions: guesses, firstSeed: 5)))
        assertClose(estimate.testStandardError, 1 / Double(3 * n).squareRoot(), relative: 0.10, "SE_test of perfect against random")
    }

    func testIdenticalPredictionsHaveNoTestError() throws {
        var random = RandomSource(seed: 7)
        let labels = (0..<300).map { _ in Int(random.next() % 3) }
        let runs = (0..<3).map { _ in labels.map { random.uniform() < 0.7 ? $0 : Int(random.next() % 3) } }
        let estimate = try XCTUnwrap(Inference.difference(cell(labels: labels, predictions: runs),
                                                          cell(labels: labels, predictions: runs, firstSeed: 20)))
        XCTAssertEqual(estimate.testStandardError, 0)
        XCTAssertEqual(estimate.difference, 0)
        XCTAssertTrue(estimate.testSamplingIncluded)
    }

    func testBootstrapIsReproducibleAndMatchesThePlainVersion() throws {
        let c = fixture.bootstrap[1]
        let a = try CellSample(seeds: [0, 1, 2], values: c.mccA, predictions: c.a, labels: c.labels)
        let b = try CellSample(seeds: [3, 4, 5], values: c.mccB, predictions: c.b, labels: c.labels)
        let first = try XCTUnwrap(Inference.difference(a, b)), second = try XCTUnwrap(Inference.difference(a, b))
        XCTAssertEqual(first.testStandardError.bitPattern, second.testStandardError.bitPattern)
        XCTAssertEqual(first, second)
        let otherSeed = try XCTUnwrap(Inference.difference(a, b, bootstrapSeed: 12345))
        XCTAssertNotEqual(otherSeed.testStandardError, first.testStandardError, "another seed draws other resamples")
        assertClose(otherSeed.testStandardError, first.testStandardError, relative: 0.15, "but about as spread")

        // The counting kernel against the plain one, bit for bit, including classes that need
        // renumbering (negative, and far apart).
        let bootstrap = TestSetBootstrap(labels: c.labels, predictions: c.a + c.b)
        let fast = bootstrap.resampledMCC(resamples: 50, seed: 99), plain = bootstrap.referenceResampledMCC(resamples: 50, seed: 99)
        XCTAssertEqual(fast.map(\.bitPattern), plain.map(\.bitPattern))
        XCTAssertLessThanOrEqual(bootstrap.patternCount, 729, "three classes, six runs: at most 3^7 patterns")
        XCTAssertLessThan(bootstrap.patternCount, c.labels.count)
        // Random guesses of five classes by eight runs: nearly every example is its own pattern.
        var random = RandomSource(seed: 8)
        let manyLabels = (0..<200).map { _ in Int(random.next() % 5) }
        let manyRuns = (0..<8).map { _ in (0..<200).map { _ in Int(random.next() % 5) } }
        let scattered = TestSetBootstrap(labels: manyLabels, predictions: manyRuns)
        XCTAssertGreaterThan(scattered.patternCount, 190)
        XCTAssertEqual(scattered.resampledMCC(resamples: 30, seed: 4).map(\.bitPattern), scattered.referenceResampledMCC(resamples: 30, seed: 4).map(\.bitPattern))
        let odd = TestSetBootstrap(labels: [-3, 7, 1_000_000, 7, -3, -3], predictions: [[-3, 7, 7, 7, 1_000_000, -3], [7, 7, -3, 1_000_000, -3, -3]])
        XCTAssertEqual(odd.classCount, 3)
        XCTAssertEqual(odd.resampledMCC(resamples: 40, seed: 5).map(\.bitPattern), odd.referenceResampledMCC(resamples: 40, seed: 5).map(\.bitPattern))
        // With every example drawn once the resampled MCC would be the MCC; on average it is close.
        let sameClasses = TestSetBootstrap(labels: c.labels, predictions: c.a)
        let resampled = sameClasses.resampledMCC(resamples: 400, seed: 3)
        let meanOfFirstRun = stride(from: 0, to: resampled.count, by: 3).map { resampled[$0] }.reduce(0, +) / 400
        XCTAssertEqual(meanOfFirstRun, c.mccA[0], accuracy: 0.01)
    }

    func testResampleDrawsAreUniform() {
        // 60,000 draws from 0..<6: each count within 5 SD of 10,000 (SD ≈ 91).
        var draws = ResampleDraws(seed: 1, exampleCount: 6)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[draws.next()] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 460, "\(counts)") }
    }

    func testBothPartsCombine() throws {
        // Seeds' spread and test-set sampling together: SE² adds, df by Satterthwaite.
        let c = fixture.bootstrap[2]
        let a = try CellSample(seeds: [0, 1, 2, 3], values: c.mccA, predictions: c.a, labels: c.labels)
        let b = try CellSample(seeds: [10, 11, 12, 13, 14], values: c.mccB, predictions: c.b, labels: c.labels)
        let both = try XCTUnwrap(Inference.difference(a, b))
        let valuesOnly = try XCTUnwrap(Inference.difference(CellSample(seeds: a.seeds, values: a.values), CellSample(seeds: b.seeds, values: b.values)))
        XCTAssertEqual(both.seedStandardError, valuesOnly.standardError)
        XCTAssertGreaterThan(both.testStandardError, 0)
        XCTAssertGreaterThan(both.standardError, valuesOnly.standardError)
        let ratio = both.standardError / both.seedStandardError
        assertClose(both.degreesOfFreedom, valuesOnly.degreesOfFreedom * ratio * ratio * ratio * ratio, relative: 1e-12, "combined df")
        XCTAssertGreaterThan(both.degreesOfFreedom, valuesOnly.degreesOfFreedom)
        let critical = StudentT.quantile(0.975, degreesOfFreedom: both.degreesOfFreedom)
        XCTAssertEqual(both.upper, both.difference + critical * both.standardError, accuracy: 1e-15)
        // One cell carrying predictions and the other not: no test part, and it says so.
        let partial = try XCTUnwrap(Inference.difference(a, CellSample(seeds: b.seeds, values: b.values)))
        XCTAssertFalse(partial.testSamplingIncluded)
        XCTAssertEqual(partial.standardError, valuesOnly.standardError)
        XCTAssertTrue(partial.summary.contains("test-set sampling not accounted for"), partial.summary)
    }

    func testBootstrapSpeed() throws {
        // The brief's budget: 1,000 resamples of 1,000 examples, 3 seeds a side, well under 50 ms.
        var random = RandomSource(seed: 11)
        let n = 1000
        let labels = (0..<n).map { _ in Int(random.next() % 2) }
        func runs() -> [[Int]] { (0..<3).map { _ in labels.map { random.uniform() < 0.8 ? $0 : 1 - $0 } } }
        let a = try cell(labels: labels, predictions: runs()), b = try cell(labels: labels, predictions: runs(), firstSeed: 3)
        _ = try Inference.difference(a, b)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try Inference.difference(a, b)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print("bootstrap: 1,000 resamples, n = 1,000, 3 + 3 runs: \(String(format: "%.2f", best)) ms (best of 5)")
        #if !DEBUG
        XCTAssertLessThan(best, 50, "the bootstrap is over its budget")
        #endif
    }

    // MARK: Bad input

    func testInconsistentCellsAreRefusedWithAReason() {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [1, 2], values: [0.1]) }, "cell 'BPE': 2 seeds but 1 values")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [1, 1], values: [0.1, 0.2]) }, "cell 'BPE': seed 1 appears more than once")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [1], values: [0.1], predictions: [[0, 1]]) }, "cell 'BPE': predictions given without labels")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [1], values: [0.1], labels: [0, 1]) }, "cell 'BPE': labels given without predictions")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [1, 2], values: [0.1, 0.2], predictions: [[0, 1]], labels: [0, 1]) },
                       "cell 'BPE': 1 prediction lists for 2 runs")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [4], values: [0.1], predictions: [[0]], labels: [0, 1]) },
                       "cell 'BPE': seed 4 has 1 predictions for 2 labels")
        XCTAssertEqual(message { try CellSample(name: "BPE", seeds: [4], values: [0.1], predictions: [[]], labels: []) },
                       "cell 'BPE': the test set has no labels")
        XCTAssertEqual(message {
            try Inference.difference(CellSample(name: "BPE", seeds: [1], values: [0.5], predictions: [[0, 1, 1]], labels: [0, 1, 1]),
                                     CellSample(name: "6-mer", seeds: [1], values: [0.5], predictions: [[0, 1, 1]], labels: [0, 0, 1])) as Any
        }, "cells 'BPE' and '6-mer' were not scored on the same test set: example 1 is labelled 1 in one and 0 in the other")
        XCTAssertEqual(message {
            try Inference.difference(CellSample(name: "BPE", seeds: [1], values: [0.5], predictions: [[0, 1]], labels: [0, 1]),
                                     CellSample(name: "6-mer", seeds: [1], values: [0.5], predictions: [[0, 1, 1]], labels: [0, 1, 1])) as Any
        }, "cells 'BPE' and '6-mer' were not scored on the same test set: 2 labels against 3")
        XCTAssertEqual(message { try Inference.difference(self.cell([0.1, 0.2]), self.cell([0.3, 0.1]), resamples: 1) as Any },
                       "the bootstrap needs at least 2 resamples, not 1")
    }

    // MARK: Text and storage

    func testText() throws {
        var estimate = try XCTUnwrap(Inference.difference(cell([0.5, 0.52, 0.49]), cell([0.45, 0.47, 0.44], firstSeed: 5)))
        estimate.difference = 0.0434; estimate.lower = 0.0121; estimate.upper = 0.0744
        XCTAssertEqual(estimate.text, "+0.043 [+0.012, +0.074]")
        estimate.difference = -0.0004; estimate.lower = -0.0301; estimate.upper = 0.0293
        XCTAssertEqual(estimate.text, "0.000 [-0.030, +0.029]")
        XCTAssertEqual(Inference.pValueText(0.4712), "p = 0.47")
        XCTAssertEqual(Inference.pValueText(0.0081), "p = 0.0081")
        XCTAssertEqual(Inference.pValueText(0.0004), "p < 0.001")
        estimate.pValue = 0.9781; estimate.detectable = 0.0712
        XCTAssertEqual(estimate.summary, "no difference found (0.000 [-0.030, +0.029], p = 0.98); the design could detect about 0.071 (test-set sampling not accounted for)")
        estimate.pValue = 0.0081
        estimate.difference = 0.0434; estimate.lower = 0.0121; estimate.upper = 0.0744
        XCTAssertEqual(estimate.summary, "+0.043 [+0.012, +0.074], p = 0.0081 (test-set sampling not accounted for)")
    }

    func testCodableWithInfiniteDegreesOfFreedom() throws {
        let estimate = try XCTUnwrap(Inference.difference(cell([0.6]), cell([0.5, 0.55], firstSeed: 1)))
        XCTAssertEqual(estimate.degreesOfFreedom, .infinity)
        // The result store's strategy writes ∞ as "inf".
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        XCTAssertEqual(try decoder.decode(DifferenceEstimate.self, from: encoder.encode(estimate)), estimate)
    }
}
