// Byte-pair encoding with a learned vocabulary (the paper's 4,096-token BPE, DNABERT-2's coding).
//
// A vocabulary is a list of token texts (the id is the position) and a ranked list of merges, each
// "left + right -> the token spelled left followed by right". Encoding reproduces exactly the ids of
// Hugging Face `tokenizers`' BPE model with no dropout, no subword prefix or suffix, fuse_unk false
// and a Whitespace pre-tokenizer, under which a DNA sequence is a single word:
//
//   1. Every base becomes the token of that single character; a character the vocabulary lacks
//      (`N`) becomes its own [UNK], which no merge joins.
//   2. Every adjacent pair with a merge is queued under the key (merge rank, position of its left
//      symbol), where a merged symbol keeps the position of its left part.
//   3. The smallest key is taken: if its pair is still adjacent and unchanged, the two symbols are
//      merged and the pairs the new symbol forms with its neighbours are queued; otherwise the entry
//      is stale and dropped. Repeat until the queue is empty.
//
// Step 3 is HF's `Word::merge_all`: it checks that the pair now at the position still merges into the
// same token, which is the same as "unchanged" because any change to the pair lengthens the text it
// spans. So the lowest-ranked merge always goes first and, among equal ranks, the leftmost: `AAA` with
// the merge A+A gives `AA A`, never `A AA`.
//
// The merges live in a PairTable, so encoding allocates a few arrays per sequence and never hashes a
// string. The queue is a list of positions per rank (RankBuckets) when the vocabulary's ranks increase
// (every merge ranks above the merges that make its parts, as in any vocabulary BPE learned), since
// then ranks leave the queue in increasing order; otherwise a binary heap of packed
// (rank << 32 | position) keys (MergeHeap), which is right for any vocabulary and half as fast. The plain
// version, one lowest-rank leftmost merge at a time, is ReferenceBPE in the tests, which hold this
// one against it and against HF's own ids.

public struct BPEMerge: Hashable, Codable, Sendable, CustomStringConvertible {
    public let left: String
    public let right: String

    public init(_ left: String, _ right: String) {
        self.left = left
        self.right = right
    }

    /// The token the merge produces.
    public var merged: String { left + right }
    public var description: String { "\(left) \(right)" }
}

/// A vocabulary that cannot be used: the message says what is wrong.
public struct VocabularyError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct BPETokenizer: Tokenizer {
    public let name: String
    /// Text of every id; the first five are the special tokens.
    public let tokens: [String]
    /// Merges in rank order, rank 0 first.
    public let merges: [BPEMerge]

    private let idOfToken: [String: Int32]
    /// (left id, right id) -> rank << 32 | merged id.
    private let mergeTable: PairTable
    /// The merged id of each rank, to recognise stale queue entries.
    private let mergedIdOfRank: [Int32]
    /// The id of each single-byte token, -1 where the vocabulary has none; indexed by byte.
    private let idOfByte: [Int32]
    /// Every merge's rank is above the ranks of the merges that make its two parts (true of any
    /// vocabulary BPE learned, ours or HF's): then a merge only ever queues pairs of higher rank, the
    /// ranks come off the queue in increasing order, and `encode` can use RankBuckets instead of the heap.
    let ranksIncrease: Bool

    /// A tokenizer from a vocabulary (`tokens[id]` is the text of `id`) and merges in rank order.
    ///
    /// The first five tokens must be the special tokens in SpecialToken's order. Every merge must
    /// join two tokens of the vocabulary into a third one. A pair listed twice keeps its last rank,
    /// as in HF's merge map, so `merges` holds only the last occurrence. `name` defaults to
    /// `bpe:SIZE`.
    public init(tokens: [String], merges: [BPEMerge], name: String? = nil) throws {
        for special in SpecialToken.allCases {
            let id = Int(special.rawValue)
            guard id < tokens.count, tokens[id] == special.text else {
                let found = id < tokens.count ? "'\(tokens[id])'" : "nothing"
                throw VocabularyError("id \(id) must be the special token \(special.text), found \(found)")
            }
        }
        var idOfToken = [String: Int32](minimumCapacity: tokens.count)
        for (id, text) in tokens.enumerated() {
            guard !text.isEmpty else { throw VocabularyError("token \(id) is empty") }
            if let other = idOfToken[text] {
                throw VocabularyError("token '\(text)' has two ids, \(other) and \(id)")
            }
            idOfToken[text] = Int32(id)
        }

        // Resolve the merges to ids; a repeated pair takes its later rank.
        var resolved = [(left: Int32, right: Int32, merged: Int32)]()
        resolved.reserveCapacity(merges.count)
        var lastRank = [UInt64: Int](minimumCapacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = idOfToken[merge.left] else {
                throw VocabularyError("merge \(rank + 1) '\(merge)': '\(merge.left)' is not in the vocabulary")
            }
            guard let right = idOfToken[merge.right] else {
                throw VocabularyError("merge \(rank + 1) '\(merge)': '\(merge.right)' is not in the vocabulary")
            }
            guard let merged = idOfToken[merge.merged] else {
                throw VocabularyError("merge \(rank + 1) '\(merge)': '\(merge.merged)' is not in the vocabulary")
            }
            resolved.append((left, right, merged))
            lastRank[PairTable.key(left, right)] = rank
        }
        var kept = [BPEMerge]()
        var table = PairTable(minimumCapacity: lastRank.count)
        var mergedIdOfRank = [Int32]()
        for (rank, merge) in resolved.enumerated() where lastRank[PairTable.key(merge.left, merge.right)] == rank {
            let newRank = kept.count
            kept.append(merges[rank])
            mergedIdOfRank.append(merge.merged)
            let slot = table.insert(PairTable.key(merge.left, merge.right)).slot
            table.values[slot] = Int64(newRank) << 32 | Int64(merge.merged)
        }

        var idOfByte = [Int32](repeating: -1, count: 256)
        for (text, id) in idOfToken where text.utf8.count == 1 {
            idOfByte[Int(text.utf8.first!)] = id
        }

        self.name = name ?? "bpe:\(tokens.count)"
        self.tokens = tokens
        self.merges = kept
        self.idOfToken = idOfToken
        self.mergeTable = table
        self.mergedIdOfRank = mergedIdOfRank
        self.idOfByte = idOfByte
        // The highest rank that makes each token (-1: no merge makes it).
        var madeAt = [Int](repeating: -1, count: tokens.count)
        for (rank, merged) in mergedIdOfRank.enumerated() { madeAt[Int(merged)] = max(madeAt[Int(merged)], rank) }
        var increasing = true
        for (rank, merge) in resolved.enumerated() where lastRank[PairTable.key(merge.left, merge.right)] == rank {
            let newRank = Int(table.value(for: PairTable.key(merge.left, merge.right))! >> 32)
            if madeAt[Int(merge.left)] >= newRank || madeAt[Int(merge.right)] >= newRank { increasing = false; break }
        }
        self.ranksIncrease = increasing
    }

    public var vocabularySize: Int { tokens.count }

    public func token(for id: Int32) -> String {
        precondition(id >= 0 && Int(id) < tokens.count, "id \(id) is outside the vocabulary of \(name)")
        return tokens[Int(id)]
    }

    public func id(for token: String) -> Int32? { idOfToken[token] }

    public func encode(_ sequence: String) throws -> [Int32] {
        encode(bases: try Alphabet.normalize(sequence))
    }

    /// Ids of a normalized sequence (upper-case bytes, see Alphabet.normalize).
    func encode(bases: [UInt8]) -> [Int32] {
        ranksIncrease ? encode(bases: bases, queue: RankBuckets.self) : encode(bases: bases, queue: MergeHeap.self)
    }

    /// The same ids with the queue chosen by the caller (the tests hold the two queues together).
    func encode<Queue: MergeQueue>(bases: [UInt8], queue _: Queue.Type) -> [Int32] {
        let n = bases.count
        if n == 0 { return [] }
        precondition(n < Int(Int32.max), "a sequence of \(n) bases is too long to encode")

        // The symbols form a doubly linked list over the positions 0..<n; a merged symbol lives at
        // the position of its left part and its right part is marked dead.
        let symbol = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let next = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let previous = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let dead = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        defer {
            symbol.deallocate()
            next.deallocate()
            previous.deallocate()
            dead.deallocate()
        }
        let unknown = SpecialToken.unknown.rawValue
        for i in 0..<n {
            let id = idOfByte[Int(bases[i])]
            symbol[i] = id >= 0 ? id : unknown
            next[i] = Int32(i + 1)
            previous[i] = Int32(i - 1)
            dead[i] = false
        }
        next[n - 1] = -1

        var queue = Queue(length: n, ranks: mergedIdOfRank.count)
        defer { queue.release() }
        for i in 0..<(n - 1) {
            if let value = mergeTable.value(for: PairTable.key(symbol[i], symbol[i + 1])) {
                queue.append(rank: Int(value >> 32), position: i)
            }
        }
        queue.heapify()

        while let (rank, position) = queue.popMinimum() {
            if dead[position] { continue }
            let right = Int(next[position])
            if right < 0 { continue }
            guard let value = mergeTable.value(for: PairTable.key(symbol[position], symbol[right])),
                  Int32(truncatingIfNeeded: value) == mergedIdOfRank[rank]
            else { continue }

            symbol[position] = Int32(truncatingIfNeeded: value)
            dead[right] = true
            let after = next[right]
            next[position] = after
            if after >= 0 { previous[Int(after)] = Int32(position) }

            let before = Int(previous[position])
            if before >= 0, let value = mergeTable.value(for: PairTable.key(symbol[before], symbol[position])) {
                queue.push(rank: Int(value >> 32), position: before)
            }
            if after >= 0, let value = mergeTable.value(for: PairTable.key(symbol[position], symbol[Int(after)])) {
                queue.push(rank: Int(value >> 32), position: position)
            }
        }

        var ids = [Int32]()
        var position = 0
        while position >= 0 {
            ids.append(symbol[position])
            position = Int(next[position])
        }
        return ids
    }

    public func decode(_ ids: [Int32]) -> String {
        var text = ""
        for id in ids where Int(id) >= SpecialToken.allCases.count {
            text += token(for: id)
        }
        return text
    }
}

/// The queue of encode's step 3: entries (rank, position), taken lowest rank first and, among equal
/// ranks, leftmost first.
protocol MergeQueue {
    init(length: Int, ranks: Int)
    /// Adds an entry of the first scan (positions in increasing order); `heapify()` follows them.
    mutating func append(rank: Int, position: Int)
    mutating func heapify()
    mutating func push(rank: Int, position: Int)
    mutating func popMinimum() -> (rank: Int, position: Int)?
    /// Frees what init allocated.
    func release()
}

/// A binary min-heap of (rank, position) packed into one UInt64, rank in the high half, so that
/// integer order is HF's order: lowest rank first, then leftmost position.
struct MergeHeap: MergeQueue {
    private var keys: [UInt64]

    init(length: Int, ranks _: Int) {
        keys = []
        keys.reserveCapacity(length)
    }

    func release() {}

    /// Adds without keeping heap order; call `heapify()` before popping.
    mutating func append(rank: Int, position: Int) {
        keys.append(UInt64(rank) << 32 | UInt64(position))
    }

    mutating func heapify() {
        guard keys.count > 1 else { return }
        for root in stride(from: keys.count / 2 - 1, through: 0, by: -1) { siftDown(root) }
    }

    mutating func push(rank: Int, position: Int) {
        keys.append(UInt64(rank) << 32 | UInt64(position))
        var child = keys.count - 1
        let key = keys[child]
        while child > 0 {
            let parent = (child - 1) / 2
            if keys[parent] <= key { break }
            keys[child] = keys[parent]
            child = parent
        }
        keys[child] = key
    }

    mutating func popMinimum() -> (rank: Int, position: Int)? {
        guard let last = keys.popLast() else { return nil }
        var top = last
        if !keys.isEmpty {
            top = keys[0]
            keys[0] = last
            siftDown(0)
        }
        return (Int(top >> 32), Int(top & 0xFFFF_FFFF))
    }

    private mutating func siftDown(_ start: Int) {
        let count = keys.count
        let key = keys[start]
        var parent = start
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && keys[child + 1] < keys[child] { child += 1 }
            if key <= keys[child] { break }
            keys[parent] = keys[child]
            parent = child
        }
        keys[parent] = key
    }
}

/// The queue as one list of positions per rank, for vocabularies whose ranks increase (`ranksIncrease`):
/// there every entry pushed while rank r is taken has a rank above r, so the ranks can be taken in
/// increasing order, each rank's list whole, sorted by position when the pushes left it out of order.
/// A bit per rank says which lists are non-empty, and the scan for the next one only moves forward.
/// The heap costs a sift of log(entries) levels per entry; this costs a few array writes.
struct RankBuckets: MergeQueue {
    private let occupied: UnsafeMutablePointer<UInt64>     // bit r: rank r has entries
    private let words: Int
    private let head: UnsafeMutablePointer<Int32>, tail: UnsafeMutablePointer<Int32>   // per rank, valid when occupied
    private let position: UnsafeMutablePointer<Int32>, link: UnsafeMutablePointer<Int32>   // the entries, linked per rank
    private var entries = 0
    private let capacity: Int
    private let taken: UnsafeMutablePointer<Int32>           // the current rank's positions, in order
    private var takenCount = 0, takenNext = 0
    private var rank = -1                                     // the rank being taken
    private var word = 0                                      // where the scan for the next rank stands

    init(length: Int, ranks: Int) {
        words = ranks / 64 + 1
        occupied = .allocate(capacity: words)
        occupied.initialize(repeating: 0, count: words)
        head = .allocate(capacity: max(ranks, 1))
        tail = .allocate(capacity: max(ranks, 1))
        // At most length - 1 entries from the first scan and two per merge, of which there are at most length - 1.
        capacity = 3 * length
        position = .allocate(capacity: capacity)
        link = .allocate(capacity: capacity)
        taken = .allocate(capacity: capacity)
    }

    func release() {
        occupied.deallocate(); head.deallocate(); tail.deallocate()
        position.deallocate(); link.deallocate(); taken.deallocate()
    }

    mutating func append(rank r: Int, position p: Int) { push(rank: r, position: p) }
    mutating func heapify() {}

    mutating func push(rank r: Int, position p: Int) {
        precondition(r > rank && entries < capacity, "RankBuckets: rank \(r) pushed while taking rank \(rank)")
        let e = Int32(entries)
        entries += 1
        position[Int(e)] = Int32(p)
        link[Int(e)] = -1
        let bit: UInt64 = 1 << UInt64(r & 63)
        if occupied[r >> 6] & bit == 0 {
            occupied[r >> 6] |= bit
            head[r] = e
        } else {
            link[Int(tail[r])] = e
        }
        tail[r] = e
    }

    mutating func popMinimum() -> (rank: Int, position: Int)? {
        if takenNext == takenCount {
            // The next occupied rank, at or after the word the scan stands at (ranks below `rank` are done).
            while word < words && occupied[word] == 0 { word += 1 }
            if word == words { return nil }
            let bits = occupied[word]
            let bit = bits.trailingZeroBitCount
            occupied[word] = bits & (bits - 1)
            rank = word << 6 | bit
            // Its list, in position order.
            takenCount = 0
            takenNext = 0
            var sorted = true
            var e = head[rank]
            while e >= 0 {
                let p = position[Int(e)]
                if takenCount > 0 && p < taken[takenCount - 1] { sorted = false }
                taken[takenCount] = p
                takenCount += 1
                e = link[Int(e)]
            }
            if !sorted {
                var list = UnsafeMutableBufferPointer(start: taken, count: takenCount)
                list.sort()
            }
        }
        let p = Int(taken[takenNext])
        takenNext += 1
        return (rank, p)
    }
}
