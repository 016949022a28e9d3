// Trainable tensors, each with its gradient, under Hugging Face BERT names where BERT has the same
// tensor, so a checkpoint reads naturally in PyTorch.

public final class Parameter<S: Scalar> {
    public let name: String
    public let value: Tensor<S>
    public let gradient: Tensor<S>
    /// AdamW decays weights, not biases, LayerNorm parameters (BERT's convention).
    public let decays: Bool

    init(name: String, shape: [Int], decays: Bool) {
        self.name = name
        self.value = Tensor(shape: shape)
        self.gradient = Tensor(shape: shape)
        self.decays = decays
    }
}

/// Every parameter of a model, in creation order.
public final class ParameterStore<S: Scalar> {
    public private(set) var all: [Parameter<S>] = []
    private var byName: [String: Parameter<S>] = [:]

    public init() {}

    func make(_ name: String, _ shape: [Int], decays: Bool) -> Parameter<S> {
        precondition(byName[name] == nil, "parameter \(name) made twice")
        let p = Parameter<S>(name: name, shape: shape, decays: decays)
        all.append(p)
        byName[name] = p
        return p
    }

    public subscript(name: String) -> Parameter<S>? { byName[name] }

    public func zeroGradients() { for p in all { p.gradient.zero() } }

    public var count: Int { all.reduce(0) { $0 + $1.value.count } }

    /// A copy of every value by name: what a checkpoint or the best-on-dev epoch keeps.
    public func snapshot() -> [String: Tensor<S>] {
        Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0.value.copy()) })
    }

    /// Sets every value from `values`, which must hold each parameter by name.
    public func restore(_ values: [String: Tensor<S>]) {
        for p in all {
            guard let v = values[p.name] else { preconditionFailure("no saved value for \(p.name)") }
            p.value.copy(from: v)
        }
    }

    /// Global L2 norm of all gradients, accumulated in Double, in eight lanes (element i of a tensor
    /// goes to lane i mod 8) summed at the end: a fixed order, whatever the thread count.
    public func gradientNorm() -> Double {
        var lanes = SIMD8<Double>.zero
        for p in all {
            let g = p.gradient.pointer, n = p.gradient.count
            var i = 0
            if S.self == Float.self {
                let gf = UnsafeRawPointer(g).assumingMemoryBound(to: Float.self)
                while i + 8 <= n {
                    let x = SIMD8<Double>(UnsafeRawPointer(gf + i).loadUnaligned(as: SIMD8<Float>.self))
                    lanes += x * x
                    i += 8
                }
            } else {
                while i + 8 <= n {
                    var x = SIMD8<Double>.zero
                    for l in 0..<8 { x[l] = Double(g[i + l]) }
                    lanes += x * x
                    i += 8
                }
            }
            while i < n { let x = Double(g[i]); lanes[i & 7] += x * x; i += 1 }
        }
        return lanes.sum().squareRoot()
    }
}
