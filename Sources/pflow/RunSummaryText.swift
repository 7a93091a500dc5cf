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
        lines.append("  run           \(relative(summary.directory))")
        if let result = summary.resultPath { lines.append("  result        \(relative(result))") }
        if let reportPath { lines.append("  report        \(relative(reportPath))") }
        return lines.joined(separator: "\n") + "\n"
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
