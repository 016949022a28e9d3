// Charts as gnuplot data and scripts.
//
// A chart is written as two plain files that a reader can open, edit and rerun without rerunning
// any training:
//
//     figures/<name>.tsv   the numbers, tab-separated, with a `#` header naming the columns
//     figures/<name>.gp    the gnuplot script that draws figures/<name>.svg and figures/<name>.png
//
// The script finds its data next to itself, so `gnuplot figures/<name>.gp` works from the
// repository root (as the Makefile runs it) or from any other directory, and the outputs land
// beside the script. It picks the cairo PNG terminal when this gnuplot has it and the plain one
// otherwise.
//
// These kinds of chart cover the paper's figures:
// - `BarChart`: categories along x (tokenizers), one bar per group in each (tasks), with the
//   mean's standard deviation over seeds as an error bar;
// - `LineChart` with `.markers`: a numeric x (layers, sequence length), one line per series, with
//   error bars, optionally on a log-scale x;
// - `LineChart` with `.curves`: many points per series (training loss, dev MCC against step);
// - `LineChart` with `.pairedCurves`: series in pairs (train and dev), one colour per pair.
import Foundation

// MARK: - Figure files

/// The four files of one chart, by name, in one folder.
public struct Figure: Sendable, Equatable {
    public let name: String
    public let directory: String

    public init(name: String, directory: String) {
        self.name = name
        self.directory = directory
    }

    public var dataPath: String { path("tsv") }
    public var scriptPath: String { path("gp") }
    public var svgPath: String { path("svg") }
    public var pngPath: String { path("png") }

    private func path(_ suffix: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + name + "." + suffix
    }
}

/// What every chart kind gives: its data file's text and the plotting commands for it. The shared
/// parts of the script (banner, finding its folder, terminals, fonts, colours) are added around.
public protocol Chart: Sendable {
    /// File name without suffix; also the name of the figure in reports.
    var name: String { get }
    var title: String { get }
    var xLabel: String { get }
    var yLabel: String { get }
    /// Width and height in pixels of the PNG, and in points of the SVG.
    var size: (width: Int, height: Int) { get }
    /// The data file's text after the banner.
    func dataText() -> String
    /// The settings and `plot` command particular to this chart; data is read from `dataFile`.
    func plotCommands(dataFile: String) -> String
}

extension Chart {
    public var size: (width: Int, height: Int) { (900, 540) }

    /// The gnuplot script, complete, banner included.
    public func script(provenance: Provenance) -> String {
        let dataFile = name + ".tsv"
        let (width, height) = size
        return provenance.commentBanner() + """
        #
        # Draws \(name).svg and \(name).png from \(dataFile), all three next to this script.
        # Run it from the repository root with
        #     gnuplot figures/\(name).gp
        # (any other working directory works too). To restyle the chart, edit the settings
        # below and run it again: the numbers are in the data file, nothing is recomputed.

        # Work in this script's own folder, so that the data and outputs are found next to it.
        here = "."
        found = 0
        if (exists("ARG0")) {
            do for [i = strlen(ARG0):1:-1] {
                if (!found && ARG0[i:i] eq "/") { here = (i > 1 ? ARG0[1:i-1] : "/"); found = 1 }
            }
        }
        cd here

        set encoding utf8
        set datafile separator "\\t"
        set datafile missing "NaN"

        # Okabe and Ito's palette, which readers with colour-blindness can tell apart.
        set linetype 1 linecolor rgb "#0072B2" linewidth 2 pointtype 7 pointsize 1.0
        set linetype 2 linecolor rgb "#E69F00" linewidth 2 pointtype 5 pointsize 0.9
        set linetype 3 linecolor rgb "#009E73" linewidth 2 pointtype 9 pointsize 1.2
        set linetype 4 linecolor rgb "#CC79A7" linewidth 2 pointtype 11 pointsize 1.2
        set linetype 5 linecolor rgb "#56B4E9" linewidth 2 pointtype 13 pointsize 1.2
        set linetype 6 linecolor rgb "#D55E00" linewidth 2 pointtype 15 pointsize 1.0
        set linetype 7 linecolor rgb "#000000" linewidth 2 pointtype 4 pointsize 1.0
        set linetype 8 linecolor rgb "#F0E442" linewidth 2 pointtype 6 pointsize 1.0
        set linetype cycle 8

        set title \(Gnuplot.quoted(title))
        set xlabel \(Gnuplot.quoted(xLabel))
        set ylabel \(Gnuplot.quoted(yLabel))
        set border 3
        set tics nomirror
        set style line 100 linecolor rgb "#dcdcdc" linewidth 1 dashtype solid
        set grid ytics linestyle 100
        set key outside right top vertical Left reverse noautotitle samplen 2 spacing 1.2

        # The SVG terminal counts font sizes larger than the PNG ones: these two sets match.
        set terminal svg size \(width),\(height) noenhanced font "DejaVu Sans,14" background rgb "white"
        set title font ",19"
        set output "\(name).svg"
        \(plotCommands(dataFile: dataFile))

        # The same plot once more as PNG, through cairo when this gnuplot has it.
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
            set terminal pngcairo size \(width),\(height) noenhanced font "DejaVu Sans,11" background rgb "white"
        } else {
            set terminal png size \(width),\(height) noenhanced font "DejaVu Sans,11" background rgb "white"
        }
        set title font ",15"
        set output "\(name).png"
        replot
        unset output

        """
    }

    /// Writes the data file and the script into `directory` (atomically, creating it), each with
    /// the provenance banner, and returns where the figure's files are or will be.
    @discardableResult
    public func write(to directory: String, provenance: Provenance) throws -> Figure {
        let figure = Figure(name: name, directory: directory)
        try AtomicFile.writeIfChanged(provenance.commentBanner() + "#\n" + dataText(), to: figure.dataPath)
        try AtomicFile.writeIfChanged(script(provenance: provenance), to: figure.scriptPath)
        return figure
    }
}

// MARK: - Bar chart

/// Grouped bars: for each category along x one bar per group, in the group's colour, with an
/// error bar of one standard deviation. For the paper: categories are tokenizers or position
/// encodings, groups are tasks, heights are mean MCC over seeds.
public struct BarChart: Chart {
    public struct Group: Sendable, Equatable {
        public var name: String
        /// One height per category; NaN for a bar that is missing.
        public var means: [Double]
        /// One standard deviation per category, nil where there is none (a single seed).
        public var deviations: [Double?]

        public init(name: String, means: [Double], deviations: [Double?]? = nil) {
            self.name = name
            self.means = means
            self.deviations = deviations ?? Array(repeating: nil, count: means.count)
            precondition(self.deviations.count == means.count, "group \(name): \(means.count) means but \(self.deviations.count) deviations")
        }
    }

    public var name: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var groups: [Group]
    /// The y range shown; nil fits the bars and error bars, and includes 0.
    public var yRange: ClosedRange<Double>?

    public init(name: String, title: String, xLabel: String, yLabel: String,
                categories: [String], groups: [Group], yRange: ClosedRange<Double>? = nil) {
        for group in groups {
            precondition(group.means.count == categories.count,
                         "group \(group.name) has \(group.means.count) bars for \(categories.count) categories")
        }
        self.name = name
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.groups = groups
        self.yRange = yRange
    }

    /// One row per category: its label, then each group's mean and standard deviation (0 when
    /// there is none, which draws no whisker).
    public func dataText() -> String {
        var lines = ["# " + (["category"] + groups.flatMap { ["\($0.name) mean", "\($0.name) sd"] }).joined(separator: "\t")]
        for (index, category) in categories.enumerated() {
            let cells = groups.flatMap { [Gnuplot.number($0.means[index]), Gnuplot.number($0.deviations[index] ?? 0)] }
            lines.append(([Gnuplot.label(category)] + cells).joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func plotCommands(dataFile: String) -> String {
        let range = yRange ?? fittedRange()
        let clauses = groups.enumerated().map { index, group in
            let column = 2 + 2 * index
            let source = index == 0 ? Gnuplot.quoted(dataFile) : "''"
            let xtic = index == 0 ? ":xtic(1)" : ""
            return "\(source) using \(column):\(column + 1)\(xtic) title \(Gnuplot.quoted(group.name)) linetype \(index + 1)"
        }
        let longest = categories.map(\.count).max() ?? 0
        let rotate = longest * categories.count > 70 ? "set xtics rotate by -30 left\n" : ""
        return """
        set style data histogram
        set style histogram errorbars gap 1.5 linewidth 1.5
        set style fill solid 0.9 border rgb "#404040"
        set errorbars linecolor rgb "#202020"
        set xtics scale 0
        \(rotate)set yrange [\(Gnuplot.number(range.lowerBound)):\(Gnuplot.number(range.upperBound))]
        set xzeroaxis linetype -1 linewidth 1
        plot \(clauses.joined(separator: ", \\\n     "))
        """
    }

    /// From the lowest bar or whisker (or 0) to the highest, with a little room above.
    func fittedRange() -> ClosedRange<Double> {
        var low = 0.0, high = 0.0
        for group in groups {
            for (mean, deviation) in zip(group.means, group.deviations) where mean.isFinite {
                let spread = deviation.flatMap { $0.isFinite ? $0 : nil } ?? 0
                low = min(low, mean - spread)
                high = max(high, mean + spread)
            }
        }
        if high == low { high = low + 1 }
        let pad = (high - low) * 0.05
        return Gnuplot.niceRange((low < 0 ? low - pad : 0) ... high + pad)
    }
}

// MARK: - Line chart

/// One line per series over a numeric x. `.markers` draws each point with an error bar when the
/// series has standard deviations (MCC against layers or sequence length); `.curves` draws plain
/// lines for many points (loss or dev MCC against step).
public struct LineChart: Chart {
    public enum Style: Sendable, Equatable {
        case markers
        case curves
        /// Series in pairs (train, dev; or any two views of one thing): one colour per pair, the first
        /// of each pair dashed, the second solid, with points at every x.
        case pairedCurves
    }

    /// A dashed vertical line across the chart at one x, labelled (the length a model was trained on,
    /// say, left of which nothing is extrapolation).
    public struct Marker: Sendable, Equatable {
        public var x: Double
        public var label: String
        public init(x: Double, label: String) { self.x = x; self.label = label }
    }

    public struct Series: Sendable, Equatable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// One standard deviation per point, or nil for none.
        public var deviations: [Double?]?

        public init(name: String, x: [Double], y: [Double], deviations: [Double?]? = nil) {
            precondition(x.count == y.count, "series \(name): \(x.count) x values but \(y.count) y values")
            precondition(deviations.map { $0.count == x.count } ?? true, "series \(name): deviations do not match the points")
            self.name = name
            self.x = x
            self.y = y
            self.deviations = deviations
        }
    }

    public var name: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var style: Style
    /// Log scale (base 2) on x, for depths 3, 6, 12, 24 or lengths that double.
    public var logX: Bool
    public var logY: Bool
    /// Tick marks exactly at these x values; nil leaves them to gnuplot, except that a log-scale
    /// chart with markers ticks its own x values when there are a few.
    public var xTicks: [Double]?
    public var yRange: ClosedRange<Double>?
    public var markers: [Marker]

    public init(name: String, title: String, xLabel: String, yLabel: String, series: [Series],
                style: Style = .markers, logX: Bool = false, logY: Bool = false,
                xTicks: [Double]? = nil, yRange: ClosedRange<Double>? = nil, markers: [Marker] = []) {
        precondition(style != .pairedCurves || series.count % 2 == 0, "chart \(name): paired curves need series in pairs")
        self.name = name
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.style = style
        self.logX = logX
        self.logY = logY
        self.xTicks = xTicks
        self.yRange = yRange
        self.markers = markers
    }

    /// One block per series, in order, separated by two blank lines (gnuplot's `index`), each
    /// opened by a comment with the series' name.
    public func dataText() -> String {
        var blocks: [String] = []
        for item in series {
            var lines = ["# series: \(item.name)", "# x\ty\tsd"]
            for index in item.x.indices {
                let deviation = item.deviations?[index] ?? 0
                lines.append([item.x[index], item.y[index], deviation].map(Gnuplot.number).joined(separator: "\t"))
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n\n") + "\n"
    }

    public func plotCommands(dataFile: String) -> String {
        let withErrors = style == .markers && series.contains { $0.deviations != nil }
        // Error bars of different series at the same x would hide each other, so each series is
        // drawn a little to the side of the true x: series k of n is moved by (k - (n-1)/2) dodge
        // steps, each a fixed fraction of the x span (of its doublings on a log scale).
        let dodged = withErrors && series.count > 1
        let xs = series.flatMap(\.x).filter { $0.isFinite && (!logX || $0 > 0) }
        let span = xs.isEmpty ? 0 : (logX ? log2(xs.max()! / xs.min()!) : xs.max()! - xs.min()!)
        let clauses = series.enumerated().map { index, item in
            let source = index == 0 ? Gnuplot.quoted(dataFile) : "''"
            let offset = Double(index) - Double(series.count - 1) / 2
            let x: String
            if !dodged || offset == 0 || span == 0 {
                x = "1"
            } else if logX {
                x = "($1 * 2**(\(Gnuplot.number(offset)) * dodge * span))"
            } else {
                x = "($1 + \(Gnuplot.number(offset)) * dodge * span)"
            }
            let how: String
            switch style {
            case .markers where item.deviations != nil: how = "using \(x):2:3 with yerrorlines"
            case .markers: how = "using \(x):2 with linespoints"
            case .curves: how = "using 1:2 with lines"
            case .pairedCurves:
                return "\(source) index \(index) using 1:2 with linespoints linetype \(index / 2 + 1) "
                    + "dashtype \(index % 2 == 0 ? 2 : 1) title \(Gnuplot.quoted(item.name))"
            }
            return "\(source) index \(index) \(how) title \(Gnuplot.quoted(item.name)) linetype \(index + 1)"
        }
        var settings: [String] = []
        if style == .pairedCurves { settings.append("set key samplen 5") }
        for marker in markers {
            settings.append("set arrow from \(Gnuplot.number(marker.x)), graph 0 to \(Gnuplot.number(marker.x)), graph 1 nohead dashtype 2 linecolor rgb \"#808080\" linewidth 1.5")
            settings.append("set label \(Gnuplot.quoted(marker.label)) at \(Gnuplot.number(marker.x)), graph 0.97 offset 0.5, 0 left textcolor rgb \"#606060\"")
        }
        if logX { settings.append("set logscale x 2") }
        // On a log y axis, "%g" prints 0.001 and 1e-05 rather than 0.001000 and 0.000010.
        if logY { settings.append(contentsOf: ["set logscale y 10", "set format y \"%g\""]) }
        // On a log scale gnuplot ticks powers of two, which the x values (3, 6, 12, 24 layers;
        // 100, 200, 400 bp) rarely are; a few distinct x values make better ticks themselves.
        let distinct = Set(xs).sorted()
        if let ticks = xTicks ?? (logX && style != .curves && distinct.count <= 12 ? distinct : nil) {
            settings.append("set xtics (" + ticks.map(Gnuplot.number).joined(separator: ", ") + ")")
        }
        if let yRange { settings.append("set yrange [\(Gnuplot.number(yRange.lowerBound)):\(Gnuplot.number(yRange.upperBound))]") }
        // Room at the ends, so the first and last error bars are not drawn on the axes.
        if style != .curves { settings.append("set offsets graph 0.04, graph 0.04, graph 0.02, graph 0.02") }
        settings.append("set grid xtics ytics linestyle 100")
        if withErrors { settings.append("set errorbars 1.5") }
        if dodged {
            settings.append("""
            # Each series is drawn slightly to the side of its true x, so that error bars at the same
            # x stay apart: set dodge = 0 to draw every point at its x.
            dodge = 0.012
            span = \(Gnuplot.number(span))
            """)
        }
        settings.append("plot " + clauses.joined(separator: ", \\\n     "))
        return settings.joined(separator: "\n")
    }
}

// MARK: - Running gnuplot

/// gnuplot could not draw a figure: it is not installed, or it failed, with what it said.
public enum GnuplotError: Error, CustomStringConvertible, Sendable {
    case notInstalled
    case failed(script: String, status: Int32, message: String)
    case missingOutput(script: String, path: String)

    public var description: String {
        switch self {
        case .notInstalled:
            return "gnuplot is not installed (no `gnuplot` on PATH); install gnuplot-nox "
                + "(scripts/install-deps.sh) and run the figure's script again"
        case .failed(let script, let status, let message):
            return "gnuplot \(script) failed (exit status \(status)):\n\(message)"
        case .missingOutput(let script, let path):
            return "gnuplot \(script) ran but did not write \(path), or wrote it empty"
        }
    }
}

public enum Gnuplot {
    /// The gnuplot program on PATH, or nil.
    public static var executable: String? { Subprocess.find("gnuplot") }

    /// Runs the figure's script and installs its SVG and PNG. gnuplot draws into a scratch folder
    /// beside the figure, and the finished images are renamed into place, so that a kill mid-way
    /// leaves the previous images whole. Returns what gnuplot printed as warnings (usually
    /// nothing); throws `GnuplotError` when it is missing or fails.
    @discardableResult
    public static func render(_ figure: Figure) throws -> String {
        try render(figure, with: executable)
    }

    /// `render` with the gnuplot program given, nil standing for one that is not installed.
    static func render(_ figure: Figure, with gnuplot: String?) throws -> String {
        guard let gnuplot else { throw GnuplotError.notInstalled }
        let fileManager = FileManager.default
        let scratch = URL(fileURLWithPath: figure.directory)
            .appendingPathComponent(".render-\(figure.name)-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try fileManager.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(atPath: scratch) }
        let inScratch = Figure(name: figure.name, directory: scratch)
        try fileManager.copyItem(atPath: figure.dataPath, toPath: inScratch.dataPath)
        try fileManager.copyItem(atPath: figure.scriptPath, toPath: inScratch.scriptPath)

        let result = try Subprocess.run(gnuplot, [inScratch.scriptPath])
        guard result.status == 0 else {
            throw GnuplotError.failed(script: figure.scriptPath, status: result.status,
                                      message: result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for (drawn, target) in [(inScratch.svgPath, figure.svgPath), (inScratch.pngPath, figure.pngPath)] {
            let size = (try? fileManager.attributesOfItem(atPath: drawn)[.size] as? NSNumber)??.intValue ?? 0
            guard size > 0 else { throw GnuplotError.missingOutput(script: figure.scriptPath, path: target) }
            guard rename(drawn, target) == 0 else { throw FileWriteError(path: target, operation: "rename", code: errno) }
        }
        return result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

// MARK: - Text for gnuplot

extension Gnuplot {
    /// A gnuplot string literal. Single quotes take everything literally except `''`, which stands
    /// for one quote.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A number as the data files hold it: whole numbers (steps, layers) in full, others to six
    /// significant digits, far finer than a chart can show and easier to read than the shortest
    /// round-trip text; NaN, which the scripts declare missing, for anything not finite.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }

    /// `range` widened to the next multiples of a round step (a tenth of the range's order of
    /// magnitude), so that the axis ends on a labelled value.
    static func niceRange(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return range }
        let exponent = log10(span).rounded(.down) - 1
        // The slack keeps a bound that is already a multiple (-0.1 is -10.000000000000002 steps of
        // 0.01 in binary) from moving out by one step. Below 1 the step is applied by dividing by its
        // inverse, which gives 0.83 rather than 83 × 0.01 = 0.8300000000000001.
        let (scale, divide) = exponent < 0 ? (pow(10, -exponent), true) : (pow(10, exponent), false)
        func steps(_ value: Double) -> Double { divide ? value * scale : value / scale }
        func value(_ steps: Double) -> Double { divide ? steps / scale : steps * scale }
        let low = value((steps(range.lowerBound) + 1e-9).rounded(.down))
        let high = value((steps(range.upperBound) - 1e-9).rounded(.up))
        return low ... high
    }

    /// A category label as a data cell: tabs and line breaks would split the row.
    static func label(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }
}
