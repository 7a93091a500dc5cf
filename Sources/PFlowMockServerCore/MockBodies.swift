import Foundation

/// The two wire formats the mock server speaks.
enum MockAPI: String, Sendable {
    case openai
    case anthropic
}

/// Builds response bodies that look like the real APIs' — successes and failures.
enum MockBodies {
    static func success(
        _ api: MockAPI, model: String, system: String, prompt: String, maxTokens: Int, seq: Int, emptyChoices: Bool
    ) -> Data {
        let text = answer(to: prompt, maxTokens: maxTokens)
        let inputTokens = tokens(system) + tokens(prompt)
        let outputTokens = tokens(text)
        let quotedText = jsonString(text)
        let quotedModel = jsonString(model)
        // Built as text: this is the hot path, and JSONSerialization's `Any` casts dominate it.
        let body: String
        switch api {
        case .openai:
            let choices =
                emptyChoices
                ? "[]"
                : #"[{"index":0,"message":{"role":"assistant","content":\#(quotedText)},"finish_reason":"stop"}]"#
            body =
                #"{"id":"chatcmpl-mock-\#(seq)","object":"chat.completion","created":\#(Int(Date().timeIntervalSince1970)),"model":\#(quotedModel),"choices":\#(choices),"usage":{"prompt_tokens":\#(inputTokens),"completion_tokens":\#(outputTokens),"total_tokens":\#(inputTokens + outputTokens)}}"#
        case .anthropic:
            let content = emptyChoices ? "[]" : #"[{"type":"text","text":\#(quotedText)}]"#
            body =
                #"{"id":"msg_mock_\#(seq)","type":"message","role":"assistant","model":\#(quotedModel),"content":\#(content),"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":\#(inputTokens),"output_tokens":\#(outputTokens)}}"#
        }
        return Data(body.utf8)
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
