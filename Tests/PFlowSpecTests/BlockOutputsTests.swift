import Testing

@testable import PFlowSpec

/// `{{ steps.BLOCK.outputs }}` as both the run and the plan's cost model render it.
@Suite struct BlockOutputsTests {
    @Test func branchesUnderHeadingsInOrderWithoutTrailingNewlines() {
        let text = BlockOutputs.render([(id: "a", text: "first\n\n"), (id: "b", text: "second")])
        #expect(text == "## a\n\nfirst\n\n## b\n\nsecond")
        #expect(BlockOutputs.render([]) == "")
    }
}
