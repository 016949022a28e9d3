// What one sequence costs as it grows, as a chapter reports it (chapter 4, question 2): the
// measurement of Bench/LengthCost.swift for each position encoding, kept in the result store, then
// its table, its two log-log charts and the growth exponent between the two longest lengths.
//
// A measurement is made once and stored under results/measurements/ (`Notebook.cached`), keyed by
// the model's configuration, the lengths, the repeats, the threads and the machine's name; a report
// prints the stored times, so rendering it again on any machine gives the same text.
import Foundation

/// Time and activation memory of one sequence at each length, per position encoding.
public struct LengthCosts: Sendable {
    public var curves: [(encoding: PositionEncoding, points: [LengthCostPoint])]
    /// Best of this many repeats.
    public var repeats: Int
    /// The encoding whose memory the table and the memory chart show (memory hardly depends on it).
    public var reference: PositionEncoding

    /// The reference encoding's points.
    public var points: [LengthCostPoint] { curves.first { $0.encoding == reference }?.points ?? curves.first?.points ?? [] }

    /// Lengths down, one step time per encoding across, then the reference encoding's memory.
    public func table() -> Table {
        var table = Table(columns: [Table.Column("length (bp)", alignment: .right), Table.Column("tokens", alignment: .right)]
                          + curves.map { Table.Column("\($0.encoding.displayName) step (s)", alignment: .right) }
                          + ["step", "forward"].map { Table.Column("\($0) memory (\(reference.displayName))", alignment: .right) })
        for (i, point) in points.enumerated() {
            table.append(["\(point.bases)", "\(point.tokens)"] + curves.map { Format.fixed($0.points[i].trainingStepSeconds, 3) }
                         + [Format.bytes(point.trainingStepBytes), Format.bytes(point.forwardBytes)])
        }
        return table
    }

    /// Seconds per sequence against length, log-log: every encoding's training step, the reference's
    /// forward pass, and a length² line for comparison.
    public func timeChart(name: String) -> LineChart {
        let x = points.map { Double($0.bases) }
        return LineChart(name: name, title: "Seconds per sequence against length (one thread)", xLabel: "sequence length (bp)",
                         yLabel: "seconds per sequence",
                         series: curves.map { LineChart.Series(name: "\($0.encoding.displayName) training step", x: x, y: $0.points.map(\.trainingStepSeconds)) }
                             + [LineChart.Series(name: "\(reference.displayName) forward only", x: x, y: points.map(\.forwardSeconds)),
                                quadratic(through: points.map(\.trainingStepSeconds))],
                         logX: true, logY: true, xTicks: x)
    }

    /// Activation memory per sequence against length, log-log, with a length² line.
    public func memoryChart(name: String) -> LineChart {
        let x = points.map { Double($0.bases) }
        let mebibytes = { (bytes: Int) in Double(bytes) / 1_048_576 }
        return LineChart(name: name, title: "Activation memory per sequence against length", xLabel: "sequence length (bp)",
                         yLabel: "activation memory (MiB)",
                         series: [LineChart.Series(name: "training step", x: x, y: points.map { mebibytes($0.trainingStepBytes) }),
                                  LineChart.Series(name: "forward only", x: x, y: points.map { mebibytes($0.forwardBytes) }),
                                  quadratic(through: points.map { mebibytes($0.trainingStepBytes) })],
                         logX: true, logY: true, xTicks: x)
    }

    /// A reference line growing as length² (in tokens) through the last point: where a curve runs
    /// parallel to it, the quadratic term dominates.
    func quadratic(through values: [Double]) -> LineChart.Series {
        let tokens = points.map { Double($0.tokens) }
        return LineChart.Series(name: "∝ length² (reference)", x: points.map { Double($0.bases) },
                                y: tokens.map { values.last! * ($0 / tokens.last!) * ($0 / tokens.last!) })
    }

    /// The growth exponent of a step's time and of its memory between the two longest lengths:
    /// log(y₂/y₁) / log(x₂/x₁) in tokens; 1 is linear, 2 quadratic. NaN with fewer than two lengths.
    public var exponents: (time: Double, memory: Double) {
        guard points.count >= 2 else { return (.nan, .nan) }
        let (a, b) = (points[points.count - 2], points[points.count - 1])
        func exponent(_ y: (LengthCostPoint) -> Double) -> Double { log(y(b) / y(a)) / log(Double(b.tokens) / Double(a.tokens)) }
        return (exponent(\.trainingStepSeconds), exponent { Double($0.trainingStepBytes) })
    }
}

/// What names a stored measurement: everything it depends on, the machine included.
struct LengthCostInputs: Codable {
    var configuration: ModelConfiguration
    var lengths: [Int]
    var repeats: Int
    var threads: Int
    var host: String
}

extension Notebook {
    /// The profile's model (`vocabularySize` ordinary tokens beside the special ones, two classes)
    /// measured at each length with each encoding, one thread, best of `repeats`; from the store when
    /// it is there.
    public func lengthCosts(encodings: [PositionEncoding], lengths: [(bases: Int, tokens: Int)], vocabularySize: Int,
                            repeats: Int, reference: PositionEncoding = .rope) -> LengthCosts {
        let curves = encodings.map { encoding -> (encoding: PositionEncoding, points: [LengthCostPoint]) in
            let configuration = ModelConfiguration(
                vocabularySize: vocabularySize + SpecialToken.allCases.count, classCount: 2, maxLength: lengths.map(\.tokens).max() ?? 2,
                width: profile.width, heads: profile.heads, feedForwardWidth: profile.feedForwardWidth, layers: profile.layers,
                positionEncoding: encoding, normPlacement: .post, pooling: .classToken, dropout: profile.dropout, causal: false)
            let inputs = LengthCostInputs(configuration: configuration, lengths: lengths.map(\.bases), repeats: repeats, threads: 1,
                                          host: ProcessInfo.processInfo.hostName)
            return (encoding, cached("measurements", inputs: inputs) { () throws -> [LengthCostPoint] in
                ComputeThreads.set(1)
                return try LengthCost.measure(configuration, lengths: lengths, repeats: repeats)
            })
        }
        return LengthCosts(curves: curves, repeats: repeats, reference: reference)
    }
}
