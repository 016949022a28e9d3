// SHA-256 (FIPS 180-4, section 6.2), written out so that the package needs no crypto library.
//
// Used to fingerprint data files: every report names the sha256 of the CSVs it was computed from,
// and MANIFEST.tsv files are checked against it. Not meant for anything secret (it makes no attempt
// at constant time).
//
// Legend (the standard's names): H0...H7 the running hash, a...h the working variables of one
// block, W the 64-word message schedule, K the round constants, Σ0 Σ1 σ0 σ1 Ch Maj the functions of
// section 4.1.2.
import Foundation

public struct SHA256: Sendable {
    public static let digestByteCount = 32
    static let blockByteCount = 64

    /// Section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Section 5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
    private var hash: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    /// Bytes of an incomplete block, waiting for more input (always fewer than 64).
    private var pending: [UInt8] = []
    /// Bytes hashed so far, pending ones included.
    private var byteCount: UInt64 = 0

    public init() {}

    // MARK: Streaming

    public mutating func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { update(rawBytes: $0) }
    }

    public mutating func update(rawBytes bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        byteCount &+= UInt64(bytes.count)
        var rest = bytes[...]
        // Top up an incomplete block first; the rest goes straight from the caller's memory.
        if !pending.isEmpty {
            let taken = min(Self.blockByteCount - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(taken))
            rest = rest.dropFirst(taken)
            guard pending.count == Self.blockByteCount else { return }
            pending.withUnsafeBytes { compress(blocks: $0) }
            pending.removeAll(keepingCapacity: true)
        }
        let wholeBlocks = rest.count / Self.blockByteCount * Self.blockByteCount
        compress(blocks: UnsafeRawBufferPointer(rebasing: rest.prefix(wholeBlocks)))
        pending.append(contentsOf: rest.dropFirst(wholeBlocks))
    }

    /// The digest of everything given so far. Leaves `self` unchanged, so more may be added after.
    public func finalize() -> [UInt8] {
        var last = self
        // Section 5.1.1: a 1 bit, zeros up to 56 bytes into a block, then the length in bits.
        let bitCount = byteCount &* 8
        var padding: [UInt8] = [0x80]
        let used = (pending.count + 1) % Self.blockByteCount
        let zeros = used <= 56 ? 56 - used : 64 + 56 - used
        padding += repeatElement(0, count: zeros)
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitCount >> UInt64(shift))) }
        last.pending += padding
        precondition(last.pending.count % Self.blockByteCount == 0)
        last.pending.withUnsafeBytes { last.compress(blocks: $0) }

        var digest = [UInt8]()
        digest.reserveCapacity(Self.digestByteCount)
        for word in last.hash {
            digest += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                       UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return digest
    }

    // MARK: One call

    public static func digest(_ bytes: some ContiguousBytes) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Lower-case hex, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: some ContiguousBytes) -> String {
        hex(digest(bytes))
    }

    /// The file is read in chunks, so its size is not bounded by memory.
    public static func hexDigest(ofFile url: URL, chunkByteCount: Int = 1 << 20) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: chunkByteCount), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return hex(hasher.finalize())
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Compression (section 6.2.2)

    /// Runs the compression function over every 64-byte block of `blocks` (a whole number of them).
    private mutating func compress(blocks: UnsafeRawBufferPointer) {
        guard !blocks.isEmpty else { return }
        precondition(blocks.count % Self.blockByteCount == 0)
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

        var h0 = hash[0], h1 = hash[1], h2 = hash[2], h3 = hash[3]
        var h4 = hash[4], h5 = hash[5], h6 = hash[6], h7 = hash[7]
        Self.roundConstants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for start in stride(from: 0, to: blocks.count, by: Self.blockByteCount) {
                    // 1. The message schedule: 16 big-endian words, then the σ recurrence.
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: start + 4 * t, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                        let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    // 2.–3. The 64 rounds.
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    for t in 0..<64 {
                        let bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ bigSigma1 &+ choose &+ k[t] &+ w[t]
                        let bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = bigSigma0 &+ majority
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    // 4. The intermediate hash.
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
            }
        }
        hash = [h0, h1, h2, h3, h4, h5, h6, h7]
    }
}
