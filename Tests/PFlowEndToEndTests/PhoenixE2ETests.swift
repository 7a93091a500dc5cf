import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Arize Phoenix, the OTLP receiver the export is proven against, from the venv
/// `make setup-phoenix` makes (or `PFLOW_PHOENIX`), serving on loopback ports of its own.
final class PhoenixProcess: Sendable {
    static let executable: String? = {
        let candidates = [
            ProcessInfo.processInfo.environment["PFLOW_PHOENIX"] ?? "",
            BuildProducts.packageRoot.appendingPathComponent(".build-phoenix/venv/bin/phoenix").path,
        ]
        return candidates.first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let baseURL: String
    private let child: ChildProcess
    private let workingDirectory: TemporaryDirectory

    private init(baseURL: String, child: ChildProcess, workingDirectory: TemporaryDirectory) {
        self.baseURL = baseURL
        self.child = child
        self.workingDirectory = workingDirectory
    }

    /// Starts `phoenix serve` and waits (up to two minutes: it takes about 20 s) until it answers.
    static func start() async throws -> PhoenixProcess {
        let directory = try TemporaryDirectory(prefix: "pflow-phoenix")
        let port = try freePort()
        let child = try ChildProcess(
            executable: URL(fileURLWithPath: try #require(executable)), arguments: ["serve"],
            environment: [
                "PHOENIX_HOST": "127.0.0.1", "PHOENIX_PORT": String(port), "PHOENIX_GRPC_PORT": String(try freePort()),
                "PHOENIX_WORKING_DIR": directory.url.path,
            ])
        let phoenix = PhoenixProcess(baseURL: "http://127.0.0.1:\(port)", child: child, workingDirectory: directory)
        for _ in 0..<240 {
            if (try? await phoenix.get("/healthz")) != nil { return phoenix }
            guard child.isRunning else { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw HarnessError("phoenix did not start: \(child.stderr.suffix(2000))")
    }

    func stop() async {
        child.signal(SIGTERM)
        _ = await child.wait(limit: .seconds(10))
        workingDirectory.remove()
    }

    func get(_ path: String) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: baseURL + path)))
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw HarnessError("GET \(path): \(response)") }
        return data
    }

    /// The spans of the default project, as Phoenix's REST API lists them.
    func spans() async throws -> [[String: Any]] {
        let data = try await get("/v1/projects/default/spans?limit=1000")
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["data"] as? [[String: Any]] ?? []
    }

    /// A port nothing listens on now: bind port 0, read what the kernel chose, close.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// `pflow run --otlp` against a real Phoenix: the run's trace arrives whole, with the right
/// parent/child links and the run's token counts.
@Suite("Traces in Arize Phoenix")
struct PhoenixE2ETests {
    @Test(
        .enabled(
            if: PhoenixProcess.executable != nil, "Arize Phoenix is not installed: `make setup-phoenix` installs it"))
    func phoenixShowsTheRunsTree() async throws {
        let phoenix = try await PhoenixProcess.start()
        let directory = try TemporaryDirectory()
        do {
            let file = try directory.file(
                "traced.yaml",
                contents: """
                    version: 1
                    name: traced
                    providers:
                      fast: { kind: mock, latency: 10ms, failure_rate: 0.3 }
                    defaults: { provider: fast, retries: 3, backoff: { initial: 10ms, max: 20ms } }
                    steps:
                      - id: brief
                        prompt: Brief.
                      - parallel:
                          id: analysts
                          steps:
                            - { id: a, prompt: "A {{ steps.brief.output }}" }
                            - { id: b, prompt: "B" }
                            - { id: c, prompt: "C" }
                      - id: synthesis
                        prompt: "{{ steps.analysts.outputs }}"
                    """)
            let result = try await runPFlow(
                ["run", file.path, "--out", "runs", "--otlp", phoenix.baseURL], cwd: directory.url)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stderr.contains("traces: \(phoenix.baseURL)/v1/traces"), "\(result.stderr)")
            let output = try RunOutput(out: directory.url.appendingPathComponent("runs"), name: "traced")
            let manifest = try output.manifest()
            let steps = try #require(manifest["steps"] as? [[String: Any]])
            let attempts = steps.reduce(0) { $0 + ($1["attempts"] as? Int ?? 0) }

            var spans: [[String: Any]] = []
            for _ in 0..<100 {
                spans = try await phoenix.spans()
                if spans.count >= 1 + 1 + steps.count + attempts { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(spans.count == 1 + 1 + steps.count + attempts, "run, block, steps, attempts")
            let ids = Dictionary(
                uniqueKeysWithValues: spans.compactMap { span in
                    (span[path: "context", "span_id"] as? String).map { ($0, span) }
                })
            let traceIDs = Set(spans.compactMap { $0[path: "context", "trace_id"] as? String })
            #expect(traceIDs.count == 1)
            let roots = spans.filter { $0["parent_id"] as? String == nil }
            #expect(roots.map { $0["name"] as? String } == ["run traced"])
            let attemptSpans = spans.filter { ($0["name"] as? String)?.hasPrefix("chat ") == true }
            #expect(attemptSpans.count == attempts)
            for span in attemptSpans {
                let parent = (span["parent_id"] as? String).flatMap { ids[$0] }
                #expect((parent?["name"] as? String)?.hasPrefix("step ") == true)
            }
            for id in ["a", "b", "c"] {
                let step = spans.first { $0["name"] as? String == "step \(id)" }
                let parent = (step?["parent_id"] as? String).flatMap { ids[$0] }
                #expect(parent?["name"] as? String == "parallel analysts")
            }
            let totals = try #require(manifest["totals"] as? [String: Any])
            let root = try #require(roots.first)
            #expect(root[path: "attributes", "gen_ai.usage.input_tokens"] as? Int == totals["input_tokens"] as? Int)
            #expect(root[path: "attributes", "gen_ai.usage.output_tokens"] as? Int == totals["output_tokens"] as? Int)
            let attemptTokens = attemptSpans.reduce(0) {
                $0 + ($1[path: "attributes", "gen_ai.usage.output_tokens"] as? Int ?? 0)
            }
            #expect(attemptTokens == totals["output_tokens"] as? Int)
            #expect(
                spans.allSatisfy { $0[path: "attributes", "input.value"] == nil }, "no prompt without --otlp-content")
        } catch {
            await phoenix.stop()
            directory.remove()
            throw error
        }
        await phoenix.stop()
        directory.remove()
    }
}
