import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP forward proxy for tests: `CONNECT` tunnels and absolute-form requests, to
/// loopback targets only, with every request line it receives written to a log.
///
/// Why: pflow must send https through a proxy as a tunnel, never a key in clear text to
/// the proxy. The log shows which it did: a `CONNECT host:port` line, or a
/// `POST http://...` line that would have carried the key. Why loopback only: this
/// machine must never send test traffic anywhere else.
public final class MockConnectProxy: Sendable {
    public let host: String
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    private init(host: String, port: Int, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.host = host
        self.port = port
        self.group = group
        self.channel = channel
    }

    /// `logPath`: where to append each request line, one a line, written as it arrives.
    public static func start(host: String = "127.0.0.1", port: Int = 0, logPath: String?) async throws
        -> MockConnectProxy
    {
        let log = try logPath.map { try MockProxyLog(path: $0) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(HTTPResponseEncoder())
                    try pipeline.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try pipeline.addHandler(MockProxyHandler(log: log))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return MockConnectProxy(
                host: host, port: channel.localAddress?.port ?? port, group: group, channel: channel)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    public func stop() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// The proxy's request lines, each written with its own `write(2)` so a test reading the
/// file right after a request finds it.
final class MockProxyLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        handle = Mutex(try MockRequestLogFile.openForAppending(path))
    }

    func append(_ line: String) {
        handle.withLock { try? $0.write(contentsOf: Data((line + "\n").utf8)) }
    }
}

/// Reads one request; for `CONNECT` it answers 200 and becomes a byte relay, for an
/// absolute-form request it forwards the request and relays the answer back.
final class MockProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case readingHead
        case readingBody(HTTPRequestHead, target: MockProxyTarget, body: ByteBuffer)
        /// The HTTP decoder is gone: what arrives now is raw bytes for the target, kept
        /// until the relay is in place behind this handler.
        case connecting(pending: [NIOAny])
        case relaying(pending: [NIOAny])
        case done
    }

    private let log: MockProxyLog?
    private var state = State.readingHead

    init(log: MockProxyLog?) {
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .readingHead:
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            log?.append("\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)")
            switch MockProxyTarget.from(head) {
            case .success(let target):
                state = .readingBody(head, target: target, body: context.channel.allocator.buffer(capacity: 0))
            case .failure(let refusal):
                refuse(context, refusal)
            }
        case .readingBody(let head, let target, var body):
            switch unwrapInboundIn(data) {
            case .head: return
            case .body(var chunk):
                body.writeBuffer(&chunk)
                state = .readingBody(head, target: target, body: body)
            case .end:
                state = .connecting(pending: [])
                if let decoder = try? context.pipeline.syncOperations.handler(
                    type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                {
                    context.pipeline.syncOperations.removeHandler(decoder, promise: nil)
                }
                connect(context, head: head, target: target, body: body)
            }
        case .connecting(var pending):
            pending.append(data)
            state = .connecting(pending: pending)
        case .relaying(var pending):
            pending.append(data)
            state = .relaying(pending: pending)
        case .done:
            break
        }
    }

    /// Hands the bytes that came before the relay was in place to it, in order.
    func removeHandler(context: ChannelHandlerContext, removalToken: ChannelHandlerContext.RemovalToken) {
        if case .relaying(let pending) = state, !pending.isEmpty {
            state = .done
            for data in pending { context.fireChannelRead(data) }
            context.fireChannelReadComplete()
        }
        context.leavePipeline(removalToken: removalToken)
    }

    private func connect(
        _ context: ChannelHandlerContext, head: HTTPRequestHead, target: MockProxyTarget, body: ByteBuffer
    ) {
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.value.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let peer):
                    self.relay(context.value, to: peer, head: head, target: target, body: body)
                case .failure:
                    self.refuse(context.value, .unreachable(target))
                }
            }
    }

    private func relay(
        _ context: ChannelHandlerContext, to peer: any Channel, head: HTTPRequestHead, target: MockProxyTarget,
        body: ByteBuffer
    ) {
        // A client that left while the proxy was connecting leaves nothing to relay.
        guard case .connecting(let pending) = state, context.channel.isActive else { return peer.close(promise: nil) }
        state = .relaying(pending: pending)
        let pipeline = context.pipeline.syncOperations
        if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
            pipeline.removeHandler(encoder, promise: nil)
        }
        if target.tunnel {
            context.writeAndFlush(
                NIOAny(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")), promise: nil)
        } else {
            peer.write(target.originFormRequest(head, body: body), promise: nil)
        }
        peer.flush()
        let (local, remote) = MockProxyRelay.pair()
        do {
            try peer.pipeline.syncOperations.addHandler(remote)
            try pipeline.addHandler(local)
        } catch {
            peer.close(promise: nil)
            context.close(promise: nil)
            return
        }
        pipeline.removeHandler(self, promise: nil)
    }

    private func refuse(_ context: ChannelHandlerContext, _ refusal: MockProxyRefusal) {
        state = .done
        let body = ByteBuffer(string: refusal.message + "\n")
        let head = HTTPResponseHead(
            version: .http1_1, status: refusal.status,
            headers: [
                "Content-Type": "text/plain", "Content-Length": String(body.readableBytes), "Connection": "close",
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Why the proxy will not forward a request, as an HTTP status and a line a person can read.
enum MockProxyRefusal: Error {
    case notLoopback(String)
    case badTarget(String)
    case unreachable(MockProxyTarget)

    var status: HTTPResponseStatus {
        switch self {
        case .notLoopback: .forbidden
        case .badTarget: .badRequest
        case .unreachable: .badGateway
        }
    }

    var message: String {
        switch self {
        case .notLoopback(let host): "this test proxy forwards to loopback addresses only, not \(host)"
        case .badTarget(let uri): "not a proxy request: \(uri) (expected CONNECT host:port or an absolute http URL)"
        case .unreachable(let target): "cannot connect to \(target.host):\(target.port)"
        }
    }
}

/// Where a proxy request goes: a `CONNECT host:port` tunnel, or an absolute `http://` URL.
struct MockProxyTarget {
    var host: String
    var port: Int
    var tunnel: Bool
    /// For an absolute-form request: the path and query to send the target.
    var path: String

    static func from(_ head: HTTPRequestHead) -> Result<MockProxyTarget, MockProxyRefusal> {
        let authority: Substring
        let path: String
        if head.method == .CONNECT {
            authority = head.uri[...]
            path = ""
        } else if head.uri.lowercased().hasPrefix("http://") {
            let rest = head.uri.dropFirst("http://".count)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = rest[..<slash]
            path = slash == rest.endIndex ? "/" : String(rest[slash...])
        } else {
            return .failure(.badTarget(head.uri))
        }
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
            (1...65535).contains(port)
        else {
            if head.method != .CONNECT, !authority.contains(":") {
                return loopback(String(authority), port: 80, tunnel: false, path: path)
            }
            return .failure(.badTarget(head.uri))
        }
        return loopback(String(authority[..<colon]), port: port, tunnel: head.method == .CONNECT, path: path)
    }

    /// Loopback by its literal address only: resolving a name could reach another host.
    private static func loopback(_ name: String, port: Int, tunnel: Bool, path: String)
        -> Result<MockProxyTarget, MockProxyRefusal>
    {
        let bare = name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
        let host: String
        switch try? SocketAddress(ipAddress: bare, port: port) {
        case .v4(let address)? where (UInt32(bigEndian: address.address.sin_addr.s_addr) >> 24) == 127:
            host = bare
        case .v6? where bare == "::1":
            host = bare
        default:
            guard bare.lowercased() == "localhost" else { return .failure(.notLoopback(name)) }
            host = "127.0.0.1"
        }
        return .success(MockProxyTarget(host: host, port: port, tunnel: tunnel, path: path))
    }

    /// The request as the target expects it: origin-form, and the connection closed after
    /// the answer so the relay ends with it.
    func originFormRequest(_ head: HTTPRequestHead, body: ByteBuffer) -> ByteBuffer {
        var text = "\(head.method.rawValue) \(path) HTTP/1.1\r\n"
        for (name, value) in head.headers
        where !["connection", "proxy-connection", "keep-alive"].contains(name.lowercased()) {
            text += "\(name): \(value)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        var buffer = ByteBuffer(string: text)
        var body = body
        buffer.writeBuffer(&body)
        return buffer
    }
}
