// Verdicts of other shapes than "A beats B", and the families of contrasts they rest on.
//
// `Verdict.beats` (Verdict.swift) decides "A beats B" over a family of contrasts. A few claims of the
// paper have another shape; each gets a builder here, whose comment states its rule. All of them follow
// the procedure of Metrics/Inference.swift: a contrast is a difference of two means with its 95%
// interval; the contrasts one claim counts form one family, whose p-values are adjusted by Holm's
// procedure (family-wise error 5%); a contrast counts as clear only when its adjusted p is below 0.05;
// and one that is not clear reads "no difference found; the design could detect about X", never
// "equal" or "within noise".
//
//   levelWithBest        A is not clearly behind any rival on each task of a group (ALiBi on local tasks)
//   plateau              going from B to A gains nothing clear and loses at most a little (24 layers
//                        against 12)
//   overfitsOrFitsWorse  A's models overfit more than B's, or fit their training data worse (the
//                        paper's two explanations for its 24-layer models)
//   exceedsBaseline      one deterministic value against a few draws of a random baseline (motif
//                        tokens of a task's vocabulary against those of shuffled sequence): one-sample
//                        comparisons, then `beats`
//
// Below them, the notebook's helpers that make a family from cells, and `ContrastFamily.countTable`,
// which sets several families side by side (RoPE against each other encoding).
import Foundation

extension Verdict {
    /// "A is level with the best of its rivals on a group of tasks": ALiBi, on the local tasks, against
    /// sinusoidal and RoPE.
    ///
    /// Rule. On each task, A against each rival is one contrast (A − rival); the contrasts of every task
    /// form one family. A is *level* on a task when none of that task's contrasts is clearly below zero,
    /// and *ahead* when its mean is above every rival's. Reproduced when A is level on every task and
    /// ahead on at least one (the claim singles A out, so level but never ahead is only partly); not
    /// reproduced when it is level on none; partly otherwise. Holm's correction makes a deficit harder
    /// to call clear, so "level" leans toward A: the evidence gives, for every contrast without a clear
    /// difference, the difference the design could have detected.
    public static func levelWithBest(_ claim: String, a: String, rivals: String, tasks: [(task: String, contrasts: [Contrast])],
                                     quantity: String = "Test MCC", unit: String = "tasks", note: String = "", id: String? = nil) -> Verdict {
        let family = ContrastFamily(tasks.flatMap(\.contrasts))
        guard !family.isEmpty else { return .notTested(claim, "no \(unit) with finished runs on both sides", id: id) }
        var compared = 0, level = 0, ahead = 0, start = 0
        for task in tasks {
            let indices = (start..<(start + task.contrasts.count)).filter { family.contrasts[$0].estimate != nil }
            start += task.contrasts.count
            guard !indices.isEmpty else { continue }
            compared += 1
            if !indices.contains(where: { family.isClear($0) && family.contrasts[$0].estimate!.difference < 0 }) { level += 1 }
            if indices.allSatisfy({ family.contrasts[$0].meanA > family.contrasts[$0].meanB }) { ahead += 1 }
        }
        let status: Status = level == compared && ahead > 0 ? .reproduced : level == 0 ? .notReproduced : .partly
        let evidence = "\(Format.capitalised(a)) is not clearly behind either of \(rivals) on \(level) of \(compared) \(unit) "
            + "(Holm-corrected over the \(family.count) contrasts, 5% family-wise) and has the highest mean of them on \(ahead). "
            + family.evidence(quantity, a: a, b: rivals) + note
        return Verdict(claim: claim, status: status, evidence: evidence, id: id)
    }

    /// "Going from B to A gains nothing and loses at most a little": 24 layers against 12.
    ///
    /// Rule. A against B on each task (A − B), one family. A task is a *gain* when A is clearly better,
    /// a *large drop* when A is clearly worse by more than `slight` (on the difference of means: the
    /// paper gives no size for "slightly", so the caller chooses one and the evidence prints it), and
    /// *flat* otherwise (no clear difference, or a clear drop of at most `slight`). Not reproduced when
    /// gains are a majority of the tasks; reproduced when flat tasks are; partly otherwise.
    public static func plateau(_ claim: String, a: String, b: String, family: ContrastFamily, slight: Double,
                               quantity: String = "Test MCC", unit: String = "tasks", note: String = "", id: String? = nil) -> Verdict {
        guard !family.isEmpty else { return .notTested(claim, "no \(unit) with finished runs on both sides", id: id) }
        let n = family.count, majority = n / 2 + 1
        let gains = family.higher.count
        let drops = family.lower.map { $0.estimate!.difference }
        let largeDrops = drops.filter { $0 < -slight }.count
        let flat = n - gains - largeDrops
        let status: Status = gains >= majority ? .notReproduced : flat >= majority ? .reproduced : .partly
        let evidence = "\(Format.capitalised(a)) against \(b): clearly better on \(gains) of \(n) \(unit), clearly worse by at most "
            + "\(Format.fixed(slight, 2)) on \(drops.count - largeDrops), by more on \(largeDrops), no difference found on "
            + "\(family.undecided.count) (Holm-corrected over the \(n), 5% family-wise). " + family.evidence(quantity, a: a, b: b) + note
        return Verdict(claim: claim, status: status, evidence: evidence, id: id)
    }

    /// "A's models overfit more than B's, or fit their training data worse": the paper's two
    /// explanations for its 24-layer models, against 12 layers.
    ///
    /// Rule. Two contrasts per task: `gap`, A's train − dev gap against B's (A − B; above zero: A
    /// overfits more), and `fit`, B's train MCC against A's (B − A; above zero: A fits its training data
    /// worse). Either counts for the claim, so all 2n contrasts form one family. A task is *explained*
    /// when either of its contrasts is clearly above zero. Reproduced when a majority of the tasks are
    /// explained; partly when some are; not reproduced when none is.
    public static func overfitsOrFitsWorse(_ claim: String, a: String, b: String, tasks: [(task: String, gap: Contrast, fit: Contrast)],
                                           unit: String = "tasks", note: String = "", id: String? = nil) -> Verdict {
        let family = ContrastFamily(tasks.flatMap { [$0.gap, $0.fit] })
        guard !family.isEmpty else { return .notTested(claim, "no \(unit) with finished runs on both sides", id: id) }
        func clear(_ index: Int, above: Bool) -> Bool {
            family.isClear(index) && (family.contrasts[index].estimate!.difference > 0) == above
        }
        let compared = tasks.indices.filter { family.contrasts[2 * $0].estimate != nil || family.contrasts[2 * $0 + 1].estimate != nil }
        let wider = compared.filter { clear(2 * $0, above: true) }, narrower = compared.filter { clear(2 * $0, above: false) }
        let worseFit = compared.filter { clear(2 * $0 + 1, above: true) }, betterFit = compared.filter { clear(2 * $0 + 1, above: false) }
        let explained = Set(wider).union(worseFit).count
        let majority = compared.count / 2 + 1
        let status: Status = explained >= majority ? .reproduced : explained > 0 ? .partly : .notReproduced
        func named(_ indices: [Int]) -> String { indices.isEmpty ? "" : " (" + indices.map { tasks[$0].task }.joined(separator: ", ") + ")" }
        let evidence = "The train − dev gap is clearly wider at \(a) on \(wider.count) of \(compared.count) \(unit)\(named(wider)) and clearly "
            + "narrower on \(narrower.count)\(named(narrower)); train MCC is clearly lower at \(a) on \(worseFit.count)\(named(worseFit)) and "
            + "clearly higher on \(betterFit.count)\(named(betterFit)) (Holm-corrected over the \(family.count) contrasts, 5% family-wise). "
            + family.evidence(header: "Gap (train − dev MCC after the last epoch), \(a) vs \(b), and train MCC, \(b) vs \(a), difference [95% interval]")
            + note
        return Verdict(claim: claim, status: status, evidence: evidence, id: id)
    }

    /// "A's value exceeds what a random baseline gives" on each task (motif tokens among a task
    /// vocabulary's most used, against vocabularies learned from shuffled sequence): `beats` over
    /// one-sample contrasts (`Contrast.againstBaseline`), Holm-corrected over the tasks.
    public static func exceedsBaseline(_ claim: String, a: String, b: String, values: [(name: String, value: Double, baseline: [Double])],
                                       quantity: String, unit: String = "tasks", note: String = "", id: String? = nil) -> Verdict {
        beats(claim, a: a, b: b, family: ContrastFamily(values.map { Contrast.againstBaseline($0.name, value: $0.value, baseline: $0.baseline) }),
              quantity: quantity, unit: unit, note: note, id: id)
    }
}

extension Contrast {
    /// One value against a few draws of a random baseline: a one-sample comparison.
    ///
    /// `value` is one deterministic number (nothing in it varies with a seed: the vocabulary learned
    /// from a task's sequences); `baseline` is the same number from n independent draws of a random
    /// process (vocabularies learned from the sequences shuffled with n seeds). The difference is
    /// value − mean(baseline); its standard error is the baseline's s/√n, with n − 1 degrees of
    /// freedom: the one-sample t-test, which is also what Welch's formula (Inference.swift, step 1)
    /// gives when one side has no variance. The interval, p-value and detectable difference follow as
    /// in steps 4–5. With a single draw the spread is unknown, and the estimate says so; with none
    /// (or no finite value) there is no estimate.
    public static func againstBaseline(_ name: String, value: Double, baseline: [Double]) -> Contrast {
        let draws = baseline.filter(\.isFinite)
        let mean = Statistics.meanOrNaN(draws)
        guard value.isFinite, !draws.isEmpty else { return Contrast(name: name, meanA: value, meanB: mean, estimate: nil, testSamplingApplies: false) }
        let known = draws.count >= 2
        let error = known ? (Inference.sampleVariance(draws) / Double(draws.count)).squareRoot() : 0
        let combined = Inference.combine(estimate: value - mean, seedError: error,
                                         seedDegrees: known ? Double(draws.count - 1) : .infinity, testError: 0)
        let estimate = DifferenceEstimate(
            difference: value - mean, standardError: combined.error, degreesOfFreedom: combined.degrees,
            lower: combined.lower, upper: combined.upper, pValue: combined.pValue, detectable: combined.detectable,
            seedStandardError: error, testStandardError: 0, pairing: .welch, countA: 1, countB: draws.count,
            seedVarianceKnown: known, testSamplingIncluded: false)
        return Contrast(name: name, meanA: value, meanB: mean, estimate: estimate, testSamplingApplies: false)
    }
}

extension Notebook {
    /// One contrast per row (a task, usually), A against B as `cells(row)` gives them, as one family
    /// (Holm over the rows). Rows for which `cells` gives nil are left out; `name` names a row's contrast.
    public func family(_ rows: [String], _ quantity: Quantity = .testMCC, name: (String) -> String = { $0 },
                       cells: (String) -> (a: Cell, b: Cell)?) -> ContrastFamily {
        ContrastFamily(rows.compactMap { row in cells(row).map { contrast(name(row), $0.a, $0.b, quantity) } })
    }

    /// Column `a(row)` against column `b(row)` of a cell table on each of its complete rows (or on
    /// `rows`), as one family. A row where either gives nil is left out.
    public func family<Column>(_ table: CellTable<Column>, rows: [String]? = nil, _ quantity: Quantity = .testMCC,
                               name: (String) -> String = { $0 }, a: (String) -> Column?, b: (String) -> Column?) -> ContrastFamily {
        family(rows ?? table.completeRows(quantity), quantity, name: name) { row in
            guard let x = a(row), let y = b(row) else { return nil }
            return (table[row, x], table[row, y])
        }
    }
}

extension ContrastFamily {
    /// A row per family (RoPE against one other encoding, over the tasks): on how many contrasts A is
    /// clearly better, shows no clear difference, or is clearly worse, each family Holm-corrected on its
    /// own; the mean of the differences of means; and, over the contrasts without a clear difference,
    /// the median of what the design could have detected.
    public static func countTable(_ families: [(name: String, family: ContrastFamily)], rowTitle: String, a: String, b: String) -> Table {
        var table = Table(columns: [Table.Column(rowTitle)] + ["clearly better", "no clear difference", "clearly worse",
                                                              "mean difference (\(a) − \(b))", "could detect (median, where no difference)"]
            .map { Table.Column($0, alignment: .right) })
        for (name, family) in families {
            let differences = family.contrasts.filter { $0.estimate != nil }.map { $0.meanA - $0.meanB }.filter(\.isFinite)
            let detectable = family.undecided.map { $0.estimate!.detectable }.sorted()
            let median = detectable.isEmpty ? Double.nan
                : detectable.count % 2 == 1 ? detectable[detectable.count / 2]
                : (detectable[detectable.count / 2 - 1] + detectable[detectable.count / 2]) / 2
            table.append([name, "\(family.higher.count)", "\(family.undecided.count)", "\(family.lower.count)",
                          Format.fixed(Statistics.meanOrNaN(differences), 3), detectable.isEmpty ? "–" : Format.fixed(median, 2)])
        }
        return table
    }
}
