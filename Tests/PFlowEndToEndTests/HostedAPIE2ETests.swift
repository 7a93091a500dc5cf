import Foundation
import PFlowMockServerCore
import Testing

/// The real binary against pflow-mock-server serving https (HTTP/2) with a CA made for this
/// run, trusted through SSL_CERT_FILE: the request shapes hosted APIs demand, the answers they
/// really send, and a corporate proxy in between.
@Suite("pflow run against hosted-API behaviour over https")
struct HostedAPIE2ETests {
    private func tlsWorkflow(
        _ name: String, server: MockServerProcess, defaults: String = ServerWorkflow.quickDefaults, steps: String
    ) throws -> ServerWorkflow {
        var workflow = try ServerWorkflow(name, server: server, defaults: defaults, steps: steps)
        workflow.extraEnvironment["SSL_CERT_FILE"] = try server.caCertificate
        return workflow
    }

    /// OpenAI's reasoning models refuse `max_tokens` and any temperature but 1; with the
    /// built-in defaults a step against one must succeed.
    @Test func theBuiltInDefaultsWorkWithAReasoningModel() async throws {
        try await withMockServerProcess(tls: try TestCertificates.shared().server) { server in
            let workflow = try tlsWorkflow(
                "reasoning", server: server,
                steps: """
                      - { id: think, model: gpt-5-mini, prompt: "[mock:step=think] plan", reasoning_effort: low }
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let record = try await server.log().first { $0.step == "think" }
            let parameters = record?.parameterNames ?? []
            #expect(parameters.contains("max_completion_tokens") && parameters.contains("reasoning_effort"))
            #expect(!parameters.contains("max_tokens") && !parameters.contains("temperature"), "\(parameters)")
            let attempts = try workflow.output().step("think")["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.first?["reasoning_tokens"] is Int, "\(attempts)")
        }
    }

    /// Front ends close keep-alive connections that sit idle (HTTP/1.1: a FIN; HTTP/2: GOAWAY,
    /// then a FIN). A step sent after its provider's connection went idle that long gets a new
    /// connection: the close never fails it, even with no retries. (2 s idle against the
    /// server's 300 ms leaves a loaded machine time to close before the next request.)
    @Test(arguments: [false, true])
    func aConnectionTheServerClosedWhileIdleNeverFailsAStep(tls: Bool) async throws {
        let certificates = tls ? try TestCertificates.shared().server : nil
        try await withMockServerProcess(args: ["--idle-timeout", "300ms"], tls: certificates) { server in
            var workflow = try ServerWorkflow(
                "idle", server: server, providers: "  pause: { kind: mock, latency: 2s }",
                steps: """
                      - { id: before, prompt: "[mock:step=before] first" }
                      - { id: idle, provider: pause, prompt: "the connection goes idle" }
                      - { id: after, prompt: "[mock:step=after] second" }
                    """)
            if tls { workflow.extraEnvironment["SSL_CERT_FILE"] = try server.caCertificate }
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let stats = try await server.stats()
            #expect(stats.byStep["after"]?.requests == 1)
            // The server did close the first connection: pflow needed a second one.
            let pflowConnections = tls ? stats.connectionsByProtocol[.h2] ?? 0 : stats.connections - 1
            #expect(pflowConnections == 2, "\(stats.connectionsByProtocol)")
        }
    }

    @Test func aRefusedTemperatureIsReportedWithTheFix() async throws {
        try await withMockServerProcess(tls: try TestCertificates.shared().server) { server in
            let workflow = try tlsWorkflow(
                "temperature", server: server,
                steps: """
                      - { id: hot, model: o3-mini, temperature: 0.2, prompt: "[mock:step=hot] x" }
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 1)
            let error = try workflow.output().step("hot")
            #expect(error[path: "error", "kind"] as? String == "client")
            let message = error[path: "error", "message"] as? String ?? ""
            #expect(message.contains("remove temperature"), "\(message)")
            #expect(try await server.stats().byStep["hot"]?.requests == 1, "a 400 is not retried")
        }
    }

    /// Compressed, split, cut-off, empty and slightly broken answers, each as the step's
    /// record shows it.
    @Test func oddAnswersAreDecodedOrFailTyped() async throws {
        try await withMockServerProcess(tls: try TestCertificates.shared().server) { server in
            let workflow = try tlsWorkflow(
                "answers", server: server,
                steps: """
                      - parallel:
                          id: answers
                          min_success: 1
                          steps:
                            - { id: gzipped, prompt: "[mock:step=gzipped gzip] zipped" }
                            - { id: deflated, prompt: "[mock:step=deflated deflate] deflated" }
                            - { id: parts, prompt: "[mock:step=parts content=parts] in parts" }
                            - { id: broken, prompt: "[mock:step=broken surrogate] half an emoji" }
                            - { id: cut, prompt: "[mock:step=cut finish=length] long" }
                            - { id: kept, on_truncated: accept, prompt: "[mock:step=kept finish=length] long" }
                            - { id: empty, prompt: "[mock:step=empty content=empty] nothing" }
                    """)
            defer { workflow.remove() }
            let result = try await workflow.run()
            #expect(result.exitCode == 0, "\(result.stderr)")
            let output = try workflow.output()
            let statuses = try output.statuses()
            for id in ["gzipped", "deflated", "parts", "broken", "kept"] {
                #expect(statuses[id] == "succeeded", "\(id): \(String(describing: try? output.step(id)))")
            }
            #expect(try output.stepOutput("gzipped").hasPrefix("Mock answer to"))
            #expect(try output.stepOutput("broken").contains("\u{FFFD}"))
            let log = try await server.log()
            #expect(log.first { $0.step == "gzipped" }?.acceptEncoding?.contains("gzip") == true)
            let cut = try output.step("cut")
            #expect(cut[path: "error", "kind"] as? String == "truncated")
            #expect(try await server.stats().byStep["cut"]?.requests == 1, "a truncated answer is not retried")
            let kept = try output.step("kept")["attempts"] as? [[String: Any]] ?? []
            #expect(kept.last?["finish_reason"] as? String == "length")
            #expect(try output.step("empty")[path: "error", "kind"] as? String == "empty_output")
        }
    }

    /// A fan-out through a CONNECT proxy: the proxy sees tunnels, never a request line,
    /// a header or the key.
    @Test func aFanOutThroughAConnectProxySendsTheProxyOnlyConnectLines() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let proxyLog = directory.url.appendingPathComponent("proxy.log")
        try await withMockServerProcess(args: ["--connect-proxy", "--log", proxyLog.path]) { proxy in
            try await withMockServerProcess(tls: try TestCertificates.shared().server) { server in
                let branches = (0..<20).map { "            - \"item \($0)\"" }.joined(separator: "\n")
                var workflow = try tlsWorkflow(
                    "proxied", server: server,
                    steps: """
                          - map:
                              id: fan
                              over:
                                items:
                        \(branches)
                              as: it
                              step: { prompt: "[mock:step=fan] {{ it }}" }
                        """)
                defer { workflow.remove() }
                workflow.extraEnvironment["HTTPS_PROXY"] = proxy.baseURL
                let result = try await workflow.run()
                #expect(result.exitCode == 0, "\(result.stderr)")
                #expect(try await server.stats().byStep["fan"]?.requests == 20)
                let lines = try String(contentsOf: proxyLog, encoding: .utf8).split(separator: "\n")
                #expect(!lines.isEmpty)
                #expect(lines.allSatisfy { $0.hasPrefix("CONNECT 127.0.0.1:\(server.port) ") }, "\(lines)")
                #expect(!(try String(contentsOf: proxyLog, encoding: .utf8)).contains(workflow.key))
            }
        }
    }
}
