import Testing

@testable import PFlowSpec

/// `budget:` on the workflow and on blocks, `cached_input_per_mtok`, `tokens_per_minute`,
/// and the rule that a dollar cap needs prices.
@Suite struct BudgetSpecTests {
    @Test func budgetsDecodeAtTheTopAndOnBlocks() throws {
        let result = load(
            """
            name: b
            budget: { max_cost: 2.50, max_tokens: 400000 }
            providers:
              gpt:
                kind: mock
                tokens_per_minute: 6000
                price: { input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075 }
            steps:
              - parallel:
                  id: fan
                  repeat: 5
                  budget: { max_cost: 0.5 }
                  step: { prompt: Vote. }
              - map:
                  id: each
                  over: { items: [a, b] }
                  budget: { max_tokens: 1000 }
                  step: { prompt: "{{ item }}" }
            """)
        #expect(result.rendered == [])
        let workflow = try #require(result.workflow)
        #expect(workflow.budget?.maxCost == 2.50 && workflow.budget?.maxTokens == 400_000)
        let gpt = try #require(workflow.provider(named: "gpt"))
        #expect(gpt.tokensPerMinute == 6000)
        #expect(gpt.price == ProviderSpec.Price(inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075))
        guard case .parallel(let fan) = workflow.steps[0], case .map(let each) = workflow.steps[1] else {
            Issue.record("the blocks did not decode")
            return
        }
        #expect(fan.policy.budget?.maxCost == 0.5 && fan.policy.budget?.maxTokens == nil)
        #expect(each.policy.budget?.maxTokens == 1000 && each.policy.budget?.maxCost == nil)
    }

    @Test func aDollarCapWithoutPricesIsAnError() {
        let result = load(
            """
            name: b
            budget: { max_cost: 1 }
            providers:
              priced: { kind: mock, price: { input_per_mtok: 1, output_per_mtok: 2 } }
              free: { kind: mock }
            defaults: { provider: priced }
            steps:
              - id: a
                prompt: A.
              - parallel:
                  id: fan
                  budget: { max_cost: 0.5 }
                  steps:
                    - { id: b, prompt: B., provider: free }
            """)
        #expect(
            result.rendered == [
                "test.yaml:2:9: error: the 'max_cost' of the workflow covers provider 'free' with no 'price'\n    note: give each provider a 'price: { input_per_mtok, output_per_mtok }', or cap tokens with 'max_tokens'",
                "test.yaml:12:15: error: the 'max_cost' of block 'fan' covers provider 'free' with no 'price'\n    note: give each provider a 'price: { input_per_mtok, output_per_mtok }', or cap tokens with 'max_tokens'",
            ])
    }

    @Test func aTokenCapNeedsNoPrice() {
        let result = load(
            """
            name: b
            budget: { max_tokens: 1000 }
            steps:
              - id: a
                prompt: A.
            """)
        #expect(result.rendered == [])
        #expect(result.workflow?.budget?.maxTokens == 1000)
    }

    @Test func anEmptyOrWrongBudgetIsAnError() {
        let result = load(
            """
            name: b
            budget: { max_cost: -1, max_money: 3 }
            steps:
              - parallel:
                  id: fan
                  repeat: 2
                  budget: {}
                  step: { prompt: A. }
            """)
        #expect(
            result.rendered == [
                "test.yaml:2:21: error: 'max_cost' must be 0 or more, found -1",
                "test.yaml:2:25: error: unknown key 'max_money' in 'budget'\n    note: expected one of: max_cost, max_tokens",
                "test.yaml:7:15: error: 'budget' needs 'max_cost', 'max_tokens' or both",
            ])
    }

    @Test func cachedInputIsPricedAtItsOwnRate() {
        let price = ProviderSpec.Price(inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5)
        // 600 uncached at $2, 400 cached at $0.50, 100 out at $8: 1200 + 200 + 800 micro-dollars.
        #expect(price.dollars(inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100) == 0.0022)
        let plain = ProviderSpec.Price(inputPerMTok: 2, outputPerMTok: 8)
        #expect(plain.dollars(inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100) == 0.0028)
    }

    @Test func theInputEstimateOverCountsEnglishText() {
        // 4 bytes a token is what the tokenizers average on English; the estimate allows 3.
        let text = String(repeating: "word ", count: 200)
        let estimate = Budget.estimatedInputTokens(utf8Bytes: text.utf8.count, messages: 1)
        #expect(estimate == 334 + 8)
        #expect(estimate > text.utf8.count / 4)
    }
}
