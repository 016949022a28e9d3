// Pointwise non-linearities.
//
// GELU is BERT's exact form, x Φ(x) = ½ x (1 + erf(x/√2)), not the tanh approximation.
// tanh is used by BERT's pooler.

enum GELU {
    // MARK: forward
    /// u -> g = ½ u (1 + erf(u/√2)), any shape
    static func forward<S: Scalar>(_ u: Tensor<S>) -> Tensor<S> {
        let g = Tensor<S>(uninitialized: u.shape)
        let (pu, pg) = (u.pointer, g.pointer)
        let invSqrt2 = 1 / S.sqrt(2)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            for i in r { let x = pu[i]; pg[i] = S(0.5) * x * (1 + S.erf(x * invSqrt2)) }
        }
        return g
    }

    // MARK: backward
    /// dg, u -> du = dg (Φ(u) + u φ(u)), φ(u) = exp(-u²/2) / √(2π)
    static func backward<S: Scalar>(_ dg: Tensor<S>, input u: Tensor<S>) -> Tensor<S> {
        let du = Tensor<S>(uninitialized: u.shape)
        let (pu, pdg, pdu) = (u.pointer, dg.pointer, du.pointer)
        let invSqrt2 = 1 / S.sqrt(2), invSqrt2Pi = 1 / S.sqrt(2 * S.pi)
        ComputeThreads.forRanges(u.count, minimum: 1 << 14) { r in
            for i in r {
                let x = pu[i]
                let cdf = S(0.5) * (1 + S.erf(x * invSqrt2))
                let pdf = S.exp(-S(0.5) * x * x) * invSqrt2Pi
                pdu[i] = pdg[i] * (cdf + x * pdf)
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
