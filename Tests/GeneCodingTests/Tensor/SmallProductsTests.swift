// Attention's small-matrix products against the reference loops.
import XCTest
@testable import GeneCoding

final class SmallProductsTests: XCTestCase {
    /// Every form attention uses (A B, Aᵀ B, A Bᵀ), with row strides wider than the rows (head slices
    /// of a [T, C] matrix): the eight-wide Float loops equal the one-at-a-time loops bit for bit, and
    /// both equal the textbook triple loop in Double to rounding.
    func testEveryFormAgainstTheReferenceLoops() {
        var random = RandomSource(seed: 21)
        for (m, n, k) in [(1, 16, 27), (27, 16, 27), (27, 27, 16), (1, 27, 32), (5, 8, 3), (64, 32, 64), (3, 11, 8)] {
            for (ta, tb) in [(false, false), (true, false), (false, true)] {
                let lda = (ta ? m : k) + 5, ldb = (tb ? k : n) + 3, ldc = n + 2
                let rowsA = ta ? k : m, rowsB = tb ? n : k
                let a = (0..<(rowsA * lda)).map { _ in Float(random.normal()) }
                let b = (0..<(rowsB * ldb)).map { _ in Float(random.normal()) }
                var fast = [Float](repeating: .nan, count: m * ldc), plain = fast
                var reference = [Double](repeating: .nan, count: m * ldc)
                let alpha: Float = 0.25
                smallProduct(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: &fast, ldc: ldc)
                smallProductPlain(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: &plain, ldc: ldc)
                plainGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: Double(alpha), a: a.map(Double.init), lda: lda,
                          b: b.map(Double.init), ldb: ldb, beta: 0, c: &reference, ldc: ldc)
                let shape = "\(m)x\(n)x\(k) \(ta ? "Aᵀ" : "A") \(tb ? "Bᵀ" : "B")"
                for i in 0..<m {
                    for j in 0..<n {
                        let e = i * ldc + j
                        XCTAssertEqual(fast[e].bitPattern, plain[e].bitPattern, "\(shape) at (\(i), \(j))")
                        XCTAssertEqual(Double(fast[e]), reference[e], accuracy: 1e-5 * (1 + abs(reference[e])), "\(shape) at (\(i), \(j))")
                    }
                    // Columns past n are the caller's: untouched.
                    for j in n..<ldc { XCTAssertTrue(fast[i * ldc + j].isNaN, "\(shape) wrote past its columns") }
                }
            }
        }
    }
}
