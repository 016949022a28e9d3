// The DNA alphabet every tokenizer reads.
//
// A C G T are bases. Lower case is upper-cased (soft-masked repeats in genome files are lower case).
// The IUPAC ambiguity codes (N R Y S W K M B D H V) carry no single base: they are kept as `N`, and
// every tokenizer turns a token that contains one into [UNK]. Anything else is an error.

public struct AlphabetError: Error, CustomStringConvertible, Sendable {
    public let character: Character
    /// 0-based offset of the character in the sequence.
    public let offset: Int
    public var description: String {
        "character '\(character)' at position \(offset + 1) is not a base (A C G T) nor an IUPAC ambiguity code"
    }
}

public enum Alphabet {
    public static let bases: [UInt8] = Array("ACGT".utf8)
    public static let ambiguityCodes: Set<UInt8> = Set("NRYSWKMBDHV".utf8)
    public static let unknownBase = UInt8(ascii: "N")

    /// The sequence as upper-case ASCII bytes over A C G T N.
    public static func normalize(_ sequence: some StringProtocol) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(sequence.utf8.count)
        for (offset, byte) in sequence.utf8.enumerated() {
            let upper = (byte >= 97 && byte <= 122) ? byte - 32 : byte
            switch upper {
            case UInt8(ascii: "A"), UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "T"):
                out.append(upper)
            case _ where ambiguityCodes.contains(upper):
                out.append(unknownBase)
            default:
                // Offsets are byte offsets; report the character the reader sees there.
                let index = sequence.utf8.index(sequence.utf8.startIndex, offsetBy: offset)
                let character = sequence[index...].first ?? "?"
                throw AlphabetError(character: character, offset: offset)
            }
        }
        return out
    }
}
