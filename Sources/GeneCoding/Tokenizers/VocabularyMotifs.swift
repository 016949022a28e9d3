// What a BPE vocabulary learns: its most used tokens held against known DNA motifs (chapter 4).
//
// A token matches a motif when, on either strand, it lies inside some sequence the motif's IUPAC
// consensus allows, or holds a whole such sequence. Only tokens of at least `minimumBases` bases are
// judged: a 3-base token fits somewhere inside nearly any consensus by chance.
//
// The consensus sequences and their sources:
//   TATA box      TATAWAWR     Bucher 1990, J. Mol. Biol. 212:563 (weight matrices of 502 Pol II promoters)
//   CAAT box      GGCCAATCT    Bucher 1990, the same study's CCAAT-box consensus
//   GC box        GGGCGG       the Sp1 site (Dynan & Tjian 1985, Nature 316:774)
//   splice donor  MAGGTRAGT    Mount 1982, Nucleic Acids Res. 10:459 (exon MAG | intron GTRAGT)
//   splice acceptor YYNCAGG    Mount 1982 (the 3' end of (Y)n N CAG | G: with the whole
//                 pyrimidine tract, any run of C and T would count as an acceptor)
//   simple repeat a 1–3 base unit repeated to the token's length (AAAAAA, CACACA, GAAGAA): the
//                 short tandem repeats RepeatMasker files as Simple_repeat
//
// Known motifs are only meaningful against a baseline: frequent tokens of any corpus are short,
// composition-driven strings, and AT-rich promoters make A/T runs frequent whatever the biology.
// So each vocabulary is compared with vocabularies learned the same way from the same sequences
// shuffled base by base within each sequence (same length, same composition, no order), which is
// what a token "matching a motif" by composition alone looks like.
import Foundation

public struct KnownMotif: Sendable, Hashable {
    public var name: String
    /// IUPAC consensus, 5' to 3'; nil for the simple-repeat rule.
    public var consensus: String?
    public var source: String

    public static let catalogue: [KnownMotif] = [
        KnownMotif(name: "TATA box", consensus: "TATAWAWR", source: "Bucher 1990, J. Mol. Biol. 212:563"),
        KnownMotif(name: "CAAT box", consensus: "GGCCAATCT", source: "Bucher 1990, J. Mol. Biol. 212:563"),
        KnownMotif(name: "GC box", consensus: "GGGCGG", source: "Sp1 site; Dynan & Tjian 1985, Nature 316:774"),
        KnownMotif(name: "splice donor", consensus: "MAGGTRAGT", source: "Mount 1982, Nucleic Acids Res. 10:459"),
        KnownMotif(name: "splice acceptor", consensus: "YYNCAGG", source: "Mount 1982, Nucleic Acids Res. 10:459 (3' end of (Y)n N CAG | G)"),
        KnownMotif(name: "simple repeat", consensus: nil, source: "1–3 bp unit in tandem (RepeatMasker's Simple_repeat class)"),
    ]
}

public enum VocabularyMotifs {
    /// Tokens shorter than this are not judged.
    public static let minimumBases = 6

    /// The bases an IUPAC code allows.
    static func allowed(_ code: UInt8) -> Set<UInt8> {
        switch code {
        case UInt8(ascii: "A"), UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "T"): return [code]
        case UInt8(ascii: "R"): return Set("AG".utf8)
        case UInt8(ascii: "Y"): return Set("CT".utf8)
        case UInt8(ascii: "W"): return Set("AT".utf8)
        case UInt8(ascii: "S"): return Set("CG".utf8)
        case UInt8(ascii: "M"): return Set("AC".utf8)
        case UInt8(ascii: "K"): return Set("GT".utf8)
        case UInt8(ascii: "N"): return Set("ACGT".utf8)
        default: preconditionFailure("IUPAC code \(Character(Unicode.Scalar(code))) is not used in the catalogue")
        }
    }

    public static func reverseComplement(_ s: String) -> String {
        String(decoding: s.utf8.reversed().map { b -> UInt8 in
            switch b {
            case UInt8(ascii: "A"): return UInt8(ascii: "T")
            case UInt8(ascii: "T"): return UInt8(ascii: "A")
            case UInt8(ascii: "C"): return UInt8(ascii: "G")
            case UInt8(ascii: "G"): return UInt8(ascii: "C")
            default: return b
            }
        }, as: UTF8.self)
    }

    /// Whether `token` (one strand) lies inside the consensus or holds a whole instance of it.
    static func fits(_ token: [UInt8], _ consensus: [UInt8]) -> Bool {
        let (short, long, shortIsToken) = token.count <= consensus.count ? (token, consensus, true) : (consensus, token, false)
        for offset in 0...(long.count - short.count) {
            var ok = true
            for i in 0..<short.count {
                let (base, code) = shortIsToken ? (short[i], long[offset + i]) : (long[offset + i], short[i])
                if !allowed(code).contains(base) { ok = false; break }
            }
            if ok { return true }
        }
        return false
    }

    /// A token made of one 1-3 base unit repeated (the last copy may be cut short), at least twice.
    public static func isSimpleRepeat(_ token: String) -> Bool {
        let b = Array(token.utf8)
        for unit in 1...3 where b.count >= 2 * unit {
            if (unit..<b.count).allSatisfy({ b[$0] == b[$0 - unit] }) { return true }
        }
        return false
    }

    /// The names of the catalogue's motifs that `token` matches on either strand (empty when it is
    /// shorter than `minimumBases` or matches none).
    public static func matches(_ token: String) -> [String] {
        guard token.utf8.count >= minimumBases, token.utf8.allSatisfy({ "ACGT".utf8.contains($0) }) else { return [] }
        let strands = [Array(token.utf8), Array(reverseComplement(token).utf8)]
        return KnownMotif.catalogue.compactMap { motif in
            if let consensus = motif.consensus {
                let c = Array(consensus.utf8)
                return strands.contains { fits($0, c) } ? motif.name : nil
            }
            return isSimpleRepeat(token) ? motif.name : nil
        }
    }

    /// Each sequence's bases in a random order (Fisher–Yates, seeded): composition kept, order gone.
    public static func shuffled(_ sequences: [String], seed: UInt64) -> [String] {
        var random = RandomSource(seed: seed)
        return sequences.map { s in
            var b = Array(s.utf8)
            b.shuffle(using: &random)
            return String(decoding: b, as: UTF8.self)
        }
    }

    /// One vocabulary's most used long tokens on a corpus and what they match.
    public struct Profile: Codable, Sendable {
        /// The `top` most used tokens of at least `minimumBases` bases, most used first.
        public var tokens: [String]
        /// Per token, the motif names it matches.
        public var matches: [[String]]
        /// How many of `tokens` match each motif (by name), and any motif at all ("any").
        public var counts: [String: Int]
        /// Share of all token uses on the corpus made by tokens of at least `minimumBases` bases.
        public var longTokenShare: Double
    }

    /// Counts token uses of `tokenizer` on `sequences` and profiles its `top` most used long tokens.
    public static func profile(_ tokenizer: any Tokenizer, sequences: [String], top: Int) throws -> Profile {
        var uses = [Int: Int]()
        var total = 0
        for s in sequences {
            for id in try tokenizer.encode(s) { uses[Int(id), default: 0] += 1; total += 1 }
        }
        let long = uses.filter { tokenizer.token(for: Int32($0.key)).utf8.count >= minimumBases }
        // Most used first; ties by id so the list is the same on every run.
        let ranked = long.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(top)
        let tokens = ranked.map { tokenizer.token(for: Int32($0.key)) }
        let matched = tokens.map(matches)
        var counts = [String: Int]()
        for motif in KnownMotif.catalogue { counts[motif.name] = matched.filter { $0.contains(motif.name) }.count }
        counts["any"] = matched.filter { !$0.isEmpty }.count
        return Profile(tokens: tokens, matches: matched, counts: counts,
                       longTokenShare: Double(long.values.reduce(0, +)) / Double(max(total, 1)))
    }
}
