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
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The engine's HTTP client for http and https (TLS, HTTP/2, pooling, proxies,
        // decompression); docs/performance.md has the measurements behind the choice.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already built for async-http-client: the engine maps their errors, the mock server
        // serves TLS and HTTP/2 with them.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.26.0"),
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
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
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
        // The mock server's core is a library so provider tests can run it in-process. It
        // counts rate limits by PFlowSpec's `ServerRateBuckets`, the rule the built-in mock
        // provider shares.
        .target(
            name: "PFlowMockServerCore",
            dependencies: [
                "PFlowSpec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
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
