// Learning a BPE vocabulary from training sequences, merge for merge as Hugging Face `tokenizers`'
// BpeTrainer learns it (special tokens [UNK] [CLS] [SEP] [PAD] [MASK], initial alphabet A C G T,
// Whitespace pre-tokenizer, no subword prefix or suffix).
//
// Words. Each sequence is one word, except that `N` (any ambiguity code) is not in the alphabet and
// splits it: `ACGNNTT` gives the words `ACG` and `TT`. (HF would silently drop an unknown character
// and join its neighbours into a pair that never occurs; splitting is what HF does when the `N`s are
// given to it as spaces, which is how the parity scripts feed it.) Identical words are counted once
// with their multiplicity, as HF does.
//
// Vocabulary. Ids 0-4 are the special tokens, 5-8 are A C G T, and each merge appends the token it
// makes. Training stops when the vocabulary reaches the target size or no pair occurs any more.
//
// Counting and merging follow HF's BpeTrainer exactly, quirks included:
//   - The count of a pair starts as its number of adjacent occurrences over all words (weighted by
//     word multiplicity); overlapping occurrences count, so `AAA` holds two A+A.
//   - A merge rewrites each word left to right, so `AAA` becomes `AA A` and `AAAA` `AA AA`. For each
//     occurrence merged, the pairs it breaks with its neighbours lose one and the pairs the new token
//     forms gain one; the merged pair's own count is left as it was (it is never chosen again).
//   - The candidates sit in a max-heap ordered by count, then by the smaller (left id, right id); an
//     entry whose count went stale is put back with the current count before it can win. Ties are
//     therefore broken by ids, which is deterministic: same sequences, same vocabulary.
//   - Each heap entry carries the words where its pair was created, and a merge rewrites only those
//     words. A pair is normally created at one step only (every new pair contains the newest token),
//     so this is every word that holds it. The exception would be a merge whose text is already a
//     token, made earlier from another pair: its new pairs could get a second entry, HF would apply
//     their merges once per entry and list them more than once, and when two such entries had equal
//     counts HF would pop them in an order set by its hash maps, which we cannot copy. We keep HF's
//     entries as they are, so only that tie could set us apart from HF; we have not seen the case
//     on DNA (not on GUE, not in a thousand small random corpora checked against HF).
//
// Speed: words are runs of one flat array of ids, rewritten in place; pair counts live in a
// PairTable and are updated merge by merge, never recounted; the words of each heap entry are a
// range of one shared pool of word indices. The plain version, which recounts every pair at every
// step, is ReferenceBPE in the tests.

public struct BPETrainer: Sendable {
    /// Target number of ids, special tokens and the four bases included.
    public let vocabularySize: Int
    /// Pairs seen fewer times than this are never merged (HF's `min_frequency`; 0 and 1 are the same).
    public let minimumFrequency: Int

    public init(vocabularySize: Int, minimumFrequency: Int = 0) {
        precondition(vocabularySize >= SpecialToken.allCases.count + Alphabet.bases.count,
                     "a BPE vocabulary holds at least the 5 special tokens and the 4 bases, asked for \(vocabularySize)")
        self.vocabularySize = vocabularySize
        self.minimumFrequency = minimumFrequency
    }

    /// Learns a vocabulary from `sequences`. Throws AlphabetError for a character that is neither a
    /// base nor an ambiguity code. `name` defaults to `bpe:SIZE`.
    public func train(_ sequences: [String], name: String? = nil) throws -> BPETokenizer {
        var corpus = WordCorpus()
        for sequence in sequences { corpus.add(try Alphabet.normalize(sequence)) }
        let (tokens, merges) = corpus.learnMerges(vocabularySize: vocabularySize, minimumFrequency: Int64(minimumFrequency))
        return try BPETokenizer(tokens: tokens, merges: merges, name: name)
    }
}

/// A pair that may be merged next: its count when it was queued, and the words to rewrite.
private struct Candidate {
    var count: Int64
    let pair: UInt64
    /// The words are `pool[wordsStart ..< wordsStart + wordsCount]`.
    let wordsStart: Int32
    let wordsCount: Int32

    /// HF's order: the larger count first, then the smaller pair.
    @inline(__always)
    func precedes(_ other: Candidate) -> Bool {
        count != other.count ? count > other.count : pair < other.pair
    }
}

private struct CandidateHeap {
    private var items: [Candidate] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ item: Candidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !item.precedes(items[parent]) { break }
            items[child] = items[parent]
            child = parent
        }
        items[child] = item
    }

    mutating func popFirst() -> Candidate? {
        guard let last = items.popLast() else { return nil }
        if items.isEmpty { return last }
        let first = items[0]
        let count = items.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && items[child + 1].precedes(items[child]) { child += 1 }
            if !items[child].precedes(last) { break }
            items[parent] = items[child]
            parent = child
        }
        items[parent] = last
        return first
    }
}

/// The training words as runs of token ids in one flat array, with their multiplicities.
private struct WordCorpus {
    static let baseIds: [Int32] = {
        var table = [Int32](repeating: -1, count: 256)
        for (offset, base) in Alphabet.bases.enumerated() {
            table[Int(base)] = Int32(SpecialToken.allCases.count + offset)
        }
        return table
    }()

    var symbols: [Int32] = []
    var wordStart: [Int] = []
    var wordLength: [Int] = []
    var wordCount: [Int64] = []
    private var wordOfText: [ArraySlice<UInt8>: Int] = [:]

    /// Adds the words of a normalized sequence: its runs of bases between ambiguity codes.
    mutating func add(_ bases: [UInt8]) {
        var start = 0
        while start < bases.count {
            var end = start
            while end < bases.count && WordCorpus.baseIds[Int(bases[end])] >= 0 { end += 1 }
            if end > start { addWord(bases[start..<end]) }
            start = end + 1
        }
    }

    private mutating func addWord(_ text: ArraySlice<UInt8>) {
        if let word = wordOfText[text] {
            wordCount[word] += 1
            return
        }
        wordOfText[text] = wordStart.count
        wordStart.append(symbols.count)
        wordLength.append(text.count)
        wordCount.append(1)
        for byte in text { symbols.append(WordCorpus.baseIds[Int(byte)]) }
    }

    /// HF's BpeTrainer loop (see the file header). Returns the vocabulary and the merges in order.
    mutating func learnMerges(vocabularySize: Int, minimumFrequency: Int64) -> (tokens: [String], merges: [BPEMerge]) {
        wordOfText = [:]
        var tokens = SpecialToken.allCases.map(\.text) + Alphabet.bases.map { String(UnicodeScalar($0)) }
        var idOfToken = [String: Int32]()
        for (id, text) in tokens.enumerated() { idOfToken[text] = Int32(id) }
        var merges = [BPEMerge]()

        var counts = PairTable(minimumCapacity: 1 << 12)
        var heap = CandidateHeap()
        var queue = CandidateQueueBuilder()

        // Initial counts: every adjacent pair of every word.
        for word in wordStart.indices {
            let start = wordStart[word]
            let weight = wordCount[word]
            for i in start..<(start + wordLength[word] - 1) {
                let pair = PairTable.key(symbols[i], symbols[i + 1])
                counts.add(weight, to: pair)
                queue.record(pair: pair, word: Int32(word))
            }
        }
        queue.flush(into: &heap, counts: counts)

        while tokens.count < vocabularySize {
            guard var top = heap.popFirst() else { break }
            let current = counts.value(for: top.pair)!
            if top.count != current {
                top.count = current
                heap.push(top)
                continue
            }
            if top.count < 1 || minimumFrequency > top.count { break }

            let left = PairTable.left(of: top.pair)
            let right = PairTable.right(of: top.pair)
            let text = tokens[Int(left)] + tokens[Int(right)]
            let merged: Int32
            if let existing = idOfToken[text] {
                merged = existing
            } else {
                merged = Int32(tokens.count)
                tokens.append(text)
                idOfToken[text] = merged
            }
            merges.append(BPEMerge(tokens[Int(left)], tokens[Int(right)]))

            for k in Int(top.wordsStart)..<Int(top.wordsStart + top.wordsCount) {
                let word = Int(queue.pool[k])
                merge(left, right, into: merged, inWord: word, counts: &counts, queue: &queue)
            }
            queue.flush(into: &heap, counts: counts)
        }
        return (tokens, merges)
    }

    /// Rewrites one word left to right, replacing each `left right` by `merged`, and reports every
    /// pair it breaks or makes to `counts` (and the pairs it makes to `queue`).
    private mutating func merge(_ left: Int32, _ right: Int32, into merged: Int32, inWord word: Int,
                                counts: inout PairTable, queue: inout CandidateQueueBuilder) {
        let start = wordStart[word]
        let length = wordLength[word]
        let weight = wordCount[word]
        let newLength: Int = symbols.withUnsafeMutableBufferPointer { buffer in
            let s = buffer.baseAddress! + start
            // Find the first occurrence; the word is untouched before it.
            var i = 0
            while i + 1 < length && !(s[i] == left && s[i + 1] == right) { i += 1 }
            if i + 1 >= length { return length }
            var j = i
            while i < length {
                if s[i] == left && i + 1 < length && s[i + 1] == right {
                    if j > 0 {
                        let before = s[j - 1]
                        counts.add(-weight, to: PairTable.key(before, left))
                        let made = PairTable.key(before, merged)
                        counts.add(weight, to: made)
                        queue.record(pair: made, word: Int32(word))
                    }
                    s[j] = merged
                    if i + 2 < length {
                        let after = s[i + 2]
                        counts.add(-weight, to: PairTable.key(right, after))
                        let made = PairTable.key(merged, after)
                        counts.add(weight, to: made)
                        queue.record(pair: made, word: Int32(word))
                    }
                    j += 1
                    i += 2
                } else {
                    s[j] = s[i]
                    j += 1
                    i += 1
                }
            }
            return j
        }
        wordLength[word] = newLength
    }
}

/// Collects, during one step, the words where each pair was made, and turns them into heap entries
/// (HF's `where_to_update`). A word is listed once per pair even if it makes the pair twice.
private struct CandidateQueueBuilder {
    /// The words of every entry ever queued, each entry's words contiguous.
    var pool: [Int32] = []

    // This step's pairs ("groups") and the (group, word) records made so far. A word's records
    // are contiguous, so "same word as the last one listed for this group" catches every repeat.
    private var groupOfPair = PairTable()
    private var groupPair: [UInt64] = []
    private var groupSize: [Int32] = []
    private var groupLastWord: [Int32] = []
    private var records: [(group: Int32, word: Int32)] = []

    @inline(__always)
    mutating func record(pair: UInt64, word: Int32) {
        let (slot, inserted) = groupOfPair.insert(pair)
        if inserted {
            groupOfPair.values[slot] = Int64(groupPair.count)
            groupPair.append(pair)
            groupSize.append(0)
            groupLastWord.append(-1)
        }
        let group = Int(groupOfPair.values[slot])
        if groupLastWord[group] == word { return }
        groupLastWord[group] = word
        groupSize[group] += 1
        records.append((Int32(group), word))
    }

    /// Queues one entry per pair made since the last flush, with the pair's current count, if the
    /// count is positive.
    mutating func flush(into heap: inout CandidateHeap, counts: PairTable) {
        if groupPair.isEmpty { return }
        // Lay the groups out one after the other at the end of the pool (a counting sort).
        var fill = [Int32](repeating: 0, count: groupPair.count)
        var next = Int32(pool.count)
        for group in groupPair.indices {
            fill[group] = next
            next += groupSize[group]
        }
        let start = fill
        pool.append(contentsOf: repeatElement(0, count: Int(next) - pool.count))
        for (group, word) in records {
            pool[Int(fill[Int(group)])] = word
            fill[Int(group)] += 1
        }
        for group in groupPair.indices {
            let count = counts.value(for: groupPair[group])!
            if count > 0 {
                heap.push(Candidate(count: count, pair: groupPair[group],
                                    wordsStart: start[group], wordsCount: groupSize[group]))
            }
        }
        groupOfPair = PairTable()
        groupPair.removeAll(keepingCapacity: true)
        groupSize.removeAll(keepingCapacity: true)
        groupLastWord.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
    }
}
