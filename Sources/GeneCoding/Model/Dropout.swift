// Dropout (inverted): each element is kept with probability 1 - p and scaled by 1 / (1 - p).
//
// The mask is not stored: element i of site `key` is kept when its coin u(key, i) >= p, a pure
// function of the seed, the step, the site and the index. Backward recomputes the same mask, and
// the mask is the same for any thread count. One 64-bit hash gives the 16-bit coins of four
// neighbouring elements (p is then resolved to 1/65536, far finer than any rate anyone sets).
//
// So backward needs no cache, and like forward it works in place: dy ⊙ mask overwrites dy, which the
// callers either own (EncoderLayer copies the residual's gradient before dropping it) or no longer
// need, so no tensor is allocated for it.

import CKernels

struct Dropout {
    let probability: Double
    /// nil in evaluation: the identity.
    let key: UInt64?

    static let off = Dropout(probability: 0, key: nil)

    var isActive: Bool { key != nil && probability > 0 }

    /// Coins below this 16-bit threshold drop their element.
    private var threshold: UInt64 { UInt64((probability * 65536).rounded()) }

    /// The 64 bits whose four 16-bit fields are the coins of elements 4g ..< 4g + 4, g = index / 4.
    @inline(__always)
    private static func groupBits(key: UInt64, index: Int) -> UInt64 {
        RandomSource.mix(key &+ UInt64(truncatingIfNeeded: index >> 2) &* 0xD1B5_4A32_D192_ED03)
    }

    /// The plain definition: element `index`'s factor, 1 / (1 - p) or 0.
    @inline(__always)
    func scale<S: Scalar>(at index: Int) -> S {
        let bits = Self.groupBits(key: key!, index: index)
        let coin = (bits >> (UInt64(index & 3) << 4)) & 0xFFFF
        return coin >= threshold ? S(1 / (1 - probability)) : 0
    }

    // MARK: forward
    /// x -> x ⊙ mask, in place (the input is not needed by backward)
    func apply<S: Scalar>(_ x: Tensor<S>) {
        guard isActive else { return }
        let p = x.pointer
        ComputeThreads.forRanges(x.count, minimum: 1 << 14) { r in
            multiply(UnsafePointer(p + r.lowerBound), into: p + r.lowerBound, count: r.count, base: r.lowerBound)
        }
    }

    /// x [B, C] holding rows `rows` of the full [B*T, C] layout -> x ⊙ mask, in place, with the coins
    /// those rows draw in the full layout (the last layer computes only the rows its head reads).
    func apply<S: Scalar>(_ x: Tensor<S>, rows: QueryRows?) {
        guard let rows else { return apply(x) }
        guard isActive else { return }
        let c = x.columns
        for b in rows.positions.indices {
            let p = x.pointer + b * c
            multiply(UnsafePointer(p), into: p, count: c, base: rows.fullRow(b) * c)
        }
    }

    /// y[e] = x[e] ⊙ mask(base + e) for e in 0..<count, where element base + e of the site draws the
    /// coin; x may be y. One hash serves four neighbouring coins, so the loop walks in groups of four:
    /// hashing per element, as the plain `scale(at:)` does, cost 17% of a 1-mer step in attention
    /// dropout. For Float the whole groups go to C (CKernels/dropout.c), where clang computes eight
    /// hashes at once; Swift's eight-wide loop hashed one group at a time and was 7% of a 1-mer step.
    /// The masks and products are the same bit for bit (DropoutTests).
    func multiply<S: Scalar>(_ x: UnsafePointer<S>, into y: UnsafeMutablePointer<S>, count: Int, base: Int) {
        let keep = S(1 / (1 - probability)), threshold = self.threshold, key = self.key!
        @inline(__always) func hash(_ i: Int) -> UInt64 { Self.groupBits(key: key, index: i) }
        // 1 or 0 without a branch: a 10% drop rate mispredicts too often for an `if`
        @inline(__always) func kept(_ bits: UInt64, _ lane: Int) -> S {
            S(UInt8((bits >> UInt64(lane << 4)) & 0xFFFF >= threshold ? 1 : 0))
        }
        var e = 0
        // up to the first group boundary, then whole groups of four unrolled, then the rest
        while e < count && (base + e) & 3 != 0 {
            y[e] = x[e] * keep * kept(hash(base + e), (base + e) & 3)
            e += 1
        }
        if S.self == Float.self, threshold <= 0xFFFF, e + 4 <= count {
            // Whole groups in C, where the hash vectorises (CKernels/dropout.c); the same coins and products.
            let groups = (count - e) / 4
            genecoding_dropout_f32(UnsafeRawPointer(x + e).assumingMemoryBound(to: Float.self),
                                   UnsafeMutableRawPointer(y + e).assumingMemoryBound(to: Float.self), groups,
                                   UInt64((base + e) >> 2), key, UInt32(threshold), Float(1 / (1 - probability)))
            e += 4 * groups
        }
        while e + 4 <= count {
            let bits = hash(base + e)
            y[e] = x[e] * keep * kept(bits, 0)
            y[e + 1] = x[e + 1] * keep * kept(bits, 1)
            y[e + 2] = x[e + 2] * keep * kept(bits, 2)
            y[e + 3] = x[e + 3] * keep * kept(bits, 3)
            e += 4
        }
        while e < count {
            y[e] = x[e] * keep * kept(hash(base + e), (base + e) & 3)
            e += 1
        }
    }

    // MARK: backward
    /// dy -> dy ⊙ mask, in place: the same mask as forward
    func backward<S: Scalar>(_ dy: Tensor<S>) { apply(dy) }
    func backward<S: Scalar>(_ dy: Tensor<S>, rows: QueryRows?) { apply(dy, rows: rows) }
}
