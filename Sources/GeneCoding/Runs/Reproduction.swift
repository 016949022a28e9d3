// Does this engine, on this machine, still give the committed results? `genecoding reproduce` trains a
// few stored runs again into a scratch store and compares them with the stored records bit for bit:
// the model's SHA-256, every test prediction, the scores. An engine change that moves results must
// bump `engineVersion` and recompute the store; this is how a change that claims not to move them is
// held to it (and how a user learns whether their machine reproduces ours exactly).
//
// Bits are only expected to match where the arithmetic is the same: the same engine version, the same
// OpenBLAS kernels (they decide every product's rounding) and the same build target for our own loops.
// A record made elsewhere is reported as not comparable, with the reason, and not counted as a failure.
import Foundation

public enum Reproduction {
    /// The stored runs to train again, at most `count`: finished runs without pretraining whose stored
    /// training took at most `maximumSeconds`, chosen one at a time to cover what decides which code a run
    /// exercises (position encoding, depth, width, norm placement, pooling, causal attention, memory mode,
    /// and less so task and tokenizer): each pick is the run that adds the most not yet covered, the
    /// cheaper one on a tie. The same store gives the same sample.
    public static func sample(_ records: [RunRecord], count: Int, maximumSeconds: Double = 30) -> [RunRecord] {
        func cost(_ r: RunRecord) -> Double { r.outcome?.trainingSeconds ?? .infinity }
        // The model's own settings count three times a task's or a tokenizer's: they choose the engine's code paths.
        func features(_ r: RunRecord) -> [String: Int] {
            let run = r.run
            return ["task " + run.task: 1, "tokenizer " + run.tokenizer.description: 1, "position " + run.positionEncoding.rawValue: 3,
                    "layers \(run.layers)": 3, "width \(run.width)": 3, "norm " + run.normPlacement.rawValue: 3,
                    "pooling " + run.pooling.rawValue: 3, "causal \(run.causal)": 3, "memory " + (r.memoryMode?.rawValue ?? "keep"): 3]
        }
        var candidates = records.filter { $0.status == .done && $0.run.pretraining == nil && cost($0) <= maximumSeconds }
            .sorted { (cost($0), $0.key) < (cost($1), $1.key) }
            .map { (record: $0, features: features($0)) }
        var covered = Set<String>(), chosen: [RunRecord] = []
        while chosen.count < count, !candidates.isEmpty {
            // The first of the cheapest-first list that adds the most (max keeps the first of equals).
            var best = 0, bestGain = -1
            for (i, candidate) in candidates.enumerated() {
                let gain = candidate.features.filter { !covered.contains($0.key) }.values.reduce(0, +)
                if gain > bestGain { (best, bestGain) = (i, gain) }
            }
            let pick = candidates.remove(at: best)
            covered.formUnion(pick.features.keys)
            chosen.append(pick.record)
        }
        return chosen
    }

    /// Why `record`'s bits cannot be expected here, or nil when they can.
    public static func notComparable(_ record: RunRecord, engine: String = engineVersion, machine: Machine = .current()) -> String? {
        if record.engineVersion != engine { return "made by \(record.engineVersion), this is \(engine)" }
        guard let made = record.machine else { return "the record does not say which kernels made it" }
        if made.blasKernels != machine.blasKernels {
            return "made with OpenBLAS's \(made.blasKernels ?? "?") kernels, this machine runs \(machine.blasKernels ?? "?")"
        }
        if made.build != machine.build { return "made by a build for \(made.build ?? "?"), this one is for \(machine.build ?? "?")" }
        return nil
    }

    /// One stored run against the same run trained again.
    public struct Comparison: Sendable {
        public let stored: RunRecord
        public let again: RunRecord
        public var sameKey: Bool { stored.key == again.key }
        public var sameModel: Bool { stored.modelSHA256 != nil && stored.modelSHA256 == again.modelSHA256 }
        public var samePredictions: Bool { stored.predictions != nil && stored.predictions == again.predictions }
        public var sameScores: Bool {
            stored.outcome?.test == again.outcome?.test && stored.outcome?.dev == again.outcome?.dev
                && stored.outcome?.bestEpoch == again.outcome?.bestEpoch
        }
        public var identical: Bool { sameKey && sameModel && samePredictions && sameScores }
    }

    /// Trains `stored.run` again with `executor` (whose store must not already hold it) and compares.
    public static func compare(_ stored: RunRecord, executor: RunExecutor, threads: Int) throws -> Comparison {
        Comparison(stored: stored, again: try executor.execute(stored.run, threads: threads))
    }
}
