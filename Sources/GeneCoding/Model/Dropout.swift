// Dropout (inverted): each element is kept with probability 1 - p and scaled by 1 / (1 - p).
//
// The mask is not stored: element i of site `key` is kept when its coin u(key, i) >= p, a pure
// function of the seed, the step, the site and the index. Backward recomputes the same mask, and
// the mask is the same for any thread count. One 64-bit hash gives the 16-bit coins of four
// neighbouring elements (p is then resolved to 1/65536, far finer than any rate anyone sets).

struct Dropout {
    let probability: Double
    /// nil in evaluation: the identity.
    let key: UInt64?

    static let off = Dropout(probability: 0, key: nil)

    var isActive: Bool { key != nil && probability > 0 }

    /// Coins below this 16-bit threshold drop their element.
    private var threshold: UInt64 { UInt64((probability * 65536).rounded()) }

    @inline(__always)
    func scale<S: Scalar>(at index: Int) -> S {
        let bits = RandomSource.mix(key! &+ UInt64(truncatingIfNeeded: index >> 2) &* 0xD1B5_4A32_D192_ED03)
        let coin = (bits >> (UInt64(index & 3) << 4)) & 0xFFFF
        return coin >= threshold ? S(1 / (1 - probability)) : 0
    }

    // MARK: forward
    /// x -> x ⊙ mask, in place (the input is not needed by backward)
    func apply<S: Scalar>(_ x: Tensor<S>) {
        guard isActive else { return }
        let p = x.pointer
        let keep = S(1 / (1 - probability)), threshold = self.threshold, key = self.key!
        ComputeThreads.forRanges(x.count, minimum: 1 << 14) { r in
            var i = r.lowerBound
            while i < r.upperBound {
                let bits = RandomSource.mix(key &+ UInt64(truncatingIfNeeded: i >> 2) &* 0xD1B5_4A32_D192_ED03)
                let end = Swift.min(r.upperBound, (i | 3) + 1)
                while i < end {
                    let coin = (bits >> (UInt64(i & 3) << 4)) & 0xFFFF
                    p[i] = coin >= threshold ? p[i] * keep : 0
                    i += 1
                }
            }
        }
    }

    // MARK: backward
    /// dy -> dy ⊙ mask, in place: the same mask as forward
    func backward<S: Scalar>(_ dy: Tensor<S>) { apply(dy) }
}
