import Foundation
import XCTest
@testable import GeneCoding

final class SafetensorsTests: XCTestCase {
    private func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func fixture(_ name: String) throws -> String {
        let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources/safetensors")
        return try XCTUnwrap(url, "fixture \(name) is not in the test bundle").path
    }

    /// The tensors of reference-f32.safetensors, as make_safetensors_fixture.py makes them.
    private let referenceTensors: [SafetensorsFile.Entry] = [
        .init(name: "encoder.layers.0.attention.query.weight", shape: [4, 3], values: (0..<12).map { Float($0) * 0.25 - 1 }),
        .init(name: "encoder.layers.0.attention.query.bias", shape: [3], values: [-0.0, Float(bitPattern: 1), .greatestFiniteMagnitude]),
        .init(name: "classifier.scale", shape: [], values: [2.5]),
        .init(name: "empty", shape: [0, 3], values: []),
    ]

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    // MARK: Writing and reading back

    func testRoundTripIsBitIdentical() throws {
        var generator = SystemRandomNumberGenerator()
        let awkward: [Float] = [0, -0.0, .infinity, -.infinity, .nan, Float(bitPattern: 0x7fc0_1234), // a NaN with a payload
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, Float(bitPattern: 0x0001_1234) /* subnormal */, -3.5]
        let file = SafetensorsFile(tensors: [
            .init(name: "z.weight", shape: [2, 5], values: awkward),
            .init(name: "a.weight", shape: [3, 4, 5], values: (0..<60).map { _ in Float.random(in: -1...1, using: &generator) }),
            .init(name: "scalar", shape: [], values: [42]),
            .init(name: "nothing", shape: [0], values: []),
        ], metadata: ["config": "{\"layers\": 12, \"pe\": \"rope\"}", "note": "ünïcode / \"quotes\"\n\ttab \u{01}"])
        let path = try scratchDirectory() + "/checkpoints/model.safetensors"
        try file.write(to: path)
        let read = try SafetensorsFile(contentsOf: path)

        XCTAssertEqual(read.tensors.map(\.name), ["a.weight", "nothing", "scalar", "z.weight"])
        XCTAssertEqual(read.metadata, file.metadata)
        for (written, back) in zip(file.tensors, read.tensors) {
            XCTAssertEqual(back.name, written.name)
            XCTAssertEqual(back.shape, written.shape, written.name)
            XCTAssertEqual(bits(back.values), bits(written.values), written.name)
        }
        // Encoding is deterministic, whatever order the tensors came in.
        let shuffled = SafetensorsFile(tensors: file.tensors.reversed(), metadata: file.metadata)
        XCTAssertEqual(shuffled.encoded(), file.encoded())
    }

    func testHeaderIsPaddedSoThatDataStartsOnEightBytes() throws {
        for nameLength in 1...9 {
            let data = SafetensorsFile(tensors: [.init(name: String(repeating: "w", count: nameLength), shape: [1], values: [1])]).encoded()
            let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
            XCTAssertEqual(headerLength % 8, 0, "name length \(nameLength)")
            XCTAssertEqual(data.count, 8 + headerLength + 4)
            let header = String(decoding: data[8 ..< 8 + headerLength], as: UTF8.self)
            XCTAssertTrue(header.hasPrefix("{\"w"), header)
            XCTAssertTrue(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"), header)
        }
    }

    func testWritesWhatPythonSafetensorsWrites() throws {
        let reference = try Data(contentsOf: URL(fileURLWithPath: try fixture("reference-f32.safetensors")))
        let ours = SafetensorsFile(tensors: referenceTensors, metadata: ["format": "genecoding"]).encoded()
        XCTAssertEqual(ours.count, reference.count)
        XCTAssertEqual(ours, reference, "our bytes differ from safetensors.numpy's for the same tensors:\n"
                       + String(decoding: ours.prefix(200), as: UTF8.self) + "\n" + String(decoding: reference.prefix(200), as: UTF8.self))
    }

    func testReadsPythonsF32File() throws {
        let file = try SafetensorsFile(contentsOf: try fixture("reference-f32.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "genecoding"])
        XCTAssertEqual(file.tensors.count, referenceTensors.count)
        for expected in referenceTensors {
            let tensor = try XCTUnwrap(file[expected.name], expected.name)
            XCTAssertEqual(tensor.shape, expected.shape, expected.name)
            XCTAssertEqual(bits(tensor.values), bits(expected.values), expected.name)
        }
    }

    func testReadsPythonsHalfBrainAndDoubleTensorsAsFloat() throws {
        let file = try SafetensorsFile(contentsOf: try fixture("mixed-dtypes.safetensors"))
        XCTAssertEqual(file.metadata, ["step": "1200", "task": "prom_300_all"])
        XCTAssertEqual(file["half"]?.shape, [2, 3])
        XCTAssertEqual(bits(file["half"]!.values), bits([1.5, -2, 0x1p-14, 0x1p-24, 65504, -0.0]))
        XCTAssertEqual(file["brain"]?.shape, [4])
        XCTAssertEqual(file["brain"]!.values, [1, -2.5, 3.140625, Float(bitPattern: Float(1e-3).bitPattern & 0xffff_0000)])
        XCTAssertEqual(file["double"]?.shape, [2, 2])
        XCTAssertEqual(file["double"]!.values, [Float(0.1), -.infinity, 3, 0.5])
        XCTAssertEqual(file["single"]!.values, [7, -7])
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x3c00), 1)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0xc000), -2)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x7bff), 65504)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x0001), 0x1p-24)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x03ff), 1023 * 0x1p-24)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x8000).bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(SafetensorsFile.halfToFloat(0x7c00), .infinity)
        XCTAssertTrue(SafetensorsFile.halfToFloat(0x7e00).isNaN)
    }

    // MARK: Bad files

    /// A file with `header` as its JSON (padded) and `data` after it.
    private func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        var json = Array(header.utf8)
        json += Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var bytes = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: data)
        return bytes
    }

    private func assertRejected(_ data: Data, _ fragments: String..., line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(decoding: data, file: "bad.safetensors"), line: line) { error in
            guard let error = error as? InputError else { return XCTFail("not an InputError: \(error)", line: line) }
            XCTAssertEqual(error.file, "bad.safetensors", line: line)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "“\(error.message)” lacks “\(fragment)”", line: line)
            }
        }
    }

    private let fourFloats = [UInt8](repeating: 0, count: 16)

    func testAcceptsTheHandMadeGoodFile() throws {
        // The helper itself makes readable files, so the rejections below are about their one flaw.
        let good = file(header: #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, data: fourFloats)
        XCTAssertEqual(try SafetensorsFile(decoding: good, file: "good").tensors.first?.shape, [2, 2])
    }

    func testTruncatedFiles() {
        assertRejected(Data(), "truncated", "too short")
        assertRejected(Data([8, 0, 0]), "truncated")
        let whole = file(header: #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, data: fourFloats)
        assertRejected(whole.prefix(20), "truncated", "header declares")
        assertRejected(whole.dropLast(3), "truncated", "tensor a")
    }

    func testHeaderTooLarge() {
        assertRejected(file(header: "{}", declaredLength: 100_000_001), "header too large")
        assertRejected(file(header: "{}", declaredLength: UInt64.max), "header too large")
    }

    func testHeaderThatIsNotJSON() {
        assertRejected(file(header: "[1, 2]"), "does not start with '{'")
        assertRejected(file(header: #"{"a": }"#), "not valid JSON")
        assertRejected(file(header: #"{"__metadata__":{"step":1200}}"#), "__metadata__", "step", "not a string")
    }

    func testBadTensorEntries() {
        assertRejected(file(header: #"{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "tensor a", "unknown dtype F33")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "tensor a", "shape")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "tensor a", "shape")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: [0, 0, 0, 0]), "tensor a", "data_offsets")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]), "tensor a", "end before they begin")
    }

    func testShapeThatDoesNotMatchTheOffsets() {
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}"#, data: fourFloats),
                       "tensor a", "shape [2, 3] of F32 needs 6 × 4 bytes", "span 16")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, data: fourFloats),
                       "tensor a", "too large")
    }

    func testOffsetsOutOfRangeOverlappingOrLeavingGaps() {
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, data: fourFloats),
                       "truncated", "tensor a", "up to 32", "holds 16")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: fourFloats),
                       "tensor b", "overlap tensor a")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#, data: fourFloats),
                       "tensor b", "gap after tensor a")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [0, 0, 0, 0, 0, 0, 0, 0]),
                       "tensor a", "gap after the start of the data")
        assertRejected(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: fourFloats),
                       "8 bytes after the last tensor")
    }

    func testIntegerTensorsAreRefusedByName() {
        assertRejected(file(header: #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: fourFloats),
                       "tensor ids has dtype I64", "F32")
    }

    func testReadingAMissingFileNamesIt() {
        XCTAssertThrowsError(try SafetensorsFile(contentsOf: "/nonexistent/model.safetensors")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/model.safetensors: cannot read"), "\(error)")
        }
    }

    // MARK: Interoperation with Python

    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    /// python3, if it can import numpy and safetensors.
    private func python() throws -> String {
        guard let python = Subprocess.find("python3"),
              let probe = try? Subprocess.run(python, ["-c", "import numpy, safetensors"]), probe.status == 0 else {
            throw XCTSkip("python3 with numpy and safetensors is not available")
        }
        return python
    }

    func testPythonReadsOurFileBitForBit() throws {
        let python = try python()
        let path = try scratchDirectory() + "/model.safetensors"
        let values: [Float] = [0.1, -2.5, .leastNonzeroMagnitude, -0.0, 1e30, 3.25]
        try SafetensorsFile(tensors: [.init(name: "w", shape: [2, 3], values: values)], metadata: ["k": "v"]).write(to: path)
        let check = """
        import sys, numpy as np
        from safetensors.numpy import load_file
        from safetensors import safe_open
        w = load_file(sys.argv[1])["w"]
        assert w.dtype == np.float32 and w.shape == (2, 3), (w.dtype, w.shape)
        print(" ".join(str(int(b)) for b in w.reshape(-1).view(np.uint32)))
        with safe_open(sys.argv[1], framework="numpy") as f: print(f.metadata())
        """
        let result = try Subprocess.run(python, ["-c", check, path])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, values.map { String($0.bitPattern) }.joined(separator: " ") + "\n{'k': 'v'}\n")
    }

    func testCheckCheckpointScriptListsOurTensors() throws {
        let python = try python()
        let script = repositoryRoot.appendingPathComponent("scripts/check_checkpoint.py").path
        let directory = try scratchDirectory() + "/checkpoint"
        try SafetensorsFile(tensors: [
            .init(name: "embedding.weight", shape: [10, 4], values: Array(repeating: 0.5, count: 40)),
            .init(name: "classifier.bias", shape: [2], values: [0, 1]),
        ], metadata: ["step": "300"]).write(to: directory + "/model.safetensors")
        try AtomicFile.write(#"{"layers": 3, "width": 4, "position": "rope"}"#, to: directory + "/config.json")

        let result = try Subprocess.run(python, [script, directory])
        XCTAssertEqual(result.status, 0, result.standardError)
        for expected in ["  layers: 3", "  position: \"rope\"", "  step: 300",
                         "  classifier.bias  float32  [2]", "  embedding.weight  float32  [10, 4]", "2 tensors, 42 parameters"] {
            XCTAssertTrue(result.standardOutput.contains(expected), "output lacks \(expected):\n\(result.standardOutput)")
        }

        // A NaN in the weights makes it fail.
        try SafetensorsFile(tensors: [.init(name: "w", shape: [1], values: [.nan])]).write(to: directory + "/model.safetensors")
        let bad = try Subprocess.run(python, [script, directory])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.standardError.contains("not finite: w"), bad.standardError)
    }
}
