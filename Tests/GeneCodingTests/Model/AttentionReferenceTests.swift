// The fast attention forward against a plain transcription of the equations, element by element.
// Gradient checks prove backward matches forward; this proves forward is the layer the papers define.
import XCTest
@testable import GeneCoding

final class AttentionReferenceTests: XCTestCase {
    /// Self-attention written from the equations, one loop per index: no BLAS, no shared code
    /// with the layer except reading its weights.
    private func reference(_ layer: SelfAttention<Double>, x: Tensor<Double>, batch: Int, length t: Int, lengths: [Int],
                           encoding: PositionEncoding, causal: Bool) -> [Double] {
        let (h, d) = (layer.heads, layer.headSize)
        let c = h * d
        func project(_ linear: Linear<Double>, _ row: Int) -> [Double] {
            (0..<c).map { o in linear.bias.value[o] + (0..<c).reduce(0.0) { $0 + x[row * c + $1] * linear.weight.value[o * c + $1] } }
        }
        // RoPE (Su et al. 2021, eq. 34): rotate channel pairs (2i, 2i+1) of each head by t·θ_i, θ_i = 10000^(-2i/D).
        func rotate(_ v: [Double], position: Int) -> [Double] {
            guard encoding == .rope else { return v }
            var out = v
            for head in 0..<h {
                for i in 0..<(d / 2) {
                    let angle = Double(position) * pow(10000, -2 * Double(i) / Double(d))
                    let (a, b) = (v[head * d + 2 * i], v[head * d + 2 * i + 1])
                    out[head * d + 2 * i] = a * cos(angle) - b * sin(angle)
                    out[head * d + 2 * i + 1] = a * sin(angle) + b * cos(angle)
                }
            }
            return out
        }
        // ALiBi (Press et al. 2022): slopes 2^(-8h/H) for h = 1..H (H a power of two), symmetric distance.
        let slopes = (1...h).map { pow(2, -8 * Double($0) / Double(h)) }
        var context = [Double](repeating: 0, count: batch * t * c)
        for b in 0..<batch {
            let q = (0..<t).map { rotate(project(layer.query, b * t + $0), position: $0) }
            let k = (0..<t).map { rotate(project(layer.key, b * t + $0), position: $0) }
            let v = (0..<t).map { project(layer.value, b * t + $0) }
            for head in 0..<h {
                for i in 0..<t {
                    var scores = [Double](repeating: -.infinity, count: t)
                    for j in 0..<t where j < lengths[b] && (!causal || j <= i) {
                        scores[j] = (0..<d).reduce(0.0) { $0 + q[i][head * d + $1] * k[j][head * d + $1] } / sqrt(Double(d))
                        if encoding == .alibi { scores[j] -= slopes[head] * Double(abs(i - j)) }
                    }
                    let m = scores.max()!
                    let e = scores.map { $0 == -.infinity ? 0 : exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0..<t { for dd in 0..<d { context[(b * t + i) * c + head * d + dd] += e[j] / z * v[j][head * d + dd] } }
                }
            }
        }
        return (0..<(batch * t)).flatMap { row in
            (0..<c).map { o in layer.output.bias.value[o] + (0..<c).reduce(0.0) { $0 + context[row * c + $1] * layer.output.weight.value[o * c + $1] } }
        }
    }

    func testForwardIsTheEquations() {
        for encoding in PositionEncoding.allCases {
            for causal in [false, true] {
                let config = ModelConfiguration(vocabularySize: 12, classCount: 2, maxLength: 8, width: 8, heads: 2, layers: 1,
                                                positionEncoding: encoding, dropout: 0, causal: causal)
                let store = ParameterStore<Double>()
                var random = RandomSource(seed: 5)
                let layer = SelfAttention(store, "attention", config: config, random: &random)
                for p in store.all { initializeNormal(p.value, deviation: 0.5, random: &random) }
                let lengths = [6, 4]
                let x = GradientCheck.randomTensor([12, 8], seed: 6)
                let (fast, _) = layer.forward(x, layout: TokenLayout(batch: 2, length: 6, lengths: lengths), dropout: .off)
                let expected = reference(layer, x: x, batch: 2, length: 6, lengths: lengths, encoding: encoding, causal: causal)
                var worst = (0.0, 0)
                for i in 0..<expected.count where abs(fast[i] - expected[i]) > worst.0 { worst = (abs(fast[i] - expected[i]), i) }
                XCTAssertLessThan(worst.0, 1e-12, "\(encoding) causal=\(causal): worst element \(worst.1), off by \(worst.0)")
            }
        }
    }

    /// ALiBi's slopes for a head count that is not a power of two follow Press et al.'s rule.
    func testALiBiSlopes() {
        XCTAssertEqual(ALiBi.slopes(heads: 8), (1...8).map { pow(2, -Double($0)) })
        let six = ALiBi.slopes(heads: 6)
        XCTAssertEqual(Array(six.prefix(4)), (1...4).map { pow(2, -2 * Double($0)) })  // the 4-head slopes
        XCTAssertEqual(Array(six.suffix(2)), [pow(2, -1), pow(2, -3)])                  // every other slope of 8 heads
    }

    /// Sinusoidal table (Vaswani et al. 2017, §3.5): sin on even channels, cos on odd ones.
    func testSinusoidalTable() {
        let pe: Tensor<Double> = Sinusoidal.table(length: 5, width: 6)
        for t in 0..<5 {
            for i in 0..<3 {
                let angle = Double(t) / pow(10000, Double(2 * i) / 6)
                XCTAssertEqual(pe[t * 6 + 2 * i], sin(angle), accuracy: 1e-15)
                XCTAssertEqual(pe[t * 6 + 2 * i + 1], cos(angle), accuracy: 1e-15)
            }
        }
    }
}
