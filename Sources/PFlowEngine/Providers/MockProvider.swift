import PFlowSpec

/// The built-in offline provider: deterministic text derived from the prompt, with
/// configurable latency, jitter, failure rate and timeout rate.
///
/// Every example workflow uses it, so `make demo` needs no key and no network, and
/// `--mock` rehearses any workflow. Randomness is keyed on (seed, step id, attempt), so
/// the same run fails the same attempts every time. At zero latency it does no sleeping
/// at all: the benchmarks use it to measure the engine's own overhead.
public struct MockProvider: LLMProvider {
    public let name: String
    public let settings: ProviderSpec.MockSettings
    private let clock: RunClock
    /// Shared by every copy: the limits hold across all the provider's requests.
    private let serverLimiter: MockServerLimiter?

    public init(name: String, settings: ProviderSpec.MockSettings, clock: RunClock = .continuous) {
        self.name = name
        self.settings = settings
        self.clock = clock
        serverLimiter = MockServerLimiter(settings.serverLimits, clock: clock)
    }

    public func complete(_ request: CompletionRequest) async throws(ProviderError) -> CompletionResponse {
        var random = SplitMix64(
            seed: stableHash("\(request.stepID)#\(request.attempt)", seed: settings.seed ^ 0xCBF2_9CE4_8422_2325))
        let failureDraw = random.nextUnit()
        let timeoutDraw = random.nextUnit()
        let jitterDraw = random.nextUnit()

        // Counted as pflow-mock-server counts it: about four bytes a token, plus the most
        // the answer may use.
        let inputCharacters = request.prompt.utf8.count + (request.system?.utf8.count ?? 0)
        var rateLimit: RateLimitStatus?
        if let serverLimiter {
            let tokens = Self.tokens(forCharacters: inputCharacters) + request.maxTokens
            switch serverLimiter.admit(model: request.model, tokens: tokens, provider: name) {
            case .success(let status): rateLimit = status
            case .failure(let refusal): throw refusal
            }
        }
        if timeoutDraw < settings.timeoutRate {
            // Hang like a stalled server until the engine's deadline cancels us.
            while true {
                do { try await clock.sleep(for: .seconds(3600)) } catch { throw Self.cancelled }
            }
        }
        let latency = settings.latency + .milliseconds(Int64((settings.jitter.seconds * 1000 * jitterDraw).rounded()))
        if latency > .zero {
            do { try await clock.sleep(for: latency) } catch { throw Self.cancelled }
        }
        if failureDraw < settings.failureRate {
            throw ProviderError(.server, "mock provider '\(name)': injected failure", httpStatus: 500)
        }
        let text: String
        switch request.answerFormat {
        case .text: text = Self.text(for: request)
        case .json(let schema): text = Self.json(for: request, schema: schema, seed: settings.seed).compactText
        }
        let usage = TokenUsage(
            inputTokens: Self.tokens(forCharacters: inputCharacters),
            outputTokens: Self.tokens(forCharacters: text.utf8.count))
        var response = CompletionResponse(text: text, usage: usage, model: request.model)
        response.rateLimit = rateLimit
        return response
    }

    private static let cancelled = ProviderError(.cancelled, "cancelled")

    /// The text the mock answers `request` with and the output tokens it reports, for
    /// `pflow plan`'s cost model.
    public static func answer(to request: CompletionRequest) -> (text: String, tokens: Int) {
        let text = text(for: request)
        return (text, tokens(forCharacters: text.utf8.count))
    }

    /// Roughly four characters a token, as for English text.
    static func tokens(forCharacters count: Int) -> Int { (count + 3) / 4 }

    /// A short paragraph that names the step, fingerprints the prompt, and quotes its
    /// first words, so a synthesis visibly carries its inputs.
    static func text(for request: CompletionRequest) -> String {
        let fingerprint = String(
            stableHash(request.system.map { $0 + "\n" + request.prompt } ?? request.prompt), radix: 16)
        var words: [Substring] = []
        var rest = request.prompt[...]
        // Only the first words: a synthesis prompt may hold ten thousand sections.
        while words.count < 24, let start = rest.firstIndex(where: { !$0.isWhitespace }) {
            rest = rest[start...]
            let end = rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex
            words.append(rest[..<end])
            rest = rest[end...]
        }
        let opening = words.joined(separator: " ")
        var text = """
            Mock answer for step '\(request.stepID)' (prompt \(fingerprint), model \(request.model)).
            The prompt opened with: "\(opening)". A real model would answer it here; this \
            deterministic text stands in so the workflow can be rehearsed offline.
            """
        let sections = sectionHeadings(in: request.prompt)
        if !sections.isEmpty {
            text += "\nIt drew on: " + sections.joined(separator: ", ") + "."
        }
        return text
    }

    /// The `## id` headings a block's outputs put into a prompt, at most a dozen.
    private static func sectionHeadings(in prompt: String) -> [Substring] {
        var headings: [Substring] = []
        var rest = prompt[...]
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            let line = rest[..<end]
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            guard line.hasPrefix("## ") else { continue }
            if headings.count == 12 {
                headings.append("...")
                break
            }
            headings.append(line.dropFirst(3))
        }
        return headings
    }
}
