import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends requests through async-http-client: one pool per distinct TLS and proxy setting
/// for the whole process, HTTP/2 where the server offers it by ALPN (many streams on one
/// connection), HTTP/1.1 keep-alive otherwise, TLS through swift-nio-ssl (BoringSSL) with
/// the system's CA bundle plus `SSL_CERT_FILE` and a provider's `ca_file`.
///
/// What pflow relies on, and where it comes from:
/// - cancellation: the engine cancels the Task; async-http-client's cancellation handler
///   closes an HTTP/1.1 connection or resets an HTTP/2 stream at once;
/// - the answer cap: the body is collected up to `maxBytes`; past it the body stream is
///   dropped, which cancels the request the same way; a compressed body is capped after
///   decompression, by the decompressor;
/// - redirects: refused (`.disallow`), so the 3xx comes back to the provider, which reports
///   it; the key never follows to another host;
/// - no automatic resend: async-http-client never sends a request twice on its own, so
///   every model call pflow makes is an attempt in steps/<id>.json.
struct AsyncHTTPClientBackend: Sendable {
    struct PoolKey: Hashable, Sendable {
        var trustRoots: [String]
        var proxy: ProxySettings?
        var http1Only: Bool
        /// Which of a provider's pools (see `shards(forConcurrency:)`).
        var shard: Int
    }

    private let pools: ShardedPools
    private let maxBytes: Int

    /// - Parameter shards: at most this many independent pools; a new one is opened only
    ///   when the requests in flight fill the ones open (`shards(forConcurrency:)`).
    init(key: PoolKey, shards: Int, maxBytes: Int) throws(TransportError) {
        // The first pool is made now, so a CA file that cannot be read fails the set-up.
        _ = try Self.pool(for: key)
        self.pools = ShardedPools(key: key, limit: max(1, shards))
        self.maxBytes = maxBytes
    }

    /// Requests one HTTP/2 pool is given before the next is opened: 100 streams on each of
    /// its connections (one per event loop), the lowest common server default.
    static let requestsPerPool = 100 * System.coreCount

    /// How many pools a provider expecting `concurrency` requests at once may spread them over.
    ///
    /// Why more than one: over HTTP/2, async-http-client opens one connection per event loop
    /// and queues requests beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS (100 to 256
    /// at hosted APIs' front ends) instead of opening another connection, as Go's and
    /// Envoy's clients do. Two event loops and 256 streams would hold a 1,000-branch fan-out
    /// to 512 in flight. Each pool has its own connections, so k pools allow k times as many
    /// streams. Pools open only as the load needs them: each costs a TLS context (the
    /// system CA bundle parsed again), about 15 ms of CPU.
    static func shards(forConcurrency concurrency: Int) -> Int {
        min(max(1, (concurrency + requestsPerPool - 1) / requestsPerPool), 32)
    }

    func send(_ request: URLRequest) async throws(TransportError) -> HTTPResponse {
        guard let url = request.url?.absoluteString else { throw .connection("the request has no URL") }
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.httpMethod ?? "GET")
        for (name, value) in request.allHTTPHeaderFields ?? [:] { outgoing.headers.add(name: name, value: value) }
        if let body = request.httpBody { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        if Task.isCancelled { throw .cancelled }
        do {
            do {
                return try await exchange(outgoing)
            } catch ChannelError.ioOnClosedChannel {
                // The pooled connection was closed by the server (idle timeout, restart) before
                // our write reached it: nothing of the request was sent, so sending it once
                // more, on a new connection, cannot bill a second model call. Any other
                // failure after the write is the engine's to retry, as a recorded attempt.
                return try await exchange(outgoing)
            }
        } catch {
            throw Self.transportError(error, url: request.url, maxBytes: maxBytes)
        }
    }

    private func exchange(_ request: HTTPClientRequest) async throws -> HTTPResponse {
        // The engine owns deadlines (it cancels the Task); this one only bounds a request
        // that nothing cancels.
        let (client, shard) = try pools.acquire()
        defer { pools.release(shard) }
        let response = try await client.execute(request, timeout: .hours(24))
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name] = headers[name].map { "\($0), \(value)" } ?? value }
        let body = try await response.body.collect(upTo: maxBytes)
        return HTTPResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
    }

    // MARK: - Pools

    /// The pool the next request goes to, given the requests in flight in each: the first
    /// with room, so a small run keeps to one pool and its warm connections; when every pool
    /// is full, the least loaded. Choosing by the total in flight instead sent every request
    /// of a full run to the last pool, where they queued behind its streams while the other
    /// pools' connections drained (N = 10,000 over https: attempts took 0.7 s at 200 ms).
    static func shard(forNextRequestGiven inFlight: [Int]) -> Int {
        if let open = inFlight.firstIndex(where: { $0 < requestsPerPool }) { return open }
        return inFlight.indices.min { inFlight[$0] < inFlight[$1] } ?? 0
    }

    /// A provider's pools, opened as the requests in flight need them (`shard(forNextRequestGiven:)`).
    private final class ShardedPools: Sendable {
        private let key: PoolKey
        /// Requests in flight in each pool, one entry per pool the provider may open.
        private let inFlight: Mutex<[Int]>

        init(key: PoolKey, limit: Int) {
            self.key = key
            inFlight = Mutex(Array(repeating: 0, count: limit))
        }

        func acquire() throws(TransportError) -> (HTTPClient, shard: Int) {
            let shard = inFlight.withLock { counts -> Int in
                let shard = AsyncHTTPClientBackend.shard(forNextRequestGiven: counts)
                counts[shard] += 1
                return shard
            }
            var shardKey = key
            shardKey.shard = shard
            do {
                return (try AsyncHTTPClientBackend.pool(for: shardKey), shard)
            } catch {
                release(shard)
                throw error
            }
        }

        func release(_ shard: Int) {
            inFlight.withLock { $0[shard] -= 1 }
        }
    }

    /// Whether `path` is the CA bundle swift-nio-ssl already trusts by default: the first of
    /// these that exists (its LinuxCABundle). Containers often set `SSL_CERT_FILE` to it (and a
    /// `ca_file` may name it); trusted again "in addition", its ~140 certificates were parsed
    /// twice more, once at set-up and once on the first request's path (13 ms of the 100 ms a
    /// 100-branch run spends beyond its two latencies), for no certificate the store lacks.
    static func isSystemBundle(_ path: String) -> Bool {
        guard let system = systemBundle else { return false }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path == system
    }

    private static let systemBundle: String? = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
    ]
    .first { FileManager.default.fileExists(atPath: $0) }
    .map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }

    /// Clients live as long as the process: async-http-client requires a shutdown before a
    /// client is released, and a pool is what keeps connections warm between steps.
    private static let pools = Mutex<[PoolKey: HTTPClient]>([:])

    private static func pool(for key: PoolKey) throws(TransportError) -> HTTPClient {
        let made = pools.withLock { pools -> Result<HTTPClient, TransportError> in
            if let existing = pools[key] { return .success(existing) }
            let result = Result { () throws(TransportError) in try makeClient(key) }
            if case .success(let client) = result { pools[key] = client }
            return result
        }
        return try made.get()
    }

    private static func makeClient(_ key: PoolKey) throws(TransportError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if !key.trustRoots.isEmpty {
            tls.additionalTrustRoots = key.trustRoots.map { .file($0) }
            // Fail at set-up, naming the file, instead of at every handshake.
            for path in key.trustRoots {
                do {
                    _ = try NIOSSLCertificate.fromPEMFile(path)
                } catch {
                    throw .tls("cannot read CA certificates from \(path): \(error)")
                }
            }
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(30)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8192),
            proxy: key.proxy.map { proxy in
                .server(
                    host: proxy.host, port: proxy.port,
                    authorization: proxy.credentials.map { .basic(username: $0.user, password: $0.password) })
            },
            decompression: .enabled(limit: .size(HTTPTransport.defaultMaxResponseBytes)))
        configuration.httpVersion = key.http1Only ? .http1Only : .automatic
        // By default a refused connection is retried with backoff until the request's
        // deadline: a step would hang instead of failing fast into the engine's own retries,
        // which are counted and recorded.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    // MARK: - Errors

    /// Turns what async-http-client, NIO and BoringSSL throw into the transport's typed
    /// errors, by type, never by message text.
    static func transportError(_ error: any Error, url: URL?, maxBytes: Int) -> TransportError {
        let host = url?.host ?? "the server"
        switch error {
        case is CancellationError: return .cancelled
        case is NIOTooManyBytesError: return .tooLarge(limit: maxBytes)
        case NIOHTTPDecompression.DecompressionError.limit: return .tooLarge(limit: maxBytes)
        case is NIOHTTPDecompression.DecompressionError, is NIOHTTPDecompression.ExtraDecompressionError:
            return .connection("the compressed answer from \(host) could not be decoded (\(error))")
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return .tls("the certificate of \(host) is not valid for that name")
        case let error as NIOSSLError:
            return .tls("TLS handshake with \(host) failed: \(tlsReason(error))")
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return .connection("host not found")
            }
            if error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
                return .connection("connection refused")
            }
            return .connection("cannot connect to \(error.host):\(error.port)")
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return .connection("connection refused")
        case let error as IOError where error.errnoCode == ECONNRESET:
            return .connection("connection reset by the server")
        case let error as HTTPClientError:
            return transportError(error, host: host)
        case let error as ChannelError where error == .ioOnClosedChannel || error == .eof:
            return .connection("the connection closed before the answer was complete")
        default:
            return .connection(String(describing: error))
        }
    }

    private static func transportError(_ error: HTTPClientError, host: String) -> TransportError {
        switch error {
        case .cancelled: return .cancelled
        case .deadlineExceeded, .readTimeout, .writeTimeout: return .timedOut
        case .connectTimeout: return .connection("connecting to \(host) timed out")
        case .remoteConnectionClosed:
            return .connection("the server closed the connection before the answer was complete")
        case .invalidProxyResponse, .proxyAuthenticationRequired, .httpProxyHandshakeTimeout:
            return .connection("the proxy refused the tunnel to \(host) (\(error))")
        case .bodyLengthMismatch: return .connection("the answer from \(host) was cut short")
        case .tlsHandshakeTimeout: return .tls("TLS handshake with \(host) timed out")
        default: return .connection(String(describing: error))
        }
    }

    /// BoringSSL's reason for a failed handshake, and the fix for the usual cause. NIOSSL
    /// keeps BoringSSL's error codes private, so the hint cannot be chosen by code, and a
    /// message is never matched to decide: it is given for every handshake failure.
    private static func tlsReason(_ error: NIOSSLError) -> String {
        "\(error); if its certificate comes from a private CA, set ca_file on the provider or "
            + "SSL_CERT_FILE to that CA's PEM file"
    }
}
