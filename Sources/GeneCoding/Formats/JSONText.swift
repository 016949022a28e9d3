// JSON text written by hand, where a file format fixes the layout (safetensors headers,
// Hugging Face tokenizer.json) and JSONSerialization's choices would not match it.

enum JSONText {
    /// A JSON string literal as serde_json writes it: quotes, backslashes and control characters
    /// escaped, everything else (`/` and non-ASCII included) as is.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
