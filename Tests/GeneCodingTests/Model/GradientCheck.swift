// Central finite differences in Double against the hand-written backward passes.
//
// Each check takes a scalar loss L(θ) = Σ output ⊙ R with a fixed random projection R (so every
// output element matters with a different weight), perturbs one element at a time by ±h, and
// compares (L(θ+h) - L(θ-h)) / 2h with the analytic gradient under
//     |analytic - numeric| <= absoluteTolerance + relativeTolerance * max(|analytic|, |numeric|).
// A failure names the tensor, the configuration and the worst element.
import XCTest
@testable import GeneCoding

struct GradientTolerance {
    var absolute = 1e-8
    var relative = 1e-6
    var step = 1e-5
}

/// A tensor whose elements are perturbed, with the gradient backward computed for it.
struct CheckedTensor {
    let name: String
    let tensor: Tensor<Double>
    let analytic: [Double]
}

struct GradientMismatch: CustomStringConvertible {
    let name: String, index: Int, analytic: Double, numeric: Double
    var description: String { "\(name)[\(index)]: analytic \(analytic), numeric \(numeric)" }
}

enum GradientCheck {
    /// Compares analytic gradients with central differences of `loss` for (at most `samples`
    /// randomly chosen elements of) each tensor. Returns the number of elements checked.
    @discardableResult
    static func verify(_ tensors: [CheckedTensor], configuration: String, samples: Int = 40, seed: UInt64 = 7,
                       tolerance: GradientTolerance = GradientTolerance(),
                       loss: () -> Double, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var random = RandomSource(seed: seed)
        var checked = 0
        var anyNonZero = false
        for t in tensors {
            XCTAssertEqual(t.analytic.count, t.tensor.count, "\(t.name): gradient size", file: file, line: line)
            let indices: [Int] = t.tensor.count <= samples
                ? Array(0..<t.tensor.count)
                : (0..<samples).map { _ in Int(random.next() % UInt64(t.tensor.count)) }
            var worst: (excess: Double, mismatch: GradientMismatch)? = nil
            for i in indices {
                let saved = t.tensor[i]
                t.tensor[i] = saved + tolerance.step
                let plus = loss()
                t.tensor[i] = saved - tolerance.step
                let minus = loss()
                t.tensor[i] = saved
                let numeric = (plus - minus) / (2 * tolerance.step)
                let analytic = t.analytic[i]
                if analytic != 0 { anyNonZero = true }
                let allowed = tolerance.absolute + tolerance.relative * max(abs(analytic), abs(numeric))
                let excess = abs(analytic - numeric) - allowed
                if excess > 0, worst == nil || excess > worst!.excess {
                    worst = (excess, GradientMismatch(name: t.name, index: i, analytic: analytic, numeric: numeric))
                }
                checked += 1
            }
            if let worst {
                XCTFail("gradient mismatch [\(configuration)] worst element \(worst.mismatch)", file: file, line: line)
            }
        }
        XCTAssertTrue(anyNonZero, "[\(configuration)] every analytic gradient is zero: the check would prove nothing",
                      file: file, line: line)
        return checked
    }

    /// A fixed random projection R with the shape of `like`, and L = Σ y ⊙ R.
    static func projection(like y: Tensor<Double>, seed: UInt64) -> Tensor<Double> {
        var random = RandomSource(seed: seed)
        let r = Tensor<Double>(shape: y.shape)
        for i in 0..<r.count { r[i] = random.normal() }
        return r
    }

    static func project(_ y: Tensor<Double>, _ r: Tensor<Double>) -> Double {
        var sum = 0.0
        for i in 0..<y.count { sum += y[i] * r[i] }
        return sum
    }

    static func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<Double> {
        var random = RandomSource(seed: seed)
        let t = Tensor<Double>(shape: shape)
        for i in 0..<t.count { t[i] = random.normal() * scale }
        return t
    }
}
