import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends requests through FoundationNetworking's URLSession (libcurl), for a provider with
/// `transport: urlsession`: the path pflow started from, kept so it stays available.
///
/// Why not the default: on Linux URLSession runs every transfer and every `cancel()` on
/// one serial queue per session, hands body chunks to the delegate without backpressure,
/// costs about 11 ms of CPU per https request at 100 at once, and trusts only the system
/// CA store (`ca_file` and `SSL_CERT_FILE` are refused with it). docs/performance.md has the
/// figures.
///
/// Why a delegate and not `data(for:)`: FoundationNetworking has no `bytes(for:)`, and
/// `data(for:)` buffers the whole body, so the only way to refuse a 2 GB answer with flat
/// memory is to count bytes as they arrive and cancel past the cap. The same delegate stops
/// redirects, which URLSession on Linux would follow with the key to any host.
final class URLSessionBackend: Sendable {
    /// URLSession keeps a connection pool per session: one session for the process.
    static let shared = URLSessionBackend()

    private let session: URLSession
    private let delegate: TransportDelegate

    private init(maxConnectionsPerHost: Int = 4096) {
        let configuration = URLSessionConfiguration.ephemeral
        // The default is 6, which queued 1,000 concurrent requests for 33.7 s.
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
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
    }

    func send(_ request: URLRequest, maxBytes: Int) async throws(TransportError) -> HTTPResponse {
        let task = session.dataTask(with: request)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Exchange.Outcome, Never>) in
                delegate.register(task.taskIdentifier, Exchange(maxBytes: maxBytes, completion: continuation))
                task.resume()
                // A cancellation that landed before registration found no request to stop.
                if Task.isCancelled { task.cancel() }
            }
        } onCancel: {
            task.cancel()
        }
        return try outcome.get()
    }
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
        if let error { return .failure(transportError(error, host: task.originalRequest?.url?.host ?? "the server")) }
        guard let http = task.response as? HTTPURLResponse else {
            return .failure(.connection("the server sent no HTTP response"))
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name] = value }
        }
        return .success(HTTPResponse(status: http.statusCode, headers: headers, body: exchange.body))
    }
    private static func transportError(_ error: any Error, host: String) -> TransportError {
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
            return .tls("TLS handshake with \(host) failed (URLError \(urlError.code.rawValue))")
        case .badServerResponse: return .connection("the server sent a malformed HTTP response")
        case .httpTooManyRedirects: return .connection("too many redirects")
        default:
            // FoundationNetworking reports most libcurl failures, certificate problems
            // included, as code -1; libcurl's own sentence is the only account of what
            // happened, so pass it on rather than a bare number.
            let reason = (urlError as NSError).userInfo[NSLocalizedDescriptionKey] as? String
            return .connection(
                reason.map { "\($0) (URLError \(urlError.code.rawValue))" } ?? "network error \(urlError.code.rawValue)"
            )
        }
    }
}
