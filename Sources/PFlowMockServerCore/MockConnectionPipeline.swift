import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL

/// Sets up each accepted connection: plain HTTP/1, or TLS whose ALPN picks HTTP/1.1 or HTTP/2.
///
/// Why every HTTP/2 stream gets the HTTP/1-typed `MockRequestHandler` behind
/// `HTTP2FramePayloadToHTTP1ServerCodec`: one handler serves both protocols, and a stream
/// reset reaches it as its stream channel closing, the way a closed socket does under HTTP/1,
/// so disconnects and in-flight counts mean the same on both.
struct MockConnectionPipeline: Sendable {
    private let core: MockServerCore
    private let sslContext: NIOSSLContext?

    init(core: MockServerCore) throws(MockServerError) {
        self.core = core
        if let files = core.configuration.tls {
            sslContext = try Self.sslContext(files, http1Only: core.configuration.http1Only)
        } else {
            sslContext = nil
        }
    }

    func configure(_ channel: any Channel) -> EventLoopFuture<Void> {
        core.state.connectionOpened()
        guard let sslContext else {
            return channel.eventLoop.makeCompletedFuture { try configureHTTP1(channel, afterTLSHandshake: false) }
        }
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Both configurators run only once the handshake has completed.
        return channel.configureHTTP2SecureUpgrade(
            h2ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try configureH2(channel) }
            },
            http1ChannelConfigurator: { channel in
                channel.eventLoop.makeCompletedFuture { try configureHTTP1(channel, afterTLSHandshake: true) }
            })
    }

    private func configureHTTP1(_ channel: any Channel, afterTLSHandshake: Bool) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
        if let idleTimeout = core.configuration.idleTimeout {
            try pipeline.addHandler(MockHTTP1IdleHandler(timeout: idleTimeout))
        }
        try pipeline.addHandler(MockRequestHandler(core: core, wire: .http1))
        core.state.connectionSettled(on: .http1, afterTLSHandshake: afterTLSHandshake)
    }

    private func configureH2(_ channel: any Channel) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: core.configuration.h2MaxStreams)
        ]
        var streams = NIOHTTP2Handler.StreamConfiguration()
        // NIO's guard against rapid-reset floods closes the connection after 200 resets in
        // 30 s; a client cancelling hundreds of stragglers at once is what tests exercise.
        streams.streamResetFrameRateLimit.maximumCount = 1_000_000
        let idleDelegate = core.configuration.idleTimeout.map { MockH2IdleDelegate(connection: channel, timeout: $0) }
        let core = self.core
        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: streams,
            streamDelegate: idleDelegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                core.state.streamOpened()
                try stream.pipeline.syncOperations.addHandlers(
                    HTTP2FramePayloadToHTTP1ServerCodec(), MockRequestHandler(core: core, wire: .h2))
            }
        }
        core.state.connectionSettled(on: .h2, afterTLSHandshake: true)
    }

    private static func sslContext(_ files: MockTLSFiles, http1Only: Bool) throws(MockServerError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw MockServerError("cannot read the certificate \(files.certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw MockServerError("cannot read the private key \(files.keyPath): \(error)")
        }
        guard !chain.isEmpty else { throw MockServerError("no certificate in \(files.certificatePath)") }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.applicationProtocols = http1Only ? ["http/1.1"] : ["h2", "http/1.1"]
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw MockServerError(
                "the certificate \(files.certificatePath) and key \(files.keyPath) do not make a TLS context: \(error)")
        }
    }
}

/// A mock server that cannot start, with a message naming what to fix.
public struct MockServerError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
