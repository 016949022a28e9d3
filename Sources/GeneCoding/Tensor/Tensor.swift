// Dense, contiguous, row-major storage with a shape.
//
// A tensor is a reference: layers write into buffers they were handed, and a cache keeps the
// activations backward needs without copying them. Shapes are checked where tensors meet.
public final class Tensor<S: Scalar> {
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutablePointer<S>

    public init(shape: [Int], filledWith value: S = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.pointer = .allocate(capacity: Swift.max(count, 1))
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
    }

    deinit { pointer.deallocate() }

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

    public func converted<T: Scalar>(to: T.Type) -> Tensor<T> {
        let t = Tensor<T>(shape: shape)
        for i in 0..<count { t.pointer[i] = T(pointer[i]) }
        return t
    }
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
    S.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: ac,
           b: b.pointer, ldb: bc, beta: accumulate ? 1 : 0, c: c.pointer, ldc: n)
}

extension Tensor {
    /// A tensor whose every element the caller will write before reading.
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, uninitializedCount: shape.reduce(1, *))
    }
}
