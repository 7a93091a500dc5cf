// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "pflow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pflow", targets: ["pflow"]),
        .executable(name: "pflow-mock-server", targets: ["pflow-mock-server"]),
        .library(name: "PFlowSpec", targets: ["PFlowSpec"]),
        .library(name: "PFlowEngine", targets: ["PFlowEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The mock server only: keep SwiftNIO out of the pflow binary.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "PFlowSpec", dependencies: ["CYAML"]),
        .target(name: "PFlowEngine", dependencies: ["PFlowSpec"]),
        .executableTarget(
            name: "pflow",
            dependencies: [
                "PFlowSpec",
                "PFlowEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "pflow-mock-server",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Fixtures live in Tests/Fixtures and are found through #filePath.
        .testTarget(name: "PFlowSpecTests", dependencies: ["PFlowSpec"]),
        .testTarget(name: "PFlowEngineTests", dependencies: ["PFlowEngine", "PFlowSpec"]),
        .testTarget(name: "PFlowEndToEndTests", dependencies: []),
    ]
)
