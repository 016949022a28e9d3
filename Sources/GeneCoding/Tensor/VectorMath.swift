// Eight-wide exp and erf for Float, and the row kernels built on them (engine-4).
//
// libm's expf and erff are called one element at a time; in a 1-mer run on 500 bp sequences the
// softmax loop around expf was 45% of the whole step (perf, 1 thread). These versions work on
// SIMD8<Float>, which the compiler lowers to the vector instructions of the target: one AVX
// instruction per operation when Package.swift finds AVX2 or AVX-512 on the building machine, two
// SSE ones at the baseline x86-64 level, two NEON ones on arm64. The results are the same at every
// level, since Swift neither fuses a * b + c nor reorders the sums.
//
//   exp(x) = 2ⁿ · e^r,  n = round(x / ln 2),  r = x − n ln 2 ∈ [−½ ln 2, ½ ln 2]
//            e^r ≈ 1 + r + r² P(r), P of degree 5 (the Cephes expf coefficients, Moshier 1984–2000)
//            ln 2 is split in a short high part and a correction so that n ln 2 is exact enough.
//   erf(x) = sign(x) (1 − (a₁t + a₂t² + a₃t³ + a₄t⁴ + a₅t⁵) e^{−x²}),  t = 1 / (1 + p|x|)
//            (Abramowitz & Stegun 1964, 7.1.26: absolute error at most 1.5e-7), for |x| ≥ ¾;
//            below ¾ its Maclaurin series, 2/√π (x − x³/3 + x⁵/10 − …), which has no cancellation.
//
// Measured against Double's exp and erf (VectorMathTests, which state the bounds they hold: exp in
// ulps on [−87, 88], erf in absolute error). Double, which runs the gradient checks, keeps the plain
// scalar kernels; the Float kernels are held against those plain kernels by the tests, so the
// gradient checks still speak for the function the fast path computes.

import CKernels

typealias Float8 = SIMD8<Float>

enum VectorMath {
    /// Whether softmax and GELU run in C, sixteen lanes wide (CKernels/softmax.c, gelu.c), where the CPU
    /// has AVX-512; the tests switch it to compare the two, which must agree bit for bit.
    #if GENECODING_TARGET_AVX512
    nonisolated(unsafe) static var sixteenWideExp = true
    #else
    nonisolated(unsafe) static var sixteenWideExp = false
    #endif

    // MARK: loads and stores of up to eight elements

    /// x[0..<count] (count ≤ 8); the lanes past count are `fill`.
    @inline(__always)
    static func load(_ x: UnsafePointer<Float>, count: Int = 8, fill: Float = 0) -> Float8 {
        if count >= 8 { return UnsafeRawPointer(x).loadUnaligned(as: Float8.self) }
        var v = Float8(repeating: fill)
        for i in 0..<count { v[i] = x[i] }
        return v
    }

    /// y[0..<count] = v[0..<count] (count ≤ 8)
    @inline(__always)
    static func store(_ v: Float8, _ y: UnsafeMutablePointer<Float>, count: Int = 8) {
        if count >= 8 { UnsafeMutableRawPointer(y).storeBytes(of: v, as: Float8.self); return }
        for i in 0..<count { y[i] = v[i] }
    }

    // MARK: exp

    /// e^x lane by lane; 0 below −87.3 (where e^x leaves the normal floats), finite up to 88.
    /// (Transparent: with only `@inline(__always)` the optimiser left it a call inside erf, 5% of a
    /// width-128 step.)
    @_transparent
    static func exp(_ x: Float8) -> Float8 {
        let lowest: Float = -87.33, highest: Float = 88
        var clamped = x
        clamped.replace(with: lowest, where: x .< lowest)
        clamped.replace(with: highest, where: x .> highest)
        // n = round(x log₂e): adding 1.5·2²³ rounds to an integer, which then sits in the low mantissa bits.
        let shifter: Float = 12_582_912
        let t = clamped * 1.442_695_04 + shifter
        let n = t - shifter
        // r = x − n ln 2, with ln 2 = 0.693359375 − 2.12194440e-4 (the first part exact in 12 bits)
        var r = clamped - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = Float8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let er = p * (r * r) + r + 1
        // 2ⁿ built from its bits: exponent field n + 127
        let integer = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: Int32.self)
        let twoToN = unsafeBitCast((integer &+ 127) &<< 23, to: Float8.self)
        var y = er * twoToN
        y.replace(with: 0, where: x .< lowest)
        return y
    }

    // MARK: erf

    @inline(__always)
    static func erf(_ x: Float8) -> Float8 {
        let a = abs(x)
        // Abramowitz & Stegun 7.1.26 (small |x| take the series below instead)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = Float8(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        p = p * t
        var magnitude = 1 - p * exp(-(a * a))
        // |x| < ¾: the Maclaurin series 2/√π Σₖ (−1)ᵏ x²ᵏ⁺¹ / (k! (2k+1)), to k = 9, where the form above
        // loses digits to the cancellation in 1 − p e^{−x²} (5e-7 at x = 0.05, 3e-7 at x = 0.52)
        let z = a * a
        var s = Float8(repeating: -1 / 6_894_720)         // k = 9: 1 / (9! · 19)
        s = s * z + 1 / 685_440                            // k = 8: 1 / (8! · 17)
        s = s * z - 1 / 75_600                             // k = 7: 1 / (7! · 15)
        s = s * z + 1 / 9_360                              // k = 6: 1 / (6! · 13)
        s = s * z - 1 / 1_320                              // k = 5
        s = s * z + 1 / 216                                // k = 4
        s = s * z - 1 / 42                                 // k = 3
        s = s * z + 1 / 10                                 // k = 2
        s = s * z - 1 / 3                                  // k = 1
        s = s * z + 1                                      // k = 0
        magnitude.replace(with: 1.128_379_167_095_512_6 * a * s, where: a .< 0.75)
        var y = magnitude
        y.replace(with: -magnitude, where: x .< 0)
        return y
    }

    @inline(__always)
    static func abs(_ x: Float8) -> Float8 {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Float8.self)
    }
}

// MARK: - softmax of one row

/// The row's softmax, in place: row ← exp(row − max) / Σ exp(row − max). [count]
@inline(__always)
func softmaxRow<S: Scalar>(_ row: UnsafeMutablePointer<S>, count: Int) {
    if S.self == Float.self {
        softmaxRowFloat8(UnsafeMutableRawPointer(row).assumingMemoryBound(to: Float.self), count: count)
    } else {
        softmaxRowPlain(row, count: count)
    }
}

/// The plain version: three scalar loops with libm's exp. Double runs it; tests hold Float8 to it.
func softmaxRowPlain<S: Scalar>(_ row: UnsafeMutablePointer<S>, count: Int) {
    var maximum = -S.infinity
    for j in 0..<count { maximum = Swift.max(maximum, row[j]) }
    var sum = S.zero
    for j in 0..<count { let e = S.exp(row[j] - maximum); row[j] = e; sum += e }
    let inverse = 1 / sum
    for j in 0..<count { row[j] *= inverse }
}

func softmaxRowFloat8(_ row: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    if VectorMath.sixteenWideExp {
        // The same three passes in C, sixteen lanes wide (CKernels/softmax.c): the same maximum, the same
        // exponentials and eight partial sums, added up here as below, and the same products.
        var sums = Float8.zero
        withUnsafeMutableBytes(of: &sums) {
            genecoding_softmax_exp_f32(row, count, genecoding_maximum_f32(row, count), $0.baseAddress!.assumingMemoryBound(to: Float.self))
        }
        genecoding_scale_f32(row, count, 1 / sums.sum())
        return
    }
    var maxima = Float8(repeating: -.infinity)
    var j = 0
    while j < count {
        let v = VectorMath.load(row + j, count: count - j, fill: -.infinity)
        maxima.replace(with: v, where: v .> maxima)   // (the library's pointwiseMax is not inlined)
        j += 8
    }
    let maximum = Float8(repeating: maxima.max())
    var sums = Float8.zero
    j = 0
    while j < count {
        let n = count - j
        let e = VectorMath.exp(VectorMath.load(row + j, count: n, fill: -.infinity) - maximum)
        VectorMath.store(e, row + j, count: n)
        sums += e                      // the fill lanes add exp(−∞) = 0
        j += 8
    }
    let inverse = Float8(repeating: 1 / sums.sum())
    j = 0
    while j < count {
        let n = count - j
        VectorMath.store(VectorMath.load(row + j, count: n) * inverse, row + j, count: n)
        j += 8
    }
}

// MARK: - softmax backward of one row

/// P = softmax(S) => dS = P ⊙ (dP − Σⱼ dPⱼ Pⱼ), in place on dP. [count]
@inline(__always)
func softmaxBackwardRow<S: Scalar>(probabilities p: UnsafePointer<S>, gradient dp: UnsafeMutablePointer<S>, count: Int) {
    if S.self == Float.self {
        softmaxBackwardRowFloat8(probabilities: UnsafeRawPointer(p).assumingMemoryBound(to: Float.self),
                                 gradient: UnsafeMutableRawPointer(dp).assumingMemoryBound(to: Float.self),
                                 count: count)
    } else {
        softmaxBackwardRowPlain(probabilities: p, gradient: dp, count: count)
    }
}

func softmaxBackwardRowPlain<S: Scalar>(probabilities p: UnsafePointer<S>, gradient dp: UnsafeMutablePointer<S>, count: Int) {
    var dot = S.zero
    for j in 0..<count { dot += dp[j] * p[j] }
    for j in 0..<count { dp[j] = p[j] * (dp[j] - dot) }
}

func softmaxBackwardRowFloat8(probabilities p: UnsafePointer<Float>, gradient dp: UnsafeMutablePointer<Float>, count: Int) {
    var dots = Float8.zero
    var j = 0
    while j < count {
        let n = count - j
        dots += VectorMath.load(dp + j, count: n) * VectorMath.load(p + j, count: n)
        j += 8
    }
    let dot = Float8(repeating: dots.sum())
    j = 0
    while j < count {
        let n = count - j
        let pj = VectorMath.load(p + j, count: n)
        VectorMath.store(pj * (VectorMath.load(dp + j, count: n) - dot), dp + j, count: n)
        j += 8
    }
}

// MARK: - dropout's mask, read back

/// x[j] ← reference[j] ≠ 0 ? scale · x[j] : 0 [count]
@inline(__always)
func keepWhereNonzero<S: Scalar>(_ x: UnsafeMutablePointer<S>, reference: UnsafePointer<S>, scale: S, count: Int) {
    if S.self == Float.self {
        let xf = UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
        let rf = UnsafeRawPointer(reference).assumingMemoryBound(to: Float.self)
        let s = Float8(repeating: unsafeBitCast(scale, to: Float.self))
        var j = 0
        while j < count {
            let n = count - j
            var v = VectorMath.load(xf + j, count: n) * s
            v.replace(with: 0, where: VectorMath.load(rf + j, count: n) .== 0)
            VectorMath.store(v, xf + j, count: n)
            j += 8
        }
    } else {
        for j in 0..<count { x[j] = reference[j] != 0 ? x[j] * scale : 0 }
    }
}

// MARK: - GELU over a range

/// g = u Φ(u), c = Φ(u) = ½ (1 + erf(u/√2)) for the elements `range`.
@inline(__always)
func geluForward<S: Scalar>(_ u: UnsafePointer<S>, output g: UnsafeMutablePointer<S>, cdf c: UnsafeMutablePointer<S>, range: Range<Int>) {
    if S.self == Float.self {
        geluForwardFloat8(UnsafeRawPointer(u).assumingMemoryBound(to: Float.self),
                          output: UnsafeMutableRawPointer(g).assumingMemoryBound(to: Float.self),
                          cdf: UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), range: range)
    } else {
        geluForwardPlain(u, output: g, cdf: c, range: range)
    }
}

func geluForwardPlain<S: Scalar>(_ u: UnsafePointer<S>, output g: UnsafeMutablePointer<S>, cdf c: UnsafeMutablePointer<S>, range: Range<Int>) {
    let invSqrt2 = 1 / S.sqrt(2)
    for i in range {
        let x = u[i], phi = S(0.5) * (1 + S.erf(x * invSqrt2))
        c[i] = phi
        g[i] = x * phi
    }
}

func geluForwardFloat8(_ u: UnsafePointer<Float>, output g: UnsafeMutablePointer<Float>, cdf c: UnsafeMutablePointer<Float>, range: Range<Int>) {
    if VectorMath.sixteenWideExp {   // the same values, sixteen lanes wide in C (CKernels/gelu.c)
        return genecoding_gelu_forward_f32(u + range.lowerBound, g + range.lowerBound, c + range.lowerBound, range.count)
    }
    let invSqrt2: Float = 0.707_106_781_186_547_5
    var i = range.lowerBound
    while i < range.upperBound {
        let n = range.upperBound - i
        let x = VectorMath.load(u + i, count: n)
        let phi = 0.5 * (1 + VectorMath.erf(x * invSqrt2))
        VectorMath.store(phi, c + i, count: n)
        VectorMath.store(x * phi, g + i, count: n)
        i += 8
    }
}

/// du = dg (Φ(u) + u φ(u)), φ(u) = exp(−u²/2) / √(2π), for the elements `range`.
@inline(__always)
func geluBackward<S: Scalar>(_ dg: UnsafePointer<S>, input u: UnsafePointer<S>, cdf c: UnsafePointer<S>, into du: UnsafeMutablePointer<S>, range: Range<Int>) {
    if S.self == Float.self {
        geluBackwardFloat8(UnsafeRawPointer(dg).assumingMemoryBound(to: Float.self),
                           input: UnsafeRawPointer(u).assumingMemoryBound(to: Float.self),
                           cdf: UnsafeRawPointer(c).assumingMemoryBound(to: Float.self),
                           into: UnsafeMutableRawPointer(du).assumingMemoryBound(to: Float.self), range: range)
    } else {
        geluBackwardPlain(dg, input: u, cdf: c, into: du, range: range)
    }
}

func geluBackwardPlain<S: Scalar>(_ dg: UnsafePointer<S>, input u: UnsafePointer<S>, cdf c: UnsafePointer<S>, into du: UnsafeMutablePointer<S>, range: Range<Int>) {
    let invSqrt2Pi = 1 / S.sqrt(2 * S.pi)
    for i in range {
        let x = u[i]
        let pdf = S.exp(-S(0.5) * x * x) * invSqrt2Pi
        du[i] = dg[i] * (c[i] + x * pdf)
    }
}

func geluBackwardFloat8(_ dg: UnsafePointer<Float>, input u: UnsafePointer<Float>, cdf c: UnsafePointer<Float>, into du: UnsafeMutablePointer<Float>, range: Range<Int>) {
    if VectorMath.sixteenWideExp {
        return genecoding_gelu_backward_f32(dg + range.lowerBound, u + range.lowerBound, c + range.lowerBound, du + range.lowerBound, range.count)
    }
    let invSqrt2Pi: Float = 0.398_942_280_401_432_7
    var i = range.lowerBound
    while i < range.upperBound {
        let n = range.upperBound - i
        let x = VectorMath.load(u + i, count: n)
        let pdf = VectorMath.exp(-0.5 * x * x) * invSqrt2Pi
        let d = VectorMath.load(dg + i, count: n) * (VectorMath.load(c + i, count: n) + x * pdf)
        VectorMath.store(d, du + i, count: n)
        i += 8
    }
}
