// swift-tools-version:6.0
// GeneCoding: a literate reproduction of "Evaluation of Coding Schemes for Transformer-based
// Gene Sequence Modeling" (arXiv 2507.15087) in Swift, on the CPU, with OpenBLAS.
import PackageDescription

// Release builds are whole-module optimised (SwiftPM's default for release); the numeric library
// also drops bounds checks in its kernels, which are held against plain reference loops in tests.
let fastKernels: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

// One executable per chapter folder (chapters/NN-name/main.swift).
let chapters = ["01-tokenization", "02-position-encodings", "03-depth", "04-open-questions"]
func chapterTarget(_ folder: String) -> Target {
    // "01-tokenization" -> executable "chapter-01-tokenization", module "Chapter01Tokenization".
    let module = "Chapter" + folder.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    return .executableTarget(name: module, dependencies: ["GeneCoding"], path: "chapters/\(folder)")
}

let package = Package(
    name: "GeneCoding",
    products: [
        .library(name: "GeneCoding", targets: ["GeneCoding"]),
        .executable(name: "genecoding", targets: ["genecoding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "GeneCoding",
            dependencies: ["COpenBLAS", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: fastKernels),
        .executableTarget(
            name: "genecoding",
            dependencies: ["GeneCoding", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(
            name: "GeneCodingTests",
            dependencies: ["GeneCoding"],
            resources: [.copy("Resources")]),
    ] + chapters.map(chapterTarget),
    swiftLanguageModes: [.v5]
)
