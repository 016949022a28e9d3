// The number types the engine runs in.
//
// Training runs in Float (OpenBLAS sgemm). Gradient checks run the very same code in Double
// (dgemm), so central finite differences are accurate to ~1e-8 and the check tests the fast path
// itself, not a copy of it. `Real` (swift-numerics) gives exp, erf, tanh for both.
import COpenBLAS
import RealModule

public protocol Scalar: BinaryFloatingPoint, Real, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha * op(A) * op(B) + beta * C, row-major; op(X) is X or its transpose.
    /// op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are the row strides.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

@inline(__always)
private func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: Scalar {
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: Scalar {
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// The plain version of `gemm`: three loops, same arguments. Tests hold BLAS against it.
public func plainGemm<S: Scalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                 alpha: S, a: UnsafePointer<S>, lda: Int,
                                 b: UnsafePointer<S>, ldb: Int,
                                 beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = S.zero
            for p in 0..<k {
                let aip = transposeA ? a[p * lda + i] : a[i * lda + p]
                let bpj = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                sum += aip * bpj
            }
            c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
        }
    }
}
