// swift-tools-version: 6.1
import PackageDescription

// The libFuzzer target lives in its own package so that neither `swift build` nor
// `swift test` of the root package ever compiles it: it only links with
// `swift build --sanitize=fuzzer`, which supplies libFuzzer's main. Run it with `make fuzz`.
let package = Package(
    name: "pflow-fuzz",
    dependencies: [.package(name: "pflow", path: "..")],
    targets: [
        .executableTarget(
            name: "PFlowFuzz",
            dependencies: [.product(name: "PFlowSpec", package: "pflow")]
        )
    ]
)
