/// How a mock server behaves when a prompt carries no directive of its own.
///
/// Why global knobs at all: benchmarks need every request slowed or failed the same way
/// without rewriting prompts; tests use per-prompt `[mock:...]` directives instead.
public struct MockServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; read `MockServer.port` after `start`.
    public var port: Int
    public var latency: Duration
    /// Uniform extra latency in 0...jitter, derived from the seed and the request number.
    public var jitter: Duration
    /// Fraction 0...1 of requests answered with a 500.
    public var failureRate: Double
    public var seed: UInt64
    /// Where to append the request log as JSON lines, buffered.
    public var logPath: String?
    public var threads: Int
    /// Serve https with these PEM files instead of plain http.
    public var tls: MockTLSFiles?
    /// Offer only `http/1.1` in ALPN, as a front end without HTTP/2 does.
    public var http1Only: Bool
    /// SETTINGS_MAX_CONCURRENT_STREAMS sent to HTTP/2 clients.
    public var h2MaxStreams: Int
    /// Close a connection with no request in flight for this long; nil keeps it open.
    public var idleTimeout: Duration?
    /// OpenAI models that answer as reasoning models: a name, or a prefix ending in `*`.
    public var reasoningModels: [String]
    /// Requests and tokens per minute each model takes before answering 429; nil: no limit.
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?

    /// OpenAI's reasoning families when this was written.
    public static let defaultReasoningModels = ["o1*", "o3*", "o4*", "gpt-5*"]

    /// 256, the order of what front ends announce (nginx's default is 128; RFC 9113
    /// recommends no fewer than 100): a client running thousands of requests must queue
    /// them or open more connections.
    public static let defaultH2MaxStreams = 256

    public init(
        host: String = "127.0.0.1", port: Int = 0, latency: Duration = .zero, jitter: Duration = .zero,
        failureRate: Double = 0, seed: UInt64 = 0, logPath: String? = nil, threads: Int? = nil,
        tls: MockTLSFiles? = nil, http1Only: Bool = false, h2MaxStreams: Int = defaultH2MaxStreams,
        idleTimeout: Duration? = nil, reasoningModels: [String] = defaultReasoningModels,
        requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.latency = latency
        self.jitter = jitter
        self.failureRate = failureRate
        self.seed = seed
        self.logPath = logPath
        self.threads = threads ?? 0
        self.tls = tls
        self.http1Only = http1Only
        self.h2MaxStreams = h2MaxStreams
        self.idleTimeout = idleTimeout
        self.reasoningModels = reasoningModels
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }

    func isReasoningModel(_ model: String) -> Bool {
        reasoningModels.contains { pattern in
            pattern.hasSuffix("*") ? model.hasPrefix(pattern.dropLast()) : model == pattern
        }
    }
}

/// A server certificate chain and its private key, both PEM files.
public struct MockTLSFiles: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// Parses the units used by flags and directives: `250ms`, `1.5s`, `2m`; `20MB`, `2GB`.
public enum MockUnits {
    public static func duration(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)), value >= 0, value.isFinite else { return nil }
            return .milliseconds(Int64(value * unit.milliseconds))
        }
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return .milliseconds(Int64(seconds * 1000)) }
        return nil
    }

    /// KB, MB and GB are binary (1024-based), matching how pflow states its size cap.
    public static func byteCount(_ text: String) -> Int? {
        let upper = text.uppercased()
        let kib = 1024.0
        let units: [(suffix: String, factor: Double)] = [
            ("KIB", kib), ("MIB", kib * kib), ("GIB", kib * kib * kib), ("KB", kib), ("MB", kib * kib),
            ("GB", kib * kib * kib), ("B", 1),
        ]
        for unit in units where upper.hasSuffix(unit.suffix) {
            guard let value = Double(upper.dropLast(unit.suffix.count)), value >= 0 else { return nil }
            return Int(value * unit.factor)
        }
        return Int(upper).flatMap { $0 >= 0 ? $0 : nil }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
