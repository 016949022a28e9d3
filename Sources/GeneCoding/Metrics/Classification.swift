// Scores of a classifier: Matthews correlation (the paper's metric, as in GUE), accuracy and
// macro-F1, each computed exactly as scikit-learn computes it, so that our numbers and a Python
// evaluation of the same predictions agree to rounding (the tests hold them to 1e-12).
//
// Everything starts from the confusion matrix C, rows the true class, columns the predicted one.
// Legend: K classes, n = Σ C samples, t_k = Σ_j C[k][j] (true counts), p_k = Σ_i C[i][k]
// (predicted counts), c = Σ_k C[k][k] (correct predictions).
//
// - MCC is Gorodkin's R_K, the multiclass generalisation (Gorodkin 2004), in the covariance form
//   of `sklearn.metrics.matthews_corrcoef`:
//       MCC = (c·n − Σ t_k p_k) / sqrt((n² − Σ p_k²) · (n² − Σ t_k²))
//   For two classes it is the familiar (TP·TN − FP·FN) / sqrt(...). When either factor under the
//   root is zero (every prediction, or every truth, in one class) it is 0, as in scikit-learn, not NaN.
// - Macro-F1 follows `f1_score(average="macro")`: the mean over the classes that occur in the truth
//   or in the predictions (not over all K) of F1_k = 2·C[k][k] / (t_k + p_k). A class that occurs
//   in only one of the two has F1 = 0, which is what scikit-learn's default zero_division ("warn",
//   scoring 0) gives; no other class has a zero denominator.
// - The covariances are sums of integer products, computed in Int (exact) and then turned into
//   Double; scikit-learn does them in float64, which is exact below 2^53, so both round the same way.

public struct ConfusionMatrix: Sendable, Hashable, Codable {
    public let classCount: Int
    /// counts[truth][prediction].
    public private(set) var counts: [[Int]]

    public init(classCount: Int) {
        precondition(classCount >= 1, "a confusion matrix needs at least one class")
        self.classCount = classCount
        self.counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
    }

    /// `classCount` defaults to the largest label seen, plus one. Labels are class indices from 0.
    public init(truth: [Int], prediction: [Int], classCount: Int? = nil) {
        precondition(truth.count == prediction.count,
                     "\(truth.count) true labels but \(prediction.count) predictions")
        let largest = max(truth.max() ?? 0, prediction.max() ?? 0)
        self.init(classCount: classCount ?? largest + 1)
        for (t, p) in zip(truth, prediction) { add(truth: t, prediction: p) }
    }

    public mutating func add(truth: Int, prediction: Int) {
        precondition((0..<classCount).contains(truth) && (0..<classCount).contains(prediction),
                     "labels \(truth), \(prediction) outside 0..<\(classCount)")
        counts[truth][prediction] += 1
    }

    public subscript(truth truth: Int, prediction prediction: Int) -> Int { counts[truth][prediction] }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }
    /// t_k: how many samples truly are class k.
    public var truthCounts: [Int] { counts.map { $0.reduce(0, +) } }
    /// p_k: how many samples were predicted as class k.
    public var predictionCounts: [Int] { (0..<classCount).map { k in counts.reduce(0) { $0 + $1[k] } } }

    /// All three scores. An empty matrix (no predictions yet) scores 0 throughout.
    public var scores: ClassificationScores {
        ClassificationScores(mcc: matthewsCorrelation, accuracy: accuracy, macroF1: macroF1)
    }

    public var accuracy: Double {
        let n = total
        return n == 0 ? 0 : Double(correct) / Double(n)
    }

    public var matthewsCorrelation: Double {
        Self.matthewsCorrelation(truthCounts: truthCounts, predictionCounts: predictionCounts, correct: correct, total: total)
    }

    /// MCC from the four things it depends on: t_k, p_k, c and n. The bootstrap of Inference.swift
    /// calls this directly with counts it accumulates itself, so that its resampled MCCs are this
    /// formula's, operation for operation.
    static func matthewsCorrelation(truthCounts t: [Int], predictionCounts p: [Int], correct c: Int, total n: Int) -> Double {
        var truthDotPrediction = 0, predictionSquares = 0, truthSquares = 0
        for k in 0..<Swift.min(t.count, p.count) {
            truthDotPrediction += t[k] * p[k]
            predictionSquares += p[k] * p[k]
            truthSquares += t[k] * t[k]
        }
        let covariance = c * n - truthDotPrediction                       // cov(y_true, y_pred)
        let predictionVariance = n * n - predictionSquares                // cov(y_pred, y_pred)
        let truthVariance = n * n - truthSquares                          // cov(y_true, y_true)
        let denominator = Double(predictionVariance) * Double(truthVariance)
        if denominator == 0 { return 0 }
        return Double(covariance) / denominator.squareRoot()
    }

    public var macroF1: Double {
        let t = truthCounts, p = predictionCounts
        var sum = 0.0, present = 0
        for k in 0..<classCount where t[k] + p[k] > 0 {
            sum += 2 * Double(counts[k][k]) / Double(t[k] + p[k])
            present += 1
        }
        return present == 0 ? 0 : sum / Double(present)
    }
}

public struct ClassificationScores: Codable, Sendable, Hashable {
    /// Matthews correlation coefficient, multiclass (R_K), in [-1, 1].
    public var mcc: Double
    public var accuracy: Double
    public var macroF1: Double

    public init(mcc: Double, accuracy: Double, macroF1: Double) {
        self.mcc = mcc
        self.accuracy = accuracy
        self.macroF1 = macroF1
    }

    /// Scores of predictions against the truth; labels are class indices from 0.
    public init(truth: [Int], prediction: [Int]) {
        self = ConfusionMatrix(truth: truth, prediction: prediction).scores
    }
}
