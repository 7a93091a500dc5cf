import PFlowEngine
import Synchronization

/// On a terminal: a live status area redrawn at most ten times a second, showing the steps
/// with a request in flight, how many more wait (for a slot, a rate limit or a retry),
/// done/failed/skipped counts and the elapsed time. Steps that do not succeed are also
/// printed above it as permanent lines, so they stay visible after the run.
final class ProgressDisplay: RunObserver {
    static let frameInterval: Duration = .milliseconds(100)
    private static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    private struct State {
        /// Steps with a request in flight, and when it started (since run start).
        var running: [String: Duration] = [:]
        /// Steps started and not finished, in flight or not.
        var started = 0
        var counts: [NodeStatus: Int] = [:]
        /// Lines to print above the status area at the next frame.
        var pending: [String] = []
        var drawnLines = 0
        var frame = 0
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let width: Int

    init(width: Int) {
        self.width = max(20, width)
        start = clock.now
    }

    func runDidEmit(_ event: RunEvent) {
        guard let step = event.stepID else { return }
        state.withLock { s in
            switch event.kind {
            case .stepStarted:
                s.started += 1
            case .attemptStarted:
                s.running[step] = event.elapsed
            case .attemptFinished:
                s.running[step] = nil
            case .stepReused:
                s.counts[.succeeded, default: 0] += 1
            case .stepFinished:
                // A step that never started (skipped, cancelled early) has no step_started.
                if event.duration != nil { s.started -= 1 }
                s.running[step] = nil
                guard case .node(let status) = event.status else { break }
                s.counts[status, default: 0] += 1
                if status != .succeeded { s.pending.append(ProgressLines.line(for: event, step: step)) }
            default:
                break
            }
        }
    }

    /// Redraws every frame until the task is cancelled.
    func drawPeriodically() async {
        while !Task.isCancelled {
            draw()
            do { try await Task.sleep(for: Self.frameInterval) } catch { break }
        }
    }

    /// Prints what is pending and removes the status area, leaving the terminal clean for
    /// the summary.
    func finish() {
        draw(statusArea: false)
    }

    private func draw(statusArea: Bool = true) {
        let elapsed = start.duration(to: clock.now)
        let text = state.withLock { s -> String in
            var text = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A\r\u{1B}[J" : ""
            for line in s.pending { text += clip(line) + "\n" }
            s.pending.removeAll()
            s.drawnLines = 0
            guard statusArea else { return text }
            s.frame += 1
            for line in statusLines(s, elapsed: elapsed) {
                text += clip(line) + "\n"
                s.drawnLines += 1
            }
            return text
        }
        if !text.isEmpty { StandardOutput.write(text) }
    }

    private func statusLines(_ s: State, elapsed: Duration) -> [String] {
        let spinner = Self.spinner[s.frame % Self.spinner.count]
        let failed = s.counts[.failed, default: 0] + s.counts[.timedOut, default: 0]
        let skipped = s.counts[.skipped, default: 0] + s.counts[.cancelled, default: 0]
        var lines = [
            "\(spinner) \(RunSummaryText.seconds(elapsed))  running \(s.running.count)"
                + "  waiting \(max(0, s.started - s.running.count))  done \(s.counts[.succeeded, default: 0])"
                + "  failed \(failed)  skipped \(skipped)"
        ]
        guard !s.running.isEmpty else { return lines }
        let longest = s.running.sorted { $0.value < $1.value }
        let since = elapsed
        var shown: [String] = []
        var used = 2
        for (step, started) in longest {
            let item = "\(step) \(RunSummaryText.seconds(max(.zero, since - started)))"
            if used + item.count + 3 > width - 12 { break }
            shown.append(item)
            used += item.count + 3
        }
        let more = longest.count - shown.count
        lines.append("  " + shown.joined(separator: " · ") + (more > 0 ? " · +\(more) more" : ""))
        return lines
    }

    /// One terminal row at most: a wrapped line would break the cursor arithmetic.
    private func clip(_ line: String) -> String {
        line.count < width ? line : String(line.prefix(width - 2)) + "…"
    }
}
