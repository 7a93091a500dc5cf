import PFlowEngine
import PFlowSpec
import Synchronization

/// On a terminal: a live status area redrawn at most ten times a second: the counts of
/// steps in flight, waiting for a slot, retrying (after a failed attempt) and done, tokens
/// and dollars so far (against the budget's caps, when the run has one), how many wait out
/// a 429's Retry-After, a progress bar per running parallel block or map (finished/total,
/// failed, retrying, ETA from the observed rate), and the longest-running steps. Steps that
/// do not succeed are also printed above it as permanent lines, so they stay visible after
/// the run. Every line fits the terminal's width.
final class ProgressDisplay: RunObserver {
    static let frameInterval: Duration = .milliseconds(100)
    /// Bars shown at once; more running blocks are counted on one line.
    static let barsShown = 6
    private static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    private struct State {
        /// Steps with a request in flight, and when it started (since run start).
        var running: [String: Duration] = [:]
        /// Steps between a failed attempt and their next one (backoff, Retry-After).
        var retrying: Set<String> = []
        /// Of those, the ones whose provider answered 429: waiting out its Retry-After.
        var rateLimited: Set<String> = []
        /// Steps started and not finished, in flight or not.
        var started = 0
        var counts: [NodeStatus: Int] = [:]
        var usage = TokenUsage()
        var costUSD = 0.0
        var blocks: BlockProgress
        /// Lines to print above the status area at the next frame.
        var pending: [String] = []
        var drawnLines = 0
        var frame = 0
    }

    private let state: Mutex<State>
    /// The run's budget as it stands, once the run exists.
    private let budget = Mutex<(@Sendable () -> RunManifest.BudgetState?)?>(nil)
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let width: Int

    init(width: Int, workflow: Workflow) {
        self.width = max(20, width)
        state = Mutex(State(blocks: BlockProgress(workflow: workflow)))
        start = clock.now
    }

    /// Shows the run's spend against its caps, read from `budget` at every frame: it counts
    /// earlier sessions and unanswered attempts, which this session's events do not.
    func follow(budget: @escaping @Sendable () -> RunManifest.BudgetState?) {
        self.budget.withLock { $0 = budget }
    }

    func runDidExpandMap(_ id: String, branches: [String]) {
        state.withLock { $0.blocks.expand(id, branches: branches) }
    }

    func runDidEmit(_ event: RunEvent) {
        guard let step = event.stepID else { return }
        state.withLock { s in
            switch event.kind {
            case .stepStarted:
                s.started += 1
                s.blocks.started(step, at: event.elapsed)
            case .attemptStarted:
                s.running[step] = event.elapsed
                s.retrying.remove(step)
                s.rateLimited.remove(step)
            case .attemptFinished:
                s.running[step] = nil
                if event.status != .node(.succeeded) { s.retrying.insert(step) }
                if event.errorKind == .rateLimited { s.rateLimited.insert(step) }
                if let usage = event.usage {
                    s.usage.inputTokens += usage.inputTokens
                    s.usage.outputTokens += usage.outputTokens
                }
            case .stepReused:
                s.counts[.succeeded, default: 0] += 1
                s.blocks.finished(step, status: .succeeded)
            case .stepFinished:
                // A step that never started (skipped, cancelled early) has no step_started.
                if event.duration != nil { s.started -= 1 }
                s.running[step] = nil
                s.retrying.remove(step)
                s.rateLimited.remove(step)
                s.costUSD += event.costUSD ?? 0
                guard case .node(let status) = event.status else { break }
                s.counts[status, default: 0] += 1
                s.blocks.finished(step, status: status)
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
        let budget = self.budget.withLock { $0 }?()
        let text = state.withLock { s -> String in
            var text = s.drawnLines > 0 ? "\u{1B}[\(s.drawnLines)A\r\u{1B}[J" : ""
            for line in s.pending { text += clip(line) + "\n" }
            s.pending.removeAll()
            s.drawnLines = 0
            guard statusArea else { return text }
            s.frame += 1
            for line in statusLines(s, elapsed: elapsed, budget: budget) {
                text += clip(line) + "\n"
                s.drawnLines += 1
            }
            return text
        }
        if !text.isEmpty { StandardOutput.write(text) }
    }

    private func statusLines(_ s: State, elapsed: Duration, budget: RunManifest.BudgetState?) -> [String] {
        let spinner = Self.spinner[s.frame % Self.spinner.count]
        let failed = s.counts[.failed, default: 0] + s.counts[.timedOut, default: 0]
        let skipped = s.counts[.skipped, default: 0] + s.counts[.cancelled, default: 0]
        var lines = [
            "\(spinner) \(RunSummaryText.seconds(elapsed))  running \(s.running.count)"
                + "  waiting \(max(0, s.started - s.running.count - s.retrying.count))  retrying \(s.retrying.count)"
                + "  done \(s.counts[.succeeded, default: 0])  failed \(failed)  skipped \(skipped)",
            "  tokens \(s.usage.inputTokens) in, \(s.usage.outputTokens) out"
                + "  est. cost $\(String(format: "%.4f", s.costUSD))"
                + (s.rateLimited.isEmpty ? "" : "  rate-limited \(s.rateLimited.count)"),
        ]
        // What the caps count, earlier sessions included, on a line of its own: it would not
        // fit beside the tokens in 80 columns.
        if let budget { lines.append("  budget \(RunSummaryText.budget(budget))") }
        lines += barLines(s, elapsed: elapsed)
        guard !s.running.isEmpty else { return lines }
        let longest = s.running.sorted { $0.value < $1.value }
        var shown: [String] = []
        var used = 2
        for (step, started) in longest {
            let item = "\(step) \(RunSummaryText.seconds(max(.zero, elapsed - started)))"
            if used + item.count + 3 > width - 12 { break }
            shown.append(item)
            used += item.count + 3
        }
        let more = longest.count - shown.count
        lines.append("  " + shown.joined(separator: " · ") + (more > 0 ? " · +\(more) more" : ""))
        return lines
    }

    /// `  docs  ████████░░░░  157/300  failed 2  retrying 1  ETA 14s`, one per running block.
    private func barLines(_ s: State, elapsed: Duration) -> [String] {
        let running = s.blocks.blocks.filter(\.isRunning)
        guard !running.isEmpty else { return [] }
        var retryingIn: [String: Int] = [:]
        for step in s.retrying {
            if let block = s.blocks.block(of: step) { retryingIn[block, default: 0] += 1 }
        }
        let labelWidth = min(16, running.prefix(Self.barsShown).map(\.id.count).max() ?? 0)
        var lines = running.prefix(Self.barsShown).map { block in
            var counts = "  \(block.finished)/\(block.total)"
            if block.failed > 0 { counts += "  failed \(block.failed)" }
            if let retrying = retryingIn[block.id] { counts += "  retrying \(retrying)" }
            if let eta = block.remaining(at: elapsed) { counts += "  ETA \(RunSummaryText.seconds(eta))" }
            let label = block.id.count > labelWidth ? String(block.id.prefix(labelWidth - 1)) + "…" : block.id
            let barWidth = max(4, min(40, width - 1 - 2 - labelWidth - 2 - counts.count))
            let filled = block.total == 0 ? 0 : barWidth * block.finished / block.total
            return "  " + label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + counts
        }
        if running.count > Self.barsShown { lines.append("  … \(running.count - Self.barsShown) more blocks running") }
        return lines
    }

    /// One terminal row at most: a wrapped line would break the cursor arithmetic.
    private func clip(_ line: String) -> String {
        line.count < width ? line : String(line.prefix(width - 2)) + "…"
    }
}
