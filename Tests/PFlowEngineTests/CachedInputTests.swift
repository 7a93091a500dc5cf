import Foundation
import PFlowMockServerCore
import PFlowSpec
import Testing

@testable import PFlowEngine

/// Prompt-cache reads as both APIs report them, read into one meaning: part of the input,
/// priced at `cached_input_per_mtok`.
@Suite("Cached input tokens")
struct CachedInputTests {
    private let environment = ["PFLOW_TEST_KEY": testKey]
    private let price = ProviderSpec.Price(inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5)

    /// OpenAI reports cache reads inside `prompt_tokens`, Anthropic beside `input_tokens`:
    /// the same prompt must come out as the same input, of which the same part is cached.
    @Test func bothAPIsReportTheSameCachedInput() async throws {
        try await withMockServer { server in
            let openAI = try OpenAIProvider(
                spec: providerSpec(.openai, baseURL: server.baseURL + "/v1"), environment: environment)
            let anthropic = try AnthropicProvider(
                spec: providerSpec(.anthropic, baseURL: server.baseURL), environment: environment)
            let request = completionRequest("[mock:cached=4] Summarise the filing.")
            let fromOpenAI = try await openAI.complete(request).usage
            let fromAnthropic = try await anthropic.complete(request).usage
            #expect(fromOpenAI.cachedInputTokens == 4 && fromAnthropic.cachedInputTokens == 4)
            #expect(fromOpenAI.inputTokens == fromAnthropic.inputTokens)
            #expect(fromOpenAI.inputTokens > 4)
            let uncached = try await openAI.complete(completionRequest("Summarise the filing.")).usage
            #expect(uncached.cachedInputTokens == nil)
            let full = TokenUsage(inputTokens: fromOpenAI.inputTokens, outputTokens: fromOpenAI.outputTokens)
            #expect(fromOpenAI.dollars(at: price) < full.dollars(at: price))
        }
    }

    @Test func cachedTokensArePricedAtTheirRate() {
        let usage = TokenUsage(inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400)
        #expect(usage.dollars(at: price) == 0.0022)
        #expect(usage.dollars(at: nil) == 0)
        #expect((usage + TokenUsage(inputTokens: 10)).cachedInputTokens == 400)
        #expect((TokenUsage(inputTokens: 1) + TokenUsage(inputTokens: 2)).cachedInputTokens == nil)
    }
}
