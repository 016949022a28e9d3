// The verdict builders of Report/VerdictKinds.swift: each rule on families built to land on each side
// of it, Holm's correction shown to act, and the one-sample contrast against closed forms.
import XCTest
@testable import GeneCoding

/// A contrast whose estimate has the given difference (meanA − meanB) and two-sided p; the other
/// fields are filled so that the evidence can print them.
func fixedContrast(_ name: String, _ meanA: Double, _ meanB: Double, p: Double, detectable: Double = 0.05,
                   testSamplingApplies: Bool = true) -> Contrast {
    let d = meanA - meanB
    let estimate = DifferenceEstimate(difference: d, standardError: 0.01, degreesOfFreedom: 2, lower: d - 0.02, upper: d + 0.02,
                                      pValue: p, detectable: detectable, seedStandardError: 0.01, testStandardError: 0,
                                      pairing: .paired, countA: 3, countB: 3, seedVarianceKnown: true, testSamplingIncluded: false)
    return Contrast(name: name, meanA: meanA, meanB: meanB, estimate: estimate, testSamplingApplies: testSamplingApplies)
}

final class VerdictKindsTests: XCTestCase {
    // MARK: the one-sample contrast

    func testAgainstBaselineIsTheOneSampleTTest() throws {
        // Baseline 4, 7, 7: mean 6, s = √3, SE = s/√3 = 1, so t = (19 − 6) / 1 = 13 on 2 degrees of freedom.
        // Student's t with 2 df has the closed form P(|T| ≥ t) = 1 − t / √(2 + t²), and t_{0.975, 2} = 4.302653.
        let contrast = Contrast.againstBaseline("task", value: 19, baseline: [4, 7, 7])
        let e = try XCTUnwrap(contrast.estimate)
        XCTAssertEqual(e.difference, 13, accuracy: 1e-12)
        XCTAssertEqual(e.standardError, 1, accuracy: 1e-12)
        XCTAssertEqual(e.degreesOfFreedom, 2, accuracy: 1e-12)
        XCTAssertEqual(e.pValue, 1 - 13 / (2 + 13 * 13.0).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(e.lower, 13 - 4.302653, accuracy: 1e-5)
        XCTAssertEqual(e.upper, 13 + 4.302653, accuracy: 1e-5)
        XCTAssertTrue(e.seedVarianceKnown)
        XCTAssertEqual(contrast.meanB, 6, accuracy: 1e-12)
        XCTAssertFalse(contrast.testSamplingApplies, "a count of motif tokens has no test set to resample")
    }

    func testAgainstBaselineWithOneDrawSaysTheSpreadIsUnknown() throws {
        let e = try XCTUnwrap(Contrast.againstBaseline("task", value: 5, baseline: [3]).estimate)
        XCTAssertFalse(e.seedVarianceKnown)
        XCTAssertEqual(e.difference, 2)
        XCTAssertNil(Contrast.againstBaseline("task", value: 5, baseline: []).estimate)
        XCTAssertNil(Contrast.againstBaseline("task", value: 5, baseline: [.nan]).estimate, "non-finite draws are dropped")
        XCTAssertNil(Contrast.againstBaseline("task", value: .nan, baseline: [1, 2]).estimate)
    }

    func testExceedsBaselineCountsClearTasksAfterHolm() {
        // Two clear excesses (t = 13 and 26 on 2 df: p = 0.0059 and 0.0015) and one within the shuffles' spread.
        let values: [(name: String, value: Double, baseline: [Double])] = [("a", 19, [4, 7, 7]), ("b", 32, [4, 7, 7]), ("c", 8, [4, 7, 10])]
        let v = Verdict.exceedsBaseline("claim", a: "the task vocabulary", b: "the shuffled ones", values: values, quantity: "Motif tokens", id: "x")
        XCTAssertEqual(v.status, .reproduced)
        XCTAssertTrue(v.evidence.hasPrefix("The task vocabulary is clearly better than the shuffled ones on 2 of 3 tasks"), v.evidence)
        XCTAssertFalse(v.evidence.contains("per-example predictions"), "no test-set caveat for counts: \(v.evidence)")
        XCTAssertEqual(v.id, "x")
    }

    // MARK: level with the best

    func testLevelWithBestOnEveryTaskAndAheadOnOneIsReproduced() {
        let v = Verdict.levelWithBest("claim", a: "ALiBi", rivals: "sinusoidal and RoPE", tasks: [
            ("t1", [fixedContrast("t1 s", 0.30, 0.28, p: 0.4), fixedContrast("t1 r", 0.30, 0.29, p: 0.5)]),
            ("t2", [fixedContrast("t2 s", 0.20, 0.25, p: 0.3), fixedContrast("t2 r", 0.20, 0.21, p: 0.8)]),
        ], id: "alibi-local")
        XCTAssertEqual(v.status, .reproduced)
        XCTAssertTrue(v.evidence.hasPrefix("ALiBi is not clearly behind either of sinusoidal and RoPE on 2 of 2 tasks"), v.evidence)
        XCTAssertTrue(v.evidence.contains("highest mean of them on 1"), v.evidence)
    }

    func testLevelButNeverAheadIsPartly() {
        let v = Verdict.levelWithBest("claim", a: "A", rivals: "B and C", tasks: [
            ("t1", [fixedContrast("t1 B", 0.2, 0.3, p: 0.4), fixedContrast("t1 C", 0.2, 0.1, p: 0.4)]),
        ])
        XCTAssertEqual(v.status, .partly)
    }

    func testAClearDeficitOnSomeTasksIsPartlyAndOnAllIsNotReproduced() {
        let behind = { (task: String) in (task, [fixedContrast("\(task) B", 0.1, 0.4, p: 1e-6), fixedContrast("\(task) C", 0.1, 0.1, p: 1)]) }
        let level = ("t2", [fixedContrast("t2 B", 0.5, 0.4, p: 0.5), fixedContrast("t2 C", 0.5, 0.3, p: 0.5)])
        XCTAssertEqual(Verdict.levelWithBest("claim", a: "A", rivals: "B and C", tasks: [behind("t1"), level]).status, .partly)
        XCTAssertEqual(Verdict.levelWithBest("claim", a: "A", rivals: "B and C", tasks: [behind("t1"), behind("t3")]).status, .notReproduced)
    }

    func testHolmDecidesWhetherADeficitIsClear() {
        // p = 0.02 alone is clear; with five more contrasts Holm multiplies it by 6 and it is not.
        let deficit = ("t1", [fixedContrast("t1 B", 0.1, 0.3, p: 0.02)])
        XCTAssertEqual(Verdict.levelWithBest("claim", a: "A", rivals: "B", tasks: [deficit]).status, .notReproduced)
        let others = (2...6).map { ("t\($0)", [fixedContrast("t\($0) B", 0.3, 0.2, p: 0.9)]) }
        XCTAssertEqual(Verdict.levelWithBest("claim", a: "A", rivals: "B", tasks: [deficit] + others).status, .reproduced)
    }

    func testLevelWithBestWithoutEstimatesIsNotTested() {
        let v = Verdict.levelWithBest("claim", a: "A", rivals: "B", tasks: [("t1", [Contrast(name: "t1", meanA: .nan, meanB: 0.2, estimate: nil)])])
        XCTAssertEqual(v.status, .notTested)
    }

    // MARK: plateau

    func testPlateauRule() {
        let slight = 0.1
        func verdict(_ contrasts: [Contrast]) -> Verdict {
            .plateau("claim", a: "24 layers", b: "12 layers", family: ContrastFamily(contrasts), slight: slight)
        }
        // No clear difference anywhere: flat on all three.
        XCTAssertEqual(verdict((1...3).map { fixedContrast("t\($0)", 0.3, 0.31, p: 0.5) }).status, .reproduced)
        // Clear gains on two of three: not a plateau.
        XCTAssertEqual(verdict([fixedContrast("t1", 0.5, 0.3, p: 1e-6), fixedContrast("t2", 0.5, 0.3, p: 1e-6),
                                fixedContrast("t3", 0.3, 0.3, p: 0.9)]).status, .notReproduced)
        // Clear drops: a slight one counts as flat, two large ones do not, leaving flat on one of three.
        let drops = verdict([fixedContrast("t1", 0.25, 0.3, p: 1e-6), fixedContrast("t2", 0.1, 0.3, p: 1e-6), fixedContrast("t3", 0.1, 0.3, p: 1e-6)])
        XCTAssertEqual(drops.status, .partly)
        XCTAssertTrue(drops.evidence.contains("clearly worse by at most 0.10 on 1, by more on 2, no difference found on 0"), drops.evidence)
        XCTAssertEqual(verdict([]).status, .notTested)
    }

    // MARK: overfits or fits worse

    func testOverfitsOrFitsWorseCountsTasksExplainedEitherWay() {
        func task(_ name: String, gapP: Double, fitP: Double) -> (task: String, gap: Contrast, fit: Contrast) {
            (name, fixedContrast("\(name) gap", 0.5, 0.3, p: gapP), fixedContrast("\(name) train MCC", 0.8, 0.6, p: fitP))
        }
        // t1 by its gap, t2 by its fit, t3 by neither: explained on 2 of 3.
        let v = Verdict.overfitsOrFitsWorse("claim", a: "24 layers", b: "12 layers",
                                            tasks: [task("t1", gapP: 1e-6, fitP: 0.9), task("t2", gapP: 0.9, fitP: 1e-6), task("t3", gapP: 0.9, fitP: 0.9)])
        XCTAssertEqual(v.status, .reproduced)
        XCTAssertTrue(v.evidence.contains("clearly wider at 24 layers on 1 of 3 tasks (t1)"), v.evidence)
        XCTAssertTrue(v.evidence.contains("train MCC is clearly lower at 24 layers on 1 (t2)"), v.evidence)
        XCTAssertTrue(v.evidence.contains("Holm-corrected over the 6 contrasts"), v.evidence)
        XCTAssertEqual(Verdict.overfitsOrFitsWorse("claim", a: "A", b: "B", tasks: [task("t1", gapP: 1e-6, fitP: 0.9), task("t2", gapP: 0.9, fitP: 0.9),
                                                                                    task("t3", gapP: 0.9, fitP: 0.9)]).status, .partly)
        // p = 0.03 is clear on its own but not after Holm over the four contrasts of two tasks.
        XCTAssertEqual(Verdict.overfitsOrFitsWorse("claim", a: "A", b: "B", tasks: [task("t1", gapP: 0.03, fitP: 0.9), task("t2", gapP: 0.9, fitP: 0.9)]).status,
                       .notReproduced)
    }

    // MARK: tables and evidence

    func testCountTableCountsEachFamilyAfterItsOwnHolm() {
        let family = ContrastFamily([fixedContrast("t1", 0.5, 0.3, p: 1e-6, detectable: 0.1), fixedContrast("t2", 0.3, 0.3, p: 0.9, detectable: 0.2),
                                     fixedContrast("t3", 0.2, 0.3, p: 0.5, detectable: 0.4), fixedContrast("t4", 0.1, 0.3, p: 1e-6)])
        let table = ContrastFamily.countTable([("sinusoidal", family)], rowTitle: "RoPE against", a: "RoPE", b: "other")
        XCTAssertEqual(table.rows, [["sinusoidal", "1", "2", "1", "-0.025", "0.30"]])
        XCTAssertEqual(table.columns.map(\.title)[4], "mean difference (RoPE − other)")
    }

    func testEvidenceNamesTheMissingTestSamplingOnlyWhereItApplies() {
        let scores = ContrastFamily([fixedContrast("t1", 0.5, 0.3, p: 0.5)])
        XCTAssertTrue(scores.evidence("Test MCC", a: "A", b: "B").contains("test-set sampling not in the intervals"))
        let gaps = ContrastFamily([fixedContrast("t1", 0.5, 0.3, p: 0.5, testSamplingApplies: false)])
        XCTAssertFalse(gaps.evidence("Gap", a: "A", b: "B").contains("test-set sampling"))
        XCTAssertTrue(gaps.evidence(header: "Gap, A vs B").hasPrefix("Gap, A vs B: t1 0.500 vs 0.300"))
    }

    func testBeatsOpensItsEvidenceWithACapital() {
        let v = Verdict.beats("claim", a: "the weaker of ALiBi and RoPE", b: "sinusoidal", family: ContrastFamily([fixedContrast("t1", 0.5, 0.3, p: 0.5)]))
        XCTAssertTrue(v.evidence.hasPrefix("The weaker of ALiBi and RoPE is clearly better"), v.evidence)
    }
}
