// Pointwise non-linearities.
//
// GELU is BERT's exact form, x Φ(x) = ½ x (1 + erf(x/√2)), not the tanh approximation.
// tanh is used by BERT's pooler.

enum GELU {
    // MARK: forward
    /// u -> g = u Φ(u), Φ(u) = ½ (1 + erf(u/√2)), any shape. Also returns Φ(u) for backward, which
    /// then needs no erf (erf was 5% of a width-128 training step when backward recomputed it).
    static func forward<S: Scalar>(_ u: Tensor<S>) -> (output: Tensor<S>, cdf: Tensor<S>) {
        let g = Tensor<S>(uninitialized: u.shape), cdf = Tensor<S>(uninitialized: u.shape)
        let (pu, pg, pc) = (u.pointer, g.pointer, cdf.pointer)
        let invSqrt2 = 1 / S.sqrt(2)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            for i in r {
                let x = pu[i], phi = S(0.5) * (1 + S.erf(x * invSqrt2))
                pc[i] = phi
                pg[i] = x * phi
            }
        }
        return (g, cdf)
    }

    // MARK: backward
    /// dg, u, Φ(u) -> du = dg (Φ(u) + u φ(u)), φ(u) = exp(-u²/2) / √(2π)
    static func backward<S: Scalar>(_ dg: Tensor<S>, input u: Tensor<S>, cdf: Tensor<S>) -> Tensor<S> {
        let du = Tensor<S>(uninitialized: u.shape)
        let (pu, pc, pdg, pdu) = (u.pointer, cdf.pointer, dg.pointer, du.pointer)
        let invSqrt2Pi = 1 / S.sqrt(2 * S.pi)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            for i in r {
                let x = pu[i]
                let pdf = S.exp(-S(0.5) * x * x) * invSqrt2Pi
                pdu[i] = pdg[i] * (pc[i] + x * pdf)
            }
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
