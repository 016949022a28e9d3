// The paper's words that the chapters quote, in one place, with where they come from. The same
// quotations, with the claims as we test them, are in docs/paper.md (a test checks that every quotation
// here appears there word for word), so a reader can check each one against the paper.

public struct PaperClaim: Sendable {
    /// The paper's words, exactly.
    public let quote: String
    /// Where they are, for the chapter's citation line.
    public let source: String
}

public enum PaperClaims {
    static let paper = "arXiv 2507.15087 (Gong, Tian, Mao and Song 2025)"

    public static let tokenization = PaperClaim(
        quote: "In general, BPE delivers higher and more stable performance across tasks by compressing frequent motifs into "
            + "variable-length tokens, reducing sequence length, and improving model generalization.",
        source: "\(paper), abstract; the claims as tested: docs/paper.md")

    public static let positionEncodings = PaperClaim(
        quote: "RoPE excels at capturing periodic motifs and extrapolating to long sequences, while AliBi also performs well on "
            + "tasks driven by local dependencies.",
        source: "\(paper), abstract; the claims as tested: docs/paper.md")

    public static let depth = PaperClaim(
        quote: "In terms of depth, we observe significant gains when increasing layers from 3 to 12, with only marginal "
            + "improvements or slight overfitting at 24 layers.",
        source: "\(paper), abstract; the claims as tested: docs/paper.md")

    /// Every quotation, for the test that holds docs/paper.md to them.
    public static let all = [tokenization, positionEncodings, depth]
}
