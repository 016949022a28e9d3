// Summaries of repeated runs (one score per seed): mean, sample standard deviation, range, and the
// "0.512 ± 0.013" form in which tables print them.
//
// The deviation is the sample one (divide by n − 1), the estimate of the spread between seeds; one
// run has no spread to estimate and is given 0, so that a single-seed table still prints.
import Foundation

public enum Statistics {
    public static func mean(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "the mean of no values")
        return values.reduce(0, +) / Double(values.count)
    }

    /// The mean, or NaN for no values: a cell whose runs all failed shows as NaN and drops out of
    /// comparisons instead of stopping the program.
    public static func meanOrNaN(_ values: [Double]) -> Double { values.isEmpty ? .nan : mean(values) }

    /// Sample standard deviation (n − 1 in the denominator); 0 for a single value.
    public static func standardDeviation(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "the standard deviation of no values")
        guard values.count > 1 else { return 0 }
        let m = mean(values)
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (squares / Double(values.count - 1)).squareRoot()
    }

    public static func minimum(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "the minimum of no values")
        return values.min()!
    }

    public static func maximum(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "the maximum of no values")
        return values.max()!
    }
}

public struct MeanAndDeviation: Codable, Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation; 0 when `count` is 1.
    public var standardDeviation: Double
    public var minimum: Double
    public var maximum: Double

    /// Summary of at least one value.
    public init(_ values: [Double]) {
        count = values.count
        mean = Statistics.mean(values)
        standardDeviation = Statistics.standardDeviation(values)
        minimum = Statistics.minimum(values)
        maximum = Statistics.maximum(values)
    }

    /// "0.512 ± 0.013".
    public func formatted(decimals: Int = 3) -> String {
        "\(Self.fixed(mean, decimals: decimals)) ± \(Self.fixed(standardDeviation, decimals: decimals))"
    }

    public var description: String { formatted() }

    /// `value` with `decimals` digits after the point; a value that rounds to zero prints without a
    /// minus sign, so that "-0.000" never appears in a table.
    static func fixed(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-") && !text.contains(where: { ("1"..."9").contains($0) }) && value.isFinite {
            return String(text.dropFirst())
        }
        return text
    }
}
