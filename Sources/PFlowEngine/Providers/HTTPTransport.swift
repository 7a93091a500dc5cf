import Foundation
import PFlowSpec

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends one HTTP request for a provider and returns the whole response.
///
/// By default every request, `http://` and `https://`, goes through async-http-client
/// (`AsyncHTTPClientBackend`): one process-wide pool per TLS and proxy setting, HTTP/2 by
/// ALPN, BoringSSL. A provider with `transport: urlsession` uses FoundationNetworking's
/// URLSession instead (`URLSessionBackend`), the path pflow started from. Why the switch,
/// in numbers: docs/performance.md.
public struct HTTPTransport: Sendable {
    /// 16 MiB: far above any completion, far below what would hurt memory at high concurrency.
    public static let defaultMaxResponseBytes = 16 << 20

    /// How a provider's requests travel.
    public struct Options: Sendable, Hashable {
        public var client: ProviderSpec.Transport
        /// PEM files of CA certificates trusted in addition to the system's store.
        public var trustRoots: [String]
        public var proxy: ProxySettings?
        /// Never negotiate HTTP/2 (tests of the HTTP/1.1 pool; servers with a broken h2).
        public var http1Only: Bool
        public var maxResponseBytes: Int
        /// How many requests the engine may have in flight to this provider: sizes the
        /// number of HTTP/2 connections (`AsyncHTTPClientBackend.shards`).
        public var expectedConcurrency: Int

        public init(
            client: ProviderSpec.Transport = .nio, trustRoots: [String] = [], proxy: ProxySettings? = nil,
            http1Only: Bool = false, maxResponseBytes: Int = HTTPTransport.defaultMaxResponseBytes,
            expectedConcurrency: Int = 1
        ) {
            self.client = client
            self.trustRoots = trustRoots
            self.proxy = proxy
            self.http1Only = http1Only
            self.maxResponseBytes = maxResponseBytes
            self.expectedConcurrency = expectedConcurrency
        }
    }

    private enum Backend: Sendable {
        case asyncHTTPClient(AsyncHTTPClientBackend)
        case urlSession
    }

    public let options: Options
    private let backend: Backend

    public var maxResponseBytes: Int { options.maxResponseBytes }

    public init(_ options: Options) throws(TransportError) {
        self.options = options
        switch options.client {
        case .nio:
            backend = .asyncHTTPClient(
                try AsyncHTTPClientBackend(
                    key: .init(
                        trustRoots: options.trustRoots, proxy: options.proxy, http1Only: options.http1Only, shard: 0),
                    shards: AsyncHTTPClientBackend.shards(forConcurrency: options.expectedConcurrency),
                    maxBytes: options.maxResponseBytes))
        case .urlsession:
            backend = .urlSession
        }
    }

    /// The transport for one provider: `SSL_CERT_FILE` and the provider's `ca_file` are
    /// trusted beside the system store, and the proxy comes from the environment.
    public static func forProvider(
        _ spec: ProviderSpec, url: URL, environment: [String: String], baseDirectory: String,
        expectedConcurrency: Int = 1
    ) throws(ProviderError) -> HTTPTransport {
        // Only HTTP/2 multiplexes: over plain http every request in flight has a connection
        // of its own anyway, and a second pool would only keep connections less warm.
        let multiplexed = url.scheme?.lowercased() == "https"
        var options = Options(client: spec.transport, expectedConcurrency: multiplexed ? expectedConcurrency : 1)
        var roots: [String] = []
        if let bundle = environment["SSL_CERT_FILE"], !bundle.isEmpty { roots.append(bundle) }
        if let caFile = spec.caFile { roots.append(caFile.hasPrefix("/") ? caFile : baseDirectory + "/" + caFile) }
        // The system store is trusted already: naming it again adds nothing but its parse.
        options.trustRoots = roots.filter { !AsyncHTTPClientBackend.isSystemBundle($0) }
        if spec.transport == .urlsession, spec.caFile != nil {
            throw ProviderError(
                .configuration,
                "provider '\(spec.name)': ca_file needs the default transport; URLSession trusts only the system store")
        }
        options.proxy = try ProxySettings.forURL(url, environment: environment)
        do {
            return try HTTPTransport(options)
        } catch {
            throw ProviderError(.configuration, "provider '\(spec.name)': \(error)")
        }
    }

    /// Performs one attempt; redirects are not followed, so a 3xx comes back as it is.
    public func send(_ request: URLRequest) async throws(TransportError) -> HTTPResponse {
        switch backend {
        case .asyncHTTPClient(let client): try await client.send(request)
        case .urlSession: try await URLSessionBackend.shared.send(request, maxBytes: options.maxResponseBytes)
        }
    }
}

/// A complete response: the status, the headers pflow reads, and the (capped) body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Header lookup ignoring case, as HTTP requires.
    public func header(_ name: String) -> String? {
        if let exact = headers[name] { return exact }
        let lowered = name.lowercased()
        return headers.first { $0.key.lowercased() == lowered }?.value
    }
}

/// Why no response came back; the providers turn it into a `ProviderError`.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case cancelled
    case timedOut
    case tooLarge(limit: Int)
    /// Refused, reset, DNS, a proxy that would not tunnel; the text describes which.
    case connection(String)
    /// The server's certificate is not trusted or not for this host, or the handshake
    /// failed: retrying will not help, and nothing is ever sent without TLS instead.
    case tls(String)

    public var description: String {
        switch self {
        case .cancelled: "cancelled"
        case .timedOut: "timed out"
        case .tooLarge(let limit): "answer larger than \(limit) bytes"
        case .connection(let reason), .tls(let reason): reason
        }
    }
}
