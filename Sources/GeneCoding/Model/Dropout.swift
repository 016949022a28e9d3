// Dropout (inverted): each element is kept with probability 1 - p and scaled by 1 / (1 - p).
//
// The mask is not stored: element i of site `key` is kept when uniform(key, i) >= p, a pure
// function of the seed, the step, the site and the index. Backward recomputes the same mask, and
// the mask is the same for any thread count.

struct Dropout {
    let probability: Double
    /// nil in evaluation: the identity.
    let key: UInt64?

    static let off = Dropout(probability: 0, key: nil)

    var isActive: Bool { key != nil && probability > 0 }

    @inline(__always)
    func scale<S: Scalar>(at index: Int) -> S {
        RandomSource.uniform(key: key!, index: index) >= probability ? S(1 / (1 - probability)) : 0
    }

    // MARK: forward
    /// x -> x ⊙ mask, in place (the input is not needed by backward)
    func apply<S: Scalar>(_ x: Tensor<S>) {
        guard isActive else { return }
        let p = x.pointer
        ComputeThreads.forRanges(x.count, minimum: 1 << 14) { r in
            for i in r { p[i] *= self.scale(at: i) }
        }
    }

    // MARK: backward
    /// dy -> dy ⊙ mask, in place: the same mask as forward
    func backward<S: Scalar>(_ dy: Tensor<S>) { apply(dy) }
}
