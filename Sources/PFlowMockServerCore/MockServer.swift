import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OpenAI- and Anthropic-compatible HTTP server whose failures are scripted by prompts.
///
/// Why: pflow's retries, timeouts, cancellation and error reporting can only be proven
/// against a server that fails on demand and counts what it saw. The `pflow-mock-server`
/// executable wraps this; provider tests run it in-process on port 0.
public final class MockServer: Sendable {
    public let host: String
    public let port: Int
    /// `https` when the server was started with TLS files.
    public let scheme: String
    private let core: MockServerCore
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let flushTimer: RepeatedTask

    /// `http://host:port` or `https://host:port`, for a provider's `base_url`.
    public var baseURL: String { "\(scheme)://\(host):\(port)" }

    private init(
        host: String, port: Int, core: MockServerCore, group: MultiThreadedEventLoopGroup, channel: any Channel,
        flushTimer: RepeatedTask
    ) {
        self.host = host
        self.port = port
        scheme = core.configuration.tls == nil ? "http" : "https"
        self.core = core
        self.group = group
        self.channel = channel
        self.flushTimer = flushTimer
    }

    public static func start(_ configuration: MockServerConfiguration) async throws -> MockServer {
        let logFile = try configuration.logPath.map { try MockRequestLogFile(path: $0) }
        let core = MockServerCore(configuration: configuration, logFile: logFile)
        let pipeline = try MockConnectionPipeline(core: core)
        let threads = configuration.threads > 0 ? configuration.threads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in pipeline.configure(channel) }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = channel.localAddress?.port ?? configuration.port
        let flushTimer = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500))
        {
            _ in logFile?.flush()
        }
        return MockServer(
            host: configuration.host, port: port, core: core, group: group, channel: channel, flushTimer: flushTimer)
    }

    public func stats() -> MockStats { core.state.stats() }
    public func records() -> [MockRequestRecord] { core.state.records() }
    public func reset() { core.state.reset() }

    /// Closes the listening socket and every connection, and flushes the log file.
    public func stop() async throws {
        flushTimer.cancel()
        try? await channel.close()
        try await group.shutdownGracefully()
        core.logFile?.flush()
    }
}

/// What every connection handler shares: the configuration, the counters and the log.
final class MockServerCore: Sendable {
    let configuration: MockServerConfiguration
    let state: MockServerState
    let logFile: MockRequestLogFile?
    let rateLimiter: MockRateLimiter?

    init(configuration: MockServerConfiguration, logFile: MockRequestLogFile?) {
        self.configuration = configuration
        self.logFile = logFile
        rateLimiter = MockRateLimiter(
            requestsPerMinute: configuration.requestsPerMinute, tokensPerMinute: configuration.tokensPerMinute)
        self.state = MockServerState(logFile: logFile)
    }

    /// The global latency plus a jitter fixed by the seed and the request number.
    func latency(for seq: Int) -> Duration {
        let jitter = MockUnits.milliseconds(configuration.jitter)
        guard jitter > 0 else { return configuration.latency }
        let fraction = MockReply.unitHash(configuration.seed, "jitter", seq)
        return configuration.latency + .milliseconds(Int64(fraction * Double(jitter + 1)))
    }

    func statsJSON() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(state.stats())) ?? Data("{}".utf8)
    }

    func logJSONLines() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lines = Data()
        for record in state.records() {
            guard let line = try? encoder.encode(record) else { continue }
            lines.append(line)
            lines.append(UInt8(ascii: "\n"))
        }
        return lines
    }
}
