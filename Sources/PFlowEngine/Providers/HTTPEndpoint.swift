import Foundation
import PFlowSpec

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One provider's destination and credentials, checked once when the provider is built.
///
/// Why its own type: OpenAI and Anthropic differ only in path, auth header and JSON shapes;
/// key loading, the insecure-URL rule, sending and turning HTTP failures into
/// `ProviderError`s are the same, and must be equally careful about never leaking the key.
struct HTTPEndpoint: Sendable {
    let providerName: String
    /// Which API the errors should name ("OpenAI", "Anthropic").
    let apiName: String
    let url: URL
    let headers: [String: String]
    /// Values that must never appear in a message, even if a server echoes them.
    let secrets: [String]
    let apiKeyEnv: String?
    let transport: HTTPTransport

    /// - Parameters:
    ///   - transport: nil to build the provider's own from its `transport`, `ca_file` and
    ///     the environment's `SSL_CERT_FILE` and proxy variables.
    ///   - baseDirectory: the workflow's folder, which a relative `ca_file` is relative to.
    ///   - expectedConcurrency: requests the engine may have in flight to this provider.
    ///   - authorization: the header carrying the key, given the key.
    init(
        spec: ProviderSpec, environment: [String: String], apiName: String, path: String,
        transport: HTTPTransport?, baseDirectory: String, expectedConcurrency: Int,
        authorization: (String) -> (name: String, value: String)
    ) throws(ProviderError) {
        let name = spec.name
        guard let base = spec.effectiveBaseURL else {
            throw ProviderError(.configuration, "provider '\(name)': \(spec.kind.rawValue) needs a base_url")
        }
        guard var components = URLComponents(string: base),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw ProviderError(.configuration, "provider '\(name)': base_url '\(base)' is not an http(s) URL")
        }
        components.path = Self.join(components.path, path)
        guard let url = components.url else {
            throw ProviderError(.configuration, "provider '\(name)': base_url '\(base)' is not a valid URL")
        }

        var headers = spec.headers
        var secrets = spec.headers.filter { Self.looksSecret($0.key) }.map(\.value).filter { !$0.isEmpty }
        if let variable = spec.apiKeyEnv {
            guard let key = environment[variable], !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ProviderError(
                    .configuration, "provider '\(name)': environment variable \(variable) (api_key_env) is not set")
            }
            if scheme == "http" && !LoopbackHost.contains(host) && !spec.allowInsecure {
                throw ProviderError(
                    .configuration,
                    "provider '\(name)': refusing to send the key in \(variable) over plain http to \(host); "
                        + "use https, or set allow_insecure: true on the provider")
            }
            let header = authorization(key)
            headers[header.name] = header.value
            secrets.append(key)
        }
        headers["Content-Type"] = "application/json"
        headers["Accept"] = "application/json"
        if !headers.keys.contains(where: { $0.lowercased() == "user-agent" }) { headers["User-Agent"] = "pflow" }

        self.providerName = name
        self.apiName = apiName
        self.url = url
        self.headers = headers
        self.secrets = secrets
        self.apiKeyEnv = spec.apiKeyEnv
        if let transport {
            self.transport = transport
        } else {
            self.transport = try HTTPTransport.forProvider(
                spec, url: url, environment: environment, baseDirectory: baseDirectory,
                expectedConcurrency: expectedConcurrency)
        }
    }

    var host: String { url.host ?? "server" }

    /// POSTs a JSON body and returns the response if it is a 2xx; any other outcome is a
    /// typed error whose message carries the server's own explanation, scrubbed of secrets.
    func post(_ body: Data) async throws(ProviderError) -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw providerError(for: error)
        }
        guard (200..<300).contains(response.status) else {
            var error = providerError(for: response)
            error.rateLimit = RateLimitStatus(response)
            throw error
        }
        return response
    }

    /// Decodes a 2xx body, naming the missing field when the shape is wrong.
    ///
    /// A lone surrogate escape (`"\ud800"`) in an otherwise valid answer is read as U+FFFD,
    /// as Python's and JavaScript's JSON parsers (and so the official SDKs) read it.
    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse) throws(ProviderError) -> T {
        do {
            do {
                return try JSONDecoder().decode(type, from: response.body)
            } catch let error as DecodingError {
                // Foundation reports a lone surrogate as corrupt data or, inside a field
                // decoded by hand, as a type mismatch there: repair and retry either way.
                guard let repaired = JSONSurrogates.replacingLoneSurrogates(in: response.body) else { throw error }
                return try JSONDecoder().decode(type, from: repaired)
            }
        } catch let error as DecodingError {
            throw invalidResponse(Self.describe(error, body: response.body), response)
        } catch {
            throw invalidResponse("the response could not be decoded", response)
        }
    }

    func invalidResponse(_ reason: String, _ response: HTTPResponse) -> ProviderError {
        ProviderError(
            .invalidResponse, "\(apiName) response from \(url.host ?? "server") \(reason)",
            httpStatus: response.status)
    }

    private func providerError(for error: TransportError) -> ProviderError {
        let host = url.host ?? "server"
        switch error {
        case .cancelled:
            return ProviderError(.cancelled, "request to \(host) cancelled")
        case .timedOut:
            return ProviderError(.timeout, "request to \(host) timed out")
        case .tooLarge(let limit):
            return ProviderError(
                .invalidResponse, "response from \(host) larger than \(ByteCountText.describe(limit)); refused")
        case .connection(let reason):
            return ProviderError(.connection, "\(url.scheme ?? "http")://\(host)\(portText): \(reason)")
        case .tls(let reason):
            return ProviderError(.tls, "\(url.scheme ?? "https")://\(host)\(portText): \(reason)")
        }
    }

    private var portText: String { url.port.map { ":\($0)" } ?? "" }

    private func providerError(for response: HTTPResponse) -> ProviderError {
        let status = response.status
        let host = url.host ?? "server"
        let detail = scrub(ServerErrorText.extract(from: response.body, contentType: response.header("Content-Type")))
        let explained = detail.isEmpty ? "" : ": \(detail)"
        switch status {
        case 429:
            let retryAfter = RetryAfter.of(response)
            let hint = retryAfter.map { "; retry after \(RetryAfter.describe($0))" } ?? ""
            return ProviderError(
                .rateLimited, "\(host) rate limited the request\(explained)\(hint)", httpStatus: status,
                retryAfter: retryAfter)
        case 500...599, 408, 409:
            // 503 and 529 often say when to come back; the engine's backoff honours it.
            // 408 (the server gave up waiting) and 409 (a lock timed out) are transient
            // too: both APIs' official SDKs retry them.
            let retryAfter = RetryAfter.of(response)
            return ProviderError(
                .server, "\(host) failed with HTTP \(status)\(explained)", httpStatus: status, retryAfter: retryAfter)
        case 401, 403:
            let check =
                apiKeyEnv.map { "check that \($0) holds a valid key for provider '\(providerName)'" }
                ?? "provider '\(providerName)' sends no key; set api_key_env"
            return ProviderError(
                .client, "\(host) refused the credentials (HTTP \(status))\(explained); \(check)", httpStatus: status)
        case 404:
            return ProviderError(
                .client, "\(host) answered 404 for \(url.path)\(explained); check base_url and model",
                httpStatus: status
            )
        case 400...499:
            let fix = UnsupportedParameter.fix(in: response.body, provider: providerName).map { "; \($0)" } ?? ""
            return ProviderError(
                .client, "\(host) rejected the request (HTTP \(status))\(explained)\(fix)", httpStatus: status)
        case 300...399:
            let destination = response.header("Location").flatMap(Self.withoutQuery) ?? "another address"
            return ProviderError(
                .client,
                "\(host) redirected (HTTP \(status)) to \(destination); pflow does not follow redirects, "
                    + "so the key never leaves the configured host: set base_url to the final address",
                httpStatus: status)
        default:
            return ProviderError(
                .invalidResponse, "\(host) answered with unexpected HTTP \(status)\(explained)", httpStatus: status)
        }
    }

    /// Servers sometimes quote the credentials they were sent; never pass that on.
    private func scrub(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }

    private static func join(_ basePath: String, _ path: String) -> String {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        // A base_url that already ends in /v1 must not become /v1/v1/messages.
        if path.hasPrefix("/v1/") && base.hasSuffix("/v1") { base.removeLast(3) }
        return base + path
    }

    /// A redirect target without its query string, which may carry tokens.
    private static func withoutQuery(_ location: String) -> String? {
        guard var components = URLComponents(string: location) else { return nil }
        components.query = nil
        components.fragment = nil
        components.user = nil
        components.password = nil
        return components.string
    }

    private static func looksSecret(_ headerName: String) -> Bool {
        let name = headerName.lowercased()
        return ["key", "auth", "token", "secret", "cookie"].contains { name.contains($0) }
    }

    private static func describe(_ error: DecodingError, body: Data) -> String {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let start = String(decoding: body.prefix(80), as: UTF8.self)
            return "is not valid JSON (starts with \"\(ServerErrorText.clean(start, limit: 60))\")"
        case .keyNotFound(let key, let context):
            return "has no '\(path(context.codingPath + [key]))'"
        case .valueNotFound(_, let context):
            return "has null for '\(path(context.codingPath))'"
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            return "has an unexpected type at '\(path(context.codingPath))'"
        @unknown default:
            return "has an unexpected shape"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }
}

/// Human sizes for limits in messages ("16 MiB").
enum ByteCountText {
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
