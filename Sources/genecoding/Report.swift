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
            var doc = MarkdownDocument(path: output)
            doc.heading("GeneCoding — report", level: 1)
            doc.paragraph("A reproduction of *Evaluation of Coding Schemes for Transformer-based Gene Sequence Modeling* "
                          + "(arXiv 2507.15087), trained from scratch on GUE tasks on the CPU.")
            let machine = Provenance.Machine.current()
            let total = chapters.reduce(0) { $0 + $1.trainingSeconds }
            doc.bulletList([
                "Scale profile: **\(profile)**" + (profile == "smoke" ? " (end-to-end check only: the scores carry no evidence)" : ""),
                "Machine: \(machine.cores) cores, \(Format.bytes(Int(machine.memoryBytes))), \(machine.processor)",
                "Training time summed over each chapter's runs: \(Format.duration(total)) over "
                    + "\(chapters.reduce(0) { $0 + $1.runs }) runs (a run two chapters share is trained once but counted in both)",
            ])
            doc.heading("Verdicts", level: 2)
            doc.paragraph("A claim of the paper is reproduced, partly reproduced or not reproduced; a hypothesis on a question the "
                          + "paper left open (chapter 4) is supported, partly supported or not supported. Every verdict is computed "
                          + "from the stored results; the evidence gives the numbers.")
            var table = Table(["chapter", "claim of the paper, or hypothesis", "verdict", "evidence"])
            for c in chapters {
                for v in c.verdicts {
                    table.append([Markdown.link(c.title, to: MarkdownDocument.relativePath(of: "\(reports)/\(c.name).md",
                                                                                            from: URL(fileURLWithPath: output).deletingLastPathComponent().path)),
                                  v.claim, "**\(v.status.rawValue)**", v.evidence])
                }
            }
            doc.table(table)
            doc.heading("Chapters", level: 2)
            doc.bulletList(chapters.map { c in
                Markdown.link(c.title, to: MarkdownDocument.relativePath(of: "\(reports)/\(c.name).md",
                                                                         from: URL(fileURLWithPath: output).deletingLastPathComponent().path))
                    + " — \(c.runs) runs, \(Format.duration(c.trainingSeconds)) of training, \(c.figures.count) figures"
            })
            let provenance = Provenance.current(profile: profile, seeds: [], threads: ComputeThreads.count)
            try doc.write(provenance: provenance.finished(at: Date()))
            print("wrote \(output)")
        }
    }
}
