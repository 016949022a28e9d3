// swift-tools-version:6.0
// GeneCoding: a literate reproduction of "Evaluation of Coding Schemes for Transformer-based
// Gene Sequence Modeling" (arXiv 2507.15087) in Swift, on the CPU, with OpenBLAS.
import Foundation
import PackageDescription

// The CPU the library is compiled for. Swift's default on x86-64 is the 2003 baseline (SSE2), where
// the eight-wide kernels of VectorMath.swift become pairs of 4-wide instructions without FMA, so on
// Linux the build reads /proc/cpuinfo and names the newest of two levels this machine has:
//   AVX-512 F/CD/BW/DQ/VL -> "skylake-avx512";  AVX2, FMA, BMI1/2, F16C, MOVBE -> "haswell".
// Swift never contracts a * b + c into a fused multiply-add and never reorders floating-point sums,
// so the level changes the speed, not the results: a run's losses, scores and weights are the same
// bit for bit (compared for a 1-mer ALiBi run; the step was 26% faster at the AVX-512 level).
// GENECODING_TARGET_CPU overrides the choice: a CPU name LLVM knows, or "generic" for the default
// (for example when the binaries are built on one machine and run on older ones).
func targetCPU() -> String? {
    if let chosen = ProcessInfo.processInfo.environment["GENECODING_TARGET_CPU"], !chosen.isEmpty {
        return chosen == "generic" ? nil : chosen
    }
    #if os(Linux) && arch(x86_64)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(flagLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    if flags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"]) { return "skylake-avx512" }
    if flags.isSuperset(of: ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]) { return "haswell" }
    #endif
    return nil
}

// Release builds are whole-module optimised (SwiftPM's default for release); the numeric library
// also drops bounds checks in its kernels, which are held against plain reference loops in tests.
// The chosen level is also defined as a condition, so that reports can say what they ran on.
let cpu = targetCPU()
let fastKernels: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"] + (cpu.map { ["-target-cpu", $0] } ?? []), .when(configuration: .release)),
] + (cpu.map { name -> [SwiftSetting] in
    let condition = name == "skylake-avx512" ? "GENECODING_TARGET_AVX512" : name == "haswell" ? "GENECODING_TARGET_AVX2" : "GENECODING_TARGET_NAMED"
    return [.define(condition, .when(configuration: .release))]
} ?? [])

// One executable per chapter folder (chapters/NN-name/main.swift).
let chapters = ["01-tokenization", "02-position-encodings", "03-depth", "04-open-questions", "05-scale"]
func chapterTarget(_ folder: String) -> Target {
    // "01-tokenization" -> the executable and module "Chapter01Tokenization".
    let module = "Chapter" + folder.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    return .executableTarget(name: module, dependencies: ["GeneCoding"], path: "chapters/\(folder)")
}

// The C element loops (Sources/CKernels) are compiled for the same CPU, without errno from libm (so
// sqrtf is an instruction) and without contracting a * b + c into fused multiply-adds, so that they
// round exactly as the Swift reference loops do.
// On AVX-512 they use the 512-bit registers, which clang leaves alone by default for this CPU name.
let cKernels: [CSetting] = [
    .unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"] + (cpu.map { ["-march=\($0)"] } ?? [])
                 + (cpu == "skylake-avx512" ? ["-mprefer-vector-width=512"] : [])),
]

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
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: cKernels),
        .target(
            name: "GeneCoding",
            dependencies: ["COpenBLAS", "CKernels", .product(name: "Numerics", package: "swift-numerics"),
                           // the chapters' options (Report/Notebook.swift)
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
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
