// Capped splits: seeded, stratified by label, nested.
import XCTest
@testable import GeneCoding

final class SubsetsTests: XCTestCase {
    /// A file sorted by label (as tf/0's test split is: 500 of one class, then 500 of the other).
    private let sorted = [Int](repeating: 1, count: 500) + [Int](repeating: 0, count: 500)

    func testEveryPrefixHoldsEachLabelWithinOneRowOfItsShare() {
        let labels = sorted + [Int](repeating: 2, count: 37)   // and a small third class
        let order = Subsets.order(labels: labels, seed: 7)
        XCTAssertEqual(order.sorted(), Array(labels.indices), "a permutation of the split")
        for n in [1, 2, 10, 37, 100, 300, 999, 1037] {
            let prefix = order.prefix(n).map { labels[$0] }
            for label in 0...2 {
                let share = Double(labels.filter { $0 == label }.count) / Double(labels.count)
                let count = Double(prefix.filter { $0 == label }.count)
                XCTAssertLessThanOrEqual(abs(count - share * Double(n)), 1.0, "label \(label) in the first \(n)")
            }
        }
        // The first rows of the file would have been one class only.
        XCTAssertEqual(Set(sorted.prefix(300)), [1])
    }

    func testSamplesAreNestedSeededAndDifferBySeed() {
        let a = Subsets.order(labels: sorted, seed: 1), again = Subsets.order(labels: sorted, seed: 1)
        XCTAssertEqual(a, again, "the same seed draws the same order")
        XCTAssertNotEqual(a, Subsets.order(labels: sorted, seed: 2), "another seed, another sample")
        XCTAssertTrue(Set(a.prefix(200)).isSubset(of: Set(a.prefix(400))), "the sample of 200 is inside the sample of 400")
    }

    func testAWholeSplitKeepsTheFilesOrder() throws {
        let rows = (0..<10).map { LabeledSequence(sequence: String(repeating: "A", count: $0 + 1), label: $0 % 2) }
        let split = DataSplit(name: "train", file: URL(fileURLWithPath: "/train.csv"), rows: rows, sha256: "")
        XCTAssertEqual(Subsets.rows(split, limit: nil, seed: 3).map(\.sequence), rows.map(\.sequence))
        XCTAssertEqual(Subsets.rows(split, limit: 10, seed: 3).map(\.sequence), rows.map(\.sequence))
        let four = Subsets.rows(split, limit: 4, seed: 3)
        XCTAssertEqual(four.count, 4)
        XCTAssertEqual(four.filter { $0.label == 0 }.count, 2)
        XCTAssertEqual(Subsets.rows(split, limit: 0, seed: 3).count, 0)
    }
}
