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
        // The mock server, and the engine's plain-HTTP client (URLSession is kept for https).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "PFlowSpec", dependencies: ["CYAML"]),
        .target(
            name: "PFlowEngine",
            dependencies: [
                "PFlowSpec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pflow",
            dependencies: [
                "PFlowSpec",
                "PFlowEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The mock server's core is a library so provider tests can run it in-process.
        .target(
            name: "PFlowMockServerCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pflow-mock-server",
            dependencies: [
                "PFlowMockServerCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fixtures live in Tests/Fixtures and are found through #filePath.
        .testTarget(name: "PFlowSpecTests", dependencies: ["PFlowSpec"]),
        .testTarget(name: "PFlowEngineTests", dependencies: ["PFlowEngine", "PFlowSpec", "PFlowMockServerCore"]),
        // Runs the built binaries; shares only the mock server's record types.
        .testTarget(name: "PFlowEndToEndTests", dependencies: ["PFlowMockServerCore"]),
    ]
)
