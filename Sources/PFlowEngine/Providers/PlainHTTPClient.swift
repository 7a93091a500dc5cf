import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// An HTTP/1.1 client for `http://` endpoints on SwiftNIO, with a pool of warm keep-alive
/// connections.
///
/// Why not URLSession for these: on Linux, URLSession runs every transfer and every
/// `cancel()` on one serial queue per session, and delivers body chunks to the delegate
/// without backpressure. A server streaming faster than that queue drains starves
/// `cancel()` for seconds while libcurl keeps reading and queueing chunks (hundreds of MB
/// past a 16 MiB cap), and each request costs about 0.8 ms of CPU in libcurl, dispatch
/// sources and operation queues. Here the cap is checked on the event loop as bytes
/// arrive, so the connection closes at the cap; cancellation closes the socket at once;
/// and a request costs tens of microseconds. TLS is not available without another
/// dependency, so `https://` stays on URLSession (`HTTPTransport` routes by scheme).
final class PlainHTTPClient: Sendable {
    /// The one client of the process: its pool is what keeps connections warm between steps.
    static let shared = PlainHTTPClient()

    private let group: MultiThreadedEventLoopGroup
    private let pool = Mutex<[Origin: [PlainHTTPConnection]]>([:])

    /// One event-loop thread: the work per request is small, and the engine and the
    /// providers' JSON need the other cores.
    init(threads: Int = 1) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Where a connection goes; connections are reused only for the same origin.
    struct Origin: Hashable, Sendable {
        var host: String
        var port: Int
    }

    /// What to send: the origin, the request line's target, headers and body.
    struct Request: Sendable {
        var origin: Origin
        var method: String
        var target: String
        var headers: [(String, String)]
        var body: Data
    }

    /// Sends one request and returns the whole response (body at most `maxBytes`).
    ///
    /// A pooled connection may have been closed by the server just as it was picked; the
    /// request is then sent once more on a fresh connection, but only when no byte of the
    /// answer arrived, so a request is never answered twice.
    func send(_ request: Request, maxBytes: Int) async throws(TransportError) -> HTTPResponse {
        if let connection = takeIdle(request.origin) {
            switch await connection.exchange(request, maxBytes: maxBytes) {
            case .finished(let outcome): return try finish(outcome, connection, request.origin)
            case .closedBeforeAnswer: break
            }
        }
        if Task.isCancelled { throw .cancelled }
        let (result, connection) = try await exchangeOnNewConnection(request, maxBytes: maxBytes)
        switch result {
        case .finished(let outcome): return try finish(outcome, connection, request.origin)
        case .closedBeforeAnswer:
            throw .connection("the server closed the connection without answering")
        }
    }

    private func finish(
        _ outcome: PlainHTTPConnection.Outcome, _ connection: PlainHTTPConnection, _ origin: Origin
    ) throws(TransportError) -> HTTPResponse {
        let (response, reusable) = try outcome.get()
        if reusable { putIdle(connection, origin) }
        return response
    }

    private func takeIdle(_ origin: Origin) -> PlainHTTPConnection? {
        pool.withLock { pool in
            while let connection = pool[origin]?.popLast() {
                if connection.isOpen { return connection }
            }
            return nil
        }
    }

    /// Connections return here only after a complete keep-alive exchange, so the pool never
    /// holds more than the peak number of requests that were in flight at once.
    private func putIdle(_ connection: PlainHTTPConnection, _ origin: Origin) {
        pool.withLock { $0[origin, default: []].append(connection) }
    }

    /// Connects and writes the request from the event loop the moment the socket is up.
    ///
    /// Going back to the task between the two made a wide fan-out connect everything
    /// before it wrote anything: the loop ran its queue of 1,000 connects, then the 1,000
    /// hops that wrote the requests. With that and the resolver below, the median request
    /// of a 1,000-branch fan-out reached the server 170 ms after its attempt started;
    /// 100 ms now, most of it the cooperative pool starting the other branches.
    private func exchangeOnNewConnection(
        _ request: Request, maxBytes: Int
    ) async throws(TransportError) -> (PlainHTTPConnection.ExchangeResult, PlainHTTPConnection) {
        let origin = request.origin
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PlainHTTPExchangeHandler())
                }
            }
        // An address literal skips NIO's resolver, which ran getaddrinfo on a dispatch queue
        // for every connect: 40 ms more on the median connect of that fan-out.
        let future: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: origin.host, port: origin.port) {
            future = bootstrap.connect(to: address)
        } else {
            future = bootstrap.connect(host: origin.host, port: origin.port)
        }
        let pending = PendingExchange()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                pending.arm(continuation)
                future.whenComplete { result in
                    switch result {
                    case .success(let channel):
                        let connection: PlainHTTPConnection
                        do {
                            connection = try PlainHTTPConnection.attached(to: channel)
                        } catch {
                            channel.close(promise: nil)
                            pending.finish(.failure(.connection("could not set up the connection: \(error)")))
                            return
                        }
                        // Waiting on the connect directly would hold a cancelled step for
                        // the whole connect timeout; a cancelled wait returned already, and
                        // the late channel is closed here.
                        guard pending.connected(connection) else { return channel.close(promise: nil) }
                        connection.start(request, maxBytes: maxBytes) { pending.finish(.success(($0, connection))) }
                    case .failure(let error):
                        pending.finish(.failure(Self.connectError(error, origin)))
                    }
                }
            }
        } onCancel: {
            pending.cancel()
        }
        return try outcome.get()
    }

    private static func connectError(_ error: any Error, _ origin: Origin) -> TransportError {
        var errors: [any Error] = [error]
        if let connection = error as? NIOConnectionError {
            errors = connection.connectionErrors.map(\.error)
            if errors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return .connection("host not found")
            }
        }
        for error in errors {
            if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return .connection("connection refused") }
            if error is ChannelError, case .connectTimeout = error as? ChannelError {
                return .connection("connecting timed out")
            }
        }
        if error is NIOConnectionError { return .connection("could not connect to \(origin.host):\(origin.port)") }
        return .connection(String(describing: error))
    }
}

/// The wait for a new connection's first exchange, ended exactly once: by the exchange, a
/// failed connect, or a cancel that came before the connection was up.
private final class PendingExchange: Sendable {
    typealias Outcome = Result<(PlainHTTPConnection.ExchangeResult, PlainHTTPConnection), TransportError>

    private struct State {
        var continuation: CheckedContinuation<Outcome, Never>?
        var early: Outcome?
        var connection: PlainHTTPConnection?
        var done = false
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<Outcome, Never>) {
        let early = state.withLock { state -> Outcome? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    /// - Returns: false when the wait already ended (cancelled): the connection is not wanted.
    func connected(_ connection: PlainHTTPConnection) -> Bool {
        state.withLock { state in
            guard !state.done else { return false }
            state.connection = connection
            return true
        }
    }

    /// Once connected, a cancel ends the exchange, which then finishes the wait itself.
    /// Deciding under one lock keeps a connection that comes up meanwhile from being lost.
    func cancel() {
        let (connection, continuation) = state.withLock {
            state -> (PlainHTTPConnection?, CheckedContinuation<Outcome, Never>?) in
            if let connection = state.connection { return (state.done ? nil : connection, nil) }
            return (nil, Self.end(&state, .failure(.cancelled)))
        }
        connection?.cancel()
        continuation?.resume(returning: .failure(.cancelled))
    }

    func finish(_ outcome: Outcome) {
        state.withLock { Self.end(&$0, outcome) }?.resume(returning: outcome)
    }

    /// Marks the wait ended; returns the continuation to resume, if it is already armed.
    private static func end(_ state: inout State, _ outcome: Outcome) -> CheckedContinuation<Outcome, Never>? {
        guard !state.done else { return nil }
        state.done = true
        if state.continuation == nil { state.early = outcome }
        return state.continuation
    }
}
