import Foundation

/// A workflow file in its own temporary directory whose `gpt` (OpenAI) and `claude`
/// (Anthropic) providers point at a running mock server, and the `pflow` commands run on it.
///
/// Why a type: the resume, interruption, disk and secrets tests all write a file, run it,
/// change it, run it again and read the run directory.
struct ServerWorkflow {
    static let keyVariable = "PFLOW_E2E_KEY"
    /// No retries, short backoff: failures show at once.
    static let quickDefaults = """
          retries: 0
          backoff: { initial: 10ms, max: 50ms }
        """

    let name: String
    let directory: TemporaryDirectory
    let file: URL
    let header: String
    var key: String
    /// More variables for pflow's environment: `SSL_CERT_FILE`, `HTTPS_PROXY`...
    var extraEnvironment: [String: String] = [:]

    /// Where `pflow run` puts run directories (`--out`).
    var out: URL { directory.url.appendingPathComponent("runs") }
    /// `out/<name>/latest`.
    var latest: URL { out.appendingPathComponent(name).appendingPathComponent("latest") }
    var environment: [String: String] { extraEnvironment.merging([Self.keyVariable: key]) { $1 } }

    init(
        _ name: String, server: MockServerProcess, key: String = "sk-e2e-\(UUID().uuidString)",
        providers: String = "", defaults: String = ServerWorkflow.quickDefaults, steps: String
    ) throws {
        self.name = name
        self.key = key
        directory = try TemporaryDirectory()
        header = """
            version: 1
            name: \(name)
            providers:
              gpt:
                kind: openai
                model: gpt-test
                base_url: \(server.baseURL)/v1
                api_key_env: \(Self.keyVariable)
              claude:
                kind: anthropic
                model: claude-test
                base_url: \(server.baseURL)
                api_key_env: \(Self.keyVariable)
            \(providers)
            defaults:
              provider: gpt
            \(defaults)
            """
        file = directory.url.appendingPathComponent("\(name).yaml")
        try write(steps: steps)
    }

    /// Replaces the steps, keeping the header.
    func write(steps: String) throws {
        try (header + "\nsteps:\n" + steps + "\n").write(to: file, atomically: true, encoding: .utf8)
    }

    func run(_ extra: [String] = []) async throws -> ProcessResult {
        try await start(extra).wait()
    }

    func start(_ extra: [String] = []) throws -> ChildProcess {
        try startPFlow(["run", file.path, "--out", out.path] + extra, env: environment, cwd: directory.url)
    }

    /// `pflow resume` on the newest run (by its real path, as a user would copy it).
    func resume(_ extra: [String] = []) async throws -> ProcessResult {
        try await runPFlow(["resume", try runDirectory().path] + extra, env: environment, cwd: directory.url)
    }

    /// The newest run's folder.
    func runDirectory() throws -> URL {
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: latest.path)
        return out.appendingPathComponent(name).appendingPathComponent(target)
    }

    func output() throws -> RunOutput {
        try RunOutput(out: out, name: name)
    }

    func remove() {
        directory.remove()
    }
}

extension RunOutput {
    /// run.json as a dictionary.
    func manifest() throws -> [String: Any] {
        guard let text = files["run.json"],
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { throw HarnessError("no readable run.json; files: \(files.keys.sorted())") }
        return object
    }

    /// events.jsonl, each line parsed; a line that is not a JSON object throws.
    func events() throws -> [[String: Any]] {
        let text = files["events.jsonl"] ?? ""
        return try text.split(separator: "\n").map { line in
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HarnessError("events.jsonl line is not an object: \(line)")
            }
            return event
        }
    }

    /// Step id → status, from run.json.
    func statuses() throws -> [String: String] {
        let steps = try manifest()["steps"] as? [[String: Any]] ?? []
        var statuses: [String: String] = [:]
        for step in steps {
            if let id = step["id"] as? String { statuses[id] = step["status"] as? String }
        }
        return statuses
    }
}
