import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends one HTTP request and returns the whole response: `http://` over `PlainHTTPClient`
/// (SwiftNIO, warm keep-alive connections), `https://` over the process-wide URLSession.
///
/// Why two clients: URLSession on Linux cannot stop a fast body promptly and costs about
/// 0.8 ms of CPU per request (see `PlainHTTPClient` and docs/performance.md), but it is the
/// only TLS stack available. Local model servers (vLLM, Ollama, llama.cpp) and the mock
/// server speak plain HTTP, and that is where wide fan-outs of short requests happen.
///
/// Why a delegate and not `data(for:)` on the URLSession path: FoundationNetworking has no `bytes(for:)`, and
/// `data(for:)` buffers the whole body, so the only way to refuse a 2 GB answer with flat
/// memory is to count bytes as they arrive and cancel past the cap. The same delegate stops
/// redirects, which URLSession on Linux would follow with the key to any host.
public final class HTTPTransport: Sendable {
    /// The one session of the process: URLSession keeps a connection pool per session, and
    /// the engine's limits, not URLSession's, must decide how many requests run at once.
    public static let shared = HTTPTransport()

    /// 16 MiB: far above any completion, far below what would hurt memory at high concurrency.
    public static let defaultMaxResponseBytes = 16 << 20

    public let maxResponseBytes: Int
    private let session: URLSession
    private let delegate: TransportDelegate
    private let plainHTTP: PlainHTTPClient?

    /// - Parameter urlSessionForPlainHTTP: send `http://` through URLSession too (tests
    ///   compare both paths; pflow itself never sets it).
    public init(
        maxResponseBytes: Int = HTTPTransport.defaultMaxResponseBytes, maxConnectionsPerHost: Int = 4096,
        urlSessionForPlainHTTP: Bool = false
    ) {
        self.plainHTTP = urlSessionForPlainHTTP ? nil : PlainHTTPClient.shared
        let configuration = URLSessionConfiguration.ephemeral
        // The default is 6, which queued 1,000 concurrent requests for 33.7 s (DESIGN.md §7).
        configuration.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        // Whole-second and idle-only on Linux: useless as a deadline, harmful as a default.
        // The engine races each attempt against its own deadline and cancels the Task.
        configuration.timeoutIntervalForRequest = 24 * 60 * 60
        configuration.timeoutIntervalForResource = 24 * 60 * 60
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        let delegate = TransportDelegate()
        self.delegate = delegate
        self.maxResponseBytes = maxResponseBytes
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    /// Performs one attempt; redirects are not followed (see `TransportDelegate`).
    public func send(_ request: URLRequest) async throws(TransportError) -> HTTPResponse {
        if let plainHTTP, let plain = Self.plainRequest(request) {
            return try await plainHTTP.send(plain, maxBytes: maxResponseBytes)
        }
        let task = session.dataTask(with: request)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Exchange.Outcome, Never>) in
                delegate.register(task.taskIdentifier, Exchange(maxBytes: maxResponseBytes, completion: continuation))
                task.resume()
                // A cancellation that landed before registration found no request to stop.
                if Task.isCancelled { task.cancel() }
            }
        } onCancel: {
            task.cancel()
        }
        return try outcome.get()
    }

    private static func plainRequest(_ request: URLRequest) -> PlainHTTPClient.Request? {
        guard let url = request.url, url.scheme?.lowercased() == "http", let host = url.host,
            let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        else { return nil }
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        let headers = (request.allHTTPHeaderFields ?? [:]).map { ($0.key, $0.value) }
        return PlainHTTPClient.Request(
            origin: .init(host: host, port: url.port ?? 80), method: request.httpMethod ?? "GET", target: target,
            headers: headers, body: request.httpBody ?? Data())
    }
}

/// A complete response: the status, the headers pflow reads, and the (capped) body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Header lookup ignoring case, as HTTP requires.
    public func header(_ name: String) -> String? {
        if let exact = headers[name] { return exact }
        let lowered = name.lowercased()
        return headers.first { $0.key.lowercased() == lowered }?.value
    }
}

/// Why no response came back; the providers turn it into a `ProviderError`.
public enum TransportError: Error, Sendable, Equatable {
    case cancelled
    case timedOut
    case tooLarge(limit: Int)
    /// Refused, reset, DNS, TLS; the text describes which.
    case connection(String)
}

/// Per-request state kept by the delegate between callbacks; touched only under its lock.
///
/// A class so the body grows in place: a struct copied out of the dictionary would make
/// every appended chunk copy the whole body. Unchecked because every access holds
/// `TransportDelegate.exchanges`' lock.
private final class Exchange: @unchecked Sendable {
    let maxBytes: Int
    typealias Outcome = Result<HTTPResponse, TransportError>

    let completion: CheckedContinuation<Outcome, Never>
    var body = Data()
    var exceededCap = false

    init(maxBytes: Int, completion: CheckedContinuation<Outcome, Never>) {
        self.maxBytes = maxBytes
        self.completion = completion
    }
}

/// Receives every task's callbacks and routes them to the waiting request by task identifier.
private final class TransportDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let exchanges = Mutex<[Int: Exchange]>([:])

    func register(_ taskID: Int, _ exchange: Exchange) {
        exchanges.withLock { $0[taskID] = exchange }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overflow = exchanges.withLock { all -> Bool in
            guard let exchange = all[dataTask.taskIdentifier], !exchange.exceededCap else { return false }
            guard exchange.body.count + data.count <= exchange.maxBytes else {
                exchange.exceededCap = true
                exchange.body = Data()
                return true
            }
            exchange.body.append(data)
            return false
        }
        if overflow { dataTask.cancel() }
    }

    /// Refuses every redirect. URLSession on Linux would forward the key to any host and
    /// drop the POST body on the way, so following is both unsafe and useless; the caller
    /// reports the 3xx with its destination instead.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let finished = exchanges.withLock { all -> (Exchange.Outcome, CheckedContinuation<Exchange.Outcome, Never>)? in
            guard let exchange = all.removeValue(forKey: task.taskIdentifier) else { return nil }
            return (Self.outcome(of: task, exchange, error), exchange.completion)
        }
        guard let (outcome, completion) = finished else { return }
        completion.resume(returning: outcome)
    }

    private static func outcome(of task: URLSessionTask, _ exchange: Exchange, _ error: (any Error)?)
        -> Exchange.Outcome
    {
        if exchange.exceededCap { return .failure(.tooLarge(limit: exchange.maxBytes)) }
        if let error { return .failure(transportError(error)) }
        guard let http = task.response as? HTTPURLResponse else {
            return .failure(.connection("the server sent no HTTP response"))
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return .success(HTTPResponse(status: http.statusCode, headers: headers, body: exchange.body))
    }
    private static func transportError(_ error: any Error) -> TransportError {
        guard let urlError = error as? URLError else {
            return .connection(String(describing: error))
        }
        switch urlError.code {
        case .cancelled: return .cancelled
        case .timedOut: return .timedOut
        case .cannotConnectToHost: return .connection("connection refused")
        case .cannotFindHost, .dnsLookupFailed: return .connection("host not found")
        case .networkConnectionLost: return .connection("connection lost before the response was complete")
        case .notConnectedToInternet: return .connection("no network")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return .connection("TLS handshake failed")
        case .badServerResponse: return .connection("the server sent a malformed HTTP response")
        case .httpTooManyRedirects: return .connection("too many redirects")
        default: return .connection("network error \(urlError.code.rawValue)")
        }
    }
}
