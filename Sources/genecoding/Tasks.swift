import ArgumentParser
import Foundation
import GeneCoding

struct Tasks: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the GUE tasks GUE_DIR holds, with sizes and notes.")
    @OptionGroup var data: DataOptions

    func run() throws {
        try reported {
            let gue = try data.benchmark()
            let names = gue.availableTasks()
            print("\(names.count) tasks in \(gue.root.path)")
            for name in names {
                let t = try gue.load(name)
                let counts = t.train.classCounts.map(String.init).joined(separator: "/")
                let lengths = t.train.summary
                print("  " + name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%d classes  train %6d  dev %5d  test %5d  length %d-%d bp  train classes %@%@",
                             t.classCount, t.train.count, t.dev.count, t.test.count, lengths.shortest, lengths.longest, counts,
                             t.isReduced ? "  [reduced: see PROVENANCE.md]" : ""))
            }
        }
    }
}

struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the scale profiles.")
    func run() {
        for p in ScaleProfile.all { print("\(p.description)\n    \(p.summary)") }
    }
}
