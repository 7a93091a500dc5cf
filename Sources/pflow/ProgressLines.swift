import PFlowEngine

/// Off a terminal: one line per finished step, as it finishes, for logs and CI.
///
/// `[  1.23s] financials succeeded in 0.61s (2 attempts)`; a step that did not succeed
/// carries its reason.
final class ProgressLines: RunObserver {
    func runDidEmit(_ event: RunEvent) {
        guard event.kind == .stepFinished, let step = event.stepID else { return }
        StandardOutput.write(Self.line(for: event, step: step) + "\n")
    }

    static func line(for event: RunEvent, step: String) -> String {
        var line =
            "[\(RunSummaryText.seconds(event.elapsed).leftPadded(to: 7))] \(step) \(event.status?.name ?? "finished")"
        if let duration = event.duration { line += " in \(RunSummaryText.seconds(duration))" }
        if let error = event.error { line += ": \(error)" }
        return line
    }
}

/// `--json`: every event as one JSON line on stdout, the same lines as events.jsonl.
final class JSONEventPrinter: RunObserver {
    func runDidEmit(_ event: RunEvent) {
        StandardOutput.write(event.jsonLine + "\n")
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
