// The vocabulary a chapter reads its results in: cells, tables of cells, quantities.
//
// A cell is one configuration of a grid (a tokenizer on a task, say) with all its seeds. A chapter
// asks for cells, never for records: `book.cells(records, rows: tasks, columns: tokenizers) { run, task,
// tokenizer in ... }` gives a `CellTable`, which makes the chapter's tables (best of a row in bold,
// means over rows, where each column is best), its rankings ("A 0.512 > B 0.498"), its charts, and the
// comparisons its verdicts rest on (`Notebook.compare`, Verdict.swift).
//
// What is read off a run is a `Quantity`: its test MCC by default, which also knows the run's
// per-example test predictions, so that comparisons can count the test set's sampling error
// (Metrics/Inference.swift); or any number a chapter defines (a train − dev gap, an MCC at a cropped
// length), compared over seeds alone.
import Foundation

/// What a chapter reads off one run.
public struct Quantity: Sendable {
    /// Says what the number is, in evidence and captions ("test MCC").
    public var name: String
    public var value: @Sendable (RunRecord) -> Double?
    /// The per-example predictions `value` is the MCC of, and the test set they were made on (runs
    /// compared over the bootstrap must share it); nil when the value is not such an MCC.
    public var predictions: (@Sendable (RunRecord) -> [Int]?)?
    public var testSet: TestSet

    public init(name: String, value: @escaping @Sendable (RunRecord) -> Double?,
                predictions: (@Sendable (RunRecord) -> [Int]?)? = nil, testSet: TestSet = .test) {
        self.name = name
        self.value = value
        self.predictions = predictions
        self.testSet = testSet
    }

    /// Test MCC of the parameters with the best dev MCC (the GUE protocol).
    public static let testMCC = Quantity(name: "test MCC", value: { $0.outcome?.test.mcc },
                                         predictions: { $0.testPredictions })

    /// Test MCC with every test sequence cut to its first `bases` bases (`Run.testCrops`).
    public static func croppedMCC(bases: Int) -> Quantity {
        Quantity(name: "test MCC at \(bases) bp", value: { $0.croppedTests?.first { $0.bases == bases }?.scores.mcc },
                 predictions: { $0.croppedTests?.first { $0.bases == bases }?.predictions.flatMap(Predictions.decode) },
                 testSet: .test)
    }

    /// MCC on an extra test file of the task (`Run.extraTests`).
    public static func extraTestMCC(_ file: String) -> Quantity {
        Quantity(name: "MCC on \(file)", value: { $0.extraTests?.first { $0.file == file }?.scores.mcc },
                 predictions: { $0.extraTests?.first { $0.file == file }?.predictions.flatMap(Predictions.decode) },
                 testSet: .extra(file))
    }

    /// A number of the chapter's own, compared over seeds only.
    public static func custom(_ name: String, _ value: @escaping @Sendable (RunRecord) -> Double?) -> Quantity {
        Quantity(name: name, value: value)
    }
}

/// The examples a quantity's predictions were made on: the task's test split (whole or cut to a length:
/// the same examples either way), or an extra test file of the task.
public enum TestSet: Hashable, Sendable {
    case test
    case extra(String)
}

/// One configuration's runs, every seed.
public struct Cell: Sendable {
    /// Names the cell in evidence ("tf/0, BPE-4096").
    public let name: String
    /// The runs asked for, failed ones included.
    public let records: [RunRecord]

    public init(name: String, records: [RunRecord]) {
        self.name = name
        self.records = records
    }

    /// The finished runs.
    public var done: [RunRecord] { records.filter { $0.status == .done && $0.outcome != nil } }
    public var failed: Int { records.filter { $0.status == .failed }.count }

    /// The quantity over the finished runs (test MCC by default): mean, spread, count.
    public func score(_ quantity: Quantity = .testMCC) -> CellScore {
        CellScore(done.compactMap(quantity.value))
    }

    public var mean: Double { score().mean }
    public var isEmpty: Bool { score().count == 0 }
}

/// Cells in rows (tasks, usually) and columns (what the chapter varies).
public struct CellTable<Column: Hashable & Sendable>: Sendable {
    public let rows: [String]
    public let columns: [Column]
    public let columnName: @Sendable (Column) -> String
    private let cells: [String: [Column: Cell]]

    public init(rows: [String], columns: [Column], columnName: @escaping @Sendable (Column) -> String,
                cell: (String, Column) -> Cell) {
        self.rows = rows
        self.columns = columns
        self.columnName = columnName
        var grid: [String: [Column: Cell]] = [:]
        for row in rows { for column in columns { grid[row, default: [:]][column] = cell(row, column) } }
        cells = grid
    }

    public subscript(row: String, column: Column) -> Cell { cells[row]![column]! }

    /// Rows where every column has a finished run: the only ones averaged over or used in verdicts.
    public func completeRows(_ quantity: Quantity = .testMCC) -> [String] {
        rows.filter { row in columns.allSatisfy { self[row, $0].score(quantity).count > 0 } }
    }

    /// The mean over `rows` (the complete rows by default) of each cell's mean.
    public func meanOverRows(_ column: Column, _ quantity: Quantity = .testMCC, rows chosen: [String]? = nil) -> Double {
        Statistics.meanOrNaN((chosen ?? completeRows(quantity)).map { self[$0, column].score(quantity).mean }.filter(\.isFinite))
    }

    /// The column with the highest (or lowest) mean in a row, among `among` (every column by default).
    public func best(in row: String, among: [Column]? = nil, _ quantity: Quantity = .testMCC, highest: Bool = true) -> Column? {
        (among ?? columns).filter { self[row, $0].score(quantity).count > 0 }
            .max { a, b in
                let (x, y) = (self[row, a].score(quantity).mean, self[row, b].score(quantity).mean)
                return highest ? x < y : x > y
            }
    }

    /// How many complete rows each column has the best mean in.
    public func bestCounts(_ quantity: Quantity = .testMCC) -> [Int] {
        let winners = completeRows(quantity).compactMap { best(in: $0, quantity) }
        return columns.map { c in winners.filter { $0 == c }.count }
    }

    /// The Markdown table: a row per task (`rowLabel` may add columns before the cells), mean ± sd of
    /// each cell (with its n where it has fewer values than the table's fullest cell) with the row's best mean in bold (unless `boldBest` is false: a quantity whose highest
    /// value is no "best", such as a train − dev gap); then, when asked, means over groups of rows, over
    /// all complete rows, and on how many rows each column is best.
    public func table(_ quantity: Quantity = .testMCC, rowTitles: [String] = ["task"],
                      rowLabel: (String) -> [String] = { [Markdown.code($0)] }, boldBest: Bool = true,
                      groups: [(name: String, rows: [String])] = [], meanRow: Bool = true, bestRow: Bool = false) -> Table {
        var table = Table(columns: rowTitles.map { Table.Column($0) } + columns.map { Table.Column(columnName($0), alignment: .right) })
        // A cell with fewer values than the fullest cell of the table (a run failed or is missing) says its n.
        let fullest = rows.flatMap { row in columns.map { self[row, $0].score(quantity).count } }.max() ?? 0
        for row in rows {
            let scores = columns.map { self[row, $0].score(quantity) }
            let best = boldBest ? scores.filter { $0.count > 0 }.map(\.mean).max() : nil
            table.append(rowLabel(row) + scores.map { score in
                let text = score.count > 0 && score.count < fullest ? score.text + " (n = \(score.count))" : score.text
                return score.count > 0 && score.mean == best ? Markdown.bold(text) : text
            })
        }
        let padding = [String](repeating: "", count: max(0, rowTitles.count - 1))
        let complete = completeRows(quantity)
        for group in groups {
            let chosen = group.rows.filter(complete.contains)
            guard !chosen.isEmpty else { continue }
            table.append(["**mean over \(Format.plural(chosen.count, "task"))**"] + (padding.isEmpty ? [] : [group.name] + padding.dropFirst())
                         + columns.map { Format.fixed(meanOverRows($0, quantity, rows: chosen), 3) })
        }
        if meanRow && !complete.isEmpty {
            table.append(["**mean over \(Format.plural(complete.count, "task"))**"] + (padding.isEmpty ? [] : ["all"] + padding.dropFirst())
                         + columns.map { Format.fixed(meanOverRows($0, quantity), 3) })
        }
        if bestRow && !complete.isEmpty {
            table.append(["**tasks where best**"] + (padding.isEmpty ? [] : ["all"] + padding.dropFirst()) + bestCounts(quantity).map { "\($0)" })
        }
        return table
    }

    /// "RoPE 0.512 > ALiBi 0.498 = none 0.498": columns by their mean over complete rows, highest
    /// first, `=` where the printed values tie.
    public func ranking(_ quantity: Quantity = .testMCC) -> String {
        Format.ranking(columns.map { (columnName($0), meanOverRows($0, quantity)) })
    }

    /// Grouped bars: one group of bars per row, one bar per column, with error bars over seeds.
    public func barChart(name: String, title: String, yLabel: String, _ quantity: Quantity = .testMCC,
                         xLabel: String = "task") -> BarChart {
        BarChart(name: name, title: title, xLabel: xLabel, yLabel: yLabel, categories: rows,
                 groups: columns.map { c in
                     BarChart.Group(name: columnName(c), means: rows.map { self[$0, c].score(quantity).mean },
                                    deviations: rows.map { self[$0, c].score(quantity).errorBar })
                 })
    }

    /// One line per column over numeric rows (`x` of each row: a training-set size, say), error bars over seeds.
    public func lineChartOverRows(name: String, title: String, xLabel: String, yLabel: String, _ quantity: Quantity = .testMCC,
                                  x: (String) -> Double, logX: Bool = true) -> LineChart {
        LineChart(name: name, title: title, xLabel: xLabel, yLabel: yLabel,
                  series: columns.map { column in
                      LineChart.Series(name: columnName(column), x: rows.map(x), y: rows.map { self[$0, column].score(quantity).mean },
                                       deviations: rows.map { self[$0, column].score(quantity).errorBar })
                  }, logX: logX, xTicks: rows.map(x))
    }

    /// One line per row over numeric columns (`x` of each column), error bars over seeds.
    public func lineChart(name: String, title: String, xLabel: String, yLabel: String, _ quantity: Quantity = .testMCC,
                          x: (Column) -> Double, logX: Bool = true) -> LineChart {
        LineChart(name: name, title: title, xLabel: xLabel, yLabel: yLabel,
                  series: rows.map { row in
                      LineChart.Series(name: row, x: columns.map(x), y: columns.map { self[row, $0].score(quantity).mean },
                                       deviations: columns.map { self[row, $0].score(quantity).errorBar })
                  }, logX: logX, xTicks: columns.map(x))
    }
}

extension Format {
    /// "A 0.512 > B 0.498 = C 0.498": names with values, highest first, `=` where the printed values tie.
    public static func ranking(_ items: [(name: String, value: Double)], decimals: Int = 3) -> String {
        let sorted = items.filter { $0.value.isFinite }.sorted { $0.value > $1.value }
        return sorted.enumerated().map { i, item in
            let text = "\(item.name) \(fixed(item.value, decimals))"
            guard i > 0 else { return text }
            return (fixed(sorted[i - 1].value, decimals) == fixed(item.value, decimals) ? " = " : " > ") + text
        }.joined()
    }

    /// The text with its first letter in upper case, to open a sentence with a name that may be lower
    /// case ("the weaker of ALiBi and RoPE").
    public static func capitalised(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }

    /// "a, b and c"; "none" for nothing.
    public static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return "none"
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }
}
