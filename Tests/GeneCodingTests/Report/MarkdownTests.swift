import Foundation
import XCTest
@testable import GeneCoding

final class MarkdownTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("markdown-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private let provenance = Provenance(
        command: ".build/release/Chapter01Tokenization --profile smoke", profile: "smoke", seeds: [1, 2],
        inputs: String(repeating: "ab", count: 32))

    // MARK: Tables

    func testTableAlignsNumbersRightAndTextLeft() {
        var table = Table(["Tokenizer", "MCC", "Wall time"])
        table.append(["3-mer", "0.512 ± 0.013", "1 h 02 min"])
        table.append(["BPE", "0.6", "—"])
        XCTAssertEqual(table.resolvedAlignments, [.left, .right, .right])
        XCTAssertEqual(table.markdown(), """
        | Tokenizer |           MCC |  Wall time |
        | :-------- | ------------: | ---------: |
        | 3-mer     | 0.512 ± 0.013 | 1 h 02 min |
        | BPE       |           0.6 |          — |
        """)
    }

    func testTablePadsToTheWidestCellAndHonoursExplicitAlignment() {
        var table = Table(columns: [.init("Task", alignment: .center), .init("n", alignment: .left), .init("MCC")])
        table.append(["H3", "12", "0.5"])
        table.append(["prom_300_all", "3", "0.25"])
        XCTAssertEqual(table.markdown(), """
        |     Task     | n   |  MCC |
        | :----------: | :-- | ---: |
        |      H3      | 12  |  0.5 |
        | prom_300_all | 3   | 0.25 |
        """)
    }

    func testTableEscapesPipesAndFlattensLineBreaks() {
        var table = Table(["Name", "Note"])
        table.append(["a|b", "two\nlines"])
        let lines = table.markdown().components(separatedBy: "\n")
        XCTAssertEqual(lines[2], "| a\\|b | two lines |")
        // The row keeps its three column separators; the cell adds none.
        let unescaped = lines[2].replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
        XCTAssertEqual(unescaped, 3)
    }

    func testEmptyColumnsAreLeftAlignedAndAtLeastThreeWide() {
        var table = Table(["x"])
        table.append([""])
        XCTAssertEqual(table.markdown(), "| x   |\n| :-- |\n|     |")
    }

    func testNumericCellRecognition() {
        for cell in ["0.512", "-3", "1,024", "0.512 ± 0.013", "12.5%", "1.2e-4", "3.4 s", "1 h 02 min",
                     "12.0 MiB", "12.3k", "NaN", "+0.5", "850 ms", "2 d 03 h"] {
            XCTAssertTrue(Table.isNumeric(cell), "\(cell) should read as a number")
        }
        for cell in ["3-mer", "6 layers", "BPE", "kmer:6", "1.2.3", "e5", "", ".5", "5.", "0x10", "12 apples"] {
            XCTAssertFalse(Table.isNumeric(cell), "\(cell) should not read as a number")
        }
        // A column with one label in it is text, even if the other cells are numbers.
        var table = Table(["v"])
        table.append(["1"])
        table.append(["many"])
        XCTAssertEqual(table.resolvedAlignments, [.left])
    }

    func testTSVReplacesTabsAndCommentsTheBanner() {
        var table = Table(["task", "mcc"])
        table.append(["a\tb", "0.5"])
        XCTAssertEqual(table.tsv(), "task\tmcc\na b\t0.5\n")
        XCTAssertEqual(table.tsv(comment: "made by x\n\nseed 1"), "# made by x\n#\n# seed 1\ntask\tmcc\na b\t0.5\n")
    }

    func testWriteTSVPutsTheBannerFirst() throws {
        let path = try scratchDirectory() + "/results/table.tsv"
        var table = Table(["task", "mcc"])
        table.append(["H3", "0.5"])
        try table.writeTSV(to: path, provenance: provenance)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# Generated file"), text)
        XCTAssertTrue(text.hasSuffix("task\tmcc\nH3\t0.5\n"), text)
    }

    // MARK: Documents

    func testDocumentBlocks() {
        var document = MarkdownDocument(path: "reports/01-tokenization.md")
        document.heading("Tokenization")
        document.heading("1. Setup", level: 2)
        document.paragraph("  We train *small* models.\n")
        document.quote("BPE consistently outperforms\nk-mer tokenization.", source: "the paper, §5")
        document.bulletList(["one", "two\nlines"])
        document.numberedList(["first", "second"])
        document.codeBlock("make chapter-01\n", language: "sh")
        document.codeBlock("a ``` fence")
        XCTAssertEqual(document.render(), """
        # Tokenization

        ## 1. Setup

        We train *small* models.

        > BPE consistently outperforms
        > k-mer tokenization.
        >
        > — the paper, §5

        - one
        - two
          lines

        1. first
        2. second

        ```sh
        make chapter-01
        ```

        ````
        a ``` fence
        ````

        """)
    }

    func testFigureLinksAreRelativeToTheDocument() {
        var document = MarkdownDocument(path: "reports/01-tokenization.md")
        document.figure(Figure(name: "mcc-by-tokenizer", directory: "figures"), alt: "MCC by tokenizer", caption: "Mean over seeds.")
        XCTAssertEqual(document.render(), """
        [![MCC by tokenizer](../figures/mcc-by-tokenizer.png)](../figures/mcc-by-tokenizer.svg)\\
        *Mean over seeds.* ([data](../figures/mcc-by-tokenizer.tsv) · [gnuplot script](../figures/mcc-by-tokenizer.gp) · [SVG](../figures/mcc-by-tokenizer.svg))

        """)
    }

    func testInlineHelpers() {
        XCTAssertEqual(Markdown.code("a`b"), "``a`b``")
        XCTAssertEqual(Markdown.code("`x"), "`` `x ``")
        XCTAssertEqual(Markdown.escape("kmer_6 *x* |"), "kmer\\_6 \\*x\\* \\|")
        XCTAssertEqual(Markdown.link("paper", to: "https://arxiv.org/abs/2507.15087"), "[paper](https://arxiv.org/abs/2507.15087)")
        XCTAssertEqual(Markdown.link("a file", to: "my data.tsv"), "[a file](<my data.tsv>)")
        XCTAssertEqual(Markdown.image("x.png", alt: "a [b]"), "![a [b\\]](x.png)")
    }

    func testRelativePaths() {
        XCTAssertEqual(MarkdownDocument.relativePath(of: "figures/a.png", from: "reports"), "../figures/a.png")
        XCTAssertEqual(MarkdownDocument.relativePath(of: "figures/a.png", from: "."), "figures/a.png")
        XCTAssertEqual(MarkdownDocument.relativePath(of: "/x/y/z.png", from: "/x/y"), "z.png")
        XCTAssertEqual(MarkdownDocument.relativePath(of: "/x/a/b.png", from: "/x/c/d"), "../../a/b.png")
        XCTAssertEqual(MarkdownDocument.relativePath(of: "/x", from: "/x"), ".")
    }

    func testWriteAddsTheBannerAndCreatesFolders() throws {
        let path = try scratchDirectory() + "/reports/chapter.md"
        var document = MarkdownDocument(path: path)
        document.heading("Title")
        try document.write(provenance: provenance)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<!--\nGenerated file"), text)
        XCTAssertTrue(text.hasSuffix("-->\n\n# Title\n"), text)
        XCTAssertTrue(text.contains("Chapter01Tokenization --profile smoke"))
    }

    // MARK: Numbers

    func testFixedAndMeanSD() {
        XCTAssertEqual(Format.fixed(0.51234), "0.512")
        XCTAssertEqual(Format.fixed(0.5125, 2), "0.51")
        XCTAssertEqual(Format.fixed(-0.0004), "0.000")
        XCTAssertEqual(Format.fixed(-0.25, 1), "-0.2")
        XCTAssertEqual(Format.fixed(2, 0), "2")
        XCTAssertEqual(Format.fixed(.nan), "NaN")
        XCTAssertEqual(Format.fixed(-.infinity), "-∞")
        XCTAssertEqual(Format.meanSD(0.51234, 0.0126), "0.512 ± 0.013")
        XCTAssertEqual(Format.meanSD(0.51234, nil), "0.512")
        XCTAssertEqual(Format.meanSD(0.5, 0.04, 2), "0.50 ± 0.04")
        XCTAssertEqual(Format.percent(0.1234), "12.3%")
        XCTAssertEqual(Format.percent(1, 0), "100%")
    }

    func testDurations() {
        let cases: [(Double, String)] = [
            (0.0000123, "12 µs"), (0.85, "850 ms"), (0.9996, "1.0 s"), (3.44, "3.4 s"), (9.96, "10 s"),
            (42.4, "42 s"), (59.6, "1 min 00 s"), (725, "12 min 05 s"), (3599.6, "1 h 00 min"),
            (3720, "1 h 02 min"), (86_340, "23 h 59 min"), (86_399, "1 d 00 h"),
            (183_600, "2 d 03 h"), (-1, "—"), (.nan, "—"),
        ]
        for (seconds, text) in cases {
            XCTAssertEqual(Format.duration(seconds), text, "\(seconds) s")
        }
    }

    func testBytesAndCompactCounts() {
        XCTAssertEqual(Format.bytes(512), "512 B")
        XCTAssertEqual(Format.bytes(1536), "1.5 KiB")
        XCTAssertEqual(Format.bytes(1024 * 1024 - 1), "1.0 MiB")
        XCTAssertEqual(Format.bytes(Int64(343.2 * 1024 * 1024)), "343.2 MiB")
        XCTAssertEqual(Format.bytes(Int64(1) << 40), "1.0 TiB")
        XCTAssertEqual(Format.compact(950), "950")
        XCTAssertEqual(Format.compact(12_345), "12.3k")
        XCTAssertEqual(Format.compact(123_456), "123k")
        XCTAssertEqual(Format.compact(4_560_000), "4.56M")
        XCTAssertEqual(Format.compact(2.5), "2.5")
    }
}
