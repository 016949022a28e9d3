// What every engine benchmark times: random sequences of a given length, and one training step on them.

extension TokenBatch {
    /// `count` sequences of `tokens` tokens — [CLS], ordinary tokens drawn uniformly from the
    /// vocabulary, [SEP] — with labels cycling over the classes.
    static func random(count: Int, tokens: Int, vocabularySize: Int, classCount: Int, random: inout RandomSource) -> TokenBatch {
        let ordinary = Int32(SpecialToken.allCases.count)
        let sequences = (0..<count).map { _ in
            [SpecialToken.classification.rawValue]
                + (0..<max(tokens - 2, 0)).map { _ in ordinary + Int32(random.next() % UInt64(vocabularySize - Int(ordinary))) }
                + [SpecialToken.separator.rawValue]
        }
        return TokenBatch(sequences: sequences, labels: (0..<count).map { $0 % classCount })
    }
}

extension TransformerClassifier {
    /// One training step as the trainer takes it: forward, loss, gradients, then AdamW's update when
    /// an optimiser is given (without one, the gradients only: what a length's cost measures).
    func benchmarkStep(_ batch: TokenBatch, dropoutKey: UInt64, optimizer: AdamW<S>? = nil, learningRate: Double = 0) {
        let pass = forward(batch, dropoutKey: dropoutKey)
        let (_, dz) = loss(pass)
        parameters.zeroGradients()
        backward(pass, logitGradient: dz)
        optimizer?.update(parameters, learningRate: learningRate)
    }
}
