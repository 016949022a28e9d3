// A hash table from a pair of token ids to a 64-bit value, for the inner loops of BPE.
//
// BPE asks one question millions of times: "what do I know about the pair (left, right)?" (its
// merge rank when encoding, its count when training). Packing the pair into one UInt64 and probing
// an open-addressed table of plain integers is several times faster than a Dictionary keyed by a
// struct of two ids. Keys are never removed.

struct PairTable: Sendable {
    /// The packed key of a pair: left id in the high half, right id in the low half, so that
    /// comparing keys compares pairs lexicographically (both ids are non-negative).
    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    static func left(of key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key >> 32)) }

    @inline(__always)
    static func right(of key: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }

    /// Marks a free slot; no pair of valid ids packs to it.
    private static let empty = UInt64.max

    private(set) var keys: [UInt64]
    var values: [Int64]
    private(set) var count = 0
    private var shift: UInt64

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < 2 * minimumCapacity { capacity *= 2 }
        keys = [UInt64](repeating: PairTable.empty, count: capacity)
        values = [Int64](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `key`, or nil.
    @inline(__always)
    func slot(of key: UInt64) -> Int? {
        let mask = keys.count - 1
        var slot = home(key)
        while true {
            let found = keys[slot]
            if found == key { return slot }
            if found == PairTable.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    func value(for key: UInt64) -> Int64? {
        guard let slot = slot(of: key) else { return nil }
        return values[slot]
    }

    /// The slot holding `key`, inserting it with value 0 if it is new. A later insertion may move
    /// slots, so use the result before inserting again.
    @inline(__always)
    mutating func insert(_ key: UInt64) -> (slot: Int, inserted: Bool) {
        if 2 * (count + 1) > keys.count { grow() }
        let mask = keys.count - 1
        var slot = home(key)
        while true {
            let found = keys[slot]
            if found == key { return (slot, false) }
            if found == PairTable.empty {
                keys[slot] = key
                values[slot] = 0
                count += 1
                return (slot, true)
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    mutating func add(_ delta: Int64, to key: UInt64) {
        let slot = insert(key).slot
        values[slot] &+= delta
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let capacity = keys.count * 2
        keys = [UInt64](repeating: PairTable.empty, count: capacity)
        values = [Int64](repeating: 0, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for (slot, key) in oldKeys.enumerated() where key != PairTable.empty {
            let newSlot = insert(key).slot
            values[newSlot] = oldValues[slot]
        }
    }
}
