// Fixed-length k-mer tokenization, the paper's baseline coding (k = 1, 3, 4, 5, 6).
//
// Non-overlapping (the paper's method): the sequence is cut into consecutive k-mers,
// `ACGTACG` with k = 3 -> `ACG TAC G`. Overlapping (DNABERT-1, an option here): one k-mer starts at
// every base, `ACGTACG` -> `ACG CGT GTA TAC ACG`, so a sequence of length n gives n - k + 1 tokens.
//
// Vocabulary, in id order:
//   0...4          the special tokens (SpecialToken)
//   5 ..< 5 + 4^k  every k-mer, in lexicographic A < C < G < T order: the id is 5 plus the k-mer
//                  read as a base-4 number (A 0, C 1, G 2, T 3), first base most significant
//   then           the "tail" tokens of length k-1, then k-2, ..., then 1, each block again in
//                  lexicographic order.
//
// Why tails: a sequence whose length is not a multiple of k ends in a remainder shorter than k.
// Dropping it loses bases; padding it with a made-up base invents them. We keep it as one shorter
// token from its own small block of the vocabulary, so no base is lost and decode(encode(s)) == s
// for every clean sequence (GUE's sequence lengths are not all multiples of 3, 4, 5 or 6). A tail
// costs a few unused-looking rows of the embedding, 4^(k-1) + ... + 4 of them, fewer than a third of
// the k-mers. The overlapping mode shares the layout: it emits a tail only for a sequence shorter
// than k (a single token), so both modes have the same ids and the same vocabulary size, which is
// larger than DNABERT-1's 4^k + 5 by those tails.
//
// A k-mer or tail that contains `N` (any IUPAC ambiguity code, see Alphabet) becomes [UNK].
// Ids are computed arithmetically from the bases, with no string hashing.

public struct KmerTokenizer: Tokenizer {
    /// Length of a full token.
    public let k: Int
    /// True for DNABERT-1's stride-1 k-mers, false for the paper's consecutive k-mers.
    public let overlapping: Bool
    public let vocabularySize: Int

    /// First id of the block of tokens of each length: `blockStart[m]` for m in 1...k.
    private let blockStart: [Int]
    /// Text of every id.
    private let texts: [String]

    public init(k: Int, overlapping: Bool = false) {
        precondition((1...6).contains(k), "k-mer length must be in 1...6, got \(k)")
        self.k = k
        self.overlapping = overlapping
        var start = [Int](repeating: 0, count: k + 1)
        var next = SpecialToken.allCases.count
        for length in stride(from: k, through: 1, by: -1) {
            start[length] = next
            next += 1 << (2 * length)
        }
        self.blockStart = start
        self.vocabularySize = next

        var texts = SpecialToken.allCases.map(\.text)
        texts.reserveCapacity(next)
        for length in stride(from: k, through: 1, by: -1) {
            for index in 0..<(1 << (2 * length)) {
                texts.append(KmerTokenizer.spell(index, length: length))
            }
        }
        self.texts = texts
    }

    public var name: String { overlapping ? "kmer:\(k):overlap" : "kmer:\(k)" }

    public func token(for id: Int32) -> String {
        precondition(id >= 0 && Int(id) < vocabularySize, "id \(id) is outside the vocabulary of \(name)")
        return texts[Int(id)]
    }

    /// The id of a token of length 1...k spelled over A C G T, nil for anything else.
    public func id(for token: String) -> Int32? {
        let bytes = Array(token.utf8)
        guard (1...k).contains(bytes.count) else { return nil }
        var index = 0
        for byte in bytes {
            let code = KmerTokenizer.baseCode[Int(byte)]
            guard code >= 0 else { return nil }
            index = index << 2 | Int(code)
        }
        return Int32(blockStart[bytes.count] + index)
    }

    public func encode(_ sequence: String) throws -> [Int32] {
        let bases = try Alphabet.normalize(sequence)
        return overlapping ? encodeOverlapping(bases) : encodeConsecutive(bases)
    }

    private func encodeConsecutive(_ bases: [UInt8]) -> [Int32] {
        let n = bases.count
        var ids = [Int32]()
        ids.reserveCapacity((n + k - 1) / k)
        let unknown = SpecialToken.unknown.rawValue
        var start = 0
        while start < n {
            let length = min(k, n - start)
            var index = 0
            var clean = true
            for offset in start..<(start + length) {
                let code = KmerTokenizer.baseCode[Int(bases[offset])]
                if code < 0 { clean = false; break }
                index = index << 2 | Int(code)
            }
            ids.append(clean ? Int32(blockStart[length] + index) : unknown)
            start += length
        }
        return ids
    }

    private func encodeOverlapping(_ bases: [UInt8]) -> [Int32] {
        let n = bases.count
        // Shorter than one k-mer: the whole sequence is a single tail token.
        if n < k { return n == 0 ? [] : encodeConsecutive(bases) }
        var ids = [Int32]()
        ids.reserveCapacity(n - k + 1)
        let mask = (1 << (2 * k)) - 1
        let first = blockStart[k]
        let unknown = SpecialToken.unknown.rawValue
        // A rolling base-4 index of the last k bases; the k-mer ending at i is unknown while the
        // last ambiguity code lies within it.
        var index = 0
        var lastAmbiguous = -1
        for i in 0..<n {
            let code = KmerTokenizer.baseCode[Int(bases[i])]
            if code < 0 {
                lastAmbiguous = i
                index = (index << 2) & mask
            } else {
                index = (index << 2 | Int(code)) & mask
            }
            if i >= k - 1 {
                ids.append(lastAmbiguous > i - k ? unknown : Int32(first + index))
            }
        }
        return ids
    }

    /// Consecutive tokens are concatenated. Overlapping tokens share k - 1 bases with their
    /// predecessor, so each adds only its last base; after a dropped special token (such as the
    /// [UNK] run around an `N`) the next token adds all its bases, which drops the `N` as
    /// consecutive decoding does.
    public func decode(_ ids: [Int32]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(overlapping ? ids.count + k : ids.count * k)
        var afterGap = true
        for id in ids {
            let text = token(for: id)
            if Int(id) < SpecialToken.allCases.count {
                afterGap = true
                continue
            }
            if !overlapping || afterGap {
                bytes.append(contentsOf: text.utf8)
            } else {
                bytes.append(text.utf8.last!)
            }
            afterGap = false
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Bases as digits

    /// A 0, C 1, G 2, T 3, anything else -1; indexed by byte.
    private static let baseCode: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (code, base) in Alphabet.bases.enumerated() { table[Int(base)] = Int8(code) }
        return table
    }()

    /// The token of `length` bases whose base-4 number is `index`.
    private static func spell(_ index: Int, length: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: length)
        var rest = index
        for position in stride(from: length - 1, through: 0, by: -1) {
            bytes[position] = Alphabet.bases[rest & 3]
            rest >>= 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
