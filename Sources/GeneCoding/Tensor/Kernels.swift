// Elementwise kernels over raw storage. Each is a plain loop the optimiser vectorises; `add` and
// `addInPlace` on large tensors are split across the compute threads in contiguous ranges of elements.

/// out = a + b
public func add<S: Scalar>(_ a: Tensor<S>, _ b: Tensor<S>, into out: Tensor<S>) {
    precondition(a.count == b.count && a.count == out.count, "add: \(a.shape) + \(b.shape) into \(out.shape)")
    let (pa, pb, po) = (a.pointer, b.pointer, out.pointer)
    ComputeThreads.forRanges(a.count, minimum: 1 << 15) { r in
        for i in r { po[i] = pa[i] + pb[i] }
    }
}

/// a += b
public func addInPlace<S: Scalar>(_ a: Tensor<S>, _ b: Tensor<S>) {
    precondition(a.count == b.count, "addInPlace: \(a.shape) += \(b.shape)")
    let (pa, pb) = (a.pointer, b.pointer)
    ComputeThreads.forRanges(a.count, minimum: 1 << 15) { r in
        for i in r { pa[i] += pb[i] }
    }
}

/// column sums of a [rows, columns] matrix added into sums[columns]
public func accumulateColumnSums<S: Scalar>(_ m: Tensor<S>, into sums: Tensor<S>) {
    let (rows, cols) = (m.rows, m.columns)
    precondition(sums.count == cols, "column sums of \(m.shape) into \(sums.shape)")
    let (pm, ps) = (m.pointer, sums.pointer)
    for r in 0..<rows {
        let row = pm + r * cols
        for c in 0..<cols { ps[c] += row[c] }
    }
}
