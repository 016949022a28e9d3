// Verdicts: a claim checked against our numbers, with how sure we are and at what scale it holds.
//
// Every comparison is one procedure, described in Metrics/Inference.swift (the method note every
// report links): the difference of mean test MCC, its 95% interval from the seeds' spread (paired when
// both cells ran the same seeds) and the test set's sampling error (a bootstrap of test examples), a
// p-value, and the smallest difference the design could have detected (80% power).
//
// A claim made over several tasks is a family of such contrasts (`ContrastFamily`), one per task,
// and counts a task only when its contrast stays clear after Holm's correction over the family
// (family-wise error 5%). "A beats B" is then
//   reproduced      when A is clearly better on most tasks and clearly worse on none,
//   partly          when A's mean is higher on most tasks, or it is clearly better on some,
//   not reproduced  otherwise;
// and a task without a clear difference is reported as "no difference found; the design could detect
// about X", never as "equal". With one seed (the smoke profile) the seeds' spread is unknown and the
// evidence says so.

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
    /// The numbers that decided it, with their intervals.
    public var evidence: String
    /// A stable name for the claim, by which other chapters refer to it (chapter 5 computes the claims
    /// of chapters 1–3 at every data size under these names).
    public var id: String?
    /// The scale the verdict was computed at, as `Notebook.scale` words it ("width 64, 3 layers, 1000
    /// training sequences a task, 4 epochs, 5 seeds").
    public var scale: String?
    /// Whether the verdict changes with scale, from chapter 5's results, with a link.
    public var scaleNote: String?

    public init(claim: String, status: Status, evidence: String, id: String? = nil) {
        self.claim = claim
        self.status = status
        self.evidence = evidence
        self.id = id
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

    /// A claim this rendering has no data for.
    public static func notTested(_ claim: String, _ why: String, id: String? = nil) -> Verdict {
        Verdict(claim: claim, status: .notTested, evidence: "Not tested: \(why).", id: id)
    }
}

/// Test MCC (or another quantity) of one cell over its seeds: what tables print.
public struct CellScore: Codable, Sendable {
    public var values: [Double]
    /// NaN for a cell without results (all its runs failed), so tables show it and averages skip it.
    public var mean: Double { Statistics.meanOrNaN(values) }
    /// Exactly 0 when every seed gave the same value (the mean's rounding would otherwise leave ~1e-15).
    public var deviation: Double { values.count > 1 && Set(values).count > 1 ? Statistics.standardDeviation(values) : 0 }
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

/// One comparison a claim rests on: A against B on one task (or one cell of a grid).
public struct Contrast: Sendable {
    /// Where it is made ("tf/0").
    public var name: String
    public var meanA: Double
    public var meanB: Double
    /// nil when a side has no finished run.
    public var estimate: DifferenceEstimate?
    /// Whether the test set's sampling error belongs in this contrast's interval: true for an MCC on a
    /// test set (whose per-example predictions the bootstrap resamples), false for a number that is no
    /// such score (a train − dev gap, a count of motif tokens), where its absence is no caveat.
    public var testSamplingApplies: Bool

    public init(name: String, meanA: Double, meanB: Double, estimate: DifferenceEstimate?, testSamplingApplies: Bool = true) {
        self.name = name
        self.meanA = meanA
        self.meanB = meanB
        self.estimate = estimate
        self.testSamplingApplies = testSamplingApplies
    }
}

/// The contrasts one claim counts, with their p-values adjusted by Holm's procedure over the family.
public struct ContrastFamily: Sendable {
    public let contrasts: [Contrast]
    /// Holm-adjusted p-value of each contrast (NaN where there is no estimate).
    public let adjusted: [Double]

    public init(_ contrasts: [Contrast]) {
        self.contrasts = contrasts
        adjusted = Inference.holm(contrasts.map { $0.estimate?.pValue ?? .nan })
    }

    public var isEmpty: Bool { contrasts.allSatisfy { $0.estimate == nil } }
    public var count: Int { contrasts.filter { $0.estimate != nil }.count }

    /// Whether contrast `i` stays clear after Holm's correction over the family.
    public func isClear(_ i: Int) -> Bool { adjusted[i].isFinite && Inference.isClear(pValue: adjusted[i]) }
    /// A clearly above B after the correction.
    public var higher: [Contrast] { contrasts.indices.filter { isClear($0) && contrasts[$0].estimate!.difference > 0 }.map { contrasts[$0] } }
    /// A clearly below B after the correction.
    public var lower: [Contrast] { contrasts.indices.filter { isClear($0) && contrasts[$0].estimate!.difference < 0 }.map { contrasts[$0] } }
    /// No difference found.
    public var undecided: [Contrast] { contrasts.indices.filter { contrasts[$0].estimate != nil && !isClear($0) }.map { contrasts[$0] } }
    /// A's mean above B's, clear or not.
    public var meanHigher: [Contrast] { contrasts.filter { $0.estimate != nil && $0.meanA > $0.meanB } }

    /// Per contrast: the means, the difference with its interval and Holm-adjusted p, or "no
    /// difference found" with what the design could detect. Then what the error leaves out, once.
    public func evidence(_ quantity: String, a: String, b: String) -> String {
        evidence(header: "\(quantity), \(a) vs \(b), difference [95% interval]")
    }

    /// The same, under a header of the caller's ("Gap, 24 vs 12 layers; train MCC, 12 vs 24 layers"),
    /// for a family whose contrasts are not all one quantity in one direction.
    public func evidence(header: String) -> String {
        let items = contrasts.indices.compactMap { i -> String? in
            let c = contrasts[i]
            guard let e = c.estimate else { return "\(c.name): no finished run on one side" }
            let means = "\(c.name) \(Format.fixed(c.meanA, 3)) vs \(Format.fixed(c.meanB, 3))"
            if e.standardError == 0 && e.difference == 0 { return "\(means): identical on every seed" }
            let test = "\(e.text), \(Inference.pValueText(e.pValue)), Holm \(Inference.pValueText(adjusted[i]).dropFirst(2))"
            return isClear(i) ? "\(means): \(test)"
                : "\(means): \(test), no clear difference; the design could detect about \(Format.fixed(e.detectable, 2))"
        }
        var caveats: [String] = []
        let estimates = contrasts.compactMap(\.estimate)
        if estimates.contains(where: { !$0.seedVarianceKnown }) { caveats.append("seed-to-seed spread unknown (one seed): no evidence either way") }
        let sampled = contrasts.filter(\.testSamplingApplies).compactMap(\.estimate)
        if !sampled.isEmpty && sampled.allSatisfy({ !$0.testSamplingIncluded }) { caveats.append("test-set sampling not in the intervals (no per-example predictions)") }
        return "\(header): " + items.joined(separator: "; ") + "."
            + (caveats.isEmpty ? "" : " (" + caveats.joined(separator: "; ") + ".)")
    }
}

extension Verdict {
    /// "A beats B" over a family of contrasts (A − B per task): reproduced when A is clearly better on
    /// most and clearly worse on none, partly when its mean is higher on most or it is clearly better on
    /// some, not reproduced otherwise. `unit` names what a contrast stands for ("tasks").
    public static func beats(_ claim: String, a: String, b: String, family: ContrastFamily,
                             quantity: String = "Test MCC", unit: String = "tasks", note: String = "", id: String? = nil) -> Verdict {
        guard !family.isEmpty else { return .notTested(claim, "no \(unit) with finished runs on both sides", id: id) }
        let n = family.count, majority = n / 2 + 1
        let (higher, lower, undecided) = (family.higher.count, family.lower.count, family.undecided.count)
        let status: Status
        if higher >= majority && lower == 0 { status = .reproduced }
        else if family.meanHigher.count >= majority || higher > 0 { status = .partly }
        else { status = .notReproduced }
        let evidence = Format.capitalised(a) + " is clearly better than \(b) on \(higher) of \(n) \(unit) and clearly worse on \(lower) "
            + "(Holm-corrected over the \(n), 5% family-wise); no difference found on \(undecided); "
            + "higher mean on \(family.meanHigher.count). " + family.evidence(quantity, a: a, b: b) + note
        return Verdict(claim: claim, status: status, evidence: evidence, id: id)
    }
}
