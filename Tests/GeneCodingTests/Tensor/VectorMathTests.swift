// The eight-wide Float kernels (VectorMath.swift) against Double's libm and against the plain loops
// they replace. The gradient checks run in Double through the plain loops, so these tests are what
// ties the Float fast path to the checked function.
import XCTest
@testable import GeneCoding

final class VectorMathTests: XCTestCase {
    /// Distance in units in the last place of `expected` (as a Float).
    private func ulps(_ value: Float, _ expected: Double) -> Double {
        let e = Float(expected)
        guard e.isFinite, e != 0 else { return value == e ? 0 : .infinity }
        return Swift.abs(Double(value) - expected) / Double(e.ulp)
    }

    /// Values spread over [low, high], eight at a time, with the ends and zero included.
    private func sweep(_ low: Float, _ high: Float, count: Int) -> [Float] {
        var values = (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
        values += [0, -0.0, low, high, 1e-20, -1e-20]
        while values.count % 8 != 0 { values.append(0.5) }
        return values
    }

    private func lanes(_ values: [Float], _ f: (Float8) -> Float8) -> [Float] {
        stride(from: 0, to: values.count, by: 8).flatMap { i -> [Float] in
            let v = f(Float8(values[i..<(i + 8)]))
            return (0..<8).map { v[$0] }
        }
    }

    func testExpIsWithinTwoUlpsOnTheNormalRange() {
        let xs = sweep(-87, 88, count: 400_003)
        let ys = lanes(xs, VectorMath.exp)
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let u = ulps(y, Double.exp(Double(x)))
            if u > worst { (worst, worstX) = (u, x) }
        }
        XCTAssertLessThanOrEqual(worst, 2, "worst exp error \(worst) ulp at x = \(worstX)")
    }

    func testExpUnderflowsToZeroAndStaysFiniteAtTheTop() {
        let v = VectorMath.exp(Float8(-88, -100, -.infinity, -1e30, 88, 0, 1, -1))
        XCTAssertEqual(v[0], 0); XCTAssertEqual(v[1], 0); XCTAssertEqual(v[2], 0); XCTAssertEqual(v[3], 0)
        XCTAssertTrue(v[4].isFinite && v[4] > 1e38)
        XCTAssertEqual(v[5], 1)
        XCTAssertEqual(Double(v[6]), Double.exp(1), accuracy: 3e-7)
        XCTAssertEqual(Double(v[7]), Double.exp(-1), accuracy: 1e-7)
    }

    func testErfIsWithinItsStatedAbsoluteError() {
        let xs = sweep(-6, 6, count: 200_003)
        let ys = lanes(xs, VectorMath.erf)
        var worst = 0.0, worstX: Float = 0
        for (x, y) in zip(xs, ys) {
            let e = Swift.abs(Double(y) - Double.erf(Double(x)))
            if e > worst { (worst, worstX) = (e, x) }
        }
        // Abramowitz & Stegun 7.1.26 promise 1.5e-7; Float rounding adds at most a few 6e-8.
        XCTAssertLessThanOrEqual(worst, 2.5e-7, "worst erf error \(worst) at x = \(worstX)")
        XCTAssertEqual(lanes([0, 0, 0, 0, 0, 0, 0, 0], VectorMath.erf)[0], 0, accuracy: 2e-7)
    }

    /// Lengths around the eight-lane boundary, and the attention lengths of the default profile.
    private let lengths = [1, 2, 7, 8, 9, 15, 16, 17, 63, 130, 502]

    /// Both the eight-wide and the plain Float softmax against Double's, within a few parts in 10⁷
    /// (the plain loop's sequential sum is no more exact than the eight partial sums).
    func testSoftmaxRowMatchesThePlainLoopsAndDouble() {
        var random = RandomSource(seed: 3)
        for n in lengths {
            let row = (0..<n).map { _ in Float(random.normal() * 6) }
            var fast = row, plain = row, exact = row.map(Double.init)
            fast.withUnsafeMutableBufferPointer { softmaxRow($0.baseAddress!, count: n) }
            plain.withUnsafeMutableBufferPointer { softmaxRowPlain($0.baseAddress!, count: n) }
            exact.withUnsafeMutableBufferPointer { softmaxRowPlain($0.baseAddress!, count: n) }
            // x − max is rounded to Float first, which alone moves e^(x − max) by up to |x − max| · 2⁻²⁴;
            // the Float sum of n terms adds a relative error that grows about as √n · 2⁻²⁴
            let maximum = row.max()!
            for j in 0..<n {
                let tolerance = (3e-7 * (1 + Double(maximum - row[j])) + 2e-8 * Double(n).squareRoot()) * exact[j]
                XCTAssertEqual(Double(fast[j]), exact[j], accuracy: tolerance, "fast n=\(n) j=\(j)")
                XCTAssertEqual(Double(plain[j]), exact[j], accuracy: tolerance, "plain n=\(n) j=\(j)")
            }
            XCTAssertEqual(fast.reduce(0, +), 1, accuracy: 1e-5, "n=\(n)")
        }
    }

    /// Softmax's passes in C, sixteen lanes wide (CKernels/softmax.c), give the Swift eight-wide loop's
    /// rows bit for bit: every length from 1 to 600 (each tail of 8 and 16), scores from a narrow band
    /// to a spread that sends exp below the smallest float, and rows of equal values.
    func testSoftmaxInCEqualsTheEightWideSwiftLoopBitForBit() {
        let before = VectorMath.sixteenWideExp
        defer { VectorMath.sixteenWideExp = before }
        var random = RandomSource(seed: 21)
        for count in 1...600 {
            for spread in [Float(0.5), 8, 150] {
                let scores = (0..<count).map { _ in Float(random.normal()) * spread }
                var c = scores, swift = scores
                VectorMath.sixteenWideExp = true
                c.withUnsafeMutableBufferPointer { softmaxRowFloat8($0.baseAddress!, count: count) }
                VectorMath.sixteenWideExp = false
                swift.withUnsafeMutableBufferPointer { softmaxRowFloat8($0.baseAddress!, count: count) }
                XCTAssertEqual(c.map(\.bitPattern), swift.map(\.bitPattern), "count \(count), spread \(spread)")
            }
        }
        var c = [Float](repeating: -3, count: 37), swift = c
        VectorMath.sixteenWideExp = true
        c.withUnsafeMutableBufferPointer { softmaxRowFloat8($0.baseAddress!, count: 37) }
        VectorMath.sixteenWideExp = false
        swift.withUnsafeMutableBufferPointer { softmaxRowFloat8($0.baseAddress!, count: 37) }
        XCTAssertEqual(c.map(\.bitPattern), swift.map(\.bitPattern))
    }

    /// GELU's forward and backward in C, sixteen lanes wide (CKernels/gelu.c), give the Swift loops' values
    /// bit for bit: both erf branches (|x| below and above ¾), both signs, the tails where exp underflows,
    /// and ranges that do not start or end on a multiple of eight or sixteen.
    func testGELUInCEqualsTheEightWideSwiftLoopsBitForBit() {
        let before = VectorMath.sixteenWideExp
        defer { VectorMath.sixteenWideExp = before }
        var random = RandomSource(seed: 5)
        let n = 4_099
        let u = sweep(-14, 14, count: 2_000).map { $0 } + (0..<(n - 2_000)).map { _ in Float(random.normal()) * 2 }
        let dg = (0..<u.count).map { _ in Float(random.normal()) }
        func run(_ sixteen: Bool, _ range: Range<Int>) -> (g: [UInt32], c: [UInt32], du: [UInt32]) {
            VectorMath.sixteenWideExp = sixteen
            var g = [Float](repeating: -1, count: u.count), c = g, du = g
            u.withUnsafeBufferPointer { pu in
                g.withUnsafeMutableBufferPointer { pg in
                    c.withUnsafeMutableBufferPointer { pc in
                        geluForwardFloat8(pu.baseAddress!, output: pg.baseAddress!, cdf: pc.baseAddress!, range: range)
                        dg.withUnsafeBufferPointer { pdg in
                            du.withUnsafeMutableBufferPointer { pdu in
                                geluBackwardFloat8(pdg.baseAddress!, input: pu.baseAddress!, cdf: UnsafePointer(pc.baseAddress!), into: pdu.baseAddress!, range: range)
                            }
                        }
                    }
                }
            }
            return (g.map(\.bitPattern), c.map(\.bitPattern), du.map(\.bitPattern))
        }
        for range in [0..<u.count, 3..<u.count - 5, 17..<40, 5..<6] {
            let (c, swift) = (run(true, range), run(false, range))
            XCTAssertEqual(c.g, swift.g, "GELU, elements \(range)")
            XCTAssertEqual(c.c, swift.c, "Φ, elements \(range)")
            XCTAssertEqual(c.du, swift.du, "GELU's backward, elements \(range)")
        }
    }

    func testSoftmaxBackwardRowMatchesThePlainLoops() {
        var random = RandomSource(seed: 4)
        for n in lengths {
            var p = (0..<n).map { _ in Float(random.normal()) }
            p.withUnsafeMutableBufferPointer { softmaxRowPlain($0.baseAddress!, count: n) }
            let dp = (0..<n).map { _ in Float(random.normal()) }
            var fast = dp, plain = dp
            p.withUnsafeBufferPointer { pp in
                fast.withUnsafeMutableBufferPointer { softmaxBackwardRow(probabilities: pp.baseAddress!, gradient: $0.baseAddress!, count: n) }
                plain.withUnsafeMutableBufferPointer { softmaxBackwardRowPlain(probabilities: pp.baseAddress!, gradient: $0.baseAddress!, count: n) }
            }
            for j in 0..<n { XCTAssertEqual(fast[j], plain[j], accuracy: 1e-6, "n=\(n) j=\(j)") }
        }
    }

    func testGELUForwardAndBackwardMatchThePlainLoops() {
        var random = RandomSource(seed: 5)
        for n in lengths {
            let u = (0..<n).map { _ in Float(random.normal() * 3) }
            let dg = (0..<n).map { _ in Float(random.normal()) }
            var (g, c, g0, c0) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n),
                                  [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            var (du, du0) = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            u.withUnsafeBufferPointer { pu in
                let x = pu.baseAddress!
                geluForward(x, output: &g, cdf: &c, range: 0..<n)
                geluForwardPlain(x, output: &g0, cdf: &c0, range: 0..<n)
                geluBackward(dg, input: x, cdf: c, into: &du, range: 0..<n)
                geluBackwardPlain(dg, input: x, cdf: c0, into: &du0, range: 0..<n)
            }
            for j in 0..<n {
                // Φ = ½ (1 + erf) carries half of erf's 2.5e-7, plus the rounding of both sides
                XCTAssertEqual(c[j], c0[j], accuracy: 2.5e-7, "Φ n=\(n) j=\(j)")
                XCTAssertEqual(g[j], g0[j], accuracy: 2.5e-7 * Swift.max(1, Swift.abs(u[j])), "GELU n=\(n) j=\(j)")
                XCTAssertEqual(du[j], du0[j], accuracy: 1e-6 * Swift.max(1, Swift.abs(dg[j])), "dGELU n=\(n) j=\(j)")
            }
        }
    }

    func testKeepWhereNonzeroMatchesThePlainLoop() {
        for n in lengths {
            let reference = (0..<n).map { Float($0 % 3 == 0 ? 0 : $0) }
            let x = (0..<n).map { Float($0) * 0.5 - 3 }
            var fast = x
            fast.withUnsafeMutableBufferPointer { keepWhereNonzero($0.baseAddress!, reference: reference, scale: 1.25, count: n) }
            for j in 0..<n { XCTAssertEqual(fast[j], reference[j] == 0 ? 0 : x[j] * 1.25, "n=\(n) j=\(j)") }
        }
    }

    /// The grouped loop draws exactly the coins of the per-element definition, from any start.
    /// (Float's whole groups run in C, CKernels/dropout.c; in place too, as forward and backward call it.)
    func testDropoutMultiplyDrawsThePlainMaskBitForBit() {
        for (probability, key) in [(0.1, UInt64(77)), (0.5, 3), (0.9, 0xFFFF_FFFF_FFFF_FFF0)] {
            let dropout = Dropout(probability: probability, key: key)
            for base in [0, 1, 2, 3, 5, 502, 1003, 1 << 40] {
                for n in [0, 1, 3, 4, 5, 11, 33, 502] {
                    let x = (0..<n).map { Float($0) * 0.37 + 1 }
                    var y = [Float](repeating: -1, count: n)
                    dropout.multiply(x, into: &y, count: n, base: base)
                    var inPlace = x
                    inPlace.withUnsafeMutableBufferPointer { dropout.multiply(UnsafePointer($0.baseAddress!), into: $0.baseAddress!, count: n, base: base) }
                    for e in 0..<n {
                        let expected = x[e] * (dropout.scale(at: base + e) as Float)
                        XCTAssertEqual(y[e].bitPattern, expected.bitPattern, "p=\(probability) base=\(base) e=\(e)")
                        XCTAssertEqual(inPlace[e].bitPattern, expected.bitPattern, "in place, p=\(probability) base=\(base) e=\(e)")
                    }
                }
            }
        }
        let dropout = Dropout(probability: 0.1, key: 77)
        // and the rate is the one asked for
        let n = 100_000
        var y = [Float](repeating: 0, count: n)
        dropout.multiply([Float](repeating: 1, count: n), into: &y, count: n, base: 0)
        let dropped = Double(y.filter { $0 == 0 }.count) / Double(n)
        XCTAssertEqual(dropped, 0.1, accuracy: 0.005)
    }
}
