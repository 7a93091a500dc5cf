import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

/// The https path against the mock server serving TLS on 127.0.0.1 with certificates made
/// for this test run: trust, typed TLS errors, HTTP/2 multiplexing, HTTP/1.1 pooling, the
/// cap and cancellation.
@Suite("HTTPS transport: trust, HTTP/2, cancellation")
struct HTTPSTransportTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]

    private func certificates() throws -> TestCertificates { try TestCertificates.shared() }

    private func provider(
        _ server: MockServer, trusting roots: [String], http1Only: Bool = false, client: ProviderSpec.Transport = .nio
    ) throws -> OpenAIProvider {
        let transport = try HTTPTransport(.init(client: client, trustRoots: roots, http1Only: http1Only))
        return try OpenAIProvider(
            spec: providerSpec(.openai, baseURL: server.baseURL + "/v1"), environment: environment, transport: transport
        )
    }

    @Test func aServerSignedByATrustedCAAnswersOverHTTP2() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let provider = try provider(server, trusting: [certificates.caCertificate])
            let response = try await provider.complete(completionRequest("over TLS"))
            #expect(response.text.hasPrefix("Mock answer to \"over TLS\""))
            #expect(server.stats().connectionsByProtocol[.h2] == 1)
        }
    }

    @Test func manyRequestsShareOneHTTP2Connection() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let provider = try provider(server, trusting: [certificates.caCertificate])
            _ = try await provider.complete(completionRequest("warm"))
            let width = 64
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<width {
                    group.addTask { _ = await failure(of: provider, completionRequest("[mock:hang step=h\(index)]")) }
                }
                let allInFlight = await eventually { server.stats().inFlight == width }
                #expect(allInFlight, "peak in flight: \(server.stats().peakInFlight)")
                #expect(server.stats().connectionsByProtocol[.h2] == 1)
                group.cancelAll()
                try await group.waitForAll()
            }
            // Cancelling resets each stream: the server sees every request end, on a live connection.
            #expect(await eventually { server.stats().cancelled == width })
            _ = try await provider.complete(completionRequest("after the resets"))
            #expect(server.stats().connectionsByProtocol[.h2] == 1)
        }
    }

    @Test func aRequestGoesToTheFirstPoolWithRoomThenToTheLeastLoaded() {
        let full = AsyncHTTPClientBackend.requestsPerPool
        #expect(AsyncHTTPClientBackend.shard(forNextRequestGiven: [0, 0, 0]) == 0)
        #expect(AsyncHTTPClientBackend.shard(forNextRequestGiven: [full, 3, 0]) == 1)
        // A full run: the first pool drained a little while the others stayed full. The next
        // request goes where a stream is free, not to the last pool.
        #expect(AsyncHTTPClientBackend.shard(forNextRequestGiven: [full - 50, full, full]) == 0)
        #expect(AsyncHTTPClientBackend.shard(forNextRequestGiven: [full + 9, full + 2, full + 5]) == 1)
    }

    @Test func http1OnlyPoolsKeepAliveConnections() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let provider = try provider(server, trusting: [certificates.caCertificate], http1Only: true)
            for index in 0..<3 { _ = try await provider.complete(completionRequest("sequential \(index)")) }
            #expect(server.stats().connectionsByProtocol[.http1] == 1)
            #expect(server.stats().tlsHandshakes == 1)
        }
    }

    @Test func anUntrustedCertificateIsATypedErrorNamingTheHostAndNothingIsSent() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.selfSigned) { server in
            let provider = try provider(server, trusting: [certificates.caCertificate])
            let error = try #require(await failure(of: provider, completionRequest("must not arrive")))
            #expect(error.kind == .tls && !error.isRetryable, "\(error)")
            #expect(error.message.contains("127.0.0.1") && error.message.contains("ca_file"), "\(error.message)")
            #expect(server.records().isEmpty)
        }
    }

    @Test func theSystemStoreAloneDoesNotTrustAPrivateCA() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let error = try #require(await failure(of: try provider(server, trusting: []), completionRequest("x")))
            #expect(error.kind == .tls, "\(error)")
            #expect(server.records().isEmpty)
        }
    }

    @Test func aCertificateForAnotherHostIsRefused() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.wrongHost) { server in
            let provider = try provider(server, trusting: [certificates.caCertificate])
            let error = try #require(await failure(of: provider, completionRequest("x")))
            #expect(error.kind == .tls, "\(error)")
            #expect(error.message.contains("127.0.0.1"), "\(error.message)")
            #expect(server.records().isEmpty)
        }
    }

    @Test func sslCertFileAndCAFileAreTrusted() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            var spec = providerSpec(.openai, baseURL: server.baseURL + "/v1")
            let viaEnvironment = try OpenAIProvider(
                spec: spec, environment: environment.merging(["SSL_CERT_FILE": certificates.caCertificate]) { $1 })
            _ = try await viaEnvironment.complete(completionRequest("trusted through SSL_CERT_FILE"))
            let folder = (certificates.caCertificate as NSString).deletingLastPathComponent
            spec.caFile = (certificates.caCertificate as NSString).lastPathComponent
            let viaFile = try OpenAIProvider(spec: spec, environment: environment, baseDirectory: folder)
            _ = try await viaFile.complete(completionRequest("trusted through ca_file"))
        }
    }

    @Test func theSystemBundleNamedAgainAddsNoTrustRoot() throws {
        let system = "/etc/ssl/certs/ca-certificates.crt"
        let url = try #require(URL(string: "https://api.example.com/v1"))
        let spec = providerSpec(.openai, baseURL: url.absoluteString)
        let privateCA = try certificates().caCertificate
        let withPrivateCA = try HTTPTransport.forProvider(
            spec, url: url, environment: ["SSL_CERT_FILE": privateCA], baseDirectory: ".")
        #expect(withPrivateCA.options.trustRoots == [privateCA])
        try #require(FileManager.default.fileExists(atPath: system), "this test needs Debian's CA bundle")
        let withSystemBundle = try HTTPTransport.forProvider(
            spec, url: url, environment: ["SSL_CERT_FILE": system], baseDirectory: ".")
        #expect(withSystemBundle.options.trustRoots.isEmpty)
        var naming = spec
        naming.caFile = system
        let withCAFile = try HTTPTransport.forProvider(naming, url: url, environment: [:], baseDirectory: ".")
        #expect(withCAFile.options.trustRoots.isEmpty)
    }

    @Test func anUnreadableCAFileIsAConfigurationErrorNamingIt() throws {
        var spec = providerSpec(.openai, baseURL: "https://127.0.0.1:9/v1")
        spec.caFile = "/nonexistent/ca.pem"
        #expect {
            try OpenAIProvider(spec: spec, environment: environment)
        } throws: { error in
            (error as? ProviderError).map { $0.kind == .configuration && $0.message.contains("/nonexistent/ca.pem") }
                ?? false
        }
    }

    @Test func theAnswerCapHoldsOverHTTPS() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let transport = try HTTPTransport(
                .init(trustRoots: [certificates.caCertificate], maxResponseBytes: 64 << 10))
            let provider = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL + "/v1"), environment: environment,
                transport: transport)
            let error = try #require(await failure(of: provider, completionRequest("[mock:huge=2GB]")))
            #expect(error.message.contains("larger than 64 KiB"), "\(error.message)")
            #expect(await eventually { server.records().first?.disconnected == true })
        }
    }

    /// FoundationNetworking gives most libcurl failures code -1; the step's error says
    /// what libcurl said, not "network error -1".
    @Test func theURLSessionTransportSaysWhyItRefusedACertificate() async throws {
        let certificates = try certificates()
        try await withMockServer(tls: certificates.server) { server in
            let provider = try provider(server, trusting: [], client: .urlsession)
            let error = try #require(await failure(of: provider, completionRequest("x")))
            #expect(error.message.contains("SSL certificate problem"), "\(error)")
            #expect(server.records().isEmpty)
        }
    }
}
