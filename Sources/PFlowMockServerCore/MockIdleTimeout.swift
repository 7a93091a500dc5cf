import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Fires once a connection has had no request in flight for the idle timeout.
///
/// Why count requests rather than bytes, as NIO's `IdleStateHandler` does: a request
/// waiting out `latency=10s` moves no bytes, yet its connection is busy; only a connection
/// with nothing in flight is idle, as a server's keep-alive timeout sees it.
final class MockIdleTimer {
    private let eventLoop: any EventLoop
    private let timeout: TimeAmount
    private let onIdle: () -> Void
    private var inFlight = 0
    private var timer: Scheduled<Void>?

    init(eventLoop: any EventLoop, timeout: Duration, onIdle: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.timeout = .milliseconds(MockUnits.milliseconds(timeout))
        self.onIdle = onIdle
        arm()
    }

    func requestStarted() {
        inFlight += 1
        timer?.cancel()
        timer = nil
    }

    func requestEnded() {
        inFlight -= 1
        if inFlight == 0 { arm() }
    }

    func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func arm() {
        timer?.cancel()
        let onIdle = self.onIdle
        timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) { onIdle() }
    }
}

/// Closes an HTTP/1 connection idle for the timeout, as a front end's keep-alive timeout does.
final class MockHTTP1IdleHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart

    private let timeout: Duration
    private var timer: MockIdleTimer?

    init(timeout: Duration) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = MockIdleTimer(eventLoop: context.value.eventLoop, timeout: timeout) {
            context.value.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The timer's closure holds the context, which holds this handler: break the cycle.
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { timer?.requestStarted() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { timer?.requestEnded() }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }
}

/// Sends GOAWAY and closes an HTTP/2 connection with no open stream for the timeout, as
/// nginx does when its idle timeout passes.
final class MockH2IdleDelegate: NIOHTTP2StreamDelegate {
    private final class State {
        var timer: MockIdleTimer?
        var lastStreamID = HTTP2StreamID.rootStream
    }

    private let state: NIOLoopBound<State>

    init(connection: any Channel, timeout: Duration) {
        let state = State()
        let bound = NIOLoopBound(state, eventLoop: connection.eventLoop)
        state.timer = MockIdleTimer(eventLoop: connection.eventLoop, timeout: timeout) {
            let goAway = HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: bound.value.lastStreamID, errorCode: .noError, opaqueData: nil))
            connection.writeAndFlush(goAway).whenComplete { _ in connection.close(promise: nil) }
        }
        self.state = bound
        // The timer's closure holds the state: dropping it breaks the cycle.
        connection.closeFuture.whenComplete { _ in
            bound.value.timer?.cancel()
            bound.value.timer = nil
        }
    }

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        state.value.lastStreamID = max(state.value.lastStreamID, id)
        state.value.timer?.requestStarted()
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        state.value.timer?.requestEnded()
    }
}
