// SHA-256 against the FIPS 180-4 / NIST example vectors, against Python's hashlib at the padding
// boundaries, across every way of splitting the input into updates, and against `sha256sum` on files.
import Foundation
import XCTest
import GeneCoding

final class SHA256Tests: XCTestCase {
    func testStandardVectors() {
        XCTAssertEqual(SHA256.hexDigest(Array("".utf8)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hexDigest(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPaddingBoundaries() {
        // n times "a", digests from Python's hashlib: lengths around 56 (where the length field
        // no longer fits the last block) and 64 (a whole block) bytes.
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            57: "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
            127: "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
            128: "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
            129: "c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef6329ee994a3db752166ae",
        ]
        for (count, digest) in expected {
            XCTAssertEqual(SHA256.hexDigest([UInt8](repeating: UInt8(ascii: "a"), count: count)), digest, "\(count) bytes")
        }
    }

    func testEverySplitIntoTwoUpdatesAgrees() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = SHA256.hexDigest(bytes)
        for cut in 0...bytes.count {
            var hasher = SHA256()
            hasher.update(Array(bytes[..<cut]))
            hasher.update(Array(bytes[cut...]))
            XCTAssertEqual(SHA256.hex(hasher.finalize()), whole, "split at \(cut)")
        }
    }

    func testFinalizeLeavesTheHasherUsable() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        XCTAssertEqual(hasher.finalize(), SHA256.digest(Array("ab".utf8)))
        hasher.update(Array("c".utf8))
        XCTAssertEqual(SHA256.hex(hasher.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hasher.finalize().count, SHA256.digestByteCount)
    }

    func testFilesAgainstSHA256Sum() throws {
        // SHA256SUMS was written by `sha256sum` (see GUEFixtures); read in 7-byte chunks to
        // exercise the streaming path across block boundaries, and in one chunk.
        let root = GUEFixtures.miniRoot
        let sums = try String(contentsOf: root.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let lines = sums.split(separator: "\n")
        XCTAssertEqual(lines.count, 8)
        for line in lines {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let file = root.appendingPathComponent(parts[1])
            XCTAssertEqual(try SHA256.hexDigest(ofFile: file, chunkByteCount: 7), parts[0], parts[1])
            XCTAssertEqual(try SHA256.hexDigest(ofFile: file), parts[0], parts[1])
            XCTAssertEqual(SHA256.hexDigest(try Data(contentsOf: file)), parts[0], parts[1])
        }
    }

    func testLargeFileStreamsAcrossChunks() throws {
        // 3 MiB + 5 bytes of "a": bigger than one 1 MiB chunk, not a whole number of blocks.
        let file = try GUEFixtures.temporaryFolder(for: self).appendingPathComponent("big.bin")
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20 + 5)
        try Data(bytes).write(to: file)
        XCTAssertEqual(try SHA256.hexDigest(ofFile: file), SHA256.hexDigest(bytes))
        XCTAssertEqual(try SHA256.hexDigest(ofFile: file, chunkByteCount: 1000), SHA256.hexDigest(bytes))
    }

    func testHex() {
        XCTAssertEqual(SHA256.hex([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff")
    }
}
