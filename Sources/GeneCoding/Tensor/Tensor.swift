// Dense, contiguous, row-major storage with a shape.
//
// A tensor is a reference: layers write into buffers they were handed, and a cache keeps the
// activations backward needs without copying them. Shapes are checked where tensors meet.
import Synchronization

/// Bytes held by live tensors, and the most held at once since `resetPeak()`: what a computation
/// needs for its activations and parameters, measured without the allocator's slack (chapter 4's
/// memory-against-length chart). Counted per allocation, not per element, so it costs nothing
/// measurable. Process-wide: measure with nothing else running.
public enum TensorMemory {
    static let live = Atomic<Int>(0)
    static let peakBytes = Atomic<Int>(0)

    public static var current: Int { live.load(ordering: .relaxed) }
    public static var peak: Int { peakBytes.load(ordering: .relaxed) }
    /// Starts a new peak from what is held now.
    public static func resetPeak() { peakBytes.store(current, ordering: .relaxed) }

    static func allocated(_ bytes: Int) {
        let now = live.add(bytes, ordering: .relaxed).newValue
        var seen = peakBytes.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peakBytes.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    static func released(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}
public final class Tensor<S: Scalar> {
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutablePointer<S>

    public init(shape: [Int], filledWith value: S = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.pointer = .allocate(capacity: Swift.max(count, 1))
        TensorMemory.allocated(Swift.max(count, 1) * MemoryLayout<S>.stride)
        pointer.initialize(repeating: value, count: Swift.max(count, 1))
    }

    public convenience init(shape: [Int], values: [S]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    init(shape: [Int], uninitializedCount: Int) {
        self.shape = shape
        self.count = uninitializedCount
        self.pointer = .allocate(capacity: Swift.max(uninitializedCount, 1))
        TensorMemory.allocated(Swift.max(uninitializedCount, 1) * MemoryLayout<S>.stride)
    }

    deinit {
        TensorMemory.released(Swift.max(count, 1) * MemoryLayout<S>.stride)
        pointer.deallocate()
    }

    public subscript(index: Int) -> S {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public var values: [S] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func fill(_ value: S) { pointer.update(repeating: value, count: count) }
    public func zero() { fill(0) }

    public func copy() -> Tensor<S> {
        let t = Tensor(shape: shape)
        t.pointer.update(from: pointer, count: count)
        return t
    }

    public func copy(from other: Tensor<S>) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        pointer.update(from: other.pointer, count: count)
    }

    /// Rows x columns when the tensor is read as a matrix whose rows are all but the last axis.
    public var rows: Int { shape.count <= 1 ? 1 : count / shape[shape.count - 1] }
    public var columns: Int { shape.last ?? 1 }
}

/// C[m, n] (+)= op(A) op(B) for whole tensors read as matrices.
public func matmul<S: Scalar>(_ a: Tensor<S>, _ b: Tensor<S>, into c: Tensor<S>,
                              transposeA ta: Bool = false, transposeB tb: Bool = false,
                              accumulate: Bool = false) {
    let (ar, ac) = (a.rows, a.columns), (br, bc) = (b.rows, b.columns)
    let m = ta ? ac : ar, k = ta ? ar : ac
    let kb = tb ? bc : br, n = tb ? br : bc
    precondition(k == kb && c.rows == m && c.columns == n,
                 "matmul: \(a.shape)\(ta ? "ᵀ" : "") x \(b.shape)\(tb ? "ᵀ" : "") into \(c.shape)")
    parallelGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: ac,
                 b: b.pointer, ldb: bc, beta: accumulate ? 1 : 0, c: c.pointer, ldc: n)
}

/// gemm split into blocks of rows of C when C is taller than wide, else of columns. The blocks are
/// fixed by the shape alone (`gemmBlocks`), never by the thread count, and each is one single-threaded
/// gemm; the threads share out whole blocks. So every element of C comes out of the same call with
/// the same sub-shape on any number of threads, and the results are the same bit for bit (BLAS may
/// choose its kernel, and with it the order of a sum, by the shape it is given).
public func parallelGemm<S: Scalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                    alpha: S, a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
                                    beta: S, c: UnsafeMutablePointer<S>, ldc: Int) {
    let byRows = m >= n
    let blocks = gemmBlocks(m: m, n: n, k: k)
    if blocks == 1 {
        ProductTimer.timed {
            S.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
        return
    }
    let extent = byRows ? m : n
    ComputeThreads.forRanges(blocks) { assigned in
        ProductTimer.timed {
        for block in assigned {
            let part = (extent * block / blocks)..<(extent * (block + 1) / blocks)
            if byRows {
                // Rows i of op(A): A[i, :] at a + i*lda, or Aᵀ: column i of A at a + i.
                let aBlock = transposeA ? a + part.lowerBound : a + part.lowerBound * lda
                S.gemm(transposeA: transposeA, transposeB: transposeB, m: part.count, n: n, k: k, alpha: alpha,
                       a: aBlock, lda: lda, b: b, ldb: ldb, beta: beta, c: c + part.lowerBound * ldc, ldc: ldc)
            } else {
                // Columns j of op(B): B[:, j] at b + j, or Bᵀ: row j of B at b + j*ldb.
                let bBlock = transposeB ? b + part.lowerBound * ldb : b + part.lowerBound
                S.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: part.count, k: k, alpha: alpha,
                       a: a, lda: lda, b: bBlock, ldb: ldb, beta: beta, c: c + part.lowerBound, ldc: ldc)
            }
        }
        }
    }
}

/// How many blocks a product of m x n x k multiply-adds is cut into: one for a small product (below
/// about a million multiply-adds, or too few rows or columns to make two blocks worth the split, where
/// a split costs more than it saves), else two. Never more: every block packs its own copy of B, and
/// when products were cut into up to eight blocks that packing took 15% of a width-128 step (engine-5).
/// Two threads take a block each; more threads than blocks leave the extra ones idle in a product.
func gemmBlocks(m: Int, n: Int, k: Int) -> Int {
    let work = m * n * k, extent = Swift.max(m, n)
    return work >= 1 << 20 && extent >= 2 * 16 ? 2 : 1
}

extension Tensor {
    /// A tensor whose every element the caller will write before reading.
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, uninitializedCount: shape.reduce(1, *))
    }
}
