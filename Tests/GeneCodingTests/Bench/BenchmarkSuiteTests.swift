// The bench's summary of its rounds, and its page, without running a benchmark.
import XCTest
@testable import GeneCoding

final class BenchmarkSuiteTests: XCTestCase {
    private func torch(_ label: String, _ tokensPerSecond: Double) -> TorchMeasurement {
        TorchMeasurement(label: label, parameters: nil, tokensPerSecond: tokensPerSecond, modelGflops: 0, secondsPerStep: 0)
    }

    func testMediansPickTheMiddleRoundPerConfiguration() {
        let rounds = [[torch("a", 10), torch("b", 5)], [torch("a", 30), torch("b", 1)], [torch("a", 20), torch("b", 9)]]
        let m = BenchmarkSuite.medians(rounds)
        XCTAssertEqual(m.map(\.label), ["a", "b"])
        XCTAssertEqual(m.map(\.tokensPerSecond), [20, 5])
        // an even count takes the lower middle; a configuration missing from a round is skipped there
        XCTAssertEqual(BenchmarkSuite.medians([[torch("a", 4)], [torch("a", 2)]]).map(\.tokensPerSecond), [2])
        XCTAssertEqual(BenchmarkSuite.medians([[torch("a", 4), torch("b", 7)], [torch("a", 2)], [torch("a", 3)]])
                       .map(\.tokensPerSecond), [3, 7])
        XCTAssertTrue(BenchmarkSuite.medians([[TorchMeasurement]]()).isEmpty)
    }
}
