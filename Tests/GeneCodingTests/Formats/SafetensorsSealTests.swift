// The seal of our safetensors files: a SHA-256 over the tensors and the other metadata, which the
// format's own layout checks cannot give (they pass a file whose values were changed in place).
import Foundation
import XCTest
@testable import GeneCoding

final class SafetensorsSealTests: XCTestCase {
    let file = SafetensorsFile(tensors: [
        .init(name: "a.weight", shape: [2, 2], values: [1, -2.5, 0, 3.25]),
        .init(name: "b", shape: [], values: [7]),
    ], metadata: ["format": "pt", "key": "abc"])

    /// The digest, against one computed by Python's hashlib from the layout the seal documents
    /// (little-endian u64 lengths and counts, metadata in name order, tensors in name order, F32 bytes):
    ///     h = sha256(); u = lambda n: h.update(struct.pack('<Q', n)); t = lambda s: (u(len(s.encode())), h.update(s.encode()))
    ///     u(2); t("format"); t("pt"); t("key"); t("abc"); u(2)
    ///     t("a.weight"); u(2); u(2); u(2); u(4); h.update(struct.pack('<4f', 1, -2.5, 0, 3.25))
    ///     t("b"); u(0); u(1); h.update(struct.pack('<f', 7))
    func testTheDigestMatchesAnIndependentComputation() {
        XCTAssertEqual(file.contentDigest(), "83dfdc806725b0d295159908709dbdd500ca498fb1f48e50344dfdf137f86409")
        XCTAssertEqual(file.sealed().contentDigest(), file.contentDigest(), "the seal entry itself is not hashed")
    }

    func testASealSurvivesTheBytesAndChangesNothingElse() throws {
        let sealed = file.sealed()
        XCTAssertTrue(sealed.isSealed)
        XCTAssertFalse(file.isSealed)
        let read = try SafetensorsFile(decoding: sealed.encoded(), file: "x.safetensors")
        XCTAssertNoThrow(try read.verifySeal(file: "x.safetensors"))
        XCTAssertEqual(read.tensors, file.tensors)
        XCTAssertEqual(read.metadata.filter { $0.key != SafetensorsFile.sealKey }, file.metadata)
    }

    func testEveryKindOfChangeBreaksTheSeal() throws {
        let sealed = file.sealed()
        var changes: [(String, SafetensorsFile)] = []
        func change(_ name: String, tensors: [SafetensorsFile.Entry]? = nil, metadata: [String: String]? = nil) {
            changes.append((name, SafetensorsFile(tensors: tensors ?? sealed.tensors, metadata: metadata ?? sealed.metadata)))
        }
        var t = sealed.tensors
        t[0].values[1] = Float(bitPattern: t[0].values[1].bitPattern ^ 1)
        change("one flipped bit", tensors: t)
        t = sealed.tensors
        t[0].values = t[0].values.map { $0 * 1.5 }
        change("a scaled tensor", tensors: t)
        t = sealed.tensors
        t[1].values = [.nan]
        change("a NaN", tensors: t)
        t = sealed.tensors
        t[0].shape = [4, 1]
        change("a reshaped tensor", tensors: t)
        t = sealed.tensors
        t[1].name = "c"
        change("a renamed tensor", tensors: t)
        change("a dropped tensor", tensors: [sealed.tensors[0]])
        var m = sealed.metadata
        m["key"] = "abd"
        change("an edited metadata value", metadata: m)
        m = sealed.metadata
        m["extra"] = "1"
        change("an added metadata entry", metadata: m)
        m = sealed.metadata
        m["format"] = nil
        change("a removed metadata entry", metadata: m)
        // Moving a character between two entries keeps their concatenation: the lengths tell them apart.
        m = sealed.metadata
        m["format"] = "p"
        m["key"] = "tabc"
        change("a character moved between entries", metadata: m)
        for (name, changed) in changes {
            XCTAssertThrowsError(try changed.verifySeal(file: "/m/model.safetensors"), name) { error in
                XCTAssertTrue("\(error)".hasPrefix("/m/model.safetensors: checksum mismatch"), "\(name): \(error)")
            }
        }
    }

    func testAnUnsealedFileSaysSo() {
        XCTAssertThrowsError(try file.verifySeal(file: "old.safetensors")) { XCTAssertTrue("\($0)".contains("carries no checksum"), "\($0)") }
    }

    func testNonFiniteValuesAreFound() {
        XCTAssertNil(file.firstNonFinite())
        var t = file.tensors
        t[0].values[2] = -.infinity
        XCTAssertEqual(SafetensorsFile(tensors: t).firstNonFinite()?.tensor, "a.weight")
        XCTAssertEqual(SafetensorsFile(tensors: t).firstNonFinite()?.index, 2)
    }
}
