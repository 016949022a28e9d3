// Per-example predictions as a run record keeps them: what the bootstrap of test examples
// (Metrics/Inference.swift) resamples.

/// One character per example, the class index in base 36 ("0"–"9", "a"–"z"): 1 byte per example
/// instead of the 2–3 of a JSON array.
public enum Predictions {
    /// nil when a class index falls outside 0..<36 (no GUE task has that many classes).
    public static func encode(_ classes: [Int]) -> String? {
        guard classes.allSatisfy({ (0..<36).contains($0) }) else { return nil }
        return String(classes.map { Character(String($0, radix: 36)) })
    }

    /// nil for a character that is not a base-36 digit.
    public static func decode(_ text: String) -> [Int]? {
        var classes: [Int] = []
        classes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): classes.append(Int(byte - UInt8(ascii: "0")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): classes.append(Int(byte - UInt8(ascii: "a")) + 10)
            default: return nil
            }
        }
        return classes
    }
}
