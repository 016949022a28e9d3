// genecoding: train, evaluate and inspect the models of the study, one run at a time.
import ArgumentParser
import Foundation
import GeneCoding

@main
struct GeneCodingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genecoding",
        abstract: "Transformer encoders on DNA: tokenizers, position encodings, depth (arXiv 2507.15087).",
        discussion: """
        Data: point GUE_DIR at a GUE download (folders <group>/<task>/ with train.csv, dev.csv, test.csv),
        or pass --gue. Results are stored under --results (default: results/) and reused: a run whose
        inputs did not change is never trained twice.

        First steps:
          genecoding tasks                                   what GUE_DIR holds
          genecoding tokenize --task tf/0 --tokenizer bpe:4096
          genecoding train --task tf/0 --tokenizer bpe:4096 --position rope
        """,
        subcommands: [Train.self, Evaluate.self, Predict.self, Tokenize.self, Tasks.self, Bench.self, Report.self, Profiles.self, Grid.self, Reproduce.self])
}

/// Options every command that reads data shares.
struct DataOptions: ParsableArguments {
    @Option(help: "GUE folder (default: $GUE_DIR).")
    var gue: String?

    @Option(help: "Result store folder.")
    var results: String = "results"

    func benchmark() throws -> GUE {
        if let gue { return GUE(root: URL(fileURLWithPath: gue)) }
        return try GUE.fromEnvironment()
    }

    func store() -> ResultStore { ResultStore(root: URL(fileURLWithPath: results)) }
}

extension PositionEncoding: ExpressibleByArgument {}
extension NormPlacement: ExpressibleByArgument {}
extension Pooling: ExpressibleByArgument {}

/// A failure of the work itself (bad data, unknown task): printed as "Error: ..." without the usage
/// text, which ArgumentParser adds only to errors in the command line's own syntax.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// Turns the library's typed errors into clean messages.
func reported<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch {
        throw CommandFailure(description: "\(error)")
    }
}
