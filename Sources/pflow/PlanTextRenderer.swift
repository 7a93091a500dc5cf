import PFlowSpec

/// The plan as `pflow plan` prints it for a person: one section per question a user asks
/// before spending money on a run.
struct PlanTextRenderer {
    let plan: Plan
    /// Why some maps could not be counted.
    let notes: [String]

    func render() -> String {
        var out = "\(plan.name)  (\(plan.file))\n\n"
        out += "Levels (steps in a level can start together)\n"
        let widths = plan.levels.map { "width \($0.width)" }
        let column = widths.map(\.count).max() ?? 0
        for (level, width) in zip(plan.levels, widths) {
            var line = "  \(pad(String(level.index), to: String(plan.levels.count).count))  "
            line += pad(width, to: column) + "  " + entries(level.steps)
            if let parallelism = level.parallelism, !level.width.isExact || parallelism < level.width.known {
                line += "  [at most \(parallelism) at once]"
            }
            out += line + "\n"
        }

        out += "\n"
        out += field("Critical path", path(plan.criticalPathByTime))
        if plan.criticalPathByRequests.steps != plan.criticalPathByTime.steps
            && plan.criticalPathByRequests.requests > plan.criticalPathByTime.requests
        {
            out += field("Longest chain", path(plan.criticalPathByRequests))
        }
        out += field("Requests", requests())
        out += field("Peak parallelism", peak())
        out += "\nLimits\n"
        for line in limits() { out += "  \(line)\n" }
        if !notes.isEmpty {
            out += "\n"
            for note in notes { out += "note: \(TerminalText.sanitized(note))\n" }
        }
        return out
    }

    /// Steps of a level; repeat branches of one block are folded into a range.
    private func entries(_ steps: [Plan.Entry]) -> String {
        var parts: [String] = []
        var index = 0
        while index < steps.count {
            let entry = steps[index]
            switch entry.kind {
            case .step:
                parts.append(entry.id)
                index += 1
            case .map:
                parts.append("\(entry.id) (map × \(entry.width))")
                index += 1
            case .reduce:
                parts.append("\(entry.id) (reduce, no request)")
                index += 1
            case .repeatBranch:
                let run = steps[index...].prefix { $0.kind == .repeatBranch && $0.block == entry.block }
                let last = run.last?.id ?? entry.id
                parts.append(run.count == 1 ? entry.id : "\(entry.id) … \(last) (repeat × \(run.count))")
                index += run.count
            }
        }
        return parts.joined(separator: ", ")
    }

    private func path(_ path: Plan.Path) -> String {
        var text = path.steps.joined(separator: " → ") + "\n"
        text += "\(plural(path.requests, "request")) one after another; "
        guard let seconds = path.seconds else {
            return text + "time unknown (no mock latency or timeout for: \(path.unknown.joined(separator: ", ")))"
        }
        if path.boundedByTimeout.isEmpty {
            text += "about \(Duration.text(seconds: seconds)) (mock latency)"
        } else {
            text +=
                "at most \(Duration.text(seconds: seconds)) (timeouts stand in for: "
                + path.boundedByTimeout.joined(separator: ", ") + ")"
        }
        if !path.unknown.isEmpty {
            text += "; no estimate for: " + path.unknown.joined(separator: ", ")
        }
        return text
    }

    private func requests() -> String {
        var text = "\(plan.requests.expected) expected, \(plan.requests.worstCase) in the worst case (every retry used)"
        let dynamic = plan.requests.expected.dynamicMaps
        if !dynamic.isEmpty {
            text += "\n+ one request per item of: " + dynamic.joined(separator: ", ")
        }
        return text
    }

    private func peak() -> String {
        guard let peak = plan.peakParallelism else {
            return "unbounded: a map of unknown width has no max_concurrency"
        }
        return "\(peak)"
    }

    private func limits() -> [String] {
        var lines: [String] = []
        var run: [String] = []
        if let max = plan.limits.maxConcurrency { run.append("max_concurrency \(max)") }
        if let timeout = plan.limits.timeoutSeconds { run.append("timeout \(Duration.text(seconds: timeout))") }
        lines.append("run: " + (run.isEmpty ? "no limit" : run.joined(separator: ", ")))
        for provider in plan.limits.providers {
            var parts: [String] = []
            if let max = provider.maxConcurrency { parts.append("max_concurrency \(max)") }
            if let rpm = provider.requestsPerMinute { parts.append("\(rpm) requests/min") }
            if let tpm = provider.tokensPerMinute { parts.append("\(tpm) tokens/min") }
            lines.append(
                "provider \(provider.name) (\(provider.kind)): "
                    + (parts.isEmpty ? "no limit" : parts.joined(separator: ", ")))
        }
        for block in plan.limits.blocks {
            var parts = ["min_success \(block.minSuccess)", "stragglers \(block.stragglers)"]
            if let max = block.maxConcurrency { parts.append("max_concurrency \(max)") }
            if let timeout = block.timeoutSeconds { parts.append("timeout \(Duration.text(seconds: timeout))") }
            lines.append("\(block.id): " + parts.joined(separator: ", "))
        }
        return lines
    }

    /// A label and its value; continuation lines of the value line up under the first.
    private func field(_ label: String, _ value: String) -> String {
        let width = 18
        let indent = String(repeating: " ", count: width)
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.enumerated().map { index, line in
            (index == 0 ? pad(label, to: width) : indent) + line
        }.joined(separator: "\n") + "\n"
    }

    private func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

extension Duration {
    /// `300ms`, `1.5s`, `2m30s`, `1h5m`: the units the workflow file uses.
    static func text(seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if seconds < 59.95 {
            let tenths = (seconds * 10).rounded() / 10
            return tenths == tenths.rounded() ? "\(Int(tenths))s" : "\(tenths)s"
        }
        let total = Int(seconds.rounded())
        let hours = total / 3600
        let minutes = total % 3600 / 60
        let rest = total % 60
        if hours > 0 { return minutes > 0 ? "\(hours)h\(minutes)m" : "\(hours)h" }
        return rest > 0 ? "\(minutes)m\(rest)s" : "\(minutes)m"
    }
}
