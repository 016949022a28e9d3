// Scores against scikit-learn on Resources/metrics/cases.json (made by
// scripts/make_metric_fixtures.py), and the confusion matrix's bookkeeping.
import Foundation
import XCTest
import GeneCoding

final class ClassificationTests: XCTestCase {
    struct Case: Decodable {
        var name: String
        var truth: [Int]
        var prediction: [Int]
        var mcc: Double
        var accuracy: Double
        var macroF1: Double
    }
    struct Fixture: Decodable {
        var sklearn: String
        var cases: [Case]
    }

    func loadCases() throws -> [Case] {
        let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!
            .appendingPathComponent("metrics/cases.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }

    func testMatchesScikitLearn() throws {
        let cases = try loadCases()
        XCTAssertGreaterThanOrEqual(cases.count, 50, "the fixture lost its cases")
        for c in cases {
            let scores = ClassificationScores(truth: c.truth, prediction: c.prediction)
            XCTAssertEqual(scores.mcc, c.mcc, accuracy: 1e-12, "MCC, case '\(c.name)'")
            XCTAssertEqual(scores.accuracy, c.accuracy, accuracy: 1e-12, "accuracy, case '\(c.name)'")
            XCTAssertEqual(scores.macroF1, c.macroF1, accuracy: 1e-12, "macro-F1, case '\(c.name)'")
            XCTAssertFalse(scores.mcc.isNaN, c.name)
        }
    }

    func testFixtureCoversTheEdgeCases() throws {
        let names = Set(try loadCases().map(\.name))
        for needed in ["binary perfect", "binary inverted", "binary constant prediction 0", "three-class class missing from prediction",
                       "three-class class missing from truth", "single element right", "single element wrong"] {
            XCTAssertTrue(names.contains(needed), needed)
        }
    }

    func testKnownValues() {
        // Perfect, inverted, constant: the three values every MCC implementation must get.
        XCTAssertEqual(ClassificationScores(truth: [0, 1, 1, 0], prediction: [0, 1, 1, 0]), ClassificationScores(mcc: 1, accuracy: 1, macroF1: 1))
        XCTAssertEqual(ClassificationScores(truth: [0, 1, 1, 0], prediction: [1, 0, 0, 1]).mcc, -1)
        XCTAssertEqual(ClassificationScores(truth: [0, 1, 1, 0], prediction: [1, 1, 1, 1]).mcc, 0)
        // TP 2, TN 1, FP 1, FN 1: (2·1 − 1·1) / sqrt(3·3·2·2) = 1/6.
        XCTAssertEqual(ClassificationScores(truth: [1, 1, 1, 0, 0], prediction: [1, 1, 0, 1, 0]).mcc, 1.0 / 6.0, accuracy: 1e-15)
    }

    func testConfusionMatrixLayout() {
        let matrix = ConfusionMatrix(truth: [0, 0, 1, 2, 2, 2], prediction: [0, 1, 1, 2, 2, 0])
        XCTAssertEqual(matrix.classCount, 3)
        XCTAssertEqual(matrix.counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
        XCTAssertEqual(matrix[truth: 2, prediction: 0], 1)
        XCTAssertEqual(matrix.truthCounts, [2, 1, 3])
        XCTAssertEqual(matrix.predictionCounts, [2, 2, 2])
        XCTAssertEqual(matrix.total, 6)
        XCTAssertEqual(matrix.correct, 4)
    }

    func testAccumulatingEqualsBuildingAtOnce() {
        let truth = [0, 2, 1, 1, 0, 2, 2], prediction = [0, 1, 1, 2, 0, 2, 0]
        var matrix = ConfusionMatrix(classCount: 3)
        for (t, p) in zip(truth, prediction) { matrix.add(truth: t, prediction: p) }
        XCTAssertEqual(matrix, ConfusionMatrix(truth: truth, prediction: prediction))
    }

    func testUnusedClassesChangeNothing() {
        // A task's classCount may exceed the labels of one evaluation; scores must not move.
        let truth = [0, 1, 1, 0, 1], prediction = [0, 1, 0, 0, 1]
        let tight = ConfusionMatrix(truth: truth, prediction: prediction)
        let wide = ConfusionMatrix(truth: truth, prediction: prediction, classCount: 5)
        XCTAssertEqual(wide.classCount, 5)
        XCTAssertEqual(wide.scores, tight.scores)
    }

    func testEmptyMatrixScoresZero() {
        XCTAssertEqual(ConfusionMatrix(classCount: 2).scores, ClassificationScores(mcc: 0, accuracy: 0, macroF1: 0))
    }

    func testScoresAreCodable() throws {
        let scores = ClassificationScores(mcc: 0.25, accuracy: 0.625, macroF1: 0.5)
        XCTAssertEqual(try JSONDecoder().decode(ClassificationScores.self, from: JSONEncoder().encode(scores)), scores)
    }
}
