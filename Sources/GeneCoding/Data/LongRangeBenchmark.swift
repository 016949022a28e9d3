// A controlled benchmark for long sequences (chapter 4): GUE's sequences stop at 500 bp, so the
// question "what happens at 10,000 bp and beyond?" needs data made for it.
//
// Two binary tasks on uniformly random DNA, each with a rule that holds at every length, so that a
// model trained at one length can be scored at several times that length on the same rule:
//
//   far-pair   Motif X may sit in the first `endWindow` bp and motif Y in the last `endWindow` bp.
//              Label 1 when both are there; label 0 when only one is (X alone or Y alone, half each).
//              The two motifs are as far apart as the sequence is long, and neither end decides the
//              label alone: the model must combine evidence from both ends of the sequence. Order plays
//              no part, so even a model without positions can solve it; what is tested is whether an
//              encoding still lets attention reach across lengths it never saw (ALiBi's distance
//              penalty, for one, discourages exactly that).
//
//   periodic   `copies` copies of a motif Z. Label 1: they form a periodic array somewhere in the
//              sequence, one copy every `period` bp (like the ~10 bp helical phasing of
//              nucleosome-positioning signals, but coarser). Label 0: the same copies scattered at
//              random over the whole sequence. Both classes hold exactly the same tokens, so a bag of
//              tokens cannot tell them apart: only relative position can. (A first version drew the
//              negatives' gaps from 18-54 bp around the same mean; the model memorised its 1,000
//              training sequences instead of learning the spacing, dev MCC 0. Scattered copies differ
//              from the array in spacing at every scale, which a small model does pick up.)
//
// Every motif starts at a multiple of 6 bases, so under non-overlapping 6-mers each planted motif is
// always the same two tokens. Without that, a 12 bp motif falls on six different token pairs by
// reading frame, and a small model trained on 1,000 random sequences memorises the sequences' own
// random 6-mers (training loss near 0) long before it finds the motif (dev MCC 0; we tried). The
// question here is about positions, not about how a tokenizer cuts a motif.
//
// Chance occurrences of a 12 bp motif in 10 kbp of random sequence are rare (about 10⁴/4¹² ≈ 0.0006
// per sequence and motif), so the planted copies are the only ones in practice.
//
// Everything is drawn from a seed: the same call writes the same bytes, so the data hashes and the
// result-store keys stay put from one rendering to the next.
import Foundation

public enum LongRangeBenchmark {
    public enum Rule: String, CaseIterable, Codable, Sendable {
        case farPair = "far-pair"
        case periodic
    }

    public static let motifX = "GTCACGTGACTA"
    public static let motifY = "CCTTGGAAGGCT"
    public static let motifZ = "TTCGCGAATTCG"
    /// The window at each end that holds a far-pair motif.
    public static let endWindow = 100
    public static let copies = 10
    public static let period = 36
    /// Motifs start on this frame (the 6-mer's).
    public static let frame = 6

    /// The group folder under the synthetic root; a task is "long-range/<rule>".
    public static let group = "long-range"
    public static func taskName(_ rule: Rule) -> String { "\(group)/\(rule.rawValue)" }
    /// The file holding test sequences of `bases` bases, beside the task's own test.csv.
    public static func testFile(bases: Int) -> String { "test-\(bases).csv" }

    /// One labelled sequence of `length` bases.
    public static func example(_ rule: Rule, length: Int, label: Int, random: inout RandomSource) -> String {
        precondition(length >= 2 * endWindow && length >= period * copies + 2 * motifZ.count, "sequences must be at least \(max(2 * endWindow, period * copies + 2 * motifZ.count)) bp")
        let bases: [UInt8] = Array("ACGT".utf8)
        var s = (0..<length).map { _ in bases[Int(random.next() % 4)] }
        func plant(_ motif: String, at start: Int) {
            for (i, b) in motif.utf8.enumerated() { s[start + i] = b }
        }
        /// A start in lo...hi on the 6-base frame.
        func frameStart(_ lo: Int, _ hi: Int) -> Int {
            let first = (lo + frame - 1) / frame
            return (first + Int(random.next() % UInt64(hi / frame - first + 1))) * frame
        }
        switch rule {
        case .farPair:
            // Label 0 keeps one of the two, X or Y, with equal odds, so neither alone predicts the label.
            let keepX = label == 1 || random.next() % 2 == 0
            let keepY = label == 1 || !keepX
            let m = motifX.count
            let first = frameStart(0, endWindow - m)
            let second = frameStart(length - endWindow, length - m)
            if keepX { plant(motifX, at: first) }
            if keepY { plant(motifY, at: second) }
        case .periodic where label == 1:
            var start = frameStart(0, length - (copies - 1) * period - motifZ.count)
            for _ in 0..<copies {
                plant(motifZ, at: start)
                start += period
            }
        case .periodic:
            // Distinct frame positions, no two copies overlapping or touching.
            var starts: [Int] = []
            while starts.count < copies {
                let candidate = frameStart(0, length - motifZ.count)
                if starts.allSatisfy({ abs($0 - candidate) >= motifZ.count }) { starts.append(candidate) }
            }
            for start in starts { plant(motifZ, at: start) }
        }
        return String(decoding: s, as: UTF8.self)
    }

    /// A split as GUE's CSV text: `sequence,label`, classes alternating so every prefix is balanced.
    public static func csv(_ rule: Rule, length: Int, count: Int, seed: UInt64) -> String {
        var random = RandomSource(seed: seed)
        var text = "sequence,label\n"
        for i in 0..<count {
            let label = i % 2 == 0 ? 1 : 0
            text += example(rule, length: length, label: label, random: &random) + ",\(label)\n"
        }
        return text
    }

    public struct Sizes: Sendable {
        public var train: Int, dev: Int, test: Int
        public init(train: Int, dev: Int, test: Int) { self.train = train; self.dev = dev; self.test = test }
    }

    /// Writes `root/long-range/<rule>/{train,dev,test}.csv` at `trainLength` and one
    /// `test-<bases>.csv` per test length (`sizes.test` sequences each). A file already there with the
    /// same bytes is left alone.
    public static func write(_ rule: Rule, to root: URL, trainLength: Int, testLengths: [Int], sizes: Sizes) throws {
        let folder = root.appendingPathComponent(taskName(rule), isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A distinct seed per rule, split and length: the test sets never repeat training sequences.
        let ruleSeed: UInt64 = rule == .farPair ? 0xFA12 : 0x9E21
        var files: [(String, String)] = [
            ("train.csv", csv(rule, length: trainLength, count: sizes.train, seed: RandomSource.derive(ruleSeed, 1))),
            ("dev.csv", csv(rule, length: trainLength, count: sizes.dev, seed: RandomSource.derive(ruleSeed, 2))),
            ("test.csv", csv(rule, length: trainLength, count: sizes.test, seed: RandomSource.derive(ruleSeed, 3))),
        ]
        for bases in testLengths {
            files.append((testFile(bases: bases), csv(rule, length: bases, count: sizes.test, seed: RandomSource.derive(ruleSeed, 1000 + UInt64(bases)))))
        }
        for (name, text) in files {
            let path = folder.appendingPathComponent(name).path
            let data = Data(text.utf8)
            if FileManager.default.contents(atPath: path) != data { try AtomicFile.write(data, to: path) }
        }
    }
}
