// The small matrix products of attention, without BLAS.
//
// Per (sequence, head), attention multiplies matrices of a few dozen rows: with BPE a GUE sequence is
// about 25 tokens and a head 16 or 32 channels wide. A BLAS call costs more in dispatch and packing
// than such a product in arithmetic, and a 3-layer step makes more than a thousand of them. These
// loops read the operands in place (row strides as BLAS takes them) and keep the output's row in
// registers:
//
//   C = α op(A) op(B)      op(A) m x k,  op(B) k x n,  C m x n;  lda, ldb, ldc are row strides
//
//   op(B) = B  (row p of B is contiguous):  C[i, :] = α Σ_p op(A)[i, p] B[p, :]   eight columns at a time
//   op(B) = Bᵀ (row j of B is contiguous):  C[i, j] = α Σ_p A[i, p] B[j, p]        eight terms of p at a time
//
// Float runs eight wide; Double (the gradient checks) runs the same loops one element at a time. The
// sums are in a fixed order (p ascending; the Bᵀ form in eight lanes of p, then the lanes summed), so
// the result never depends on the thread count. `plainGemm` (Scalar.swift) is the reference the tests
// hold these to. `usesSmallProducts` says which shapes take this path: the rest go to BLAS.

/// True when attention's products for T tokens and head size D are done by `smallProduct`.
@inline(__always)
func usesSmallProducts(tokens t: Int, headSize d: Int) -> Bool {
    t <= 96 && d % 8 == 0 && d <= 128
}

/// C = α op(A) op(B) (C is overwritten). op(A) may be transposed; `transposeA && transposeB` is not used.
func smallProduct<S: Scalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: S,
                             a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
                             c: UnsafeMutablePointer<S>, ldc: Int) {
    precondition(!(transposeA && transposeB), "smallProduct: Aᵀ Bᵀ is not a form attention uses")
    if S.self == Float.self {
        let (af, bf) = (UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), UnsafeRawPointer(b).assumingMemoryBound(to: Float.self))
        let cf = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        let alphaf = unsafeBitCast(alpha, to: Float.self)
        if transposeB {
            if k % 8 == 0 { return smallProductTransposedBFloat8(m: m, n: n, k: k, alpha: alphaf, a: af, lda: lda, b: bf, ldb: ldb, c: cf, ldc: ldc) }
        } else if n % 8 == 0 {
            return smallProductFloat8(transposeA: transposeA, m: m, n: n, k: k, alpha: alphaf, a: af, lda: lda, b: bf, ldb: ldb, c: cf, ldc: ldc)
        }
    }
    smallProductPlain(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
}

/// The same loops one element at a time: every lane of the eight-wide versions is one of these sums,
/// taken in the same order (for the Bᵀ form: lane l sums the terms p ≡ l mod 8, then the lanes are added).
func smallProductPlain<S: Scalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: S,
                                  a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
                                  c: UnsafeMutablePointer<S>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum = S.zero
            if transposeB {
                // C[i, j] = Σ_p A[i, p] B[j, p], in eight lanes when k allows (as the Float loop)
                let lanes = k % 8 == 0 ? 8 : 1
                var partial = [S](repeating: 0, count: lanes)
                for p in 0..<k { partial[p % lanes] += a[i * lda + p] * b[j * ldb + p] }
                sum = lanes == 8 ? laneSum(partial) : partial[0]
            } else {
                for p in 0..<k { sum += (transposeA ? a[p * lda + i] : a[i * lda + p]) * b[p * ldb + j] }
            }
            c[i * ldc + j] = alpha * sum
        }
    }
}

/// The eight lanes added pairwise: (0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1, as the Float loop adds its halves.
@inline(__always)
private func laneSum<S: Scalar>(_ x: [S]) -> S {
    let (a0, a1, a2, a3) = (x[0] + x[4], x[1] + x[5], x[2] + x[6], x[3] + x[7])
    let (b0, b1) = (a0 + a2, a1 + a3)
    return b0 + b1
}

/// op(B) = B: C[i, j..j+8] = α Σ_p op(A)[i, p] B[p, j..j+8]. [n % 8 == 0]
private func smallProductFloat8(transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let scale = Float8(repeating: alpha)
    for i in 0..<m {
        var j = 0
        while j < n {
            var acc = Float8.zero
            for p in 0..<k {
                let aip = transposeA ? a[p * lda + i] : a[i * lda + p]
                acc += Float8(repeating: aip) * VectorMath.load(b + p * ldb + j)
            }
            VectorMath.store(scale * acc, c + i * ldc + j)
            j += 8
        }
    }
}

/// op(B) = Bᵀ: C[i, j] = α Σ_p A[i, p] B[j, p], the terms of p eight lanes at a time. [k % 8 == 0]
private func smallProductTransposedBFloat8(m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        let ai = a + i * lda
        for j in 0..<n {
            let bj = b + j * ldb
            var acc = Float8.zero
            var p = 0
            while p < k {
                acc += VectorMath.load(ai + p) * VectorMath.load(bj + p)
                p += 8
            }
            let half = acc.lowHalf + acc.highHalf, quarter = half.lowHalf + half.highHalf   // as laneSum
            c[i * ldc + j] = alpha * (quarter[0] + quarter[1])
        }
    }
}
