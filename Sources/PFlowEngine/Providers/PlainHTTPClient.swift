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
        let connection = try await connect(request.origin)
        switch await connection.exchange(request, maxBytes: maxBytes) {
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

    private func connect(_ origin: Origin) async throws(TransportError) -> PlainHTTPConnection {
        let future = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                }
            }
            .connect(host: origin.host, port: origin.port)
        // Waiting on the future directly would hold a cancelled step for the whole connect
        // timeout; a cancelled wait returns at once and closes the late channel.
        let pending = PendingConnect()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<any Channel, TransportError>, Never>) in
                pending.arm(continuation)
                future.whenComplete { result in
                    switch result {
                    case .success(let channel):
                        if !pending.resume(.success(channel)) { channel.close(promise: nil) }
                    case .failure(let error):
                        pending.resume(.failure(Self.connectError(error, origin)))
                    }
                }
            }
        } onCancel: {
            pending.resume(.failure(.cancelled))
        }
        let channel = try result.get()
        do {
            return try await PlainHTTPConnection.install(on: channel)
        } catch {
            channel.close(promise: nil)
            throw .connection("could not set up the connection: \(error)")
        }
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

/// A continuation resumed exactly once, by whichever comes first: the connect or a cancel.
private final class PendingConnect: Sendable {
    typealias Outcome = Result<any Channel, TransportError>
    private let state = Mutex<(continuation: CheckedContinuation<Outcome, Never>?, early: Outcome?, done: Bool)>(
        (nil, nil, false))

    func arm(_ continuation: CheckedContinuation<Outcome, Never>) {
        let early = state.withLock { state -> Outcome? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    /// - Returns: whether this outcome was the one delivered.
    @discardableResult
    func resume(_ outcome: Outcome) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<Outcome, Never>?? in
            guard !state.done else { return .none }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = outcome
                return .some(nil)
            }
            return .some(continuation)
        }
        switch continuation {
        case .none: return false
        case .some(let continuation):
            continuation?.resume(returning: outcome)
            return true
        }
    }
}
