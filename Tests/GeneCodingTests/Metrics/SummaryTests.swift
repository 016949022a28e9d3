import Foundation
import XCTest
import GeneCoding

final class SummaryTests: XCTestCase {
    func testMeanAndSampleDeviation() {
        let values = [1.0, 2.0, 3.0, 4.0]
        XCTAssertEqual(Statistics.mean(values), 2.5)
        // Σ(x − 2.5)² = 5, over n − 1 = 3.
        XCTAssertEqual(Statistics.standardDeviation(values), (5.0 / 3.0).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Statistics.minimum(values), 1)
        XCTAssertEqual(Statistics.maximum(values), 4)
    }

    func testSingleValueHasNoSpread() {
        let summary = MeanAndDeviation([0.7])
        XCTAssertEqual(summary.count, 1)
        XCTAssertEqual(summary.mean, 0.7)
        XCTAssertEqual(summary.standardDeviation, 0)
        XCTAssertEqual(summary.formatted(), "0.700 ± 0.000")
    }

    func testSummaryFields() {
        let summary = MeanAndDeviation([0.5, 0.52, 0.49, 0.53])
        XCTAssertEqual(summary.count, 4)
        XCTAssertEqual(summary.mean, 0.51, accuracy: 1e-15)
        XCTAssertEqual(summary.standardDeviation, Statistics.standardDeviation([0.5, 0.52, 0.49, 0.53]))
        XCTAssertEqual(summary.minimum, 0.49)
        XCTAssertEqual(summary.maximum, 0.53)
    }

    func testFormatting() {
        // Mean 0.512, deviation sqrt(((0.013)² · 2) / 1) = 0.01838...
        let summary = MeanAndDeviation([0.499, 0.525])
        XCTAssertEqual(summary.formatted(), "0.512 ± 0.018")
        XCTAssertEqual(summary.description, "0.512 ± 0.018")
        XCTAssertEqual(summary.formatted(decimals: 1), "0.5 ± 0.0")
        XCTAssertEqual(summary.formatted(decimals: 5), "0.51200 ± 0.01838")
    }

    func testNoNegativeZero() {
        XCTAssertEqual(MeanAndDeviation([-0.0001, 0.0000]).formatted(), "0.000 ± 0.000")
        XCTAssertEqual(MeanAndDeviation([-0.2, -0.3]).formatted(), "-0.250 ± 0.071")
    }

    func testCodableRoundTrip() throws {
        let summary = MeanAndDeviation([0.1, 0.2, 0.4])
        XCTAssertEqual(try JSONDecoder().decode(MeanAndDeviation.self, from: JSONEncoder().encode(summary)), summary)
    }
}
