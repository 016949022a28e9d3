// What chapter 5 reads its results in: cells by training-set size, a claim decided at every size,
// and where a comparison changes sign.
//
// Sizes are nominal ("1k", "16k"): a task whose training split is smaller than a size uses its whole
// split there, and the label says so. A claim is decided at each size by the same verdict rules as in
// chapters 1–3 (Holm over the tasks, Verdict.swift), so a row of the verdicts-by-scale table reads as
// "the chapter's verdict, had it been run at this size".

/// One training-set size of the scale grid.
public struct TrainingSize: Hashable, Sendable {
    /// The nominal size; nil is "the whole split".
    public let nominal: Int?

    public init(_ nominal: Int?) { self.nominal = nominal }

    /// "1k", "16k", "whole".
    public var label: String {
        guard let n = nominal else { return "whole" }
        return n % 1000 == 0 ? "\(n / 1000)k" : "\(n)"
    }

    /// The rows a task trains on at this size: the size, or its whole split when that is smaller.
    public func rows(of trainCount: Int) -> Int { min(nominal ?? trainCount, trainCount) }

    /// The run's training cap at this size: nil when the size takes the whole split.
    public func trainLimit(of trainCount: Int) -> Int? {
        guard let n = nominal, n < trainCount else { return nil }
        return n
    }
}

/// A claim decided at every size.
public struct ClaimByScale: Sendable {
    /// The id of the claim in chapters 1–3 (`Verdict.id`).
    public var id: String
    public var claim: String
    /// Per size, the verdict there (nil where the grid has no such size for this claim).
    public var verdicts: [Verdict?]

    public init(id: String, claim: String, verdicts: [Verdict?]) {
        self.id = id
        self.claim = claim
        self.verdicts = verdicts
    }

    /// "not reproduced at 1k–2k; partly at 4k; reproduced at 8k–16k", or "reproduced at every size (1k–16k)".
    public func note(_ sizes: [TrainingSize]) -> String {
        let decided = zip(sizes, verdicts).compactMap { size, v in v.map { (size, $0.status) } }
        guard let first = decided.first else { return "not tested at other sizes" }
        if decided.allSatisfy({ $0.1 == first.1 }) {
            return "\(first.1.rawValue) at every size tested (\(first.0.label)–\(decided.last!.0.label))"
        }
        var runs: [(status: Verdict.Status, from: TrainingSize, to: TrainingSize)] = []
        for (size, status) in decided {
            if let last = runs.last, last.status == status { runs[runs.count - 1].to = size } else { runs.append((status, size, size)) }
        }
        return runs.map { "\($0.status.rawValue) at \($0.from == $0.to ? $0.from.label : "\($0.from.label)–\($0.to.label)")" }
            .joined(separator: "; ")
    }
}

extension ClaimByScale {
    /// The verdicts-by-scale table: a row per claim, a column per size, each cell the status with the
    /// counts behind it (tasks clearly ahead / clearly behind).
    public static func table(_ claims: [ClaimByScale], sizes: [TrainingSize]) -> Table {
        var table = Table(columns: [Table.Column("claim (chapters 1–3)")] + sizes.map { Table.Column($0.label) })
        for c in claims {
            table.append(["\(c.claim) (`\(c.id)`)"] + c.verdicts.map { $0.map { "**\($0.status.rawValue)**" } ?? "—" })
        }
        return table
    }
}

/// Where A − B changes sign along the sizes, from the differences and their intervals at each size:
/// the last size where A is clearly behind and the first size from which it is clearly ahead at every
/// larger size bracket the crossover; the means alone place it between two neighbouring sizes.
public func crossover(_ sizes: [TrainingSize], _ contrasts: [Contrast?], a: String, b: String) -> String {
    let points = zip(sizes, contrasts).compactMap { size, c in c?.estimate.map { (size, $0) } }
    guard !points.isEmpty else { return "no comparison" }
    let behind = points.filter { $0.1.isClear && $0.1.difference < 0 }.map(\.0)
    let aheadFrom = points.indices.first { i in points[i...].allSatisfy { $0.1.isClear && $0.1.difference > 0 } }
    let meanFrom = points.indices.first { i in points[i...].allSatisfy { $0.1.difference > 0 } }
    let differences = points.map { "\($0.0.label) \($0.1.text)" }.joined(separator: ", ")
    var sentence: String
    switch (meanFrom, aheadFrom) {
    case (nil, _):
        sentence = "\(a) does not overtake \(b) within \(points.first!.0.label)–\(points.last!.0.label)"
    case let (m?, nil):
        sentence = m == 0 ? "\(a)'s mean is above \(b)'s at every size, but never clearly"
            : "\(a)'s mean passes \(b)'s between \(points[m - 1].0.label) and \(points[m].0.label), but it is not clearly ahead at any size from there on"
    case let (m?, c?):
        sentence = (m == 0 ? "\(a)'s mean is above \(b)'s at every size" : "\(a)'s mean passes \(b)'s between \(points[m - 1].0.label) and \(points[m].0.label)")
            + "; it is clearly ahead from \(points[c].0.label) on"
    }
    if let last = behind.last { sentence += "; clearly behind up to \(last.label)" }
    return sentence + " (\(a) − \(b), 95% intervals: \(differences))"
}
