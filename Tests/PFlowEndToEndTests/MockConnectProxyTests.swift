import Foundation
import PFlowMockServerCore
import Testing

/// `pflow-mock-server --connect-proxy`: tunnels and forwards to loopback only, and logs
/// every request line, so a test can tell a tunnel from a request sent in clear text.
@Suite("pflow-mock-server as a CONNECT proxy")
struct MockConnectProxyTests {
    @Test func tunnelsHTTPSAndLogsOnlyTheConnectLine() async throws {
        let certificates = try TestCertificates.shared()
        try await withProxy { proxy, log in
            try await withMockServerProcess(tls: certificates.server) { server in
                let result = try await runCurl([
                    "--proxy", proxy.baseURL, "--cacert", certificates.caCertificate, server.baseURL + "/_health",
                ])
                #expect(result.exitCode == 0, "\(result.stderr)")
                #expect(result.stdout == "ok\n")
                #expect(try lines(log) == ["CONNECT 127.0.0.1:\(server.port) HTTP/1.1"])
            }
        }
    }

    @Test func forwardsAnAbsoluteFormRequestAndLogsItsLine() async throws {
        try await withProxy { proxy, log in
            try await withMockServerProcess { server in
                let url = server.baseURL + "/v1/chat/completions"
                let result = try await runCurl([
                    "--proxy", proxy.baseURL, "--header", "Content-Type: application/json",
                    "--data", chatBody("[mock:step=proxied] hi"), url,
                ])
                #expect(result.exitCode == 0, "\(result.stderr)")
                #expect(result.stdout.contains("Mock answer to"))
                #expect(try lines(log) == ["POST \(url) HTTP/1.1"])
                #expect(try await server.stats().byStep["proxied"]?.completed == 1)
            }
        }
    }

    @Test(arguments: ["https://10.0.0.1:443/", "http://example.com/v1/chat/completions", "https://[::2]:443/"])
    func refusesEveryTargetButLoopback(_ url: String) async throws {
        try await withProxy { proxy, log in
            let result = try await runCurl(["--proxy", proxy.baseURL, "--include", "--max-time", "30", url])
            #expect(result.exitCode != 0 || result.stdout.hasPrefix("HTTP/1.1 403"), "\(result.stdout)")
            #expect(result.stdout.contains("403") || result.stderr.contains("403"), "\(result.stderr)")
            #expect(try lines(log).count == 1)
        }
    }

    private func withProxy(_ body: (MockServerProcess, URL) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = directory.url.appendingPathComponent("proxy.log")
        try await withMockServerProcess(args: ["--connect-proxy", "--log", log.path]) { proxy in
            try await body(proxy, log)
        }
    }

    private func lines(_ log: URL) throws -> [String] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
