// Two more ways to look at cells (Cells.swift), for the chapters whose tables are not one quantity
// on a grid of tasks by columns.
//
// Readings: the cells of a row read at several quantities, one table column or chart point each.
// Chapter 2 scores every extrapolation model at three test lengths, and chapter 4 every long-sequence
// model at five: each length is its own quantity (`Quantity.croppedMCC`, `.extraTestMCC`), so a table
// of encodings by lengths is one task's cells read at every length, and the chart one line per encoding.
//
// Variant pairs: one grid under two variants (scratch and pretrained; encoder and decoder, chapter 4),
// as two cell tables with the same rows and columns, set side by side with the mean difference.
import Foundation

/// One column of a readings table: what it is headed and the quantity read in it.
public struct Reading: Sendable {
    public var title: String
    public var quantity: Quantity
    /// Where it sits along the chart's x axis (a test length in bases); nil for a column that is not a
    /// point of the curve (a change between two lengths, say).
    public var x: Double?
    /// Whether the highest mean of the column, within a row's cells, is set in bold.
    public var boldBest: Bool

    public init(_ title: String, _ quantity: Quantity, x: Double? = nil, boldBest: Bool = false) {
        self.title = title
        self.quantity = quantity
        self.x = x
        self.boldBest = boldBest
    }
}

extension CellTable {
    /// The cells of `rows` (every row by default), each row's columns one table row, read at every
    /// reading: mean ± sd over seeds, bold where a reading asks for its best. `rowLabel` gives the
    /// leading cells of a table row (under `rowTitles`), `extra` columns of the chapter's own at the end.
    public func readings(_ readings: [Reading], rows chosen: [String]? = nil, rowTitles: [String],
                         rowLabel: (String, Column) -> [String],
                         extra: [(title: String, value: (String, Column) -> String)] = []) -> Table {
        var table = Table(columns: rowTitles.map { Table.Column($0) } + readings.map { Table.Column($0.title, alignment: .right) }
                          + extra.map { Table.Column($0.title, alignment: .right) })
        for row in chosen ?? rows {
            let best = readings.map { reading in
                reading.boldBest ? columns.map { self[row, $0].score(reading.quantity) }.filter { $0.count > 0 }.map(\.mean).max() : nil
            }
            for column in columns {
                let scores = readings.map { self[row, column].score($0.quantity) }
                table.append(rowLabel(row, column)
                             + zip(scores, best).map { score, best in score.count > 0 && score.mean == best ? Markdown.bold(score.text) : score.text }
                             + extra.map { $0.value(row, column) })
            }
        }
        return table
    }

    /// One line per column over the readings that have an x (a test length), for one row's cells,
    /// with error bars over seeds.
    public func lineChart(of row: String, _ readings: [Reading], name: String, title: String, xLabel: String, yLabel: String,
                          logX: Bool = true, markers: [LineChart.Marker] = []) -> LineChart {
        let points = readings.filter { $0.x != nil }
        let x = points.map { $0.x! }
        return LineChart(name: name, title: title, xLabel: xLabel, yLabel: yLabel,
                         series: columns.map { column in
                             let scores = points.map { self[row, column].score($0.quantity) }
                             return LineChart.Series(name: columnName(column), x: x, y: scores.map(\.mean), deviations: scores.map(\.errorBar))
                         }, logX: logX, xTicks: x, markers: markers)
    }
}

extension CellTable {
    /// What pretraining did for each cell whose runs were pretrained (chapter 4): the corpus, the
    /// masked-token accuracy on held-out sequence after each epoch against always guessing the most
    /// frequent token, and the time it took. A cell's seeds share one pretrained encoder, so its first
    /// record tells; cells without pretraining are left out.
    public func pretrainingTable(columnTitle: String) -> Table {
        var table = Table(["task", columnTitle, "corpus (sequences / tokens)", "held-out masked accuracy by epoch",
                           "most-frequent-token baseline", "pretraining time"])
        for row in rows {
            for column in columns {
                guard let p = self[row, column].records.lazy.compactMap(\.pretraining).first else { continue }
                table.append([Markdown.code(row), columnName(column), "\(p.corpusSequences) / \(p.corpusTokens)",
                              p.heldOutAccuracy.map { Format.fixed($0, 3) }.joined(separator: " → "), Format.fixed(p.frequencyBaseline, 3),
                              Format.duration(p.trainingSeconds)])
            }
        }
        return table
    }
}

/// One grid under two variants: the same rows (tasks) and columns (tokenizer + encoding) trained two
/// ways, scratch and pretrained, or as an encoder and as a decoder.
public struct VariantPair<Column: Hashable & Sendable>: Sendable {
    public let first: CellTable<Column>
    public let second: CellTable<Column>
    /// The variants' names, first then second ("scratch", "pretrained").
    public let names: (first: String, second: String)

    public init(_ first: CellTable<Column>, _ second: CellTable<Column>, names: (first: String, second: String)) {
        precondition(first.rows == second.rows && first.columns == second.columns, "the two variants must have the same rows and columns")
        self.first = first
        self.second = second
        self.names = names
    }

    /// A row per column of the grid; per row of the grid (task), the first variant's cell then the
    /// second's (mean ± sd over seeds); last, the mean over rows of second − first, headed `difference`.
    public func table(rowTitle: String, difference: String, _ quantity: Quantity = .testMCC) -> Table {
        var table = Table(columns: [Table.Column(rowTitle)]
                          + first.rows.flatMap { [Table.Column("\($0) \(names.first)", alignment: .right),
                                                  Table.Column("\($0) \(names.second)", alignment: .right)] }
                          + [Table.Column(difference, alignment: .right)])
        for column in first.columns {
            let differences = first.rows.map { second[$0, column].score(quantity).mean - first[$0, column].score(quantity).mean }
            table.append([first.columnName(column)]
                         + first.rows.flatMap { [first[$0, column].score(quantity).text, second[$0, column].score(quantity).text] }
                         + [Format.fixed(Statistics.meanOrNaN(differences.filter { !$0.isNaN }), 3)])
        }
        return table
    }

    /// Bars of each variant's mean over rows, per column of the grid; `groupNames` overrides the
    /// variants' names in the key.
    public func barChart(name: String, title: String, xLabel: String, yLabel: String, _ quantity: Quantity = .testMCC,
                         groupNames: (String, String)? = nil) -> BarChart {
        let labels = groupNames ?? (names.first, names.second)
        return BarChart(name: name, title: title, xLabel: xLabel, yLabel: yLabel, categories: first.columns.map(first.columnName),
                        groups: [(labels.0, first), (labels.1, second)].map { label, cells in
                            BarChart.Group(name: label, means: cells.columns.map { cells.meanOverRows($0, quantity, rows: cells.rows) })
                        })
    }
}

extension Notebook {
    /// A grid run in two variants, read as a pair of cell tables: each cell the records whose run
    /// `matches(run, row, column)`, split by `variant(run)` (false: the first, true: the second, nil:
    /// neither).
    public func variants<Column: Hashable & Sendable>(_ records: [RunRecord], rows: [String], columns: [Column],
                                                      name: @escaping @Sendable (Column) -> String, names: (first: String, second: String),
                                                      where matches: (Run, String, Column) -> Bool,
                                                      variant: (Run) -> Bool?) -> VariantPair<Column> {
        func side(_ wanted: Bool) -> CellTable<Column> {
            cells(records, rows: rows, columns: columns, name: name) { run, row, column in variant(run) == wanted && matches(run, row, column) }
        }
        return VariantPair(side(false), side(true), names: names)
    }

    /// Every cell of the grid, one variant against the other (the second against the first, or the
    /// reverse), as one family; contrasts are named "task column". Cells without a finished run on
    /// either side are left out.
    public func family<Column>(_ pair: VariantPair<Column>, secondAgainstFirst: Bool, _ quantity: Quantity = .testMCC) -> ContrastFamily {
        ContrastFamily(pair.first.rows.flatMap { row in
            pair.first.columns.compactMap { column -> Contrast? in
                let (x, y) = (pair.first[row, column], pair.second[row, column])
                guard x.score(quantity).count > 0, y.score(quantity).count > 0 else { return nil }
                let (a, b) = secondAgainstFirst ? (y, x) : (x, y)
                return contrast("\(row) \(pair.first.columnName(column))", a, b, quantity)
            }
        })
    }
}
