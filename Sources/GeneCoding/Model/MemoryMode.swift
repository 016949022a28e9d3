// What a training step keeps from its forward pass for its backward pass: memory against time, with
// the same results bit for bit in every mode (tested: logits, every gradient, and the parameters
// after AdamW steps, compared with memcmp).
//
//   keepAll              every block's cache, attention's probabilities P and P̃ included: the fastest.
//   recomputeAttention   every block's cache but P and P̃ (two B x H x T x T tensors per block, the
//                        term that grows with length squared): backward computes them again from Q and
//                        K, one (sequence, head) at a time (Attention.swift).
//   recomputeLayers      only each block's input (activation checkpointing): backward runs each block's
//                        forward again, with its dropout key, just before differentiating it, so one
//                        block's cache is held at a time, and that without P and P̃ (EncoderLayer.swift).
//
// A runtime option, not a setting of the run: it changes what a run costs, never what it computes,
// so it is not part of a run's key (`RunExecutor.memoryMode`, `genecoding train --memory`).
// `RunMemoryEstimate` counts each mode's peak.

public enum MemoryMode: String, Codable, CaseIterable, Sendable {
    case keepAll = "keep"
    case recomputeAttention = "attention"
    case recomputeLayers = "layers"

    /// Fastest first, which is also from most memory to least (each keeps a part of what the one
    /// before it keeps).
    public static let fastestFirst: [MemoryMode] = [.keepAll, .recomputeAttention, .recomputeLayers]

    /// What it keeps, in a few words (for tables and logs).
    public var summary: String {
        switch self {
        case .keepAll: return "keep every activation"
        case .recomputeAttention: return "recompute attention probabilities"
        case .recomputeLayers: return "recompute whole layers"
        }
    }
}
