import ArgumentParser
import Foundation
import GeneCoding

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the REPORT.md index from the chapters' reports.",
        discussion: "Reads the verdicts each chapter wrote beside its report (reports/NN-name.json).")

    @Option(help: "Folder of the chapters' reports.") var reports: String = "reports"
    @Option(help: "The index to write.") var output: String = "REPORT.md"

    func run() throws {
        try reported {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: reports)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let chapters = try files.map { name -> ChapterSummary in
                let path = "\(reports)/\(name)"
                do { return try decoder.decode(ChapterSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path))) }
                catch { throw InputError(file: path, "not a chapter summary: \(error)") }
            }
            guard !chapters.isEmpty else { throw ValidationError("no chapter summaries in \(reports)/: run the chapters first (make)") }
            let profiles = Set(chapters.map(\.profile))
            let profile = profiles.count == 1 ? profiles.first! : profiles.sorted().joined(separator: "+")
            let here = URL(fileURLWithPath: output).deletingLastPathComponent().path
            func link(_ c: ChapterSummary) -> String {
                Markdown.link(c.title, to: MarkdownDocument.relativePath(of: "\(reports)/\(c.name).md", from: here))
            }
            var doc = MarkdownDocument(path: output)
            doc.heading("GeneCoding — report", level: 1)
            doc.paragraph("A reproduction of *Evaluation of Coding Schemes for Transformer-based Gene Sequence Modeling* "
                          + "(arXiv 2507.15087), trained from scratch on GUE tasks on the CPU.")
            let total = chapters.reduce(0) { $0 + $1.trainingSeconds }
            doc.bulletList([
                "Scale profile: **\(profile)**" + (profile == "smoke" ? " (end-to-end check only: the scores carry no evidence)" : ""),
                "Training time summed over each chapter's runs: \(Format.duration(total)) over "
                    + "\(chapters.reduce(0) { $0 + $1.runs }) runs (a run two chapters share is trained once but counted in both); "
                    + "each chapter says where and when its runs were trained",
            ])
            doc.heading("Verdicts", level: 2)
            doc.paragraph("A claim of the paper is reproduced, partly reproduced or not reproduced; a hypothesis on a question the "
                          + "paper left open (chapter 4) is supported, partly supported or not supported. Every verdict is computed "
                          + "from the stored results with one procedure (95% intervals over seeds and test examples, Holm's correction "
                          + "over tasks; `Sources/GeneCoding/Metrics/Inference.swift`), holds at the scale it names, and says whether "
                          + "chapter 5 finds it changes with more data; the evidence gives the numbers.")
            var table = Table(["chapter", "claim of the paper, or hypothesis", "verdict", "at scale", "with more data (chapter 5)", "evidence"])
            for c in chapters {
                for v in c.verdicts {
                    table.append([link(c), v.claim, "**\(v.status.rawValue)**", v.scale ?? "—", v.scaleNote ?? "—", v.evidence])
                }
            }
            doc.table(table)
            // Chapter 5's table of every claim at every data size, when it has been rendered.
            if let scale = chapters.first(where: { $0.values?["verdicts-by-scale"] != nil }), let markdown = scale.values?["verdicts-by-scale"] {
                doc.heading("Verdicts by scale", level: 2)
                doc.paragraph("From \(link(scale)): each claim of chapters 1–3 decided again at each training-set size, so a "
                              + "reader sees where it holds and where it flips.")
                doc.raw(markdown)
            }
            doc.heading("Chapters", level: 2)
            doc.bulletList(chapters.map { c in
                link(c) + " — \(c.runs) runs, \(Format.duration(c.trainingSeconds)) of training, \(c.figures.count) figures"
            })
            var inputs = InputDigest()
            for name in files { inputs.add(file: "\(reports)/\(name)", as: name) }
            try doc.write(provenance: Provenance(command: Provenance.commandLine(), profile: profile, seeds: [], inputs: inputs.hex))
            print("wrote \(output)")
        }
    }
}
