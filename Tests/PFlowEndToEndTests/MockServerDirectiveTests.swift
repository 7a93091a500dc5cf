import Foundation
import PFlowMockServerCore
import Testing

/// The answers that test a client's tolerance: reasoning models' refusals, encodings it
/// did not ask for, odd finishes and contents, a lone surrogate, verbatim retry headers.
/// Checked with curl, which shows the bytes as sent.
@Suite("pflow-mock-server hostile and modern answers")
struct MockServerDirectiveTests {
    @Test func reasoningModelsRefuseMaxTokensAsOpenAIDoes() async throws {
        try await withMockServerProcess { server in
            let answer = try await post(server, chatBody("hi", model: "o3-mini", extra: #","max_tokens":100"#))
            #expect(answer.status == 400)
            let error = try #require(answer.json["error"] as? [String: Any])
            #expect(
                error["message"] as? String
                    == "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
            )
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error["param"] as? String == "max_tokens")
            #expect(error["code"] as? String == "unsupported_parameter")
        }
    }

    @Test(arguments: ["0.2", "0", "2"])
    func reasoningModelsRefuseATemperatureOtherThanOne(_ temperature: String) async throws {
        try await withMockServerProcess { server in
            let answer = try await post(
                server, chatBody("hi", model: "gpt-5", extra: #","temperature":\#(temperature)"#))
            #expect(answer.status == 400)
            let error = try #require(answer.json["error"] as? [String: Any])
            #expect(
                error["message"] as? String
                    == "Unsupported value: 'temperature' does not support \(temperature) with this model. Only the default (1) value is supported."
            )
            #expect(error["param"] as? String == "temperature")
            #expect(error["code"] as? String == "unsupported_value")
        }
    }

    @Test func reasoningModelsAcceptMaxCompletionTokensAndReportReasoningTokens() async throws {
        try await withMockServerProcess { server in
            let extra = #","max_completion_tokens":50,"reasoning_effort":"high","temperature":1"#
            let answer = try await post(server, chatBody("[mock:step=think] hi", model: "o4-mini", extra: extra))
            #expect(answer.status == 200, "\(answer.body)")
            let usage = try #require(answer.json["usage"] as? [String: Any])
            let details = try #require(usage["completion_tokens_details"] as? [String: Any])
            #expect(details["reasoning_tokens"] as? Int == 256)
            #expect((usage["completion_tokens"] as? Int ?? 0) > 256)
            let record = try #require(try await server.log().first)
            #expect(
                record.parameterNames == [
                    "max_completion_tokens", "messages", "model", "reasoning_effort", "temperature",
                ])
        }
    }

    @Test func anUnknownReasoningEffortIsRefusedByName() async throws {
        try await withMockServerProcess { server in
            let answer = try await post(server, chatBody("hi", model: "o1", extra: #","reasoning_effort":"extreme""#))
            #expect(answer.status == 400)
            let error = try #require(answer.json["error"] as? [String: Any])
            #expect(error["param"] as? String == "reasoning_effort")
            #expect((error["message"] as? String)?.contains("'extreme'") == true)
        }
    }

    @Test func otherModelsTakeMaxTokensAndTheFlagChangesWhichModelsReason() async throws {
        try await withMockServerProcess(args: ["--reasoning-models", "thinker*,exact-model"]) { server in
            let expected = ["o3": 200, "gpt-4o": 200, "thinker-2": 400, "exact-model": 400, "exact-model-2": 200]
            for (model, status) in expected {
                let answer = try await post(server, chatBody("hi", model: model, extra: #","max_tokens":100"#))
                #expect(answer.status == status, "\(model)")
            }
        }
    }

    @Test func anthropicThinkingPutsAThinkingBlockBeforeTheText() async throws {
        try await withMockServerProcess { server in
            let body = messagesBody(
                "hi", extra: #","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":2048}"#)
            let answer = try await post(server, body, path: "/v1/messages")
            #expect(answer.status == 200, "\(answer.body)")
            let content = try #require(answer.json["content"] as? [[String: Any]])
            #expect(content.map { $0["type"] as? String } == ["thinking", "text"])
            #expect((content[1]["text"] as? String)?.hasPrefix("Mock answer to") == true)

            let tooSmall = messagesBody(
                "hi", extra: #","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":100}"#)
            let refused = try await post(server, tooSmall, path: "/v1/messages")
            #expect(refused.status == 400)
            #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
        }
    }

    @Test(arguments: ["gzip", "deflate"])
    func encodesTheAnswerWhateverTheRequestAccepted(_ encoding: String) async throws {
        try await withMockServerProcess { server in
            let body = chatBody("[mock:step=packed \(encoding)] hi")
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let rawBody = directory.url.appendingPathComponent("body")
            let raw = try await runCurl([
                "--dump-header", "-", "--output", rawBody.path, "--header", "Accept-Encoding: identity",
                "--data", body, server.baseURL + "/v1/chat/completions",
            ])
            let head = CurlAnswer(raw.stdout)
            #expect(head.status == 200)
            #expect(head.headers["content-encoding"] == encoding)
            // gzip's magic number, or the zlib header HTTP's deflate uses.
            let magic: [UInt8] = encoding == "gzip" ? [0x1f, 0x8b] : [0x78, 0x01]
            #expect(Array(try Data(contentsOf: rawBody).prefix(2)) == magic)

            let decoded = try await post(server, body, options: ["--compressed"])
            #expect(decoded.status == 200)
            #expect((decoded.json["object"] as? String) == "chat.completion", "\(decoded.body)")
            let log = try await server.log()
            #expect(log.map(\.acceptEncoding) == ["identity", "deflate, gzip, br, zstd"])
        }
    }

    @Test func finishLengthIsReportedInEachAPIsWords() async throws {
        try await withMockServerProcess { server in
            let openai = try await post(server, chatBody("[mock:finish=length] hi"))
            let choice = try #require((openai.json["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "length")
            let anthropic = try await post(server, messagesBody("[mock:finish=length] hi"), path: "/v1/messages")
            #expect(anthropic.json["stop_reason"] as? String == "max_tokens")
        }
    }

    @Test func contentEmptyAndPartsReshapeTheSameAnswer() async throws {
        try await withMockServerProcess { server in
            let plain = try await post(server, chatBody("hello there"))
            let text = try #require(message(plain)?["content"] as? String)

            let empty = try await post(server, chatBody("hello there", system: "[mock:content=empty]"))
            #expect(message(empty)?["content"] as? String == "")

            let parts = try await post(server, chatBody("hello there", system: "[mock:content=parts]"))
            let pieces = try #require(message(parts)?["content"] as? [[String: Any]])
            #expect(pieces.count == 2)
            #expect(pieces.allSatisfy { $0["type"] as? String == "text" })
            #expect(pieces.compactMap { $0["text"] as? String }.joined() == text)
        }
    }

    @Test func surrogateSendsALoneSurrogateEscapeInsideTheText() async throws {
        try await withMockServerProcess { server in
            let answer = try await post(server, chatBody("[mock:surrogate] hi"))
            #expect(answer.status == 200)
            #expect(answer.body.contains(#""content":"Mock\ud800 answer"#), "\(answer.body)")
        }
    }

    @Test func retryHeadersAreSentVerbatim() async throws {
        try await withMockServerProcess { server in
            let hour = try await post(server, chatBody("[mock:status=429 retry-after=3600 retry-after-ms=250] hi"))
            #expect(hour.status == 429)
            #expect(hour.headers["retry-after"] == "3600")
            #expect(hour.headers["retry-after-ms"] == "250")
            let huge = try await post(server, chatBody("[mock:status=503 retry-after=1e9] hi"))
            #expect(huge.headers["retry-after"] == "1e9")
        }
    }

    @Test func aBadDirectiveValueIsNamedInTheError() async throws {
        try await withMockServerProcess { server in
            let answer = try await post(server, chatBody("[mock:finish=never content=lots] hi"))
            #expect(answer.status == 400)
            #expect(answer.body.contains("finish=never, content=lots"), "\(answer.body)")
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfterAndSayWhatIsLeft() async throws {
        try await withMockServerProcess(args: ["--rpm", "2"]) { server in
            let first = try await post(server, chatBody("[mock:step=limited] hi"))
            #expect(first.status == 200)
            #expect(first.headers["x-ratelimit-limit-requests"] == "2")
            #expect(first.headers["x-ratelimit-remaining-requests"] == "1")
            #expect(try await post(server, chatBody("[mock:step=limited] hi")).status == 200)
            let refused = try await post(server, chatBody("[mock:step=limited] hi"))
            #expect(refused.status == 429)
            // 30 s for one request at 2 a minute, less what refilled while curl ran.
            let retryAfter = try #require(refused.headers["retry-after"].flatMap { Int($0) })
            #expect((1...30).contains(retryAfter))
            #expect(refused.headers["retry-after-ms"].flatMap { Int($0) }.map { (1...30_000).contains($0) } == true)
            #expect(refused.headers["x-ratelimit-remaining-requests"] == "0")
            #expect(try await post(server, chatBody("hi", model: "other")).status == 200, "limits are per model")
            let anthropic = try await post(server, messagesBody("hi"), path: "/v1/messages")
            #expect(anthropic.headers["anthropic-ratelimit-requests-remaining"] == "1")
            let stats = try await server.stats()
            #expect(stats.rateLimited == 1)
            #expect(stats.byStep["limited"]?.statuses == ["200": 2, "429": 1])
        }
    }

    private func message(_ answer: CurlAnswer) -> [String: Any]? {
        ((answer.json["choices"] as? [[String: Any]])?.first)?["message"] as? [String: Any]
    }

    private func post(
        _ server: MockServerProcess, _ body: String, path: String = "/v1/chat/completions",
        headers: [String] = [], options: [String] = []
    ) async throws -> CurlAnswer {
        var arguments = [
            "--include", "--header", "Content-Type: application/json", "--header", "anthropic-version: 2023-06-01",
        ]
        for header in headers { arguments += ["--header", header] }
        let result = try await runCurl(arguments + options + ["--data", body, server.baseURL + path])
        guard result.exitCode == 0 else { throw HarnessError("curl failed: \(result.stderr)") }
        return CurlAnswer(result.stdout)
    }
}

/// A response as `curl --include` prints it: status line, headers, body.
struct CurlAnswer {
    var status = 0
    /// Lower-cased names; the last value of a repeated header.
    var headers: [String: String] = [:]
    var body = ""

    init(_ output: String) {
        let parts = output.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        body = parts.dropFirst().joined(separator: "\r\n\r\n")
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}
