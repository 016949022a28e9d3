// Seeded, reproducible randomness.
//
// `RandomSource` (SplitMix64) draws initial weights and shuffles batches in sequence.
// Dropout masks instead use a counter-based hash of (seed, site, element): every element's coin is
// fixed by where it is, not by which thread drew it first, so masks are identical for any thread count.
public struct RandomSource: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return RandomSource.mix(state)
    }

    /// SplitMix64's finaliser: a bijective mix of 64 bits.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform number in [0, 1) that depends only on (key, index).
    @inline(__always)
    public static func uniform(key: UInt64, index: Int) -> Double {
        Double(mix(key &+ UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03) >> 11) * 0x1.0p-53
    }

    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box-Muller.
    public mutating func normal() -> Double {
        let u1 = Swift.max(uniform(), 0x1.0p-60), u2 = uniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// A new independent key derived from this one and a label.
    public static func derive(_ key: UInt64, _ label: UInt64) -> UInt64 { mix(key ^ mix(label &+ 0x632B_E59B_D9B4_E019)) }
}
