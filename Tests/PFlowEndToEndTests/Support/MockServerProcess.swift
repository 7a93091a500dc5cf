import Foundation
import PFlowMockServerCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `pflow-mock-server` binary running on a free loopback port.
///
/// Why a real process and not the in-process server: end-to-end tests must exercise the
/// shipped executable, and a server in the test process would share its threads and
/// file descriptors with the `pflow` under test.
final class MockServerProcess: Sendable {
    let port: Int
    let host: String
    /// The server's certificate and key when it serves https.
    let tls: MockTLSFiles?
    private let child: ChildProcess
    private let session: URLSession

    /// `http://127.0.0.1:PORT` (`https` with TLS): the base_url of an anthropic provider;
    /// add `/v1` for openai.
    var baseURL: String { "\(tls == nil ? "http" : "https")://\(host):\(port)" }

    /// The test CA, the one trust root a client needs for `TestCertificates.shared().server`.
    var caCertificate: String {
        get throws { try TestCertificates.shared().caCertificate }
    }

    private init(child: ChildProcess, host: String, port: Int, tls: MockTLSFiles?) {
        self.child = child
        self.host = host
        self.port = port
        self.tls = tls
        session = URLSession(configuration: .ephemeral)
    }

    /// Starts the server with `--port 0` and waits for its `listening on HOST:PORT` line;
    /// with `tls` (say `TestCertificates.shared().server`) it serves https.
    static func start(args: [String] = [], tls: MockTLSFiles? = nil) async throws -> MockServerProcess {
        let tlsArguments = tls.map { ["--tls", $0.certificatePath, $0.keyPath] } ?? []
        let child = try ChildProcess(
            executable: BuildProducts.executable("pflow-mock-server"),
            arguments: ["--port", "0"] + tlsArguments + args)
        for _ in 0..<1000 {
            if let line = child.stdout.split(separator: "\n").first, line.hasPrefix("listening on "),
                let separator = line.lastIndex(of: ":"), let port = Int(line[line.index(after: separator)...])
            {
                let host = String(line.dropFirst("listening on ".count).prefix { $0 != ":" })
                return MockServerProcess(child: child, host: host, port: port, tls: tls)
            }
            if !child.isRunning { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        child.signal(SIGKILL)
        throw HarnessError("pflow-mock-server did not start: \(child.stderr)")
    }

    func stats() async throws -> MockStats {
        try JSONDecoder().decode(MockStats.self, from: await get("/_stats"))
    }

    func log() async throws -> [MockRequestRecord] {
        let lines = try await get("/_log").split(separator: UInt8(ascii: "\n"))
        return try lines.map { try JSONDecoder().decode(MockRequestRecord.self, from: Data($0)) }
    }

    func reset() async throws {
        _ = try await admin("POST", "/_reset")
    }

    /// SIGTERM, so the server flushes its `--log` file, then waits for it to exit.
    func stop() async {
        child.signal(SIGTERM)
        _ = await child.wait(limit: .seconds(10))
        session.invalidateAndCancel()
    }

    private func get(_ path: String) async throws -> Data {
        try await admin("GET", path)
    }

    /// Over https the admin endpoints go through curl: URLSession on Linux cannot be given
    /// a CA of its own. `--insecure` is for these reads only; TLS tests check trust themselves.
    /// Each read is one http/1.1 connection and handshake, which the stats it reads include.
    private func admin(_ method: String, _ path: String) async throws -> Data {
        if tls != nil {
            let result = try await runCurl([
                "--insecure", "--http1.1", "--fail", "--request", method, try url(path).absoluteString,
            ])
            guard result.exitCode == 0 else { throw HarnessError("\(method) \(path) failed: \(result.stderr)") }
            return Data(result.stdout.utf8)
        }
        var request = URLRequest(url: try url(path))
        request.httpMethod = method
        let (data, response) = try await session.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw HarnessError(
                "\(method) \(path) answered \(String(describing: (response as? HTTPURLResponse)?.statusCode))")
        }
        return data
    }

    private func url(_ path: String) throws -> URL {
        guard let url = URL(string: baseURL + path) else { throw HarnessError("bad URL \(baseURL + path)") }
        return url
    }
}

/// Runs `body` with a started server and stops it afterwards, even if `body` throws.
func withMockServerProcess<T>(
    args: [String] = [], tls: MockTLSFiles? = nil, _ body: (MockServerProcess) async throws -> T
) async throws -> T {
    let server = try await MockServerProcess.start(args: args, tls: tls)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
