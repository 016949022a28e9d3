// Verdicts: a paper's claim checked against our numbers, with the seeds' spread taken into account.
//
// Comparing two cells (say BPE and 6-mer on one task), the difference of mean test MCC d is called
// clear when |d| > 2 x its standard error √(s₁²/n₁ + s₂²/n₂), roughly a two-sided 95% test with the
// few seeds we have. A claim "A beats B" is
//   reproduced      when A is clearly better on most tasks and clearly worse on none,
//   partly          when A's mean is higher on most tasks, or it is clearly better somewhere,
//   not reproduced  otherwise.
// With one seed (the smoke profile) every difference counts as clear: such verdicts mean little,
// and the smoke reports say so.

public struct Verdict: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case reproduced = "reproduced"
        case partly = "partly reproduced"
        case notReproduced = "not reproduced"
        /// This rendering holds no data that bears on the claim (a task list without such tasks, say).
        case notTested = "not tested"
        /// The same three outcomes for a hypothesis of our own rather than the paper's claim
        /// (chapter 4 answers questions the paper left open).
        case supported = "supported"
        case partlySupported = "partly supported"
        case notSupported = "not supported"
    }

    public var claim: String
    public var status: Status
    /// The numbers that decided it, in a sentence or two.
    public var evidence: String

    public init(claim: String, status: Status, evidence: String) {
        self.claim = claim
        self.status = status
        self.evidence = evidence
    }
}

extension Verdict {
    /// The verdict read as the answer to an open question: reproduced becomes supported, and so on.
    public var asAnswer: Verdict {
        var v = self
        switch status {
        case .reproduced: v.status = .supported
        case .partly: v.status = .partlySupported
        case .notReproduced: v.status = .notSupported
        default: break
        }
        return v
    }
}

/// Test MCC of one cell of a grid over its seeds.
public struct CellScore: Codable, Sendable {
    public var values: [Double]
    /// NaN for a cell without results (all its runs failed), so tables show it and averages skip it.
    public var mean: Double { Statistics.meanOrNaN(values) }
    public var deviation: Double { values.count > 1 ? Statistics.standardDeviation(values) : 0 }
    public var count: Int { values.count }
    /// The error bar a chart draws: the deviation, or none with fewer than two seeds.
    public var errorBar: Double? { values.count > 1 ? deviation : nil }

    public init(_ values: [Double]) { self.values = values }

    /// "0.512 ± 0.013" (or "0.512" for one seed, "–" for none).
    public var text: String {
        if values.isEmpty { return "–" }
        return values.count > 1 ? Format.meanSD(mean, deviation, 3) : Format.fixed(mean, 3)
    }
}

public enum Comparison: String, Sendable {
    case clearlyBetter, better, tie, worse, clearlyWorse

    /// How `a` compares with `b`.
    public static func of(_ a: CellScore, _ b: CellScore) -> Comparison {
        let d = a.mean - b.mean
        let se = (a.deviation * a.deviation / Double(max(a.count, 1)) + b.deviation * b.deviation / Double(max(b.count, 1))).squareRoot()
        if abs(d) > 2 * se && d != 0 { return d > 0 ? .clearlyBetter : .clearlyWorse }
        return d > 0 ? .better : d < 0 ? .worse : .tie
    }
}

extension Verdict {
    /// "A beats B" over tasks: `pairs` holds, per task, (A's cell, B's cell). The evidence names the
    /// `quantity` compared and counts `unit` (a pair may stand for a cell of a grid rather than a
    /// task); `note` is appended to it.
    public static func beats(_ claim: String, a: String, b: String, pairs: [(task: String, a: CellScore, b: CellScore)],
                             quantity: String = "Test MCC", unit: String = "tasks", note: String = "") -> Verdict {
        let comparisons = pairs.map { Comparison.of($0.a, $0.b) }
        let clearlyBetter = comparisons.filter { $0 == .clearlyBetter }.count
        let clearlyWorse = comparisons.filter { $0 == .clearlyWorse }.count
        let higher = comparisons.filter { $0 == .clearlyBetter || $0 == .better }.count
        let majority = pairs.count / 2 + 1
        let status: Status
        if pairs.isEmpty { status = .notTested }
        else if clearlyBetter >= majority && clearlyWorse == 0 { status = .reproduced }
        else if higher >= majority || clearlyBetter > 0 { status = .partly }
        else { status = .notReproduced }
        let detail = zip(pairs, comparisons).map { p, c in
            "\(p.task) \(Format.fixed(p.a.mean, 3)) vs \(Format.fixed(p.b.mean, 3))\(c == .clearlyBetter || c == .clearlyWorse ? "" : " (within noise)")"
        }.joined(separator: "; ")
        let evidence = "\(a) is clearly better than \(b) on \(clearlyBetter) of \(pairs.count) \(unit), clearly worse on \(clearlyWorse), "
            + "higher on average on \(higher). \(quantity), \(a) vs \(b): \(detail).\(note)"
        return Verdict(claim: claim, status: status, evidence: evidence)
    }
}
