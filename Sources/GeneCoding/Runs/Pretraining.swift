// Pretraining as part of a run: masked-language-model training on unlabelled sequence before the
// classifier is fine-tuned (chapter 4's third question).
//
// The corpus is the task's own training split read without its labels: a sample of `corpusLimit`
// sequences drawn with a fixed seed (Data/Subsets.swift), usually many more than the labelled rows the
// fine-tuning sees, which is the setting pretraining is for (plenty of sequence, few labels). The
// held-out corpus that scores the masked-token predictions after every epoch is the run's dev sample,
// also without labels.
//
// A pretrained encoder is shared: every fine-tuning run with the same pretraining, architecture,
// tokenizer and data (three seeds of a cell, say) reuses one, stored under results/pretrained/<key>/,
// with a checkpoint after every epoch so that an interrupted pretraining resumes.
import Foundation

public struct Pretraining: Codable, Hashable, Sendable {
    /// Training-split sequences pretrained on (nil: all of them).
    public var corpusLimit: Int?
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Share of ordinary tokens chosen for prediction (BERT: 0.15; 80% masked, 10% random, 10% kept).
    public var maskProbability: Double
    /// Pretraining has its own seed, so the fine-tuning seeds of a cell share one pretrained encoder.
    public var seed: UInt64

    public init(corpusLimit: Int?, epochs: Int, batchSize: Int, learningRate: Double, maskProbability: Double = 0.15, seed: UInt64 = 1) {
        self.corpusLimit = corpusLimit
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.maskProbability = maskProbability
        self.seed = seed
    }
}

/// What a run's record keeps of its pretraining.
public struct PretrainingRecord: Codable, Sendable {
    /// The key of the shared pretrained encoder (results/pretrained/<key>/).
    public var key: String
    public var corpusSequences: Int
    public var corpusTokens: Int
    public var heldOutSequences: Int
    /// Per epoch: masked-token loss and accuracy on the held-out corpus.
    public var heldOutLoss: [Double]
    public var heldOutAccuracy: [Double]
    /// The accuracy of always predicting the corpus's most frequent token: what "learned nothing" scores.
    public var frequencyBaseline: Double
    public var steps: Int
    public var trainingSeconds: Double
    public var tokensPerSecond: Double
    /// Parameters copied into the classifier (the head and pooler start fresh).
    public var transferred: [String]
}
