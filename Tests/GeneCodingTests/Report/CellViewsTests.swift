// The views of cells that chapters 2 and 4 need beyond a grid of one quantity (Report/CellViews.swift),
// the notebook's family helpers (Report/VerdictKinds.swift), and the report types of chapter 4's
// measurement and motif sections (Report/LengthCosts.swift, Report/MotifEnrichment.swift), on records
// made by hand so that every expected number can be worked out from the test.
import XCTest
@testable import GeneCoding

/// A finished run of `task` with one test MCC, and test MCCs at cropped lengths.
private func scoredRecord(_ task: String, _ encoding: PositionEncoding, seed: UInt64, mcc: Double, crops: [Int: Double] = [:],
                          change: (inout Run) -> Void = { _ in }) -> RunRecord {
    var run = Run(task: task, tokenizer: .bpe(vocabularySize: 64), positionEncoding: encoding, profile: .smoke, seed: seed)
    change(&run)
    let scores = { (mcc: Double) in ClassificationScores(mcc: mcc, accuracy: 0.5, macroF1: 0.5) }
    var record = fabricatedRecord(run, key: "\(task)|\(encoding)|\(seed)|\(run.causal)|\(run.pretraining != nil)")
    record.outcome = TrainingOutcome(bestEpoch: 1, dev: scores(0), test: scores(mcc), testLoss: 0.5, evaluations: [], lossCurve: [],
                                     lossCurveStride: 1, steps: 1, trainingSeconds: 1, tokensPerSecond: 1)
    record.croppedTests = crops.keys.sorted().map { CroppedScore(bases: $0, meanTokens: 10, scores: scores(crops[$0]!), predictions: nil) }
    return record
}

final class CellViewsTests: XCTestCase {
    private func notebook() throws -> Notebook {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cell-views-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: scratch) }
        let options = try ChapterOptions.parse(["--profile", "smoke", "--gue", GUEFixtures.miniRoot.path, "--tasks", "toy/binary",
                                                "--results", scratch + "/results", "--reports", scratch + "/reports", "--figures", scratch + "/figures"])
        return try Notebook(name: "99-cell-views", title: "Cell views", options: options)
    }

    /// One task, two encodings, two seeds, each scored at 50 and 100 bp.
    private let cropped = [
        scoredRecord("t", .rope, seed: 1, mcc: 0.5, crops: [50: 0.2, 100: 0.4]),
        scoredRecord("t", .rope, seed: 2, mcc: 0.5, crops: [50: 0.4, 100: 0.6]),
        scoredRecord("t", .alibi, seed: 1, mcc: 0.5, crops: [50: 0.3, 100: 0.3]),
        scoredRecord("t", .alibi, seed: 2, mcc: 0.5, crops: [50: 0.3, 100: 0.5]),
    ]

    private func croppedTable() -> CellTable<PositionEncoding> {
        CellTable(rows: ["t"], columns: [.rope, .alibi], columnName: { $0.displayName }) { row, encoding in
            Cell(name: "\(row) \(encoding)", records: cropped.filter { $0.run.positionEncoding == encoding })
        }
    }

    func testReadingsTableReadsEveryQuantityAndBoldsTheBestWhereAsked() {
        let readings = [Reading("50 bp", .croppedMCC(bases: 50), x: 50), Reading("100 bp", .croppedMCC(bases: 100), x: 100, boldBest: true)]
        let table = croppedTable().readings(readings, rowTitles: ["encoding"], rowLabel: { _, e in [e.displayName] },
                                            extra: [("note", { row, e in "\(row)/\(e.displayName)" })])
        XCTAssertEqual(table.columns.map(\.title), ["encoding", "50 bp", "100 bp", "note"])
        // RoPE at 50 bp: 0.2 and 0.4, mean 0.3, sd 0.141; at 100 bp: mean 0.5 (best, bold), ALiBi's 0.4.
        XCTAssertEqual(table.rows, [["RoPE", "0.300 ± 0.141", "**0.500 ± 0.141**", "t/RoPE"],
                                    ["ALiBi", "0.300 ± 0.000", "0.400 ± 0.141", "t/ALiBi"]])
    }

    func testCellTableShowsTheCountOfACellWithFewerValuesThanTheFullest() {
        // ALiBi lost its seed-2 run: its cell holds one value where RoPE's holds two, and says so.
        let records = Array(cropped.dropLast())
        let table = CellTable(rows: ["t"], columns: [PositionEncoding.rope, .alibi], columnName: { $0.displayName }) { row, encoding in
            Cell(name: "\(row) \(encoding)", records: records.filter { $0.run.positionEncoding == encoding })
        }.table(meanRow: false)
        XCTAssertEqual(table.rows, [["`t`", "**0.500 ± 0.000**", "**0.500 (n = 1)**"]])
        // With every cell full, no cell carries a count.
        XCTAssertEqual(croppedTable().table(meanRow: false).rows, [["`t`", "**0.500 ± 0.000**", "**0.500 ± 0.000**"]])
    }

    func testLineChartOfARowHasOneLinePerColumnAtTheReadingsThatHaveAnX() {
        let readings = [Reading("50 bp", .croppedMCC(bases: 50), x: 50), Reading("100 bp", .croppedMCC(bases: 100), x: 100),
                        Reading("change", .custom("change") { _ in 1 })]
        let chart = croppedTable().lineChart(of: "t", readings, name: "c", title: "c", xLabel: "x", yLabel: "y",
                                             markers: [LineChart.Marker(x: 50, label: "trained length")])
        XCTAssertEqual(chart.series.map(\.name), ["RoPE", "ALiBi"])
        XCTAssertEqual(chart.series[0].x, [50, 100])
        XCTAssertEqual(chart.series[1].y[1], 0.4, accuracy: 1e-12)
        XCTAssertEqual(chart.series[1].deviations?[0] ?? nil, 0, "ALiBi's two seeds agree at 50 bp")
        XCTAssertEqual(chart.markers, [LineChart.Marker(x: 50, label: "trained length")])
        XCTAssertTrue(chart.logX)
    }

    func testVariantPairTableAndChartSetTheTwoVariantsSideBySide() throws {
        let records = [
            scoredRecord("t1", .rope, seed: 1, mcc: 0.2), scoredRecord("t1", .rope, seed: 1, mcc: 0.3) { $0.causal = true },
            scoredRecord("t2", .rope, seed: 1, mcc: 0.4), scoredRecord("t2", .rope, seed: 1, mcc: 0.6) { $0.causal = true },
            scoredRecord("t1", .alibi, seed: 1, mcc: 0.1), scoredRecord("t2", .alibi, seed: 1, mcc: 0.1) { $0.causal = true },
        ]
        let book = try notebook()
        let pair = book.variants(records, rows: ["t1", "t2"], columns: [PositionEncoding.rope, .alibi], name: { $0.displayName },
                                 names: ("encoder", "decoder"), where: { run, task, e in run.task == task && run.positionEncoding == e },
                                 variant: { $0.causal })
        let table = pair.table(rowTitle: "encoding", difference: "mean (decoder − encoder)")
        XCTAssertEqual(table.columns.map(\.title), ["encoding", "t1 encoder", "t1 decoder", "t2 encoder", "t2 decoder", "mean (decoder − encoder)"])
        // RoPE gains 0.1 on t1 and 0.2 on t2; ALiBi has only one side on each task, so no difference to average.
        XCTAssertEqual(table.rows, [["RoPE", "0.200", "0.300", "0.400", "0.600", "0.150"], ["ALiBi", "0.100", "–", "–", "0.100", "NaN"]])
        let chart = pair.barChart(name: "b", title: "b", xLabel: "x", yLabel: "y", groupNames: ("encoder ([CLS])", "decoder"))
        XCTAssertEqual(chart.groups.map(\.name), ["encoder ([CLS])", "decoder"])
        XCTAssertEqual(chart.groups[0].means[0], 0.3, accuracy: 1e-12)
        XCTAssertEqual(chart.groups[1].means[1], 0.1, accuracy: 1e-12, "a mean over the tasks that have the cell")
        // Only RoPE has both sides, on both tasks: two contrasts, decoder − encoder.
        let family = book.family(pair, secondAgainstFirst: true)
        XCTAssertEqual(family.contrasts.map(\.name), ["t1 RoPE", "t2 RoPE"])
        XCTAssertEqual(family.contrasts[1].estimate?.difference ?? .nan, 0.2, accuracy: 1e-12)
        XCTAssertEqual(book.family(pair, secondAgainstFirst: false).contrasts[1].estimate?.difference ?? .nan, -0.2, accuracy: 1e-12)
    }

    func testFamilyOfACellTableContrastsTheChosenColumnsOnCompleteRows() throws {
        let records = [scoredRecord("t1", .rope, seed: 1, mcc: 0.5), scoredRecord("t1", .rope, seed: 2, mcc: 0.7),
                       scoredRecord("t1", .alibi, seed: 1, mcc: 0.4), scoredRecord("t1", .alibi, seed: 2, mcc: 0.4),
                       scoredRecord("t2", .rope, seed: 1, mcc: 0.5)]
        let book = try notebook()
        let table = book.cells(records, rows: ["t1", "t2"], columns: [PositionEncoding.rope, .alibi], name: { $0.displayName }) { run, task, e in
            run.task == task && run.positionEncoding == e
        }
        let family = book.family(table, a: { _ in .rope }, b: { _ in .alibi })
        XCTAssertEqual(family.contrasts.map(\.name), ["t1"], "t2 has no ALiBi run, so it is not a complete row")
        let e = try XCTUnwrap(family.contrasts[0].estimate)
        // Paired over seeds 1 and 2: differences 0.1 and 0.3, mean 0.2, SE = sd/√2 = 0.1.
        XCTAssertEqual(e.difference, 0.2, accuracy: 1e-12)
        XCTAssertEqual(e.standardError, 0.1, accuracy: 1e-12)
        XCTAssertTrue(family.contrasts[0].testSamplingApplies)
        let gaps = book.family(table, .custom("gap") { $0.outcome?.test.mcc }, a: { _ in .rope }, b: { _ in .alibi })
        XCTAssertFalse(gaps.contrasts[0].testSamplingApplies, "a number of the chapter's own has no test set to resample")
        XCTAssertEqual(book.family(["t1", "t2"], name: { "task \($0)" }) { $0 == "t1" ? (table["t1", .rope], table["t1", .alibi]) : nil }
                        .contrasts.map(\.name), ["task t1"])
    }

    func testCostOfCountsEachDistinctRunOnce() throws {
        let book = try notebook()
        let record = scoredRecord("t", .rope, seed: 1, mcc: 0.5)
        XCTAssertEqual(book.cost(of: [record, record]), "1 run, \(Format.duration(1)) of run time (training and evaluation, summed from the runs' records)")
    }

    // MARK: chapter 4's measurement and motif sections

    func testLengthCostsGrowthExponentAndTable() {
        // Time and memory grow as tokens² between the last two lengths, linearly before.
        let points = [(100, 0.01, 1000), (200, 0.02, 2000), (400, 0.08, 8000)].map { tokens, seconds, bytes in
            LengthCostPoint(bases: tokens * 6, tokens: tokens, trainingStepSeconds: seconds, forwardSeconds: seconds / 2,
                            trainingStepBytes: bytes, forwardBytes: bytes / 2)
        }
        let costs = LengthCosts(curves: [(.sinusoidal, points), (.rope, points)], repeats: 2, reference: .rope)
        XCTAssertEqual(costs.exponents.time, 2, accuracy: 1e-12)
        XCTAssertEqual(costs.exponents.memory, 2, accuracy: 1e-12)
        let table = costs.table()
        XCTAssertEqual(table.columns.map(\.title), ["length (bp)", "tokens", "sinusoidal step (s)", "RoPE step (s)", "step memory (RoPE)", "forward memory (RoPE)"])
        XCTAssertEqual(table.rows[2].prefix(4), ["2400", "400", "0.080", "0.080"])
        let time = costs.timeChart(name: "t")
        XCTAssertEqual(time.series.map(\.name), ["sinusoidal training step", "RoPE training step", "RoPE forward only", "∝ length² (reference)"])
        // The reference passes through the last point and falls as tokens² towards the first.
        XCTAssertEqual(time.series[3].y[2], 0.08, accuracy: 1e-12)
        XCTAssertEqual(time.series[3].y[0], 0.08 / 16, accuracy: 1e-12)
        XCTAssertTrue(LengthCosts(curves: [], repeats: 1, reference: .rope).exponents.time.isNaN)
    }

    func testMotifEnrichmentTablesAndBaseline() {
        func profile(_ tokens: [String], _ matches: [[String]]) -> VocabularyMotifs.Profile {
            var counts = Dictionary(uniqueKeysWithValues: KnownMotif.catalogue.map { m in (m.name, matches.filter { $0.contains(m.name) }.count) })
            counts["any"] = matches.filter { !$0.isEmpty }.count
            return VocabularyMotifs.Profile(tokens: tokens, matches: matches, counts: counts, longTokenShare: 0.5)
        }
        let tata = KnownMotif.catalogue[0].name
        let real = profile(["TATAAA", "ACGTTG", "TATATA"], [[tata], [], [tata]])
        let shuffled = [profile(["ACGTAC"], [[]]), profile(["TATAAA"], [[tata]])]
        let enrichment = MotifEnrichment(rows: [.init(task: "t", vocabulary: real, shuffled: shuffled, genome: nil)], top: 3, genomeName: nil)
        XCTAssertEqual(enrichment.enrichmentTable().rows, [["`t`", "2", "0.5 ± 0.7", "`TATAAA (\(tata))`, `TATATA (\(tata))`"]])
        XCTAssertEqual(enrichment.byMotifTable().rows[0], [tata, "2", "0.5"])
        XCTAssertEqual(enrichment.againstShuffled.map(\.value), [2])
        XCTAssertEqual(enrichment.againstShuffled[0].baseline, [0, 1])
        XCTAssertEqual(enrichment.barChart(name: "m").groups.map(\.name), ["task vocabulary", "shuffled sequences"])
        XCTAssertEqual(MotifEnrichment.catalogueTable().rows.count, KnownMotif.catalogue.count)
    }
}
