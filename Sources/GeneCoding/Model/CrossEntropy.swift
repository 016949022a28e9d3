// Softmax cross-entropy over K classes, averaged over the batch.
//
//   p = softmax(z),  L = -(1/B) Σ_b log p[b, y_b],   dz = (p - onehot(y)) / B      z [B, K]
//
// No separate backward: the loss ends the graph, so nothing flows into it, and dz comes out of the
// same pass over each row as the loss, reusing its log-sum-exp instead of keeping p for later.

enum CrossEntropy {
    /// Returns the mean loss (in Double) and dz [B, K].
    static func lossAndGradient<S: Scalar>(logits z: Tensor<S>, labels: [Int]) -> (Double, Tensor<S>) {
        let (b, k) = (z.rows, z.columns)
        precondition(labels.count == b, "\(labels.count) labels for \(b) rows of logits")
        let dz = Tensor<S>(uninitialized: z.shape)
        var loss = 0.0
        for r in 0..<b {
            let zr = z.pointer + r * k, dr = dz.pointer + r * k
            precondition(labels[r] >= 0 && labels[r] < k, "label \(labels[r]) outside 0..<\(k)")
            var m = zr[0]
            for j in 1..<k { m = Swift.max(m, zr[j]) }
            var sum = 0.0
            for j in 0..<k { sum += Double(S.exp(zr[j] - m)) }
            let logSum = Double(m) + Double.log(sum)
            loss += logSum - Double(zr[labels[r]])
            for j in 0..<k {
                let p = Double.exp(Double(zr[j]) - logSum)
                dr[j] = S((p - (j == labels[r] ? 1 : 0)) / Double(b))
            }
        }
        return (loss / Double(b), dz)
    }
}
