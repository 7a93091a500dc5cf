import Foundation
import PFlowEngine

/// The lines printed when a run ends: status, wall time, critical path, tokens, cost,
/// and where the run directory and result.md are.
struct RunSummaryText {
    var summary: RunSummary
    /// report.html, when it was written.
    var reportPath: String?
    /// The run's blocks: parallel blocks and maps get a line with their policy outcome.
    var blocks: [RunManifest.BlockEntry] = []
    var workingDirectory: String = FileManager.default.currentDirectoryPath

    func render() -> String {
        var lines: [String] = []
        var headline = "\(summary.status.rawValue) in \(Self.seconds(summary.wallTime))"
        if let error = summary.error, summary.status == .failed { headline += ": \(error)" }
        lines.append(headline)
        var path = "critical path \(Self.seconds(summary.criticalPath))"
        if !summary.criticalPathSteps.isEmpty { path += "  " + Self.chain(summary.criticalPathSteps) }
        lines.append("  " + path)
        let order: [NodeStatus] = [.succeeded, .failed, .timedOut, .skipped, .cancelled]
        let counts = order.compactMap { status -> String? in
            guard let count = summary.statusCounts[status], count > 0 else { return nil }
            return "\(count) \(status.rawValue)"
        }
        lines.append(
            "  steps         " + (counts.isEmpty ? "none" : counts.joined(separator: ", "))
                + "  (\(summary.requests) requests)")
        for (index, block) in blocks.filter({ $0.kind != .sequence }).enumerated() {
            lines.append((index == 0 ? "  blocks        " : "                ") + "\(block.id): \(block.policyOutcome)")
        }
        if let resumed = summary.resumed {
            lines.append(
                "  resumed       \(plural(resumed.reusedSteps, "step")) reused, "
                    + "\(plural(resumed.requests, "request")) this session")
        }
        lines.append(
            "  tokens        \(summary.usage.inputTokens) in, \(summary.usage.outputTokens) out"
                + "  est. cost $\(String(format: "%.4f", summary.costUSD))")
        if let budget = summary.budget { lines.append("  budget        " + Self.budget(budget)) }
        lines.append("  run           \(relative(summary.directory))")
        if let result = summary.resultPath { lines.append("  result        \(relative(result))") }
        if let reportPath { lines.append("  report        \(relative(reportPath))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `$0.0412 of $0.0500 spent, 58000 of 400000 tokens; budget_exceeded: 25 attempts not
    /// sent`. What is spent counts what the cap counts: the reported usage and the worst case
    /// of attempts sent but never answered (`$0.0040 of it unsettled`).
    static func budget(_ budget: RunManifest.BudgetState) -> String {
        var parts: [String] = []
        let unsettledCost = budget.unsettled?.cost ?? 0
        let unsettledTokens = budget.unsettled?.tokens ?? 0
        let spent = "$" + String(format: "%.4f", budget.spentCost + unsettledCost)
        parts.append(budget.maxCost.map { "\(spent) of $\(String(format: "%.4f", $0)) spent" } ?? "\(spent) spent")
        if let maxTokens = budget.maxTokens {
            parts.append("\(budget.spentTokens + unsettledTokens) of \(maxTokens) tokens")
        }
        if unsettledTokens > 0 { parts.append("$\(String(format: "%.4f", unsettledCost)) of it unsettled") }
        var line = parts.joined(separator: ", ")
        if budget.exceeded {
            line +=
                "; budget_exceeded: \(budget.refusedAttempts) attempt\(budget.refusedAttempts == 1 ? "" : "s") not sent"
        }
        return line
    }

    /// `brief → financials → synthesis`, the middle elided when long.
    static func chain(_ steps: [String]) -> String {
        guard steps.count > 6 else { return steps.joined(separator: " → ") }
        return (steps.prefix(3) + ["… \(steps.count - 5) more …"] + steps.suffix(2)).joined(separator: " → ")
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.seconds
        return value < 10
            ? String(format: "%.2fs", value)
            : value < 600
                ? String(format: "%.1fs", value)
                : "\(Int(value) / 60)m\(String(format: "%02d", Int(value) % 60))s"
    }

    private func relative(_ path: String) -> String {
        let prefix = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
