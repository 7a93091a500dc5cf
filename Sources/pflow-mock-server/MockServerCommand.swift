import ArgumentParser
import Foundation
import PFlowMockServerCore

/// The `pflow-mock-server` command: runs `MockServer` until interrupted.
///
/// Why print the address first: tests and benchmarks start it with `--port 0` and read the
/// chosen port from the first line of stdout.
@main
struct MockServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pflow-mock-server",
        abstract: "An OpenAI- and Anthropic-compatible server for testing pflow.",
        discussion: """
            Prompts script failures with [mock:...] directives; see docs/mock-server.md.
            GET /_stats, GET /_log and POST /_reset observe and clear what it saw.
            """
    )

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port: Int = 0

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Delay before every answer, e.g. 200ms.", transform: parseDuration)
    var latency: Duration = .zero

    @Option(help: "Extra random delay in 0...jitter, fixed by the seed.", transform: parseDuration)
    var jitter: Duration = .zero

    @Option(name: .customLong("failure-rate"), help: "Fraction 0...1 of requests answered with a 500.")
    var failureRate: Double = 0

    @Option(help: "Seed for jitter and failures.")
    var seed: UInt64 = 0

    @Option(help: "Append every request to FILE as JSON lines.")
    var log: String?

    @Option(help: "Event-loop threads; defaults to the number of cores.")
    var threads: Int?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Serve https with a PEM certificate chain and its PEM private key.", valueName: "cert key"))
    var tls: [String] = []

    @Flag(name: .customLong("http1-only"), help: "Offer only http/1.1 in TLS ALPN, never h2.")
    var http1Only = false

    @Option(name: .customLong("h2-max-streams"), help: "SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2 clients.")
    var h2MaxStreams: Int = MockServerConfiguration.defaultH2MaxStreams

    @Option(
        name: .customLong("idle-timeout"), help: "Close a connection with no request in flight for this long.",
        transform: parseDuration)
    var idleTimeout: Duration?

    @Option(
        name: .customLong("reasoning-models"),
        help: "OpenAI models answered as reasoning models: names or prefixes ending in *, comma-separated.",
        transform: { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
    var reasoningModels: [String] = MockServerConfiguration.defaultReasoningModels

    @Option(name: .customLong("rpm"), help: "Requests per minute each model takes before answering 429.")
    var requestsPerMinute: Int?

    @Option(
        name: .customLong("tpm"),
        help: "Tokens per minute each model takes (estimated input plus max_tokens) before answering 429.")
    var tokensPerMinute: Int?

    @Flag(
        name: .customLong("connect-proxy"),
        help:
            "Run as an HTTP proxy to loopback targets instead (CONNECT tunnels and absolute-form requests); --log FILE gets each request line."
    )
    var connectProxy = false

    @Option(
        name: .customLong("write-test-certificates"),
        help: ArgumentHelp(
            "Write a test CA and server certificates (openssl) into DIR, print their paths, and exit.",
            valueName: "dir"))
    var testCertificatesDirectory: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard (0...1).contains(failureRate) else { throw ValidationError("--failure-rate must be in 0...1") }
        guard tls.isEmpty || tls.count == 2 else {
            throw ValidationError("--tls takes two files: the certificate chain and the private key (PEM)")
        }
        if let requestsPerMinute, requestsPerMinute < 1 { throw ValidationError("--rpm must be at least 1") }
        if let tokensPerMinute, tokensPerMinute < 1 { throw ValidationError("--tpm must be at least 1") }
        guard h2MaxStreams >= 1 else { throw ValidationError("--h2-max-streams must be at least 1") }
        if let idleTimeout, idleTimeout <= .zero { throw ValidationError("--idle-timeout must be above zero") }
        if connectProxy && !tls.isEmpty { throw ValidationError("--connect-proxy serves plain http; drop --tls") }
        if http1Only && tls.isEmpty { throw ValidationError("--http1-only needs --tls: plain http is always HTTP/1") }
    }

    func run() async throws {
        if let testCertificatesDirectory { return try writeTestCertificates(into: testCertificatesDirectory) }
        if connectProxy { return try await runProxy() }
        let files = tls.count == 2 ? MockTLSFiles(certificatePath: tls[0], keyPath: tls[1]) : nil
        let server = try await MockServer.start(
            MockServerConfiguration(
                host: host, port: port, latency: latency, jitter: jitter, failureRate: failureRate, seed: seed,
                logPath: log, threads: threads, tls: files, http1Only: http1Only, h2MaxStreams: h2MaxStreams,
                idleTimeout: idleTimeout, reasoningModels: reasoningModels, requestsPerMinute: requestsPerMinute,
                tokensPerMinute: tokensPerMinute))
        FileHandle.standardOutput.write(Data("listening on \(server.host):\(server.port)\n".utf8))
        await waitForTermination()
        try await server.stop()
    }

    /// For scripts such as `make bench` that start the server with `--tls`: the same
    /// certificates the tests make, one `name path` line each.
    private func writeTestCertificates(into directory: String) throws {
        let certificates = try TestCertificates.generate(in: directory)
        let lines = [
            "ca \(certificates.caCertificate)", "server-certificate \(certificates.server.certificatePath)",
            "server-key \(certificates.server.keyPath)",
        ]
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    private func runProxy() async throws {
        let proxy = try await MockConnectProxy.start(host: host, port: port, logPath: log)
        FileHandle.standardOutput.write(Data("listening on \(proxy.host):\(proxy.port)\n".utf8))
        await waitForTermination()
        try await proxy.stop()
    }

    /// Suspends until SIGINT or SIGTERM, so the log file is flushed on the way out.
    private func waitForTermination() async {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        // A released source stops delivering; keep them until a signal has arrived.
        withExtendedLifetime(sources) {}
    }
}

private func parseDuration(_ text: String) throws -> Duration {
    guard let duration = MockUnits.duration(text) else {
        throw ValidationError("'\(text)' is not a duration; use e.g. 200ms, 1.5s, 2m")
    }
    return duration
}
