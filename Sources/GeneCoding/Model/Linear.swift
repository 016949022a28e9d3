// Linear (fully connected) layer.
//
//   y = x Wᵀ + b                       x: [N, I]   W: [O, I]   b: [O]   y: [N, O]
//
// W is stored [out, in] as PyTorch's nn.Linear does, so checkpoints need no transposes.
// N is every token of the batch (B x T) or every sequence (B), whichever the caller passes.
//
// Backward takes forward's input x instead of a cache: x is all it needs, and every caller already
// holds it (it is the previous layer's output, kept in that caller's cache). `accumulateInto` adds dx
// into a tensor the caller gives, for inputs that feed several projections (attention's Q, K and V
// read one x) or a residual sum: one tensor and one addition fewer than returning dx to be added.

struct Linear<S: Scalar> {
    let weight: Parameter<S>
    let bias: Parameter<S>
    let inputs: Int
    let outputs: Int

    init(_ store: ParameterStore<S>, _ name: String, inputs: Int, outputs: Int, random: inout RandomSource) {
        self.inputs = inputs
        self.outputs = outputs
        weight = store.make(name + ".weight", [outputs, inputs], decays: true)
        bias = store.make(name + ".bias", [outputs], decays: false)
        initializeNormal(weight.value, deviation: 0.02, random: &random)  // BERT's initializer range
    }

    // MARK: forward

    /// x [N, I] -> y [N, O]
    func forward(_ x: Tensor<S>) -> Tensor<S> {
        let y = Tensor<S>(uninitialized: [x.rows, outputs])
        // y[n, :] = b
        for n in 0..<x.rows { (y.pointer + n * outputs).update(from: bias.value.pointer, count: outputs) }
        // y += x Wᵀ
        matmul(x, weight.value, into: y, transposeB: true, accumulate: true)
        return y
    }

    // MARK: backward

    /// dy [N, O], x [N, I] -> dx [N, I] (written, or added to when `accumulateInto` is given)
    func backward(_ dy: Tensor<S>, input x: Tensor<S>, accumulateInto dxSum: Tensor<S>? = nil) -> Tensor<S> {
        // y = x Wᵀ + b  =>  dW += dyᵀ x,  db += Σₙ dy[n],  dx = dy W
        matmul(dy, x, into: weight.gradient, transposeA: true, accumulate: true)
        accumulateColumnSums(dy, into: bias.gradient)
        if let dxSum {
            matmul(dy, weight.value, into: dxSum, accumulate: true)
            return dxSum
        }
        let dx = Tensor<S>(uninitialized: [x.rows, inputs])
        matmul(dy, weight.value, into: dx)
        return dx
    }
}

func initializeNormal<S: Scalar>(_ t: Tensor<S>, deviation: Double, random: inout RandomSource) {
    for i in 0..<t.count { t.pointer[i] = S(random.normal() * deviation) }
}
