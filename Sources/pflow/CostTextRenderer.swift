import Foundation
import PFlowSpec

/// The cost model as `pflow plan` prints it after the plan: what the run would cost,
/// expected and in the worst case, and how long the providers' rate limits hold it.
struct CostTextRenderer {
    let cost: CostModel

    func render() -> String {
        var out = "\nCost" + (cost.runs == 1 ? " of one run" : " of \(cost.runs) runs")
        out += " (expected: one attempt each; worst case: every retry, all of max_tokens)\n"
        let rows = [cost.run] + cost.blocks + cost.steps
        let column = rows.map(\.id.count).max() ?? 0
        for (index, line) in rows.enumerated() {
            if index == 1 || index == 1 + cost.blocks.count { out += "\n" }
            out += "  \(pad(line.id, column))  expected    \(figures(line.expected))\n"
            out += "  \(pad("", column))  worst case  \(figures(line.worstCase))\n"
        }
        if !cost.run.unknownWidths.isEmpty {
            out += "  + the branches of maps of unknown width: \(cost.run.unknownWidths.joined(separator: ", "))\n"
        }
        out += "\nRate limits" + (cost.runs == 1 ? "\n" : " (\(cost.runs) runs)\n")
        for provider in cost.providers { out += "  " + rate(provider) + "\n" }
        return out
    }

    private func figures(_ figures: CostModel.Figures) -> String {
        "\(plural(figures.requests, "request")), \(figures.inputTokens) in + \(figures.outputTokens) out tokens, "
            + (figures.dollars.map { "$" + String(format: "%.4f", $0) } ?? "$ unknown (no price)")
    }

    private func rate(_ provider: CostModel.ProviderRate) -> String {
        var parts: [String] = []
        var limits: [String] = []
        if let rpm = provider.requestsPerMinute { limits.append("\(rpm) requests/min") }
        if let tpm = provider.tokensPerMinute { limits.append("\(tpm) tokens/min") }
        guard let minimum = provider.minimumSeconds else {
            return "provider \(provider.name): no requests_per_minute or tokens_per_minute; "
                + "\(plural(provider.requests, "request")), \(provider.limiterTokens) tokens as a limiter counts them"
        }
        // Zero is the limits' allowance at the start covering every request: say so, since
        // "at least 0ms" reads like a figure that was not computed.
        let wait =
            minimum > 0 ? "take at least " + Duration.text(seconds: minimum) : "fit in the limits at once: no wait"
        parts.append(
            "\(limits.joined(separator: ", ")): \(plural(provider.requests, "request")) "
                + "(\(provider.limiterTokens) tokens as the limiter counts them) " + wait)
        if let useful = provider.usefulConcurrency, let latency = provider.latencySeconds {
            parts.append(
                "useful concurrency about \(String(format: "%.1f", useful)) (the rate × "
                    + "\(Duration.text(seconds: latency)) a request)")
            if let max = provider.maxConcurrency, provider.maxConcurrencyReachable == false {
                parts.append("max_concurrency \(max) is never reached")
            }
        }
        return "provider \(provider.name): " + parts.joined(separator: "; ")
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
