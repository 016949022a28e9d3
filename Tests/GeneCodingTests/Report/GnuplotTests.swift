import Foundation
import XCTest
@testable import GeneCoding

final class GnuplotTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gnuplot-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let provenance = Provenance(
        command: ".build/release/Chapter01Tokenization", profile: "smoke", seeds: [7], inputs: String(repeating: "ab", count: 32))

    private let bars = BarChart(
        name: "mcc-by-tokenizer", title: "MCC by tokenizer", xLabel: "Tokenizer", yLabel: "MCC (mean ± sd)",
        categories: ["1-mer", "3-mer", "BPE"],
        groups: [
            .init(name: "H3", means: [0.2, 0.35, 0.5], deviations: [0.01, nil, 0.03]),
            .init(name: "prom_300_all", means: [-0.05, 0.4, .nan], deviations: [0.02, 0.02, nil]),
        ])

    private let depth = LineChart(
        name: "mcc-by-depth", title: "MCC against depth", xLabel: "Layers", yLabel: "MCC",
        series: [
            .init(name: "RoPE", x: [3, 6, 12, 24], y: [0.4, 0.5, 0.6, 0.58], deviations: [0.02, 0.02, 0.01, 0.03]),
            .init(name: "ALiBi", x: [3, 6, 12, 24], y: [0.38, 0.47, 0.57, 0.56], deviations: [0.01, nil, 0.02, 0.02]),
        ],
        logX: true)

    private let curves = LineChart(
        name: "loss", title: "Training loss", xLabel: "Step", yLabel: "Loss",
        series: [
            .init(name: "kmer:6", x: (1...50).map(Double.init), y: (1...50).map { 1 / Double($0) }),
            .init(name: "bpe:4096", x: (1...40).map { Double($0 * 2) }, y: (1...40).map { 0.5 / Double($0) }),
        ],
        style: .curves, logY: true)

    // MARK: Text

    func testBarDataHasACommentedHeaderAndOneRowPerCategory() {
        XCTAssertEqual(bars.dataText(), """
        # category\tH3 mean\tH3 sd\tprom_300_all mean\tprom_300_all sd
        1-mer\t0.2\t0.01\t-0.05\t0.02
        3-mer\t0.35\t0\t0.4\t0.02
        BPE\t0.5\t0.03\tNaN\t0

        """)
    }

    func testBarScriptNamesDataLabelsAndTerminals() {
        let script = bars.script(provenance: provenance)
        for expected in [
            "# Generated file", "# command: .build/release/Chapter01Tokenization",
            "gnuplot figures/mcc-by-tokenizer.gp",
            "set title 'MCC by tokenizer'", "set xlabel 'Tokenizer'", "set ylabel 'MCC (mean ± sd)'",
            "set terminal svg size 900,540", "set output \"mcc-by-tokenizer.svg\"",
            "set terminal pngcairo size 900,540", "set terminal png size 900,540", "set output \"mcc-by-tokenizer.png\"",
            "plot 'mcc-by-tokenizer.tsv' using 2:3:xtic(1) title 'H3' linetype 1",
            "'' using 4:5 title 'prom_300_all' linetype 2",
            "set style histogram errorbars",
            "set yrange [-0.1:0.56]",
        ] {
            XCTAssertTrue(script.contains(expected), "script lacks \(expected):\n\(script)")
        }
        // The SVG is set up before the plot and the PNG before the replot.
        let svg = script.range(of: "set terminal svg")!.lowerBound
        let plot = script.range(of: "\nplot ")!.lowerBound
        let png = script.range(of: "set terminal pngcairo")!.lowerBound
        let replot = script.range(of: "replot")!.lowerBound
        XCTAssertTrue(svg < plot && plot < png && png < replot)
    }

    func testStringsAreQuotedForGnuplot() {
        XCTAssertEqual(Gnuplot.quoted("it's \"x\" \\n"), "'it''s \"x\" \\n'")
        var chart = bars
        chart.title = "it's"
        XCTAssertTrue(chart.script(provenance: provenance).contains("set title 'it''s'"))
    }

    func testLineDataHasOneBlockPerSeries() {
        let blocks = depth.dataText().components(separatedBy: "\n\n\n")
        XCTAssertEqual(blocks.count, 2)
        XCTAssertEqual(blocks[1], "# series: ALiBi\n# x\ty\tsd\n3\t0.38\t0.01\n6\t0.47\t0\n12\t0.57\t0.02\n24\t0.56\t0.02\n")
    }

    func testLineScriptUsesErrorBarsLogScaleAndDataTicks() {
        let script = depth.script(provenance: provenance)
        for expected in ["set logscale x 2", "set xtics (3, 6, 12, 24)", "with yerrorlines title 'RoPE'",
                         "index 1 using ($1 * 2**(0.5 * dodge * span)):2:3 with yerrorlines title 'ALiBi'",
                         "dodge = 0.012", "span = 3"] {
            XCTAssertTrue(script.contains(expected), "script lacks \(expected):\n\(script)")
        }
        let curveScript = curves.script(provenance: provenance)
        XCTAssertTrue(curveScript.contains("'loss.tsv' index 0 using 1:2 with lines title 'kmer:6'"), curveScript)
        XCTAssertTrue(curveScript.contains("set logscale y 10"))
        XCTAssertFalse(curveScript.contains("yerrorlines"))
        XCTAssertFalse(curveScript.contains("set xtics ("))
    }

    func testDataNumbersAndRanges() {
        XCTAssertEqual(Gnuplot.number(3), "3")
        XCTAssertEqual(Gnuplot.number(0.1 + 0.2), "0.3")
        XCTAssertEqual(Gnuplot.number(1.0 / 3), "0.333333")
        XCTAssertEqual(Gnuplot.number(.infinity), "NaN")
        XCTAssertEqual(Gnuplot.niceRange(-0.144 ... 0.824), -0.15 ... 0.83)
        XCTAssertEqual(Gnuplot.niceRange(0 ... 0.5775), 0 ... 0.58)
    }

    func testWriteCreatesDataAndScriptWithBanners() throws {
        let directory = try scratchDirectory() + "/figures"
        let figure = try bars.write(to: directory, provenance: provenance)
        XCTAssertEqual(figure.dataPath, directory + "/mcc-by-tokenizer.tsv")
        let data = try String(contentsOfFile: figure.dataPath, encoding: .utf8)
        let script = try String(contentsOfFile: figure.scriptPath, encoding: .utf8)
        XCTAssertTrue(data.hasPrefix("# Generated file"))
        XCTAssertTrue(data.hasSuffix(bars.dataText()))
        XCTAssertEqual(script, bars.script(provenance: provenance))
    }

    // MARK: Rendering

    private func assertImages(_ figure: Figure, file: StaticString = #filePath, line: UInt = #line) throws {
        let png = try Data(contentsOf: URL(fileURLWithPath: figure.pngPath))
        XCTAssertGreaterThan(png.count, 1000, file: file, line: line)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG", file: file, line: line)
        let svg = try String(contentsOfFile: figure.svgPath, encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"), file: file, line: line)
        XCTAssertTrue(svg.contains("</svg>"), "SVG not finished", file: file, line: line)
    }

    func testRenderDrawsEveryChartKindWithoutWarnings() throws {
        guard Gnuplot.executable != nil else { throw XCTSkip("gnuplot is not installed") }
        let directory = try scratchDirectory() + "/figures"
        for chart in [bars, depth, curves] as [any Chart] {
            let figure = try chart.write(to: directory, provenance: provenance)
            let warnings = try Gnuplot.render(figure)
            XCTAssertEqual(warnings, "", "gnuplot warned about \(chart.name)")
            try assertImages(figure)
            let svg = try String(contentsOfFile: figure.svgPath, encoding: .utf8)
            XCTAssertTrue(svg.contains(chart.title), "\(chart.name): the title is not in the SVG")
        }
        // Nothing but the figures' own files is left in the folder.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        XCTAssertEqual(names.count, 12, "\(names)")
        XCTAssertFalse(names.contains { $0.hasPrefix(".") }, "\(names)")
    }

    func testScriptRunsFromTheRepositoryRootAndFromItsOwnFolder() throws {
        guard let gnuplot = Gnuplot.executable else { throw XCTSkip("gnuplot is not installed") }
        let root = try scratchDirectory()
        let figure = try depth.write(to: root + "/figures", provenance: provenance)

        let fromRoot = try Subprocess.run(gnuplot, ["figures/mcc-by-depth.gp"], in: root)
        XCTAssertEqual(fromRoot.status, 0, fromRoot.standardError)
        try assertImages(figure)

        try FileManager.default.removeItem(atPath: figure.pngPath)
        try FileManager.default.removeItem(atPath: figure.svgPath)
        let fromFolder = try Subprocess.run(gnuplot, ["mcc-by-depth.gp"], in: root + "/figures")
        XCTAssertEqual(fromFolder.status, 0, fromFolder.standardError)
        try assertImages(figure)
    }

    func testFailureReportsGnuplotsMessage() throws {
        guard let gnuplot = Gnuplot.executable else { throw XCTSkip("gnuplot is not installed") }
        let directory = try scratchDirectory()
        let figure = try bars.write(to: directory, provenance: provenance)
        try "plot 'no-such-file.tsv' using 1:2\n".write(toFile: figure.scriptPath, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Gnuplot.render(figure, with: gnuplot)) { error in
            guard case GnuplotError.failed(let script, let status, let message) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(script, figure.scriptPath)
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(message.contains("no-such-file.tsv"), message)
            XCTAssertTrue("\(error)".contains(figure.scriptPath))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: figure.pngPath))
        // The scratch folder is cleaned up after a failure too.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }, [])
    }

    func testMissingGnuplotIsAClearError() throws {
        let figure = try bars.write(to: try scratchDirectory(), provenance: provenance)
        XCTAssertThrowsError(try Gnuplot.render(figure, with: nil)) { error in
            XCTAssertTrue("\(error)".contains("gnuplot is not installed"), "\(error)")
        }
        XCTAssertNil(Subprocess.find("gnuplot", path: "/nonexistent"))
    }
}
