// Student's t distribution: its CDF, tail probabilities and quantiles, for the intervals, p-values
// and detectable differences of Inference.swift. Degrees of freedom ν may be fractional (Welch and
// Satterthwaite give fractional ν) and may be +∞, where t is the standard normal.
//
// The CDF goes through the regularised incomplete beta function. For t ≤ 0,
//     P(T ≤ t) = ½ · I_x(ν/2, ½),   x = ν / (ν + t²),
// and the upper half follows by symmetry, P(T ≤ t) = 1 − P(T ≤ −t). The lower tail is computed
// directly, never as 1 − something, so that a p-value of 1e-12 keeps its digits.
//
// I_x(a, b) = x^a (1−x)^b / (a·B(a, b)) · F, where F is the continued fraction of Numerical Recipes
// (Press, Teukolsky, Vetterling & Flannery, *Numerical Recipes in C*, 2nd ed. 1992, §6.4, `betacf`),
// evaluated by the modified Lentz method (§5.2; Lentz 1976, Thompson & Barnett 1986). It converges
// fast for x < (a+1)/(a+b+2); above that the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) is used, and
// there the result is at least of order one, so the subtraction loses nothing that matters.
// Two details keep the prefactor accurate at large ν:
// - x and 1 − x are never formed by subtraction: with u = t²/ν, log x = −log1p(u) and
//   log(1 − x) = −log1p(1/u), so a·log x keeps its digits when a is in the thousands;
// - log B(ν/2, ½) = log Γ(½) + [log Γ(a) − log Γ(a + ½)], and the bracket, a difference of two
//   numbers near a·log a, is taken for a ≥ 20 from Stirling's series, where it is
//   −½ log a − a·log1p(1/(2a)) + ½ + S(a) − S(a + ½), S the Stirling remainder
//   (Abramowitz & Stegun 6.1.41); nothing large is subtracted.
//
// Beyond ν = 10⁴ the continued fraction loses digits: at x = ν/(ν+t²) near 1 its terms nearly cancel,
// and the rounding of x is magnified about ν times (2e-9 relative at ν = 10⁸). There the tail comes
// from Hill's asymptotic normalising transformation instead (G. W. Hill 1970, "Algorithm 395: Student's
// t-distribution", CACM 13(10):617–619): with a = ν − ½, b = 48a² and y = a·log1p(t²/ν),
//     z = √y · (1 + (y + 3 + (−0.4y³ − 3.3y² − 24y − 85.5)/(0.8y² + 100 + b)) / b),
// P(T ≤ −|t|) = Φ(−z). Against scipy it is within 3e-13 relative for every ν ≥ 10⁴ we tried (up to
// 10¹⁴, t up to 1,000); at ν = 10⁴ the continued fraction is within about 1e-12.
//
// Quantiles solve P(T ≤ t) = p for t by Newton's method on log P (the density over the CDF is its
// slope), safeguarded by a bracket that halves whenever a Newton step would leave it, until a step
// moves t by less than 1e-13 of itself. p > ½ is answered by symmetry, t_p = −t_{1−p}, where 1 − p is exact.
//
// ν = +∞ is the standard normal: P(Z ≤ z) = ½ erfc(−z/√2) (glibc's erfc, through swift-numerics),
// with the same quantile solver.
//
// Held against scipy.stats.t and scipy.stats.norm to 1e-10 relative in the tests
// (Resources/statistics/inference.json).
import RealModule

public enum StudentT {
    /// P(T ≤ t) for Student's t with `degreesOfFreedom` ν > 0 (may be fractional; `.infinity` is the
    /// standard normal). NaN when t or ν is NaN or ν ≤ 0.
    public static func cdf(_ t: Double, degreesOfFreedom: Double) -> Double {
        guard t.isNaN == false, isValid(degreesOfFreedom) else { return .nan }
        return t <= 0 ? lowerTail(t, degreesOfFreedom) : 1 - lowerTail(-t, degreesOfFreedom)
    }

    /// P(|T| ≥ |t|): the two-sided p-value of the statistic t, accurate however small it is.
    public static func twoSidedPValue(_ t: Double, degreesOfFreedom: Double) -> Double {
        guard t.isNaN == false, isValid(degreesOfFreedom) else { return .nan }
        return Swift.min(1, 2 * lowerTail(-abs(t), degreesOfFreedom))
    }

    /// The probability density at t.
    public static func density(_ t: Double, degreesOfFreedom: Double) -> Double {
        guard t.isNaN == false, isValid(degreesOfFreedom) else { return .nan }
        return Double.exp(logDensity(t, degreesOfFreedom))
    }

    /// The t with P(T ≤ t) = p: −∞ at p = 0, +∞ at p = 1, NaN outside [0, 1].
    public static func quantile(_ p: Double, degreesOfFreedom: Double) -> Double {
        guard p.isNaN == false, (0...1).contains(p), isValid(degreesOfFreedom) else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        if p > 0.5 { return -lowerQuantile(1 - p, degreesOfFreedom) }
        return lowerQuantile(p, degreesOfFreedom)
    }

    static func isValid(_ degreesOfFreedom: Double) -> Bool { degreesOfFreedom > 0 }   // false for NaN too

    // MARK: The lower tail, P(T ≤ t) for t ≤ 0

    static func lowerTail(_ t: Double, _ nu: Double) -> Double {
        if nu == .infinity { return 0.5 * Double.erfc(-t / 2.0.squareRoot()) }
        if t == 0 { return 0.5 }
        if t == -.infinity { return 0 }
        let u = squaredRatio(t, nu)
        if nu >= hillFrom { return hillLowerTail(logOnePlusU: logOnePlus(u), nu) }
        // x = ν/(ν + t²) = 1/(1 + u) and 1 − x = u/(1 + u), each with its logarithm taken exactly.
        let x = u.value.isFinite ? 1 / (1 + u.value) : Double.exp(-u.logarithm)
        let y = u.value.isFinite ? u.value / (1 + u.value) : 1
        let logY = u.value > 1 ? -Double.log(onePlus: 1 / u.value) : u.logarithm - Double.log(onePlus: u.value)
        return 0.5 * regularizedIncompleteBeta(a: nu / 2, b: 0.5, x: x, y: y, logX: -logOnePlus(u), logY: logY,
                                               logBeta: logBetaHalf(nu / 2))
    }

    /// u = t²/ν with its logarithm, which stays finite where u itself overflows (a heavy-tailed t with
    /// ν ≪ 1 reaches its far quantiles only beyond 10¹⁵⁴).
    static func squaredRatio(_ t: Double, _ nu: Double) -> (value: Double, logarithm: Double) {
        let logarithm = 2 * Double.log(abs(t)) - Double.log(nu)
        let value = t * t / nu
        return (value.isFinite ? value : Double.exp(logarithm), logarithm)
    }

    /// log(1 + u), which is log u to double precision once u overflows.
    static func logOnePlus(_ u: (value: Double, logarithm: Double)) -> Double {
        u.value.isFinite ? Double.log(onePlus: u.value) : u.logarithm
    }

    /// From this ν on, the lower tail is Hill's asymptotic form rather than the continued fraction.
    static let hillFrom = 1e4

    /// Hill's Algorithm 395 for large ν: the normal tail at Hill's normalised z.
    static func hillLowerTail(logOnePlusU: Double, _ nu: Double) -> Double {
        let a = nu - 0.5, b = 48 * a * a
        let y = a * logOnePlusU
        if y > 1e6 { return 0 }                 // z > 1000: Φ(−z) is far below the smallest Double
        let z = (((((-0.4 * y - 3.3) * y - 24) * y - 85.5) / (0.8 * y * y + 100 + b) + y + 3) / b + 1) * y.squareRoot()
        return 0.5 * Double.erfc(z / 2.0.squareRoot())
    }

    /// log f(t) = −log B(ν/2, ½) − ½ log ν − (ν+1)/2 · log1p(t²/ν); the normal's for ν = ∞.
    static func logDensity(_ t: Double, _ nu: Double) -> Double {
        if nu == .infinity { return -0.5 * t * t - 0.5 * Double.log(2 * Double.pi) }
        return -logBetaHalf(nu / 2) - 0.5 * Double.log(nu) - (nu + 1) / 2 * logOnePlus(squaredRatio(t, nu))
    }

    // MARK: The regularised incomplete beta function

    /// I_x(a, b), with y = 1 − x, log x, log y and log B(a, b) supplied by a caller that can compute
    /// them without cancellation.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double, y: Double,
                                          logX: Double, logY: Double, logBeta: Double) -> Double {
        if logX == -.infinity { return 0 }
        if logY == -.infinity { return 1 }
        // x^a (1−x)^b / B(a, b), the factor both branches share.
        let front = Double.exp(a * logX + b * logY - logBeta)
        if x < (a + 1) / (a + b + 2) {
            return front * continuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - front * continuedFraction(a: b, b: a, x: y) / b
    }

    /// The continued fraction for I_x(a, b) (Numerical Recipes' betacf), by the modified Lentz method:
    ///     1 / (1 + d₁/(1 + d₂/(1 + …))),  d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)),
    ///                                       d_{2m}   = m(b−m)x / ((a+2m−1)(a+2m)).
    /// It needs about √max(a, b) terms near the switch-over point, under a hundred for the ν < 10⁴ it
    /// is used at; the cap only bounds the loop.
    static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = Double.leastNormalMagnitude / Double.ulpOfOne   // stands in for a zero denominator
        let maximumTerms = 10_000
        func nonzero(_ v: Double) -> Double { abs(v) < tiny ? tiny : v }
        var c = 1.0
        var d = 1 / nonzero(1 - (a + b) * x / (a + 1))
        var h = d
        for m in 1...maximumTerms {
            let m = Double(m), m2 = 2 * m
            let even = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
            d = 1 / nonzero(1 + even * d)
            c = nonzero(1 + even / c)
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
            d = 1 / nonzero(1 + odd * d)
            c = nonzero(1 + odd / c)
            let step = d * c
            h *= step
            if abs(step - 1) <= Double.ulpOfOne { break }
        }
        return h
    }

    /// log B(a, ½) = log Γ(a) + log Γ(½) − log Γ(a + ½).
    static func logBetaHalf(_ a: Double) -> Double {
        0.5 * Double.log(Double.pi) + logGammaRatioHalf(a)
    }

    /// log Γ(a) − log Γ(a + ½), without the cancellation of subtracting two large log-gammas.
    static func logGammaRatioHalf(_ a: Double) -> Double {
        if a < 20 { return Double.logGamma(a) - Double.logGamma(a + 0.5) }
        return -0.5 * Double.log(a) - a * Double.log(onePlus: 1 / (2 * a)) + 0.5
            + stirlingRemainder(a) - stirlingRemainder(a + 0.5)
    }

    /// S(z) = log Γ(z) − [(z − ½) log z − z + ½ log 2π], by its asymptotic series (A&S 6.1.41);
    /// for z ≥ 20 the first omitted term is below 1e-17.
    static func stirlingRemainder(_ z: Double) -> Double {
        let w = 1 / z, w2 = w * w
        return w * (1.0 / 12 - w2 * (1.0 / 360 - w2 * (1.0 / 1260 - w2 * (1.0 / 1680 - w2 / 1188))))
    }

    // MARK: Quantiles

    /// The t with P(T ≤ t) = p, for 0 < p < ½ (so t < 0).
    static func lowerQuantile(_ p: Double, _ nu: Double) -> Double {
        let logP = Double.log(p)
        // Bracket: hi has P > p (P(0) = ½), lo is pushed out until P(lo) ≤ p.
        var hi = 0.0, lo = -1.0
        while lowerTail(lo, nu) > p {
            hi = lo
            lo *= 2
            if lo == -.infinity { return -.infinity }   // p below what a Double t can reach
        }
        // Newton on g(t) = log P(T ≤ t) − log p, g'(t) = f(t)/P(T ≤ t), from the bracket's midpoint.
        var t = (lo + hi) / 2
        for _ in 0..<400 {
            let tail = lowerTail(t, nu)
            if tail > p { hi = t } else { lo = t }
            let g = Double.log(tail) - logP
            let slope = Double.exp(logDensity(t, nu) - Double.log(tail))
            var next = t - g / slope
            if !(next > lo && next < hi) || !next.isFinite { next = (lo + hi) / 2 }
            let step = abs(next - t)
            t = next
            if step <= 1e-13 * abs(t) || hi - lo <= 1e-15 * abs(lo) { break }
        }
        return t
    }
}
