// Pointwise non-linearities.
//
// GELU is BERT's exact form, x Φ(x) = ½ x (1 + erf(x/√2)), not the tanh approximation. The loops
// are in VectorMath.swift: eight-wide for Float, the plain scalar loops for Double.
// tanh is used by BERT's pooler.
//
// Neither has a cache type. GELU's backward takes forward's input u and the Φ(u) forward returned:
// u is the output of the Linear before it, which the caller keeps anyway, so a cache would only wrap
// two tensors the caller's own cache already holds. tanh's backward takes forward's output t, since
// dz = dt (1 − t²) needs nothing else, and the classifier keeps t as its pooled vector.

enum GELU {
    // MARK: forward
    /// u -> g = u Φ(u), Φ(u) = ½ (1 + erf(u/√2)), any shape. Also returns Φ(u) for backward, which
    /// then needs no erf (erf was 5% of a width-128 training step when backward recomputed it).
    static func forward<S: Scalar>(_ u: Tensor<S>) -> (output: Tensor<S>, cdf: Tensor<S>) {
        let g = Tensor<S>(uninitialized: u.shape), cdf = Tensor<S>(uninitialized: u.shape)
        let (pu, pg, pc) = (u.pointer, g.pointer, cdf.pointer)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            geluForward(pu, output: pg, cdf: pc, range: r)
        }
        return (g, cdf)
    }

    /// u -> u Φ(u) in place, for evaluation: nothing is kept for backward, so Φ goes into a small
    /// scratch per worker instead of a tensor of u's size. The kernel is forward's, element by element,
    /// so the values are forward's bit for bit.
    static func applyInPlace<S: Scalar>(_ u: Tensor<S>) {
        let pu = u.pointer
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            let chunk = Swift.min(r.count, 1 << 12)
            let cdf = UnsafeMutablePointer<S>.allocate(capacity: chunk)
            defer { cdf.deallocate() }
            var start = r.lowerBound
            while start < r.upperBound {
                let count = Swift.min(chunk, r.upperBound - start)
                geluForward(UnsafePointer(pu + start), output: pu + start, cdf: cdf, range: 0..<count)
                start += count
            }
        }
    }

    // MARK: backward
    /// dg, u, Φ(u) -> du = dg (Φ(u) + u φ(u)), φ(u) = exp(-u²/2) / √(2π)
    static func backward<S: Scalar>(_ dg: Tensor<S>, input u: Tensor<S>, cdf: Tensor<S>) -> Tensor<S> {
        let du = Tensor<S>(uninitialized: u.shape)
        let (pu, pc, pdg, pdu) = (u.pointer, cdf.pointer, dg.pointer, du.pointer)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            geluBackward(pdg, input: pu, cdf: pc, into: pdu, range: r)
        }
        return du
    }
}

enum Tanh {
    static func forward<S: Scalar>(_ z: Tensor<S>) -> Tensor<S> {
        let t = Tensor<S>(uninitialized: z.shape)
        for i in 0..<z.count { t.pointer[i] = S.tanh(z.pointer[i]) }
        return t
    }

    /// t = tanh z  =>  dz = dt (1 - t²)
    static func backward<S: Scalar>(_ dt: Tensor<S>, output t: Tensor<S>) -> Tensor<S> {
        let dz = Tensor<S>(uninitialized: t.shape)
        for i in 0..<t.count { let v = t.pointer[i]; dz.pointer[i] = dt.pointer[i] * (1 - v * v) }
        return dz
    }
}
