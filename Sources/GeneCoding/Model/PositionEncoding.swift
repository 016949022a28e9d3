// The three position encodings the paper compares, plus the reference ones.
//
// Legend: B batch, T tokens (padded length), C channels, H heads, D = C/H head size.
// Positions count from 0 at [CLS].
//
// sinusoidal (Vaswani et al. 2017, §3.5), added to the token embeddings:
//     PE[t, 2i] = sin(t / 10000^(2i/C)),   PE[t, 2i+1] = cos(t / 10000^(2i/C))
// ALiBi (Press et al. 2022), added to attention scores of head h:
//     bias[h, i, j] = -m_h |i - j|
//   The paper defines it for a causal model, where j <= i and the distance is i - j. An encoder looks
//   both ways, so we use the symmetric distance |i - j| with the same slopes, as BERT-style ALiBi
//   encoders (MosaicBERT, DNABERT-2) do. Slopes are the geometric sequence m_h = 2^(-8h/H),
//   h = 1..H, with the paper's interleaving rule when H is not a power of two.
// RoPE (Su et al. 2021, eq. 34), applied to each head's query and key vectors:
//     (x'_{2i}, x'_{2i+1}) = (x_{2i} cos tθ_i - x_{2i+1} sin tθ_i,  x_{2i} sin tθ_i + x_{2i+1} cos tθ_i)
//     θ_i = 10000^(-2i/D)
//   We pair adjacent channels (2i, 2i+1) as RoFormer's paper writes it, not the split halves of
//   GPT-NeoX; the two are the same function up to a fixed permutation of channels.

enum Sinusoidal {
    /// PE [T, C]
    static func table<S: Scalar>(length: Int, width: Int) -> Tensor<S> {
        let pe = Tensor<S>(uninitialized: [length, width])
        for t in 0..<length {
            for i in 0..<(width / 2) {
                let angle = Double(t) / Double.pow(10000, Double(2 * i) / Double(width))
                pe.pointer[t * width + 2 * i] = S(Double.sin(angle))
                pe.pointer[t * width + 2 * i + 1] = S(Double.cos(angle))
            }
        }
        return pe
    }
}

enum ALiBi {
    /// The head slopes m_1 ... m_H.
    static func slopes(heads: Int) -> [Double] {
        func powerOfTwoSlopes(_ n: Int) -> [Double] {
            let start = Double.pow(2, -8 / Double(n))
            return (1...n).map { Double.pow(start, Double($0)) }
        }
        var closest = 1
        while closest * 2 <= heads { closest *= 2 }
        if closest == heads { return powerOfTwoSlopes(heads) }
        // Not a power of two: the slopes of the nearest smaller power, then every other slope of
        // the next power up (Press et al.'s reference rule).
        let extra = powerOfTwoSlopes(2 * closest).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        return powerOfTwoSlopes(closest) + extra.prefix(heads - closest)
    }
}

/// Rotary tables for one padded length: cos and sin of tθ_i, each [T, D/2].
struct Rotary<S: Scalar> {
    let length: Int
    let headSize: Int
    let cosines: [S]
    let sines: [S]

    init(length: Int, headSize: Int) {
        self.length = length
        self.headSize = headSize
        let half = headSize / 2
        var c = [S](repeating: 0, count: length * half), s = c
        for t in 0..<length {
            for i in 0..<half {
                let angle = Double(t) * Double.pow(10000, -Double(2 * i) / Double(headSize))
                c[t * half + i] = S(Double.cos(angle))
                s[t * half + i] = S(Double.sin(angle))
            }
        }
        cosines = c
        sines = s
    }

    // MARK: forward
    /// x [B*T, C] read as [B, T, H, D]: every head vector rotated by its position, in place.
    func rotate(_ x: Tensor<S>, batch: Int, heads: Int) { apply(x, batch: batch, heads: heads, direction: 1) }

    // MARK: backward
    /// The rotation is orthogonal: its gradient is the inverse rotation of the incoming gradient.
    func rotateBack(_ dx: Tensor<S>, batch: Int, heads: Int) { apply(dx, batch: batch, heads: heads, direction: -1) }

    /// x [B, C], row b at position positions[b] (the query rows of a last layer): each rotated by its position.
    func rotate(rows x: Tensor<S>, positions: [Int], heads: Int) { apply(rows: x, positions: positions, heads: heads, direction: 1) }
    func rotateBack(rows dx: Tensor<S>, positions: [Int], heads: Int) { apply(rows: dx, positions: positions, heads: heads, direction: -1) }

    private func apply(rows x: Tensor<S>, positions: [Int], heads: Int, direction: S) {
        let c = heads * headSize
        precondition(x.count == positions.count * c, "RoPE on \(x.shape) for \(positions.count) rows of C=\(c)")
        for (row, pos) in positions.enumerated() { rotateRow(x.pointer + row * c, position: pos, heads: heads, direction: direction) }
    }

    /// The H head vectors of one row, rotated by the angles of `position`.
    @inline(__always)
    private func rotateRow(_ v: UnsafeMutablePointer<S>, position pos: Int, heads: Int, direction: S) {
        let (d, half) = (headSize, headSize / 2)
        cosines.withUnsafeBufferPointer { cs in
            sines.withUnsafeBufferPointer { sn in
                for h in 0..<heads {
                    let head = v + h * d
                    for i in 0..<half {
                        let (co, si) = (cs[pos * half + i], direction * sn[pos * half + i])
                        let (a, b) = (head[2 * i], head[2 * i + 1])
                        head[2 * i] = a * co - b * si
                        head[2 * i + 1] = a * si + b * co
                    }
                }
            }
        }
    }

    private func apply(_ x: Tensor<S>, batch: Int, heads: Int, direction: S) {
        let (t, d, half) = (length, headSize, headSize / 2)
        let c = heads * d
        precondition(x.count == batch * t * c, "RoPE on \(x.shape) for B=\(batch) T=\(t) C=\(c)")
        let p = x.pointer
        cosines.withUnsafeBufferPointer { cs in
            sines.withUnsafeBufferPointer { sn in
                ComputeThreads.forRanges(batch * t, minimum: 64) { rows in
                    for row in rows {
                        let pos = row % t
                        for h in 0..<heads {
                            let v = p + row * c + h * d
                            for i in 0..<half {
                                let (co, si) = (cs[pos * half + i], direction * sn[pos * half + i])
                                let (a, b) = (v[2 * i], v[2 * i + 1])
                                v[2 * i] = a * co - b * si
                                v[2 * i + 1] = a * si + b * co
                            }
                        }
                    }
                }
            }
        }
    }
}
