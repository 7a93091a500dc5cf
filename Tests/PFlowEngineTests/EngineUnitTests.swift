import Foundation
import PFlowSpec
import Testing

@testable import PFlowEngine

@Suite("Engine building blocks")
struct EngineUnitTests {
    @Test(
        "SHA-256 matches known vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test("min_success is met, or impossible, the moment the counts say so")
    func successTracker() {
        var tracker = SuccessTracker(total: 5, policy: .count(3))
        tracker.record(.failed)
        tracker.record(.failed)
        #expect(!tracker.isImpossible && !tracker.isMet)
        tracker.record(.timedOut)
        #expect(tracker.isImpossible)

        var percent = SuccessTracker(total: 10, policy: .percent(90))
        #expect(percent.required == 9)
        for _ in 0..<9 { percent.record(.succeeded) }
        #expect(percent.isMet && !percent.allFinished)
    }

    @Test("the mock is deterministic, quotes the prompt and counts about four characters a token")
    func mockProvider() async throws {
        let provider = MockProvider(name: "mock", settings: .init(seed: 1))
        let request = CompletionRequest(
            model: "m", system: nil, prompt: "Assess Acme Robotics.\n## financials\nfine\n## press\nloud",
            maxTokens: 100, temperature: 0, stepID: "synthesis", attempt: 1)
        let first = try await provider.complete(request)
        let second = try await provider.complete(request)
        #expect(first == second)
        #expect(first.text.contains("'synthesis'"))
        #expect(first.text.contains("Assess Acme Robotics."))
        #expect(first.text.contains("It drew on: financials, press."))
        #expect(first.usage.inputTokens == (request.prompt.utf8.count + 3) / 4)
        #expect(first.usage.outputTokens == (first.text.utf8.count + 3) / 4)
    }

    @Test("the mock's failures are seeded on (seed, step, attempt) and match the rate")
    func mockFailureRate() async {
        let provider = MockProvider(name: "mock", settings: .init(failureRate: 0.3, seed: 42))
        func failures() async -> [Int] {
            var failed: [Int] = []
            for index in 0..<1000 {
                let request = CompletionRequest(
                    model: "m", system: nil, prompt: "p", maxTokens: 1, temperature: 0, stepID: "s\(index)", attempt: 1)
                do { _ = try await provider.complete(request) } catch { failed.append(index) }
            }
            return failed
        }
        let first = await failures()
        #expect(first == (await failures()))
        #expect((200...400).contains(first.count))
    }

    @Test("a mock timeout draw hangs until cancelled")
    func mockTimeoutRate() async {
        let provider = MockProvider(name: "mock", settings: .init(timeoutRate: 1))
        let request = CompletionRequest(
            model: "m", system: nil, prompt: "p", maxTokens: 1, temperature: 0, stepID: "s", attempt: 1)
        let task = Task { try await provider.complete(request) }
        task.cancel()
        let result = await task.result
        #expect(throws: ProviderError.self) { try result.get() }
    }

    @Test("the rate limiter spaces requests once the burst is spent")
    func rateLimiter() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(requestsPerMinute: 6000, clock: RunClock(clock))
        for _ in 0..<100 { try await limiter.acquire() }
        #expect(clock.requestedSleeps.isEmpty)
        // Time stands still: the 101st request waits the one token's 10 ms, no more.
        async let next: Void = limiter.acquire()
        try await clock.pass(.milliseconds(10))
        try await next
        #expect(clock.requestedSleeps == [.milliseconds(10)])
    }

    @Test("JSON lines escape quotes, backslashes and control characters")
    func jsonLine() throws {
        let line = JSONWriter.line { json in
            json.add("a", "q\"b\\n\nt\u{1}")
            json.add("n", 3)
            json.add("x", 0.25)
            json.add("missing", nil as String?)
        }
        #expect(!line.contains("\n"))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["a"] as? String == "q\"b\\n\nt\u{1}")
        #expect(object?["n"] as? Int == 3)
        #expect(object?["x"] as? Double == 0.25)
        #expect(object?.count == 3)
    }

    @Test(
        "Quoting keeps every scalar, even marks that combine with an escaped quote",
        arguments: [
            "\"\u{301}accent on a quote", "a\"\u{301}\u{302}b\\\u{300}", "\n\u{301}", "plain ascii", "",
            "\u{1}\u{1f}\u{7f} ctl", "emoji 👩‍👩‍👧 \"quoted\" 🇫🇷\n", "e\u{301}\t\r\\",
        ])
    func quotingRoundTrips(_ value: String) throws {
        let line = JSONWriter.line { $0.add("v", value) }
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        let decoded = try #require(object?["v"] as? String)
        #expect(Array(decoded.unicodeScalars) == Array(value.unicodeScalars))
    }

    @Test("run.json and steps/<id>.json, written by hand, decode with their Codable keys")
    func handWrittenDocumentsDecode() throws {
        let failure = StepRecord.Failure(kind: "server", message: "boom \"quoted\"", retryable: true)
        let record = StepRecord(
            id: "s", status: .failed, provider: "p", providerKind: "mock", model: "m", system: "sys",
            prompt: "line\nline",
            maxTokens: 5, temperature: 0.2, timeoutSeconds: 1.5,
            attempts: [
                StepRecord.Attempt(
                    number: 1, span: "s#1", status: .failed, delayBeforeSeconds: 0, startedAt: "a", endedAt: "b",
                    durationSeconds: 0.01, httpStatus: 500, error: failure, inputTokens: nil, outputTokens: nil)
            ], inputTokens: 0, outputTokens: 0, costUSD: 0, startedAt: "a", endedAt: "b", durationSeconds: 0.02,
            error: failure, output: nil)
        let decoded = try JSONDecoder().decode(StepRecord.self, from: Data(record.jsonDocument.utf8))
        #expect(decoded.attempts.first?.error == failure)
        #expect(decoded.prompt == "line\nline" && decoded.timeoutSeconds == 1.5 && decoded.error == failure)

        let manifest = RunManifest(
            run: "r", workflow: .init(name: "w", path: "w.yaml", sha256: "00"), inputs: ["k": "v"], status: .failed,
            error: "e", startedAt: "a", mock: true, maxConcurrency: 3,
            steps: [
                .init(id: "s", block: "b", status: .skipped, attempts: 0, inputTokens: 1, outputTokens: 2, costUSD: 0.5)
            ], blocks: [.init(id: "b", kind: .map, status: .failed, branches: 1, succeeded: 0, required: 1)],
            totals: .init(
                steps: 1, statuses: ["skipped": 1], requests: 0, inputTokens: 1, outputTokens: 2, costUSD: 0.5),
            criticalPath: .init(seconds: 1.25, steps: ["s"]))
        let back = try JSONDecoder().decode(RunManifest.self, from: Data(manifest.jsonDocument.utf8))
        #expect(back.steps.first?.status == .skipped && back.steps.first?.costUSD == 0.5)
        #expect(back.blocks.first?.kind == .map && back.inputs == ["k": "v"] && back.mock)
        #expect(back.criticalPath?.steps == ["s"] && back.totals.statuses == ["skipped": 1])
    }

    @Test("UTC timestamps")
    func timestamps() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        #expect(UTCTimestamp.iso8601(date) == "2023-11-14T22:13:20.250Z")
        #expect(UTCTimestamp.compact(date) == "20231114T221320Z")
    }

    /// The civil date is computed by hand; gmtime_r is the reference, across leap days,
    /// century years, the epoch and before it.
    @Test(
        "UTC timestamps agree with gmtime_r",
        arguments: [
            0, -0.001, -86_400, -2_208_988_800.5, 951_782_400, 951_868_799.999, 4_107_542_400, 1_709_164_800.123,
            1_735_689_599.9995, 253_402_300_799.999,
        ])
    func timestampsAgreeWithGmtime(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        // Date keeps its own reference point, so read the interval back from it.
        let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        var whole = time_t((Double(milliseconds) / 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        let expected = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec),
            ((milliseconds % 1000) + 1000) % 1000)
        #expect(UTCTimestamp.iso8601(date) == expected)
    }
}
