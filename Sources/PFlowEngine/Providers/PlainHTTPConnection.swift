import Foundation
import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of `PlainHTTPClient`, carrying one exchange at a time.
///
/// Why the exchange lives on the event loop: the body cap is checked as each chunk is read,
/// so a 2 GB answer stops at the cap without buffering ahead; and cancelling closes the
/// socket from the loop that reads it, so the server sees the connection end at once.
final class PlainHTTPConnection: Sendable {
    /// The response and whether the connection can carry another request.
    typealias Outcome = Result<(HTTPResponse, reusable: Bool), TransportError>

    enum ExchangeResult: Sendable {
        case finished(Outcome)
        /// The connection closed before any byte of the answer: safe to send again elsewhere.
        case closedBeforeAnswer
    }

    private let channel: any Channel
    private let handler: NIOLoopBound<PlainHTTPExchangeHandler>

    private init(channel: any Channel, handler: NIOLoopBound<PlainHTTPExchangeHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// The connection of a channel whose pipeline already holds a `PlainHTTPExchangeHandler`.
    /// Call on the channel's event loop.
    static func attached(to channel: any Channel) throws -> PlainHTTPConnection {
        let handler = try channel.pipeline.syncOperations.handler(type: PlainHTTPExchangeHandler.self)
        return PlainHTTPConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    var isOpen: Bool { channel.isActive }

    func exchange(_ request: PlainHTTPClient.Request, maxBytes: Int) async -> ExchangeResult {
        let eventLoop = channel.eventLoop
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExchangeResult, Never>) in
                eventLoop.execute {
                    self.start(request, maxBytes: maxBytes) { continuation.resume(returning: $0) }
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Writes the request now; `completion` runs once, on the event loop. Call on the loop.
    func start(
        _ request: PlainHTTPClient.Request, maxBytes: Int,
        completion: @escaping @Sendable (ExchangeResult) -> Void
    ) {
        handler.value.start(request, maxBytes: maxBytes, completion)
    }

    /// Ends the exchange under way, if any, as cancelled, and closes the connection.
    func cancel() {
        let handler = handler
        channel.eventLoop.execute { handler.value.cancel() }
    }
}

/// The event-loop side of `PlainHTTPConnection`: writes the request, gathers the answer.
final class PlainHTTPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private struct Exchange {
        var complete: @Sendable (PlainHTTPConnection.ExchangeResult) -> Void
        var maxBytes: Int
        var head: HTTPResponseHead?
        var body: ByteBuffer?
        var requestKeepAlive: Bool
    }

    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var cancelled = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func start(
        _ request: PlainHTTPClient.Request, maxBytes: Int,
        _ complete: @escaping @Sendable (PlainHTTPConnection.ExchangeResult) -> Void
    ) {
        guard let context, context.channel.isActive else {
            return complete(.closedBeforeAnswer)
        }
        guard !cancelled else {
            context.close(promise: nil)
            return complete(.finished(.failure(.cancelled)))
        }
        var headers = HTTPHeaders(request.headers)
        if !headers.contains(name: "Host") {
            headers.add(name: "Host", value: "\(request.origin.host):\(request.origin.port)")
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(request.body.count))
        let keepAlive = !headers[canonicalForm: "Connection"].contains { $0.lowercased() == "close" }
        exchange = Exchange(complete: complete, maxBytes: maxBytes, head: nil, body: nil, requestKeepAlive: keepAlive)
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !request.body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))), promise: nil
            )
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The task awaiting the exchange was cancelled: end it now, and the connection with it,
    /// since the rest of the answer would otherwise still arrive on it.
    func cancel() {
        cancelled = true
        guard exchange != nil else { return }
        end(.finished(.failure(.cancelled)), close: true)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            exchange?.head = head
            exchange?.body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            guard let current = exchange, var body = current.body else { return }
            guard body.readableBytes + chunk.readableBytes <= current.maxBytes else {
                return end(.finished(.failure(.tooLarge(limit: current.maxBytes))), close: true)
            }
            exchange?.body = nil  // keep the buffer uniquely referenced so it grows in place
            body.writeBuffer(&chunk)
            exchange?.body = body
        case .end:
            guard let current = exchange, let head = current.head else { return }
            let response = HTTPResponse(
                status: Int(head.status.code), headers: Self.flatten(head.headers),
                body: current.body.map { Data($0.readableBytesView) } ?? Data())
            let reusable = current.requestKeepAlive && head.isKeepAlive
            end(.finished(.success((response, reusable))), close: !reusable)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionEnded()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if exchange != nil, error is HTTPParserError {
            end(.finished(.failure(.connection("the server sent a malformed HTTP response"))), close: true)
        } else {
            // A socket error (reset, broken pipe) ends the connection like a close does.
            connectionEnded()
            context.close(promise: nil)
        }
    }

    private func connectionEnded() {
        guard let current = exchange else { return }
        let result: PlainHTTPConnection.ExchangeResult =
            current.head == nil
            ? .closedBeforeAnswer
            : .finished(.failure(.connection("connection lost before the response was complete")))
        end(result, close: false)
    }

    private func end(_ result: PlainHTTPConnection.ExchangeResult, close: Bool) {
        guard let current = exchange else { return }
        exchange = nil
        if close { context?.close(promise: nil) }
        current.complete(result)
    }

    /// Repeated headers are joined with commas, as HTTP allows; names keep the server's case.
    private static func flatten(_ headers: HTTPHeaders) -> [String: String] {
        var flat: [String: String] = [:]
        for (name, value) in headers {
            if let existing = flat[name] { flat[name] = existing + ", " + value } else { flat[name] = value }
        }
        return flat
    }
}
