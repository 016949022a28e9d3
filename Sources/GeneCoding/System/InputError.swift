// Bad input, said so that the user can fix it: the file, the line (1-based, as an editor counts,
// the header being line 1), and what was wrong.
import Foundation

public struct InputError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
