import Foundation
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1 connection or one HTTP/2 stream: the admin endpoints at once, API
/// requests as their prompt directs.
///
/// Why a hand-written handler on the event loop: latency is a scheduled task, not a
/// sleeping thread, so 2,000 concurrent slow requests cost 2,000 timers; and a client that
/// closes the socket or resets the stream is seen at once (`channelInactive`), which is how
/// tests prove pflow cancels in-flight requests.
final class MockRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Request bodies beyond this are refused with a 413; prompts are never this big.
    static let maxRequestBytes = 32 << 20

    /// The API request this connection is answering, counted in the stats until it ends.
    private struct Active {
        var ticket: MockServerState.Ticket
        var path: String
        var api: MockAPI
        var status: Int
        var authorization: Bool
        var host: String
        var keepAlive: Bool
        var parameterNames: [String]
        var acceptEncoding: String?
        /// The rate limiter's headers, sent with whatever the answer is.
        var rateLimitHeaders: [(String, String)]
    }

    private let core: MockServerCore
    /// Under HTTP/2 this handler serves one stream: the connection outlives every answer.
    private let wire: MockWireProtocol
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    private var active: Active?
    private var timers: [Scheduled<Void>] = []

    init(core: MockServerCore, wire: MockWireProtocol) {
        self.core = core
        self.wire = wire
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.clear()
            bodyTooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > Self.maxRequestBytes {
                bodyTooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            route(context: context, head: requestHead)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        clientLeft()
        context.close(promise: nil)
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch (head.method, path) {
        case (.GET, "/_stats"):
            respondAdmin(context, head, contentType: "application/json", body: core.statsJSON())
        case (.GET, "/_log"):
            respondAdmin(context, head, contentType: "application/x-ndjson", body: core.logJSONLines())
        case (.POST, "/_reset"):
            core.state.reset()
            respondAdmin(context, head, contentType: "application/json", body: Data(#"{"ok":true}"#.utf8))
        case (.GET, "/_health"):
            respondAdmin(context, head, contentType: "text/plain", body: Data("ok\n".utf8))
        case (.POST, "/v1/chat/completions"), (.POST, "/chat/completions"):
            serveAPI(context, head, path: path, api: .openai)
        case (.POST, "/v1/messages"):
            serveAPI(context, head, path: path, api: .anthropic)
        case (_, "/v1/chat/completions"), (_, "/chat/completions"), (_, "/v1/messages"):
            respondAdmin(
                context, head, status: 405, contentType: "application/json",
                body: MockBodies.plainError("use POST for \(path)"))
        default:
            respondAdmin(
                context, head, status: 404, contentType: "application/json",
                body: MockBodies.plainError("no route for \(head.method) \(path)"))
        }
    }

    private func serveAPI(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, path: String, api: MockAPI) {
        if bodyTooLarge {
            return respondAdmin(
                context, head, status: 413, contentType: "application/json",
                body: MockBodies.plainError("request body larger than \(Self.maxRequestBytes) bytes"))
        }
        let decoded = try? JSONDecoder().decode(MockAPIRequest.self, from: Data(body.readableBytesView))
        guard let decoded else {
            return respondAdmin(
                context, head, status: 400, contentType: "application/json",
                body: MockBodies.plainError("request body is not a JSON object"))
        }
        let model = decoded.model ?? ""
        let (system, prompt) = decoded.prompt
        let directives = MockDirectives(parsing: system + "\n" + prompt)
        let step = directives.step ?? Self.stepKey(prompt)
        if api == .anthropic && head.headers.first(name: "anthropic-version") == nil {
            // The real API refuses these too; this keeps the provider honest about sending it.
            // Refused before it is counted: a request never begun is never left in flight.
            return respondAdmin(
                context, head, status: 400, contentType: "application/json",
                body: MockBodies.plainError("anthropic-version header is required"))
        }
        let ticket = core.state.begin(step: step, model: model)
        let credential = head.headers.first(name: "authorization") ?? head.headers.first(name: "x-api-key")
        let host = head.headers.first(name: "host") ?? ""
        let request = MockRequest(
            api: api, model: model, system: system, prompt: prompt, body: decoded,
            directives: directives, ticket: ticket, host: host, credential: credential)
        // Estimated as the usage is: about four bytes a token, plus the most it may write.
        let tokens =
            MockBodies.tokens(system) + MockBodies.tokens(prompt)
            + (decoded.maxCompletionTokens ?? decoded.maxTokens ?? 0)
        let limit = core.rateLimiter?.admit(model: model, tokens: tokens, api: api)
        let reply: MockReply
        if let limit, let retryAfter = limit.retryAfter {
            core.state.rateLimited()
            reply = .rateLimited(request, retryAfter: retryAfter)
        } else {
            reply = MockReply.plan(for: request, configuration: core.configuration)
        }
        active = Active(
            ticket: ticket, path: path, api: api, status: reply.status, authorization: credential != nil, host: host,
            keepAlive: keepsAlive(head), parameterNames: decoded.parameterNames,
            acceptEncoding: head.headers.first(name: "accept-encoding"), rateLimitHeaders: limit?.headers ?? [])

        if case .hang = reply { return }
        let delay = directives.latency ?? core.latency(for: ticket.seq)
        after(context, delay, seq: ticket.seq) { $0.send(reply, context: context, version: head.version) }
    }

    private func send(_ reply: MockReply, context: ChannelHandlerContext, version: HTTPVersion) {
        guard let active else { return }
        switch reply {
        case .complete(let status, let contentType, let body, let extraHeaders):
            writeHead(
                context, version, status: status, contentType: contentType, length: body.count, extra: extraHeaders)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            finishResponse(context)
        case .slow(let body, let duration):
            writeHead(context, version, status: 200, contentType: "application/json", length: body.count)
            context.flush()
            trickle(context, body[...], pieces: 10, interval: duration / 10, seq: active.ticket.seq)
        case .slowHeaders(let body, let duration) where wire == .h2:
            // HTTP/2 sends a header block whole; the nearest slow loris is headers sent late.
            after(context, duration, seq: active.ticket.seq) {
                $0.send(.json(200, body), context: context, version: version)
            }
        case .slowHeaders(let body, let duration):
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
                + "Connection: close\r\nX-Mock: slow-headers\r\n\r\n"
            dribble(context, Data(head.utf8)[...], then: body, interval: duration / 20, seq: active.ticket.seq)
        case .stall(let body):
            writeHead(context, version, status: 200, contentType: "application/json", length: body.count)
            context.writeAndFlush(
                wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body.prefix(body.count / 2))))), promise: nil)
        case .reset(let body):
            writeHead(context, version, status: 200, contentType: "application/json", length: body.count)
            let half = ByteBuffer(bytes: body.prefix(body.count / 2))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(half)))).assumeIsolated().whenComplete { _ in
                // SO_LINGER 0 turns the close into a RST, as a crashing server or a dropped proxy does.
                let linger = (context.channel as? any SocketOptionProvider)?.setSoLinger(
                    linger(l_onoff: 1, l_linger: 0))
                (linger ?? context.eventLoop.makeSucceededVoidFuture()).assumeIsolated().whenComplete { _ in
                    // The server, not the client, broke this exchange.
                    self.ended(disconnected: false)
                    context.close(promise: nil)
                }
            }
        case .huge(let bytes):
            writeHead(context, version, status: 200, contentType: "application/json", length: bytes)
            var first = ByteBuffer(bytes: MockBodies.hugePrefix())
            first.writeRepeatingByte(UInt8(ascii: "a"), count: max(0, 64 * 1024 - first.readableBytes))
            var filler = ByteBuffer()
            filler.writeRepeatingByte(UInt8(ascii: "a"), count: 64 * 1024)
            stream(context, remaining: bytes, chunk: first, filler: filler, seq: active.ticket.seq)
        case .hang:
            break
        case .drop:
            // The server, not the client, broke this exchange.
            ended(disconnected: false)
            context.close(promise: nil)
        }
    }

    /// Writes in rounds of about 1 MiB and waits for each round to reach the socket, so a
    /// 2 GB body never sits in memory; hopping through `execute` keeps the stack flat.
    private func stream(
        _ context: ChannelHandlerContext, remaining: Int, chunk: ByteBuffer, filler: ByteBuffer, seq: Int
    ) {
        guard active?.ticket.seq == seq else { return }
        guard remaining > 0 else { return finishResponse(context) }
        var left = remaining
        var next = chunk
        var last: EventLoopFuture<Void>?
        for _ in 0..<16 where left > 0 {
            let size = min(left, next.readableBytes)
            last = context.write(
                wrapOutboundOut(.body(.byteBuffer(next.getSlice(at: next.readerIndex, length: size) ?? next))))
            left -= size
            next = filler
        }
        context.flush()
        last?.assumeIsolated().whenComplete { result in
            guard case .success = result else { return }
            context.eventLoop.assumeIsolated().execute {
                self.stream(context, remaining: left, chunk: filler, filler: filler, seq: seq)
            }
        }
    }

    private func trickle(
        _ context: ChannelHandlerContext, _ rest: Data.SubSequence, pieces: Int, interval: Duration, seq: Int
    ) {
        guard active?.ticket.seq == seq else { return }
        let size = pieces <= 1 ? rest.count : rest.count / pieces
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: rest.prefix(size))))), promise: nil)
        let remaining = rest.dropFirst(size)
        if pieces <= 1 || remaining.isEmpty { return finishResponse(context) }
        after(context, interval, seq: seq) {
            $0.trickle(context, remaining, pieces: pieces - 1, interval: interval, seq: seq)
        }
    }

    /// Writes raw bytes beneath the HTTP encoder, which can only send a head in one piece:
    /// the head goes out in 20 slices, then the body, then the connection closes.
    private func dribble(
        _ context: ChannelHandlerContext, _ head: Data.SubSequence, then body: Data, interval: Duration, seq: Int
    ) {
        guard active?.ticket.seq == seq,
            let raw = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        else { return }
        let size = max(1, (head.count + 19) / 20)
        raw.writeAndFlush(NIOAny(ByteBuffer(bytes: head.prefix(size))), promise: nil)
        let remaining = head.dropFirst(size)
        guard remaining.isEmpty else {
            return after(context, interval, seq: seq) {
                $0.dribble(context, remaining, then: body, interval: interval, seq: seq)
            }
        }
        raw.writeAndFlush(NIOAny(ByteBuffer(bytes: body))).assumeIsolated().whenComplete { _ in
            self.ended(disconnected: false)
            context.close(promise: nil)
        }
    }

    private func after(
        _ context: ChannelHandlerContext, _ delay: Duration, seq: Int, _ action: @escaping (MockRequestHandler) -> Void
    ) {
        let milliseconds = MockUnits.milliseconds(delay)
        guard milliseconds > 0 else { return action(self) }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
            guard self.active?.ticket.seq == seq else { return }
            action(self)
        }
        timers.append(timer)
    }

    private func writeHead(
        _ context: ChannelHandlerContext, _ version: HTTPVersion, status: Int, contentType: String, length: Int,
        keepAlive: Bool? = nil, extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(length))
        if wire == .http1 {
            headers.add(name: "Connection", value: (keepAlive ?? active?.keepAlive ?? true) ? "keep-alive" : "close")
        }
        for (name, value) in extra { headers.add(name: name, value: value) }
        for (name, value) in active?.rateLimitHeaders ?? [] { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(
            version: version, status: HTTPResponseStatus(statusCode: status, reasonPhrase: MockBodies.reason(status)),
            headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    private func finishResponse(_ context: ChannelHandlerContext) {
        let keepAlive = active?.keepAlive ?? true
        // Recorded before the last byte leaves: a client that reads /_log right after its
        // response must find the request there.
        ended(disconnected: false)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func clientLeft() {
        ended(disconnected: true)
    }

    private func ended(disconnected: Bool) {
        for timer in timers { timer.cancel() }
        timers.removeAll()
        guard let finished = active else { return }
        active = nil
        core.state.end(
            finished.ticket, path: finished.path, api: finished.api.rawValue, status: finished.status,
            disconnected: disconnected, authorization: finished.authorization, host: finished.host,
            parameterNames: finished.parameterNames, acceptEncoding: finished.acceptEncoding)
    }

    /// Answers at once, outside the stats: admin endpoints and requests refused at the door.
    private func respondAdmin(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, status: Int = 200, contentType: String, body: Data
    ) {
        let keepAlive = keepsAlive(head)
        writeHead(
            context, head.version, status: status, contentType: contentType, length: body.count, keepAlive: keepAlive)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func keepsAlive(_ head: HTTPRequestHead) -> Bool {
        wire == .h2 || head.isKeepAlive
    }

    /// The first line of the prompt, short enough to read in stats.
    private static func stepKey(_ prompt: String) -> String {
        let line = prompt.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 80 ? String(line.prefix(80)) : line
    }
}
