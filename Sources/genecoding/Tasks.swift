import ArgumentParser
import Foundation
import GeneCoding

struct Tasks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the GUE tasks GUE_DIR holds, with sizes and notes.",
        discussion: """
        Every folder <group>/<task> holding a split file is listed; a task that cannot be read is listed
        with the reason (file and line) beside it, and the command then exits with status 1.
        """)
    @OptionGroup var data: DataOptions

    func run() throws {
        try reported {
            let gue = try data.benchmark()
            let survey = gue.survey()
            let bad = survey.filter { if case .failure = $0.task { return true } else { return false } }.count
            print("\(survey.count) tasks in \(gue.root.path)" + (bad == 0 ? "" : " (\(bad) cannot be read)"))
            for (name, result) in survey {
                let column = "  " + name.padding(toLength: max(26, name.count + 2), withPad: " ", startingAt: 0)
                switch result {
                case let .success(t):
                    let counts = t.train.classCounts.map(String.init).joined(separator: "/")
                    let lengths = t.train.summary
                    print(column + String(format: "%d classes  train %6d  dev %5d  test %5d  length %d-%d bp  train classes %@%@",
                                          t.classCount, t.train.count, t.dev.count, t.test.count, lengths.shortest, lengths.longest, counts,
                                          t.isReduced ? "  [reduced: see PROVENANCE.md]" : ""))
                case let .failure(error):
                    print(column + "ERROR: \(error)")
                }
            }
            if survey.isEmpty {
                print("No <group>/<task>/{train,dev,test}.csv under \(gue.root.path): is GUE_DIR the folder of a GUE download?")
            }
            if bad > 0 || survey.isEmpty { throw ExitCode.failure }
        }
    }
}

struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the scale profiles.")
    func run() {
        for p in ScaleProfile.all { print("\(p.description)\n    \(p.summary)") }
    }
}
