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

    /// Global L2 norm of all gradients, accumulated in Double.
    public func gradientNorm() -> Double {
        var sum = 0.0
        for p in all {
            let g = p.gradient.pointer
            for i in 0..<p.gradient.count { let x = Double(g[i]); sum += x * x }
        }
        return sum.squareRoot()
    }
}
