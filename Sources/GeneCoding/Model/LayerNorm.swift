// Layer normalisation (Ba et al. 2016), over the channels of each row.
//
//   μ = mean(x),  σ² = mean((x - μ)²),  x̂ = (x - μ) / √(σ² + ε),  y = γ ⊙ x̂ + β
//
// Shapes: x, y [N, C]; γ, β [C]; cache mean, rstd [N].
//
// Backward has the common form the other layers are measured against: dy and a typed cache in, dx
// out, dγ and dβ accumulated. The cache holds forward's input by reference and each row's mean and
// 1/σ, from which backward recomputes x̂ rather than keeping it: one [N, C] tensor less per norm.

struct LayerNorm<S: Scalar> {
    let gamma: Parameter<S>
    let beta: Parameter<S>
    let width: Int
    let epsilon: S

    init(_ store: ParameterStore<S>, _ name: String, width: Int, epsilon: Double) {
        self.width = width
        self.epsilon = S(epsilon)
        gamma = store.make(name + ".weight", [width], decays: false)
        beta = store.make(name + ".bias", [width], decays: false)
        gamma.value.fill(1)
    }

    struct Cache {
        let input: Tensor<S>
        let mean: [S]
        let rstd: [S]
    }

    // MARK: forward

    func forward(_ x: Tensor<S>) -> (Tensor<S>, Cache) {
        let (n, c) = (x.rows, width)
        precondition(x.columns == c, "LayerNorm(\(c)) on \(x.shape)")
        let y = Tensor<S>(uninitialized: x.shape)
        var mean = [S](repeating: 0, count: n), rstd = [S](repeating: 0, count: n)
        let (px, py, pg, pb, eps) = (x.pointer, y.pointer, gamma.value.pointer, beta.value.pointer, epsilon)
        mean.withUnsafeMutableBufferPointer { pm in
            rstd.withUnsafeMutableBufferPointer { pr in
                ComputeThreads.forRanges(n, minimum: 64) { rows in
                    for r in rows {
                        let xr = px + r * c, yr = py + r * c
                        var m = S.zero
                        for i in 0..<c { m += xr[i] }
                        m /= S(c)
                        var v = S.zero
                        for i in 0..<c { let d = xr[i] - m; v += d * d }
                        v /= S(c)
                        let s = 1 / (v + eps).squareRoot()
                        for i in 0..<c { yr[i] = (xr[i] - m) * s * pg[i] + pb[i] }
                        pm[r] = m
                        pr[r] = s
                    }
                }
            }
        }
        return (y, Cache(input: x, mean: mean, rstd: rstd))
    }

    // MARK: backward

    /// dy [N, C] -> dx [N, C]; accumulates dγ, dβ.
    func backward(_ dy: Tensor<S>, _ cache: Cache) -> Tensor<S> {
        let (n, c) = (dy.rows, width)
        let dx = Tensor<S>(uninitialized: dy.shape)
        let (px, pdy, pdx, pg) = (cache.input.pointer, dy.pointer, dx.pointer, gamma.value.pointer)
        // y = γ ⊙ x̂ + β  =>  dγ += Σₙ dy ⊙ x̂,  dβ += Σₙ dy   (sequential: a fixed summation order)
        let (dg, db) = (gamma.gradient.pointer, beta.gradient.pointer)
        for r in 0..<n {
            let m = cache.mean[r], s = cache.rstd[r]
            let xr = px + r * c, dyr = pdy + r * c
            for i in 0..<c {
                dg[i] += dyr[i] * (xr[i] - m) * s
                db[i] += dyr[i]
            }
        }
        // x̂ = (x - μ) s  =>  dx = s (dx̂ - mean(dx̂) - x̂ mean(dx̂ ⊙ x̂)),  dx̂ = dy ⊙ γ
        cache.mean.withUnsafeBufferPointer { pm in
            cache.rstd.withUnsafeBufferPointer { pr in
                ComputeThreads.forRanges(n, minimum: 64) { rows in
                    for r in rows {
                        let m = pm[r], s = pr[r]
                        let xr = px + r * c, dyr = pdy + r * c, dxr = pdx + r * c
                        var meanD = S.zero, meanDX = S.zero
                        for i in 0..<c {
                            let d = dyr[i] * pg[i]
                            meanD += d
                            meanDX += d * (xr[i] - m) * s
                        }
                        meanD /= S(c)
                        meanDX /= S(c)
                        for i in 0..<c {
                            let xhat = (xr[i] - m) * s
                            dxr[i] = s * (dyr[i] * pg[i] - meanD - xhat * meanDX)
                        }
                    }
                }
            }
        }
        return dx
    }
}
