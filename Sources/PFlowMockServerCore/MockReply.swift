import Foundation

/// What the server will do with one API request, decided when the request arrives.
enum MockReply {
    /// A whole response at once.
    case complete(status: Int, contentType: String, body: Data, extraHeaders: [(String, String)])
    /// Headers at once, then the body trickled out over the duration.
    case slow(body: Data, over: Duration)
    /// The status line and headers a few bytes at a time over the duration (slow loris),
    /// then the body, then a close.
    case slowHeaders(body: Data, over: Duration)
    /// Headers and half the body, then silence until the client gives up.
    case stall(body: Data)
    /// Headers and half the body, then a TCP reset.
    case reset(body: Data)
    /// A 200 with a body of this many bytes, streamed with flat memory.
    case huge(bytes: Int)
    /// No answer at all until the client gives up.
    case hang
    /// The request was read; the connection closes with no answer.
    case drop

    var status: Int {
        switch self {
        case .complete(let status, _, _, _): status
        case .slow, .slowHeaders, .stall, .reset, .huge: 200
        case .hang, .drop: 0
        }
    }

    static func json(_ status: Int, _ body: Data, headers: [(String, String)] = []) -> MockReply {
        .complete(status: status, contentType: "application/json", body: body, extraHeaders: headers)
    }
}

/// Everything the server knows about one API request when it decides the reply.
struct MockRequest {
    var api: MockAPI
    var model: String
    var system: String
    var prompt: String
    var body: MockAPIRequest
    var directives: MockDirectives
    var ticket: MockServerState.Ticket
    /// The Host header, so a redirect to this same server is not followed forever.
    var host: String
    /// The credential header's value, only ever used by `echo-auth`.
    var credential: String?
}

extension MockReply {
    /// Applies the prompt's directives, then the global failure rate, in that order; a
    /// `gzip` or `deflate` directive then encodes whatever whole answer that gave.
    static func plan(for request: MockRequest, configuration: MockServerConfiguration) -> MockReply {
        let reply = unencoded(for: request, configuration: configuration)
        guard let encoding = request.directives.encoding,
            case .complete(let status, let contentType, let body, var headers) = reply
        else { return reply }
        headers.append(("Content-Encoding", encoding.rawValue))
        return .complete(status: status, contentType: contentType, body: encoding.encode(body), extraHeaders: headers)
    }

    private static func unencoded(for request: MockRequest, configuration: MockServerConfiguration) -> MockReply {
        let directives = request.directives
        let api = request.api
        if !directives.unknown.isEmpty {
            let list = directives.unknown.joined(separator: ", ")
            return .json(400, MockBodies.plainError("unknown mock directive(s): \(list)"))
        }
        let reasoningModel = api == .openai && configuration.isReasoningModel(request.model)
        let refusal =
            api == .openai
            ? MockReasoning.openAIRefusal(request.body, reasoningModel: reasoningModel)
            : MockReasoning.anthropicRefusal(request.body)
        if let refusal { return .json(400, refusal) }
        if let target = directives.redirect, let location = URL(string: target), !pointsAt(location, host: request.host)
        {
            return .complete(status: 307, contentType: "text/plain", body: Data(), extraHeaders: [("Location", target)])
        }
        if let failFirst = directives.failFirst {
            if request.ticket.attempt <= failFirst { return failure(request, status: directives.status ?? 500) }
        } else if let status = directives.status, status >= 300 {
            return failure(request, status: status)
        }
        if directives.hang { return .hang }
        // An HTML page in place of JSON is what a proxy in front of an API sends when it fails.
        if directives.html { return failure(request, status: 502) }
        if directives.malformed { return .json(200, MockBodies.malformed) }
        if directives.wrongShape { return .json(200, MockBodies.wrongShape) }
        if let bytes = directives.huge { return .huge(bytes: bytes) }
        if configuration.failureRate > 0,
            unitHash(configuration.seed, request.ticket.step, request.ticket.attempt) < configuration.failureRate
        {
            return .json(500, MockBodies.error(api, status: 500, quoting: nil))
        }
        var shape = MockAnswerShape()
        shape.emptyChoices = directives.emptyChoices
        shape.finish = directives.finish ?? .stop
        shape.content = directives.content
        shape.surrogate = directives.surrogate
        shape.cachedTokens = directives.cached
        shape.text = request.ticket.attempt == 1 ? directives.answerFirst ?? directives.answer : directives.answer
        if reasoningModel {
            shape.reasoningTokens = MockReasoning.reasoningTokens(effort: request.body.reasoningEffort)
        }
        shape.thinking = api == .anthropic && request.body.thinking?.type == "enabled"
        let maxTokens = request.body.maxCompletionTokens ?? request.body.maxTokens ?? 800
        let body = MockBodies.success(
            api, model: request.model, system: request.system, prompt: request.prompt, maxTokens: maxTokens,
            seq: request.ticket.seq, shape: shape)
        if directives.reset { return .reset(body: body) }
        if directives.drop { return .drop }
        if directives.stall { return .stall(body: body) }
        if let duration = directives.slowBody { return .slow(body: body, over: duration) }
        if let duration = directives.slowHeaders { return .slowHeaders(body: body, over: duration) }
        return .json(200, body)
    }

    /// The 429 a rate limit answers, with when to come back in seconds (and, as OpenAI
    /// sends it, in milliseconds).
    static func rateLimited(_ request: MockRequest, retryAfter seconds: Double) -> MockReply {
        var headers = [("retry-after", String(Int(seconds.rounded(.up))))]
        if request.api == .openai { headers.append(("retry-after-ms", String(Int((seconds * 1000).rounded(.up))))) }
        return .json(429, MockBodies.error(request.api, status: 429, quoting: nil), headers: headers)
    }

    private static func failure(_ request: MockRequest, status: Int) -> MockReply {
        let directives = request.directives
        var headers = directives.retryAfter.map { [("Retry-After", $0)] } ?? []
        if let milliseconds = directives.retryAfterMilliseconds { headers.append(("retry-after-ms", milliseconds)) }
        if let offset = directives.retryAfterDate {
            headers.append(("Retry-After", httpDate(Date().addingTimeInterval(Double(offset)))))
        }
        if directives.html {
            return .complete(
                status: status, contentType: "text/html", body: MockBodies.html(status: status), extraHeaders: headers)
        }
        let quoted = directives.echoAuth ? request.credential : nil
        return .json(status, MockBodies.error(request.api, status: status, quoting: quoted), headers: headers)
    }

    /// IMF-fixdate, the form RFC 9110 says servers send.
    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    private static func pointsAt(_ url: URL, host: String) -> Bool {
        guard let targetHost = url.host else { return false }
        let target = url.port.map { "\(targetHost):\($0)" } ?? targetHost
        return target.lowercased() == host.lowercased()
    }

    /// A number in 0..<1 fixed by the seed, the step key and the attempt: the same requests
    /// fail on every run, whatever order they arrive in.
    static func unitHash(_ seed: UInt64, _ step: String, _ attempt: Int) -> Double {
        var hash = MockBodies.fnv1a(step) ^ seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(attempt) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 31
        hash = hash &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 29
        return Double(hash >> 11) / Double(1 << 53)
    }
}
