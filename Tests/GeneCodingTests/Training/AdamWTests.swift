// The AdamW update: the vectorised C loop that trains Float models against the Swift reference loop.
import XCTest
@testable import GeneCoding

final class AdamWTests: XCTestCase {
    /// Same inputs through both loops: every element of θ, m and v the same bit for bit, at lengths that
    /// leave every remainder of the vector width, with gradients from tiny to large (and exact zeros).
    func testVectorisedUpdateEqualsTheReferenceLoopBitForBit() {
        var random = RandomSource(seed: 11)
        for count in [1, 7, 8, 9, 31, 64, 1000, 4099] {
            func values(_ scale: Double) -> [Float] { (0..<count).map { _ in Float(random.normal() * scale) } }
            let theta = values(0.05), m = values(1e-3), v = values(1e-4).map { $0 * $0 }
            var g = values(1)
            for i in stride(from: 0, to: count, by: 5) { g[i] = 0 }
            for i in stride(from: 3, to: count, by: 11) { g[i] *= 1e-6 }
            let k = AdamWStep<Float>(b1: 0.9, b2: 0.999, clip: 0.73, epsilon: 1e-8, stepSize: 3e-4,
                                     rootCorrection2: 0.0447, decay: 0.99999)
            var (t1, m1, v1) = (theta, m, v), (t2, m2, v2) = (theta, m, v)
            g.withUnsafeBufferPointer { gp in
                adamWUpdate(&t1, gp.baseAddress!, &m1, &v1, range: 0..<count, k)
                adamWUpdatePlain(&t2, gp.baseAddress!, &m2, &v2, range: 0..<count, k)
            }
            XCTAssertEqual(t1.map(\.bitPattern), t2.map(\.bitPattern), "θ, \(count) elements")
            XCTAssertEqual(m1.map(\.bitPattern), m2.map(\.bitPattern), "m, \(count) elements")
            XCTAssertEqual(v1.map(\.bitPattern), v2.map(\.bitPattern), "v, \(count) elements")
            XCTAssertNotEqual(t1, theta, "the update must move θ (\(count) elements)")
        }
    }

    /// The update itself, on one element, against the formula written out in Double.
    func testOneElementFollowsTheFormula() {
        var (theta, m, v): (Double, Double, Double) = (0.5, 0.01, 0.0004)
        let g = 0.2
        let k = AdamWStep<Double>(b1: 0.9, b2: 0.999, clip: 0.5, epsilon: 1e-8, stepSize: 1e-3,
                                  rootCorrection2: 0.3, decay: 0.99)
        withUnsafePointer(to: g) { gp in adamWUpdatePlain(&theta, gp, &m, &v, range: 0..<1, k) }
        let gc = 0.2 * 0.5
        let m1 = 0.9 * 0.01 + 0.1 * gc, v1 = 0.999 * 0.0004 + 0.001 * gc * gc
        XCTAssertEqual(m, m1, accuracy: 1e-15)
        XCTAssertEqual(v, v1, accuracy: 1e-15)
        XCTAssertEqual(theta, 0.5 * 0.99 - 1e-3 * m1 / (v1.squareRoot() / 0.3 + 1e-8), accuracy: 1e-15)
    }
}
