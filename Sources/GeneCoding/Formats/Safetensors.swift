// Model weights in the safetensors format, so that checkpoints load in PyTorch, NumPy or JAX
// with Hugging Face's `safetensors` library, and theirs load here.
//
// The layout (https://github.com/huggingface/safetensors):
//
//     8 bytes     N, the header's length, unsigned little-endian
//     N bytes     a JSON object: for each tensor {"dtype": "F32", "shape": [2, 3],
//                 "data_offsets": [begin, end]}, and an optional "__metadata__" of strings
//     the rest    the tensors' bytes, little-endian, row-major, at their offsets in this part
//
// We write the way the reference implementation does, so that our files are byte for byte what
// Python's `safetensors` writes for the same tensors: "__metadata__" first, tensors laid out and
// listed in name order (the reference orders by dtype first, but we write only F32), JSON without
// spaces, and the header padded with spaces so that the data starts at a multiple of 8 bytes.
//
// Reading checks everything the reference checks, and says which file and tensor is wrong:
// the header's length against the file, the JSON, the dtypes, that each tensor's offsets span
// exactly its shape's bytes, and that the tensors tile the data part with no gap or overlap.
// F32 is read as is; F16, BF16 and F64 are converted to Float; integer tensors are refused by name.
//
// Our own files carry a seal (`sealed()`, `verifySeal`): the SHA-256 of every tensor (name, shape,
// values) and every other metadata entry, kept in `__metadata__` under "sha256". The format's own
// checks catch a cut or garbled file; the seal catches what leaves the layout intact: a flipped bit,
// a NaN written into a tensor, a scaled tensor, an edited counter in the metadata. Readers that do
// not know the seal (Python's `safetensors`) see one more metadata string and load the file as before.
import Foundation

public struct SafetensorsFile: Sendable, Equatable {
    /// One named tensor: its shape (empty for a scalar) and its values in row-major order.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.allSatisfy { $0 >= 0 }, "tensor \(name): negative dimension in \(shape)")
            precondition(shape.reduce(1, *) == values.count,
                         "tensor \(name): shape \(shape) holds \(shape.reduce(1, *)) values, not \(values.count)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The tensors, in name order.
    public private(set) var tensors: [Entry]
    /// Free-form string pairs stored with the tensors (run configuration, step, commit ...).
    public var metadata: [String: String]

    /// The tensors must have distinct names, none of them `__metadata__`.
    public init(tensors: [Entry], metadata: [String: String] = [:]) {
        let sorted = tensors.sorted { SafetensorsFile.nameOrder($0.name, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) { precondition(a.name != b.name, "two tensors named \(a.name)") }
        precondition(!sorted.contains { $0.name == SafetensorsFile.metadataKey }, "\(SafetensorsFile.metadataKey) is not a tensor name")
        self.tensors = sorted
        self.metadata = metadata
    }

    public subscript(name: String) -> Entry? {
        tensors.first { $0.name == name }
    }

    // MARK: Writing

    /// The file's bytes.
    public func encoded() -> Data {
        var json = "{"
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted(by: SafetensorsFile.nameOrder).map { JSONText.string($0) + ":" + JSONText.string(metadata[$0]!) }
            members.append(JSONText.string(SafetensorsFile.metadataKey) + ":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for tensor in tensors {
            let end = offset + tensor.values.count * 4
            members.append(JSONText.string(tensor.name) + ":{\"dtype\":\"F32\",\"shape\":["
                + tensor.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += members.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for tensor in tensors {
            tensor.values.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self),
                                                count: buffer.count * 4))
                #else
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #endif
            }
        }
        return data
    }

    /// Writes the file atomically (see `AtomicFile`), creating its folder.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }

    // MARK: Reading

    /// The largest header accepted, as in the reference implementation: a bigger one is a corrupt
    /// length, not a real header.
    public static let maximumHeaderLength = 100_000_000

    /// Reads and checks the file at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw InputError(file: path, "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(decoding: data, file: path)
    }

    /// Reads and checks a file's bytes; `file` names it in errors.
    public init(decoding data: Data, file: String) throws {
        let (tensors, metadata) = try data.withUnsafeBytes { try SafetensorsFile.parse($0, file: file) }
        self.init(tensors: tensors, metadata: metadata)
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> ([Entry], [String: String]) {
        func fail(_ message: String) -> InputError { InputError(file: file, message) }
        guard bytes.count >= 8 else {
            throw fail("truncated: \(bytes.count) bytes, too short for the 8-byte header length of a safetensors file")
        }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maximumHeaderLength) else {
            throw fail("header too large: it declares \(declared) bytes, more than the \(maximumHeaderLength) allowed (not a safetensors file?)")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= bytes.count else {
            throw fail("truncated: the header declares \(headerLength) bytes but only \(bytes.count - 8) follow the length")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw fail("the header does not start with '{' (not a safetensors file?)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8 ..< 8 + headerLength]))
        } catch {
            throw fail("the header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = object as? [String: Any] else { throw fail("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header[metadataKey] {
            guard let pairs = raw as? [String: Any] else { throw fail("__metadata__ is not an object of strings") }
            for (key, value) in pairs {
                guard let text = value as? String else { throw fail("__metadata__ value for \"\(key)\" is not a string") }
                metadata[key] = text
            }
        }

        struct Layout { var name: String; var dtype: DType; var shape: [Int]; var begin: Int; var end: Int }
        var layouts: [Layout] = []
        for (name, raw) in header where name != metadataKey {
            guard let info = raw as? [String: Any] else { throw fail("tensor \(name): its entry is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw fail("tensor \(name): no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor \(name): unknown dtype \(dtypeName)") }
            guard let shape = integers(info["shape"]) else {
                throw fail("tensor \(name): shape is not a list of non-negative integers")
            }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2 else {
                throw fail("tensor \(name): data_offsets is not a pair of non-negative integers")
            }
            guard offsets[0] <= offsets[1] else {
                throw fail("tensor \(name): data_offsets [\(offsets[0]), \(offsets[1])] end before they begin")
            }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("tensor \(name): shape \(shape) is too large") }
                count = product
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, expected == offsets[1] - offsets[0] else {
                throw fail("tensor \(name): shape \(shape) of \(dtype.rawValue) needs \(count) × \(dtype.size) bytes but data_offsets [\(offsets[0]), \(offsets[1])] span \(offsets[1] - offsets[0])")
            }
            layouts.append(Layout(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }

        // The tensors must tile the data part: each begins where the one before ends.
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        layouts.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        var previous = "the start of the data"
        for layout in layouts {
            if layout.begin < position {
                throw fail("tensor \(layout.name): bytes [\(layout.begin), \(layout.end)) overlap \(previous)")
            }
            if layout.begin > position {
                throw fail("tensor \(layout.name): bytes [\(layout.begin), \(layout.end)) leave a gap after \(previous), which ends at \(position)")
            }
            if layout.end > dataLength {
                throw fail("truncated: tensor \(layout.name) needs bytes up to \(layout.end) of the data, but the data holds \(dataLength)")
            }
            position = layout.end
            previous = "tensor \(layout.name)"
        }
        if position != dataLength {
            throw fail("\(dataLength - position) bytes after the last tensor belong to no tensor")
        }

        var tensors: [Entry] = []
        for layout in layouts {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[(dataStart + layout.begin) ..< (dataStart + layout.end)])
            guard let values = layout.dtype.floats(raw) else {
                throw fail("tensor \(layout.name) has dtype \(layout.dtype.rawValue); GeneCoding reads F32, and F16, BF16 and F64 converted to F32")
            }
            tensors.append(Entry(name: layout.name, shape: layout.shape, values: values))
        }
        return (tensors, metadata)
    }

    // MARK: Details

    static let metadataKey = "__metadata__"

    /// The order tensors are written in: by the bytes of their UTF-8 names, as Rust sorts strings.
    static func nameOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// A JSON array of non-negative integers, or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            // JSONSerialization gives every number as NSNumber, booleans included; its type code
            // tells integers from fractions ("d", even for 2.0) and booleans ("c").
            guard let number = element as? NSNumber,
                  !["c", "d", "f"].contains(String(cString: number.objCType)),
                  let integer = element as? Int, integer >= 0 else { return nil }
            result.append(integer)
        }
        return result
    }

    /// The dtypes of the format, with their sizes in bytes. Sub-byte float formats are left out.
    enum DType: String {
        case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
        case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32"
        case i64 = "I64", u64 = "U64", f64 = "F64"

        var size: Int {
            switch self {
            case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
            case .i16, .u16, .f16, .bf16: return 2
            case .i32, .u32, .f32: return 4
            case .i64, .u64, .f64: return 8
            }
        }

        /// The values as Float, or nil for a dtype we do not convert. The bytes are little-endian
        /// and need not be aligned (the format aligns only the start of the data part).
        func floats(_ raw: UnsafeRawBufferPointer) -> [Float]? {
            let count = raw.count / size
            switch self {
            case .f32:
                return (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .f64:
                return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            case .bf16:
                // bfloat16 is the top half of a float32.
                return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            case .f16:
                return (0..<count).map { SafetensorsFile.halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            default:
                return nil
            }
        }
    }
}

// MARK: - The seal

extension SafetensorsFile {
    /// The metadata entry that holds the seal.
    public static let sealKey = "sha256"

    /// SHA-256 (hex) over the metadata other than the seal and over every tensor, in name order.
    /// Each piece is length-prefixed, so no two different files hash the same bytes. Values are
    /// hashed as F32 little-endian, the bytes `encoded()` writes.
    public func contentDigest() -> String {
        var hasher = SHA256()
        func integer(_ n: Int) { withUnsafeBytes(of: UInt64(n).littleEndian) { hasher.update(rawBytes: $0) } }
        func text(_ s: String) { integer(s.utf8.count); hasher.update(Data(s.utf8)) }
        let pairs = metadata.keys.filter { $0 != Self.sealKey }.sorted(by: Self.nameOrder)
        integer(pairs.count)
        for key in pairs { text(key); text(metadata[key]!) }
        integer(tensors.count)
        for tensor in tensors {
            text(tensor.name)
            integer(tensor.shape.count)
            for dimension in tensor.shape { integer(dimension) }
            integer(tensor.values.count)
            tensor.values.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                hasher.update(rawBytes: UnsafeRawBufferPointer(buffer))
                #else
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { hasher.update(rawBytes: $0) } }
                #endif
            }
        }
        return SHA256.hex(hasher.finalize())
    }

    /// The same file with its seal set to the digest of its content.
    public func sealed() -> SafetensorsFile {
        var copy = self
        copy.metadata[Self.sealKey] = contentDigest()
        return copy
    }

    /// Whether the file carries a seal at all (files written before seals, or by other tools, do not).
    public var isSealed: Bool { metadata[Self.sealKey] != nil }

    /// Throws, naming `file`, unless the file carries a seal that matches its content.
    public func verifySeal(file: String) throws {
        guard let recorded = metadata[Self.sealKey] else {
            throw InputError(file: file, "carries no checksum (\"\(Self.sealKey)\" in its __metadata__), so it cannot be verified")
        }
        let actual = contentDigest()
        guard recorded == actual else {
            throw InputError(file: file, "checksum mismatch: the tensors or metadata were changed after the file was written "
                             + "(recorded SHA-256 \(recorded.prefix(12))..., content \(actual.prefix(12))...); the file is damaged or was edited")
        }
    }

    /// The first tensor holding a NaN or an infinity, and where in it, if any.
    public func firstNonFinite() -> (tensor: String, index: Int)? {
        for tensor in tensors {
            if let index = tensor.values.firstIndex(where: { !$0.isFinite }) { return (tensor.name, index) }
        }
        return nil
    }
}

extension SafetensorsFile {
    /// IEEE 754 half precision to single, exactly (every half is a float), subnormals and NaN included.
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = Int(half >> 10) & 0x1f
        let mantissa = UInt32(half & 0x03ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13) }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }

}
