import Foundation
import Testing

/// API keys through the real binary: read from the environment only, never written to a
/// file of the run directory, stdout or stderr, and never sent in clear to another host.
@Suite("pflow keeps API keys secret")
struct SecretsE2ETests {
    @Test func aKeyIsInNoFileAndNoOutputOfRunsThatSucceedFailAndResume() async throws {
        try await withMockServerProcess { server in
            let key = "sk-test-\(UUID().uuidString)"
            let workflow = try ServerWorkflow(
                "secrets", server: server, key: key,
                steps: """
                      - parallel:
                          id: calls
                          min_success: 1
                          steps:
                            - { id: openai_ok, prompt: "[mock:step=openai_ok] go" }
                            - { id: anthropic_ok, provider: claude, prompt: "[mock:step=anthropic_ok] go" }
                            - { id: openai_401, prompt: "[mock:step=openai_401 status=401 echo-auth] go" }
                            - { id: anthropic_401, provider: claude, prompt: "[mock:step=anthropic_401 status=401 echo-auth] go" }
                            - { id: openai_500, prompt: "[mock:step=openai_500 status=500 echo-auth] go" }
                            - { id: openai_429, prompt: "[mock:step=openai_429 status=429 echo-auth] go" }
                    """)
            defer { workflow.remove() }
            let first = try await workflow.run(["--json"])
            #expect(first.exitCode == 0, "\(first.stderr)")
            let resumed = try await workflow.resume()
            #expect(resumed.exitCode == 0, "\(resumed.stderr)")

            // The server did receive the key (so the echo had something to leak).
            #expect(try await server.log().allSatisfy(\.authorization))
            let output = try workflow.output()
            #expect(output.files.count == 11)  // report.html among them
            let echoed = try output.step("openai_401")[path: "error", "message"] as? String ?? ""
            #expect(echoed.contains("Incorrect API key provided"), "\(echoed)")
            for (name, text) in output.files {
                #expect(!text.contains(key), "the key is in \(name)")
                #expect(!text.contains(String(key.suffix(12))), "the key's end is in \(name)")
            }
            for text in [first.stdout, first.stderr, resumed.stdout, resumed.stderr] {
                #expect(!text.contains(key))
                #expect(!text.contains(String(key.suffix(12))))
            }
            // The workflow file names only the variable.
            #expect(!(try String(contentsOf: workflow.file, encoding: .utf8)).contains(key))
        }
    }

    /// A key may go over plain http only to this machine, or where `allow_insecure: true`
    /// says the network is trusted. The server listens on every address, and the provider
    /// uses this machine's non-loopback address, so the allowed case really goes out.
    @Test(.enabled(if: nonLoopbackAddress() != nil))
    func aKeyIsNotSentInClearToAnotherHostUnlessAllowed() async throws {
        let address = try #require(nonLoopbackAddress())
        try await withMockServerProcess(args: ["--host", "0.0.0.0"]) { server in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            func run(allowInsecure: Bool) async throws -> ProcessResult {
                let file = try directory.file(
                    "insecure.yaml",
                    contents: """
                        version: 1
                        name: insecure
                        providers:
                          remote:
                            kind: openai
                            model: remote-model
                            base_url: http://\(address):\(server.port)/v1
                            api_key_env: KEY
                            allow_insecure: \(allowInsecure)
                        steps:
                          - { id: call, prompt: "[mock:step=call] go" }
                        """)
                return try await runPFlow(
                    ["run", file.path, "--out", directory.url.appendingPathComponent("runs").path],
                    env: ["KEY": "sk-test-\(UUID().uuidString)"])
            }
            let refused = try await run(allowInsecure: false)
            #expect(refused.exitCode == 2)
            #expect(refused.stderr.contains("would send its API key unencrypted to \(address)"), "\(refused.stderr)")
            #expect(try await server.stats().requests == 0)

            let sent = try await run(allowInsecure: true)
            #expect(sent.exitCode == 0, "\(sent.stderr)")
            let log = try await server.log()
            #expect(log.count == 1)
            #expect(log.first?.host.hasPrefix(address) == true)
            #expect(log.first?.authorization == true)
        }
    }
}

/// An IPv4 address of this machine that is not loopback, if it has one.
func nonLoopbackAddress() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    var current: UnsafeMutablePointer<ifaddrs>? = first
    while let entry = current {
        defer { current = entry.pointee.ifa_next }
        guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard
            getnameinfo(
                address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0,
                NI_NUMERICHOST) == 0
        else { continue }
        let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if !text.hasPrefix("127.") { return text }
    }
    return nil
}
