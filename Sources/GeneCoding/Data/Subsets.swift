// Which rows a capped split uses: a seeded random sample, stratified by label, and nested.
//
// A profile or a run may cap a split ("1,000 training sequences"). Taking the first rows of the file
// would let the file's order decide: some GUE files are sorted by label (tf/0's test split is 500 rows
// of label 1, then 500 of label 0), so its first 300 rows are one class. Instead every split has a
// sampling order, and a cap of n takes its first n rows:
//
//   1. within each label c, the n_c rows in a random order drawn from the seed;
//   2. the i-th row of label c (counting from 0) gets the position (i + ½) / n_c;
//   3. all rows sorted by position (ties by label, then by their place in the file).
//
// Any prefix of this order holds each label within one row of its share of the split (stratified),
// and the sample of 2,000 contains the sample of 1,000 drawn with the same seed (nested), which is what
// makes a curve over training-set sizes a curve over one growing sample rather than unrelated ones.
//
// Whose seed: a training sample is drawn from the run's seed, so each seed of a cell trains on its
// own sample and the spread over seeds includes the luck of the sample; two cells with the same seed
// share it, so a paired comparison cancels it (Metrics/Inference.swift). Dev and test samples, and the
// sequences a BPE vocabulary or a pretraining corpus is learned from, use fixed seeds: every run of a
// task is selected and scored on the same examples. A split used whole keeps the file's order.
import Foundation

public enum Subsets {
    /// The sampling order of a split with these labels: indices into it, the first n of which are its
    /// stratified sample of size n.
    public static func order(labels: [Int], seed: UInt64) -> [Int] {
        var byLabel: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byLabel[label, default: []].append(index) }
        var random = RandomSource(seed: seed)
        var placed: [(position: Double, label: Int, index: Int)] = []
        placed.reserveCapacity(labels.count)
        for label in byLabel.keys.sorted() {
            var members = byLabel[label]!
            members.shuffle(using: &random)
            let n = Double(members.count)
            for (i, index) in members.enumerated() { placed.append(((Double(i) + 0.5) / n, label, index)) }
        }
        placed.sort { ($0.position, $0.label, $0.index) < ($1.position, $1.label, $1.index) }
        return placed.map(\.index)
    }

    /// The rows a cap of `limit` takes from `split` (all of them, in the file's order, without a cap
    /// or when the cap is at least the split's size).
    public static func rows(_ split: DataSplit, limit: Int?, seed: UInt64) -> [LabeledSequence] {
        guard let limit, limit < split.count else { return split.rows }
        return order(labels: split.rows.map(\.label), seed: seed).prefix(max(0, limit)).map { split.rows[$0] }
    }

    /// The seeds of the fixed samples (dev, test, a vocabulary's or a pretraining corpus's sequences).
    public static let devSeed: UInt64 = 0xDE75_A3B1
    public static let testSeed: UInt64 = 0x7E57_5A3B
    public static let corpusSeed: UInt64 = 0xC0A9_05E5

    /// The seed of a run's training sample.
    public static func trainingSeed(_ runSeed: UInt64) -> UInt64 { RandomSource.derive(runSeed, 0x5AB5_E7) }
}
