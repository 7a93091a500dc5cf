import Foundation

/// The two wire formats the mock server speaks.
enum MockAPI: String, Sendable {
    case openai
    case anthropic
}

/// How a successful answer is shaped: the prompt's directives and what the request asked.
struct MockAnswerShape {
    var emptyChoices = false
    var finish = MockFinish.stop
    var content: MockContentShape?
    var surrogate = false
    /// For OpenAI reasoning models: the reasoning tokens the usage reports.
    var reasoningTokens: Int?
    /// Anthropic extended thinking: a `thinking` block before the text.
    var thinking = false
    /// Input tokens reported as prompt-cache reads (at most the whole input).
    var cachedTokens: Int?
    /// The answer text as the prompt dictated it, in place of the generated one.
    var text: String?
}

/// Builds response bodies that look like the real APIs' — successes and failures.
enum MockBodies {
    static func success(
        _ api: MockAPI, model: String, system: String, prompt: String, maxTokens: Int, seq: Int, shape: MockAnswerShape
    ) -> Data {
        let text = shape.content == .empty ? "" : shape.text ?? answer(to: prompt, maxTokens: maxTokens)
        let inputTokens = tokens(system) + tokens(prompt)
        let cachedTokens = shape.cachedTokens.map { min(max($0, 0), inputTokens) }
        let texts = shape.content == .parts ? halves(text) : [text]
        let quotedTexts = texts.map { shape.surrogate ? withLoneSurrogate(jsonString($0)) : jsonString($0) }
        let quotedModel = jsonString(model)
        // Built as text: this is the hot path, and JSONSerialization's `Any` casts dominate it.
        // It is also the only way to send a lone surrogate, which no JSON encoder writes.
        let body: String
        switch api {
        case .openai:
            let outputTokens = tokens(text) + (shape.reasoningTokens ?? 0)
            let content =
                shape.content == .parts
                ? "[" + quotedTexts.map { #"{"type":"text","text":\#($0)}"# }.joined(separator: ",") + "]"
                : quotedTexts[0]
            let finish = shape.finish == .length ? "length" : "stop"
            let choices =
                shape.emptyChoices
                ? "[]"
                : #"[{"index":0,"message":{"role":"assistant","content":\#(content)},"finish_reason":"\#(finish)"}]"#
            // OpenAI counts reasoning tokens inside completion_tokens and itemises them.
            // Cached tokens are part of prompt_tokens, itemised beside it.
            let details =
                (shape.reasoningTokens.map { #","completion_tokens_details":{"reasoning_tokens":\#($0)}"# } ?? "")
                + (cachedTokens.map { #","prompt_tokens_details":{"cached_tokens":\#($0)}"# } ?? "")
            body =
                #"{"id":"chatcmpl-mock-\#(seq)","object":"chat.completion","created":\#(Int(Date().timeIntervalSince1970)),"model":\#(quotedModel),"choices":\#(choices),"usage":{"prompt_tokens":\#(inputTokens),"completion_tokens":\#(outputTokens),"total_tokens":\#(inputTokens + outputTokens)\#(details)}}"#
        case .anthropic:
            var blocks = quotedTexts.map { #"{"type":"text","text":\#($0)}"# }
            var outputTokens = tokens(text)
            if shape.thinking {
                let thinking = "Mock thinking about the prompt before answering it."
                outputTokens += tokens(thinking)
                blocks.insert(
                    #"{"type":"thinking","thinking":\#(jsonString(thinking)),"signature":"mock-signature-\#(seq)"}"#,
                    at: 0)
            }
            let content = shape.emptyChoices ? "[]" : "[" + blocks.joined(separator: ",") + "]"
            let stopReason = shape.finish == .length ? "max_tokens" : "end_turn"
            // Anthropic counts cache reads beside input_tokens, not inside them.
            let cacheRead = cachedTokens.map { #","cache_read_input_tokens":\#($0)"# } ?? ""
            body =
                #"{"id":"msg_mock_\#(seq)","type":"message","role":"assistant","model":\#(quotedModel),"content":\#(content),"stop_reason":"\#(stopReason)","stop_sequence":null,"usage":{"input_tokens":\#(inputTokens - (cachedTokens ?? 0)),"output_tokens":\#(outputTokens)\#(cacheRead)}}"#
        }
        return Data(body.utf8)
    }

    /// The text in two pieces that join back to it.
    private static func halves(_ text: String) -> [String] {
        let middle = text.index(text.startIndex, offsetBy: text.count / 2)
        return [String(text[..<middle]), String(text[middle...])]
    }

    /// A quoted JSON string with `\ud800` after its first word (or alone): valid JSON
    /// syntax, but no Unicode text, which a strict decoder must refuse or replace.
    private static func withLoneSurrogate(_ quoted: String) -> String {
        let at = quoted.firstIndex(of: " ") ?? quoted.index(before: quoted.endIndex)
        return String(quoted[..<at]) + #"\ud800"# + String(quoted[at...])
    }

    /// A JSON string literal, quotes included.
    static func jsonString(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The error bodies each API documents, with the `type` it uses for that status.
    static func error(_ api: MockAPI, status: Int, quoting credential: String?) -> Data {
        var message = errorMessage(status)
        if let credential { message += " Received: \(credential)" }
        switch api {
        case .openai:
            let code: Any = status == 401 ? "invalid_api_key" : NSNull()
            return json([
                "error": ["message": message, "type": openAIErrorType(status), "param": NSNull(), "code": code]
            ])
        case .anthropic:
            return json(["type": "error", "error": ["type": anthropicErrorType(status), "message": message]])
        }
    }

    static func plainError(_ message: String) -> Data {
        json(["error": ["message": message, "type": "invalid_request_error"]])
    }

    /// OpenAI's 400 for a parameter it refuses, with the `param` and `code` it names.
    static func openAIInvalidRequest(_ message: String, param: String, code: String) -> Data {
        json(["error": ["message": message, "type": "invalid_request_error", "param": param, "code": code]])
    }

    /// Anthropic's 400 for a request it refuses.
    static func anthropicInvalidRequest(_ message: String) -> Data {
        json(["type": "error", "error": ["type": "invalid_request_error", "message": message]])
    }

    static func html(status: Int) -> Data {
        let title = "\(status) \(reason(status))"
        return Data(
            """
            <!DOCTYPE html>
            <html>
            <head><title>\(title)</title></head>
            <body>
            <center><h1>\(title)</h1></center>
            <hr><center>nginx</center>
            </body>
            </html>

            """.utf8)
    }

    static let malformed = Data(#"{"id": "chatcmpl-mock", "object": "chat.completion", "choices": [{"message": {"#.utf8)
    static let wrongShape = Data(#"{"result": "ok", "data": [1, 2, 3]}"#.utf8)

    /// A body of exactly `size` bytes that starts like a completion; only its size matters.
    static func hugePrefix() -> Data {
        Data(
            #"{"id":"chatcmpl-mock-huge","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#
                .utf8)
    }

    /// Deterministic text derived from the prompt, so reruns and retries answer the same.
    static func answer(to prompt: String, maxTokens: Int) -> String {
        var hash = fnv1a(prompt)
        let firstLine = prompt.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let quoted = firstLine.count > 60 ? String(firstLine.prefix(60)) + "…" : firstLine
        let wordCount = min(max(1, maxTokens * 3 / 4), 24 + Int(hash % 40))
        var words: [String] = []
        words.reserveCapacity(wordCount)
        for _ in 0..<wordCount {
            hash = hash &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words.append(vocabulary[Int((hash >> 33) % UInt64(vocabulary.count))])
        }
        return "Mock answer to \"\(quoted)\": " + words.joined(separator: " ") + "."
    }

    static func tokens(_ text: String) -> Int {
        text.isEmpty ? 0 : (text.utf8.count + 3) / 4
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 529: "Overloaded"
        default: "Error"
        }
    }

    private static func errorMessage(_ status: Int) -> String {
        switch status {
        case 400: "Invalid request."
        case 401: "Incorrect API key provided."
        case 403: "You do not have access to this resource."
        case 404: "The model does not exist or you do not have access to it."
        case 429: "Rate limit reached for requests."
        case 503, 529: "The server is overloaded. Please try again later."
        case 500...599: "The server had an error while processing your request."
        default: "Mock error \(status)."
        }
    }

    private static func openAIErrorType(_ status: Int) -> String {
        switch status {
        case 401: "invalid_request_error"
        case 429: "requests"
        case 500...599: "server_error"
        default: "invalid_request_error"
        }
    }

    private static func anthropicErrorType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 529, 503: "overloaded_error"
        case 500...599: "api_error"
        default: "invalid_request_error"
        }
    }

    private static let vocabulary = [
        "revenue", "margin", "growth", "risk", "patent", "market", "team", "signal", "trend", "capital",
        "supply", "demand", "pricing", "churn", "moat", "cash", "debt", "customer", "segment", "forecast",
        "product", "latency", "quality", "evidence", "scenario", "upside", "downside", "cost", "scale", "hiring",
        "regulation", "filing",
    ]

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
    }
}
