import Foundation
import PFlowMockServerCore
import Testing

/// The mock server's https side, checked from outside with curl: the certificates
/// `TestCertificates` makes, ALPN, HTTP/2 settings and the per-protocol counters.
///
/// Every admin read (`stats()`) is one more http/1.1 connection and handshake of its own;
/// the expected counts include it.
@Suite("pflow-mock-server over TLS")
struct MockServerTLSTests {
    private let certificates: TestCertificates

    init() throws {
        certificates = try TestCertificates.shared()
    }

    @Test func negotiatesH2OrHTTP1ThroughALPNAndCountsEach() async throws {
        try await withMockServerProcess(tls: certificates.server) { server in
            #expect(server.baseURL.hasPrefix("https://127.0.0.1:"))
            try await server.reset()
            let h2 = try await curlHealth(server, "--http2")
            #expect(h2.exitCode == 0, "\(h2.stderr)")
            #expect(h2.stdout == "ok\n2")
            let http1 = try await curlHealth(server, "--http1.1")
            #expect(http1.stdout == "ok\n1.1")

            let stats = try await server.stats()
            #expect(stats.connectionsByProtocol == [.h2: 1, .http1: 2])
            #expect(stats.tlsHandshakes == 3)
            #expect(stats.streams == 1)
        }
    }

    @Test func http1OnlyNeverOffersH2() async throws {
        try await withMockServerProcess(args: ["--http1-only"], tls: certificates.server) { server in
            let result = try await curlHealth(server, "--http2")
            #expect(result.stdout == "ok\n1.1")
            #expect(try await server.stats().connectionsByProtocol[.h2] == nil)
        }
    }

    /// Speaks raw HTTP/2 through `openssl s_client` (curl does not show SETTINGS): the
    /// server's first frame announces the stream limit, and once idle it sends GOAWAY and closes.
    @Test func announcesMaxConcurrentStreamsAndSaysGoAwayWhenIdle() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The client preface and an empty SETTINGS frame.
        let preface = directory.url.appendingPathComponent("preface")
        try (Data("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + Data([0, 0, 0, 4, 0, 0, 0, 0, 0])).write(to: preface)
        try await withMockServerProcess(
            args: ["--h2-max-streams", "7", "--idle-timeout", "1s"], tls: certificates.server
        ) { server in
            let child = try ChildProcess(
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    "-c",
                    #"openssl s_client -connect "127.0.0.1:$1" -alpn h2 -CAfile "$2" -quiet < "$3" | od -An -tx1 -v"#,
                    "sh", String(server.port), certificates.caCertificate, preface.path,
                ])
            let result = await child.wait(limit: .seconds(60))
            #expect(!result.timedOut, "the server never closed the idle connection")
            let frames = result.stdout.filter(\.isHexDigit)
            // SETTINGS (type 4) of one setting: MAX_CONCURRENT_STREAMS (3) = 7.
            #expect(frames.hasPrefix("000006040000000000" + "000300000007"), "\(frames)")
            // GOAWAY (type 7): last stream 0, NO_ERROR.
            #expect(frames.contains("000008070000000000" + "0000000000000000"), "\(frames)")
        }
    }

    @Test(arguments: [CertificateCase.selfSigned, .wrongHost])
    func aClientTrustingTheTestCARefuses(_ certificate: CertificateCase) async throws {
        let files = certificate == .selfSigned ? certificates.selfSigned : certificates.wrongHost
        try await withMockServerProcess(tls: files) { server in
            let result = try await curlHealth(server)
            // 60: curl could not verify the peer (unknown issuer, or a name it is not for).
            #expect(result.exitCode == 60, "\(result.stderr)")
        }
    }

    @Test func serverCertificateNamesLocalhostToo() async throws {
        try await withMockServerProcess(tls: certificates.server) { server in
            let result = try await runCurl([
                "--cacert", certificates.caCertificate, "--resolve", "localhost:\(server.port):127.0.0.1",
                "https://localhost:\(server.port)/_health",
            ])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == "ok\n")
        }
    }

    /// A stream reset is the HTTP/2 form of a client hanging up: the request counts as a
    /// disconnect, while its neighbour on the same connection completes.
    @Test func aResetStreamCountsAsADisconnect() async throws {
        try await withMockServerProcess(tls: certificates.server) { server in
            let url = server.baseURL + "/v1/chat/completions"
            let result = try await runCurl([
                "--cacert", certificates.caCertificate, "--http2", "--parallel",
                "--output", "/dev/null", "--data", chatBody("[mock:step=slow latency=3s] slow"), url,
                "--next", "--cacert", certificates.caCertificate, "--http2", "--max-time", "1",
                "--output", "/dev/null", "--data", chatBody("[mock:step=gone hang] gone"), url,
            ])
            #expect(result.exitCode == 28, "curl reports the timed-out transfer: \(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.connectionsByProtocol[.h2] == 1)
            #expect(stats.streams == 2)
            #expect(stats.byStep["gone"]?.cancelled == 1)
            #expect(stats.byStep["slow"]?.completed == 1)
            #expect(stats.peakInFlight == 2, "both streams were in flight on the one connection")
            #expect(stats.inFlight == 0)
        }
    }

    /// Under HTTP/2 `reset` breaks the one stream, not the connection the others share.
    @Test func resetUnderH2ResetsTheStream() async throws {
        try await withMockServerProcess(tls: certificates.server) { server in
            let result = try await runCurl([
                "--cacert", certificates.caCertificate, "--http2", "--output", "/dev/null",
                "--data", chatBody("[mock:step=broken reset] hi"), server.baseURL + "/v1/chat/completions",
            ])
            // 92: an HTTP/2 stream was not closed cleanly (RST_STREAM).
            #expect(result.exitCode == 92, "\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.byStep["broken"]?.cancelled == 0, "the server, not the client, broke it")
            #expect(stats.inFlight == 0)
        }
    }

    @Test func refusesMissingCertificateFilesWithAMessage() async throws {
        let child = try ChildProcess(
            executable: BuildProducts.executable("pflow-mock-server"),
            arguments: ["--tls", "/nonexistent/cert.pem", certificates.server.keyPath])
        let result = await child.wait(limit: .seconds(30))
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("cannot read the certificate /nonexistent/cert.pem"), "\(result.stderr)")
    }

    /// What `make bench` uses to serve https: the same certificates, from the binary.
    @Test func writesTestCertificatesForScripts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let child = try ChildProcess(
            executable: BuildProducts.executable("pflow-mock-server"),
            arguments: ["--write-test-certificates", directory.url.path])
        let result = await child.wait(limit: .seconds(60))
        #expect(result.exitCode == 0, "\(result.stderr)")
        let paths = Dictionary(
            uniqueKeysWithValues: result.stdout.split(separator: "\n").map {
                let parts = $0.split(separator: " ", maxSplits: 1)
                return (String(parts[0]), String(parts.last ?? ""))
            })
        let ca = try #require(paths["ca"])
        let server = MockTLSFiles(
            certificatePath: try #require(paths["server-certificate"]), keyPath: try #require(paths["server-key"]))
        try await withMockServerProcess(tls: server) { server in
            let health = try await runCurl(["--cacert", ca, server.baseURL + "/_health"])
            #expect(health.stdout == "ok\n", "\(health.stderr)")
        }
    }

    enum CertificateCase: String, CustomTestStringConvertible {
        case selfSigned, wrongHost
        var testDescription: String { rawValue }
    }

    /// GETs `/_health` trusting only the test CA; stdout is the body then the HTTP version.
    private func curlHealth(_ server: MockServerProcess, _ options: String...) async throws -> ProcessResult {
        try await runCurl(
            ["--cacert", certificates.caCertificate, "--write-out", "%{http_version}"] + options + [
                server.baseURL + "/_health"
            ])
    }
}
