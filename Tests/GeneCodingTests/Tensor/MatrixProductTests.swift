// The fast matrix products (OpenBLAS, and our split across threads) against the plain loops.
import XCTest
@testable import GeneCoding

final class MatrixProductTests: XCTestCase {
    /// Random row-major storage for a rows x columns matrix inside a wider buffer (row stride `stride`).
    private func matrix(_ rows: Int, _ columns: Int, stride: Int, seed: UInt64) -> [Double] {
        var random = RandomSource(seed: seed)
        return (0..<(rows * stride)).map { _ in random.normal() }
    }

    private func check(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Double, threads: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        // Strides wider than the matrices, as attention's per-head slices are.
        let (aRows, aCols) = transposeA ? (k, m) : (m, k)
        let (bRows, bCols) = transposeB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (aCols + 3, bCols + 2, n + 5)
        let a = matrix(aRows, aCols, stride: lda, seed: 1), b = matrix(bRows, bCols, stride: ldb, seed: 2)
        let c0 = matrix(m, n, stride: ldc, seed: 3)
        var plain = c0, blas = c0, split = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                plain.withUnsafeMutableBufferPointer { pc in
                    plainGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                              b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
                blas.withUnsafeMutableBufferPointer { pc in
                    Double.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
                ComputeThreads.set(threads)
                split.withUnsafeMutableBufferPointer { pc in
                    parallelGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                 b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
                ComputeThreads.set(1)
            }
        }
        let label = "m=\(m) n=\(n) k=\(k) Aᵀ=\(transposeA) Bᵀ=\(transposeB) beta=\(beta) threads=\(threads)"
        for i in 0..<m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j >= n {  // outside C: never written
                    XCTAssertEqual(blas[index], c0[index], "\(label): BLAS wrote outside C at (\(i), \(j))", file: file, line: line)
                    XCTAssertEqual(split[index], c0[index], "\(label): split wrote outside C at (\(i), \(j))", file: file, line: line)
                    continue
                }
                XCTAssertEqual(blas[index], plain[index], accuracy: 1e-10, "\(label): BLAS at (\(i), \(j))", file: file, line: line)
                XCTAssertEqual(split[index], plain[index], accuracy: 1e-10, "\(label): split at (\(i), \(j))", file: file, line: line)
            }
        }
    }

    func testEveryTransposeFormAgainstThePlainLoops() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                for beta in [0.0, 1.0] {
                    check(m: 7, n: 5, k: 4, transposeA: transposeA, transposeB: transposeB, beta: beta, threads: 1)
                }
            }
        }
    }

    /// Large enough to be split across threads, both by rows (tall C) and by columns (wide C).
    func testTheThreadSplitAgainstThePlainLoops() {
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                check(m: 150, n: 70, k: 110, transposeA: transposeA, transposeB: transposeB, beta: 1, threads: 2)
                check(m: 70, n: 150, k: 110, transposeA: transposeA, transposeB: transposeB, beta: 0, threads: 3)
            }
        }
    }
}
