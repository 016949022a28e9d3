// AdamW (Loshchilov & Hutter 2019): Adam with weight decay decoupled from the gradient.
//
//   m ← β₁ m + (1 - β₁) g,   v ← β₂ v + (1 - β₂) g²,   m̂ = m / (1 - β₁ᵗ),   v̂ = v / (1 - β₂ᵗ)
//   θ ← θ - η (m̂ / (√v̂ + ε) + λ θ)          (λ only for parameters that decay)
//
// As PyTorch's AdamW: decay is applied as θ ← θ (1 - η λ) before the Adam step, the same to first order.
// Gradients are clipped to a global L2 norm first (BERT clips at 1.0).
import CKernels

public struct OptimizerSettings: Codable, Hashable, Sendable {
    public var learningRate: Double
    public var weightDecay: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Fraction of all steps spent warming the rate up linearly from 0.
    public var warmupFraction: Double
    /// Clip the global gradient norm to this; nil for no clipping.
    public var gradientClip: Double?

    /// The paper's optimiser: AdamW, lr 1e-4, weight decay 0.01, 10% linear warm-up, cosine decay.
    public static let paper = OptimizerSettings(learningRate: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999,
                                                epsilon: 1e-8, warmupFraction: 0.1, gradientClip: 1.0)

    public init(learningRate: Double, weightDecay: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, warmupFraction: Double = 0.1, gradientClip: Double? = 1.0) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.warmupFraction = warmupFraction
        self.gradientClip = gradientClip
    }
}

/// Learning rate at a step: linear warm-up to the peak, then cosine decay to 0 at the last step.
public struct LearningRateSchedule: Sendable {
    public let peak: Double
    public let totalSteps: Int
    public let warmupSteps: Int

    public init(peak: Double, totalSteps: Int, warmupFraction: Double) {
        self.peak = peak
        self.totalSteps = Swift.max(1, totalSteps)
        self.warmupSteps = Int((warmupFraction * Double(totalSteps)).rounded())
    }

    /// Rate for step `step` (0-based).
    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step + 1) / Double(warmupSteps) }
        let decaySteps = Swift.max(1, totalSteps - warmupSteps)
        let progress = Swift.min(1, Double(step - warmupSteps) / Double(decaySteps))
        return peak * 0.5 * (1 + Double.cos(Double.pi * progress))
    }
}

public final class AdamW<S: Scalar> {
    public let settings: OptimizerSettings
    /// First and second moments, one pair per parameter, in the store's order.
    public private(set) var moments: [(m: Tensor<S>, v: Tensor<S>)]
    public private(set) var step = 0

    public init(_ parameters: ParameterStore<S>, settings: OptimizerSettings) {
        self.settings = settings
        moments = parameters.all.map { (Tensor(shape: $0.value.shape), Tensor(shape: $0.value.shape)) }
    }

    /// Restores moments and step count (from a checkpoint).
    public func restore(step: Int, moments: [(m: Tensor<S>, v: Tensor<S>)]) {
        precondition(moments.count == self.moments.count, "optimizer state for \(moments.count) parameters, expected \(self.moments.count)")
        self.step = step
        self.moments = moments
    }

    /// Clips, then applies one update at `learningRate`. Returns the gradient norm before clipping.
    @discardableResult
    public func update(_ parameters: ParameterStore<S>, learningRate: Double) -> Double {
        let norm = parameters.gradientNorm()
        let clip = settings.gradientClip.map { norm > $0 ? $0 / (norm + 1e-6) : 1 } ?? 1
        step += 1
        let (b1, b2) = (settings.beta1, settings.beta2)
        let correction1 = 1 - Double.pow(b1, Double(step)), correction2 = 1 - Double.pow(b2, Double(step))
        let (sb1, sb2, sClip, sEps) = (S(b1), S(b2), S(clip), S(settings.epsilon))
        let stepSize = S(learningRate / correction1)
        let rootCorrection2 = S(correction2.squareRoot())
        for (p, state) in zip(parameters.all, moments) {
            let (theta, g, m, v) = (p.value.pointer, p.gradient.pointer, state.m.pointer, state.v.pointer)
            let decay = p.decays ? S(1 - learningRate * settings.weightDecay) : 1
            let constants = AdamWStep(b1: sb1, b2: sb2, clip: sClip, epsilon: sEps, stepSize: stepSize,
                                      rootCorrection2: rootCorrection2, decay: decay)
            ComputeThreads.forRanges(p.value.count, minimum: 1 << 14) { r in
                adamWUpdate(theta, g, m, v, range: r, constants)
            }
        }
        return norm
    }
}

/// The scalars of one AdamW step, for the element loops below.
struct AdamWStep<S: Scalar> {
    var b1, b2, clip, epsilon, stepSize, rootCorrection2, decay: S
}

/// One AdamW step on the elements `range`: vectorised C for Float (CKernels: Swift's square root is a
/// call to libm on Linux), the plain loop otherwise. Both compute each element with the same operations
/// in the same order, so they agree bit for bit (AdamWTests).
@inline(__always)
func adamWUpdate<S: Scalar>(_ theta: UnsafeMutablePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafeMutablePointer<S>,
                            _ v: UnsafeMutablePointer<S>, range: Range<Int>, _ k: AdamWStep<S>) {
    if S.self == Float.self {
        let f = unsafeBitCast(k, to: AdamWStep<Float>.self)
        let i = range.lowerBound
        genecoding_adamw_update_f32(UnsafeMutableRawPointer(theta + i).assumingMemoryBound(to: Float.self),
                                    UnsafeRawPointer(g + i).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(m + i).assumingMemoryBound(to: Float.self),
                                    UnsafeMutableRawPointer(v + i).assumingMemoryBound(to: Float.self), range.count,
                                    f.b1, f.b2, f.clip, f.epsilon, f.stepSize, f.rootCorrection2, f.decay)
    } else {
        adamWUpdatePlain(theta, g, m, v, range: range, k)
    }
}

/// The reference loop (Double runs it; AdamWTests hold the Float kernel to it).
func adamWUpdatePlain<S: Scalar>(_ theta: UnsafeMutablePointer<S>, _ g: UnsafePointer<S>, _ m: UnsafeMutablePointer<S>,
                                 _ v: UnsafeMutablePointer<S>, range: Range<Int>, _ k: AdamWStep<S>) {
    for i in range {
        let gi = g[i] * k.clip
        m[i] = k.b1 * m[i] + (1 - k.b1) * gi
        v[i] = k.b2 * v[i] + (1 - k.b2) * gi * gi
        theta[i] = theta[i] * k.decay - k.stepSize * m[i] / (v[i].squareRoot() / k.rootCorrection2 + k.epsilon)
    }
}
