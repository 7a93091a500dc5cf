import Foundation

/// The run as one self-contained HTML page: totals and block policies, a timeline of every
/// attempt, requests in flight, and a table of steps with their answers.
///
/// No network and no dependency: inline CSS and SVG (tooltips are SVG `<title>`s), and two
/// lines of script, one recording any script error on the page (the browser test reads
/// it) and one marking the page rendered. Every piece of text from the run is escaped.
/// A block wider than `aggregateAbove` is drawn as a density band with percentiles, its
/// slowest and unsuccessful branches listed, so 10,000 branches stay a small file.
struct ReportHTML {
    let report: RunReport
    var aggregateAbove = RunReport.aggregateAbove
    /// Answers longer than this are folded; past `answerLimit` characters they are cut.
    var foldAbove = 240
    var answerLimit = 20_000
    /// Branches of an aggregated block listed by name: the slowest, then the failed.
    var slowestListed = RunReport.slowestListed
    var unsuccessfulListed = RunReport.unsuccessfulListed

    private static let labelWidth = 220.0
    private static let chartWidth = 940.0
    private static let rowHeight = 18.0
    private static let bandHeight = 48.0
    private static let buckets = 240

    private var manifest: RunManifest { report.manifest }

    func render() -> String {
        let timeline = ReportTimeline(manifest: manifest, records: report.records)
        let groups = Self.groups(of: timeline.steps)
        let aggregated = Set(
            manifest.blocks.filter { block in
                (groups.first { $0.id == block.id }?.steps.count ?? 0) > aggregateAbove
            }.map(\.id))
        let critical = Set(manifest.criticalPath?.steps ?? [])
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>pflow · \(HTMLText.escape(manifest.workflow.name)) · \(HTMLText.escape(manifest.run))</title>
            <script>window.addEventListener('error',function(e){document.documentElement.setAttribute('data-script-error',String(e.message))});</script>
            <style>\(Self.style)</style>
            </head>
            <body data-run-status="\(manifest.status.rawValue)">

            """
        html += header()
        html += totals(timeline: timeline, critical: critical)
        html += timelineSection(timeline, groups: groups, aggregated: aggregated, critical: critical)
        html += inFlightSection(timeline)
        html += stepsSection(timeline, groups: groups, aggregated: aggregated, critical: critical)
        html += "<script>document.body.setAttribute('data-rendered','yes');</script>\n</body></html>\n"
        return html
    }

    // MARK: - Sections

    private func header() -> String {
        var facts = [
            "run <code>\(HTMLText.escape(manifest.run))</code>",
            "started \(HTMLText.escape(manifest.startedAt))",
            "workflow <code>\(HTMLText.escape(manifest.workflow.path))</code>",
        ]
        if manifest.mock { facts.append("offline mock providers") }
        if let resumes = manifest.resumes, !resumes.isEmpty { facts.append("resumed \(resumes.count)×") }
        return """
            <header><h1>\(HTMLText.escape(manifest.workflow.name)) <span class="badge status-\(manifest.status.rawValue)" id="run-status">\(manifest.status.rawValue)</span></h1>
            <p>\(facts.joined(separator: " · "))</p>
            \(manifest.error.map { "<p class=\"error\" id=\"run-error\">\(HTMLText.escape($0))</p>" } ?? "")
            </header>

            """
    }

    private func totals(timeline: ReportTimeline, critical: Set<String>) -> String {
        let totals = manifest.totals
        let wall = manifest.durationSeconds ?? timeline.length
        var html = "<section id=\"totals\"><h2>Totals</h2><dl class=\"totals\">"
        let facts: [(String, String, String)] = [
            ("wall", "wall time", Self.seconds(wall)),
            ("critical", "critical path", manifest.criticalPath.map { Self.seconds($0.seconds) } ?? "–"),
            ("requests", "requests", "\(totals.requests)"),
            ("tokens", "tokens", "\(totals.inputTokens) in · \(totals.outputTokens) out"),
            ("cost", "est. cost", String(format: "$%.4f", totals.costUSD)),
            ("steps", "steps", Self.statusCounts(totals.statuses)),
        ]
        for (id, name, value) in facts {
            html += "<div id=\"total-\(id)\"><dt>\(name)</dt><dd>\(HTMLText.escape(value))</dd></div>"
        }
        html += "</dl>\n"
        if let path = manifest.criticalPath, !path.steps.isEmpty {
            html += "<p id=\"critical-path\">Critical path <strong>\(Self.seconds(path.seconds))</strong> of "
            html += "\(Self.seconds(wall)) wall: "
            html += path.steps.map { "<span class=\"critical-step\">\(HTMLText.escape($0))</span>" }
                .joined(separator: " → ")
            html += "</p>\n"
        }
        if !manifest.blocks.isEmpty {
            html += """
                <table id="blocks"><thead><tr><th>block</th><th>kind</th><th>status</th><th>policy</th>\
                <th>cancelled</th></tr></thead><tbody>

                """
            for block in manifest.blocks {
                let children = manifest.steps.filter { $0.block == block.id }
                let cancelled = children.count { $0.status == .cancelled }
                let met = block.policyMet
                let policy = block.policyOutcome
                html += """
                    <tr class="block" data-block="\(HTMLText.escape(block.id))" data-policy="\(met ? "met" : "not-met")">\
                    <td>\(HTMLText.escape(block.id))</td><td>\(block.kind.rawValue)</td>\
                    <td><span class="badge status-\(block.status.rawValue)">\(block.status.rawValue)</span></td>\
                    <td class="\(met ? "met" : "not-met")">\(HTMLText.escape(policy))\
                    \(block.error.map { " — " + HTMLText.escape($0) } ?? "")</td>\
                    <td>\(cancelled > 0 ? "\(cancelled) cancelled" : "")</td></tr>

                    """
            }
            html += "</tbody></table>\n"
        }
        return html + "</section>\n"
    }

    private func timelineSection(
        _ timeline: ReportTimeline, groups: [Group], aggregated: Set<String>, critical: Set<String>
    ) -> String {
        var rows = ""
        var y = 24.0
        let scale = Self.chartWidth / timeline.length
        for group in groups {
            if let id = group.id {
                rows += "<text class=\"group\" x=\"4\" y=\"\(Self.number(y + 13))\">\(HTMLText.escape(id))</text>"
                y += Self.rowHeight
            }
            if let id = group.id, aggregated.contains(id) {
                rows += band(group, timeline: timeline, y: y, scale: scale)
                y += Self.bandHeight + 6
                continue
            }
            for step in group.steps {
                rows += row(step, y: y, scale: scale, critical: critical.contains(step.entry.id))
                y += Self.rowHeight
            }
        }
        let height = y + 8
        let width = Self.labelWidth + Self.chartWidth + 16
        var svg = "<svg id=\"timeline-chart\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
        svg += "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\">"
        svg += axis(length: timeline.length, height: height)
        svg += rows + "</svg>"
        var legend = "<p class=\"legend\">"
        for kind in ReportTimeline.SegmentKind.allCases {
            legend += "<span><svg width=\"14\" height=\"10\"><rect class=\"seg seg-\(kind.rawValue)\" width=\"14\" "
            legend += "height=\"10\"/></svg> \(kind.label)</span> "
        }
        legend += "<span><svg width=\"14\" height=\"10\"><rect class=\"seg seg-succeeded on-critical\" width=\"14\" "
        legend += "height=\"10\"/></svg> on the critical path</span></p>"
        return "<section id=\"timeline\"><h2>Timeline</h2>\(legend)<div class=\"scroll\">\(svg)</div></section>\n"
    }

    private func row(_ step: ReportTimeline.Step, y: Double, scale: Double, critical: Bool) -> String {
        let id = HTMLText.escape(step.entry.id)
        let status = step.entry.status.rawValue
        var html = "<g class=\"row\(critical ? " critical" : "")\" data-step=\"\(id)\" data-status=\"\(status)\">"
        html += "<text class=\"label\" x=\"14\" y=\"\(Self.number(y + 13))\">\(critical ? "★ " : "")\(id)</text>"
        for segment in step.segments {
            let x = Self.labelWidth + segment.start * scale
            let width = max(1.5, (segment.end - segment.start) * scale)
            let onPath = critical && segment.kind.isRequest ? " on-critical" : ""
            html += "<rect class=\"seg seg-\(segment.kind.rawValue)\(onPath)\" data-kind=\"\(segment.kind.rawValue)\" "
            html += "data-attempt=\"\(segment.attempt)\" x=\"\(Self.number(x))\" y=\"\(Self.number(y + 3))\" "
            html += "width=\"\(Self.number(width))\" height=\"12\"><title>\(id) attempt \(segment.attempt): "
            html += "\(segment.kind.label), \(Self.seconds(segment.end - segment.start))"
            html += "\(segment.detail.map { " — " + HTMLText.escape($0) } ?? "")</title></rect>"
        }
        if step.segments.isEmpty, let end = step.end ?? step.start {
            // Settled without a request (skipped, cancelled before it started, reused).
            html += "<circle class=\"marker status-\(status)\" cx=\"\(Self.number(Self.labelWidth + end * scale))\" "
            html += "cy=\"\(Self.number(y + 9))\" r=\"4\"><title>\(id): \(status) without a request</title></circle>"
        }
        return html + "</g>"
    }

    /// A wide block as one band: how many of its branches were on the network or waiting,
    /// slice by slice, with the duration percentiles beside it.
    private func band(_ group: Group, timeline: ReportTimeline, y: Double, scale: Double) -> String {
        let buckets = Self.buckets
        let slice = timeline.length / Double(buckets)
        var active = [Int](repeating: 0, count: buckets)
        var waiting = [Int](repeating: 0, count: buckets)
        for step in group.steps {
            for segment in step.segments {
                let first = max(0, min(buckets - 1, Int(segment.start / slice)))
                let last = max(first, min(buckets - 1, Int(segment.end / slice)))
                for bucket in first...last {
                    if segment.kind.isRequest { active[bucket] += 1 } else { waiting[bucket] += 1 }
                }
            }
        }
        let peak = max(1, zip(active, waiting).map { $0 + $1 }.max() ?? 1)
        let unit = Self.bandHeight / Double(peak)
        let id = HTMLText.escape(group.id ?? "")
        var html = "<g class=\"band\" data-block=\"\(id)\" data-branches=\"\(group.steps.count)\">"
        html += "<text class=\"label\" x=\"14\" y=\"\(Self.number(y + 14))\">\(group.steps.count) branches</text>"
        html += "<text class=\"label small\" x=\"14\" y=\"\(Self.number(y + 30))\">peak \(peak) at once</text>"
        for bucket in 0..<buckets where active[bucket] + waiting[bucket] > 0 {
            let x = Self.labelWidth + Double(bucket) * slice * scale
            let width = max(1, slice * scale)
            let activeHeight = Double(active[bucket]) * unit
            let waitingHeight = Double(waiting[bucket]) * unit
            let base = y + Self.bandHeight
            html +=
                "<rect class=\"seg seg-succeeded\" x=\"\(Self.number(x))\" y=\"\(Self.number(base - activeHeight))\" "
            html += "width=\"\(Self.number(width))\" height=\"\(Self.number(activeHeight))\"/>"
            if waiting[bucket] > 0 {
                html += "<rect class=\"seg seg-queued\" x=\"\(Self.number(x))\" "
                html += "y=\"\(Self.number(base - activeHeight - waitingHeight))\" width=\"\(Self.number(width))\" "
                html += "height=\"\(Self.number(waitingHeight))\"/>"
            }
        }
        return html + "</g>"
    }

    private func axis(length: Double, height: Double) -> String {
        let step = Self.tickStep(for: length)
        var html = ""
        var tick = 0.0
        while tick <= length + step / 1000 {
            let x = Self.labelWidth + tick / length * Self.chartWidth
            html += "<line class=\"tick\" x1=\"\(Self.number(x))\" y1=\"16\" x2=\"\(Self.number(x))\" "
            html += "y2=\"\(Self.number(height))\"/><text class=\"tick\" x=\"\(Self.number(x))\" y=\"12\">"
            html += "\(Self.seconds(tick))</text>"
            tick += step
        }
        return html
    }

    private func inFlightSection(_ timeline: ReportTimeline) -> String {
        let series = timeline.inFlight(buckets: Self.buckets)
        let limit = manifest.maxConcurrency
        let providerLimits = manifest.providerMaxConcurrency ?? [:]
        let top = Double(
            max(1, series.flatMap(\.peaks).max() ?? 0, limit ?? 0, providerLimits.values.max() ?? 0))
        let height = 140.0
        let width = Self.labelWidth + Self.chartWidth + 16
        let slice = Self.chartWidth / Double(Self.buckets)
        var svg = "<svg id=\"inflight-chart\" width=\"\(Self.number(width))\" height=\"\(Self.number(height + 20))\">"
        svg += "<text class=\"tick\" x=\"\(Self.number(Self.labelWidth - 6))\" y=\"14\" text-anchor=\"end\">"
        svg += "\(Int(top))</text><text class=\"tick\" x=\"\(Self.number(Self.labelWidth - 6))\" "
        svg += "y=\"\(Self.number(height + 4))\" text-anchor=\"end\">0</text>"
        func yOf(_ value: Double) -> Double { 10 + (height - 10) * (1 - value / top) }
        if let limit {
            svg +=
                "<line class=\"limit\" x1=\"\(Self.number(Self.labelWidth))\" y1=\"\(Self.number(yOf(Double(limit))))\" "
            svg += "x2=\"\(Self.number(Self.labelWidth + Self.chartWidth))\" y2=\"\(Self.number(yOf(Double(limit))))\">"
            svg += "<title>run max_concurrency \(limit)</title></line>"
        }
        var legend = "<p class=\"legend\">"
        for (index, (provider, peaks)) in series.enumerated() {
            var points = ""
            for (bucket, peak) in peaks.enumerated() {
                let x0 = Self.labelWidth + Double(bucket) * slice
                points += "\(Self.number(x0)),\(Self.number(yOf(Double(peak)))) "
                points += "\(Self.number(x0 + slice)),\(Self.number(yOf(Double(peak)))) "
            }
            let name = HTMLText.escape(provider)
            svg += "<polyline class=\"series series-\(index % 6)\" data-provider=\"\(name)\" points=\"\(points)\">"
            svg += "<title>\(name): peak \(peaks.max() ?? 0) in flight</title></polyline>"
            var key = "\(name): peak \(peaks.max() ?? 0)"
            if let providerLimit = providerLimits[provider] {
                key += " of max_concurrency \(providerLimit)"
                svg += "<line class=\"provider-limit series-\(index % 6)\" data-provider=\"\(name)\" "
                svg += "x1=\"\(Self.number(Self.labelWidth))\" y1=\"\(Self.number(yOf(Double(providerLimit))))\" "
                svg += "x2=\"\(Self.number(Self.labelWidth + Self.chartWidth))\" "
                svg += "y2=\"\(Self.number(yOf(Double(providerLimit))))\"><title>\(name) max_concurrency "
                svg += "\(providerLimit)</title></line>"
            }
            legend += "<span class=\"series-key series-\(index % 6)\">\(key)</span> "
        }
        if let limit { legend += "<span class=\"limit-key\">- - run max_concurrency \(limit)</span>" }
        legend += "</p>"
        svg += "</svg>"
        return
            "<section id=\"inflight\"><h2>Requests in flight</h2>\(legend)<div class=\"scroll\">\(svg)</div></section>\n"
    }

    private func stepsSection(
        _ timeline: ReportTimeline, groups: [Group], aggregated: Set<String>, critical: Set<String>
    ) -> String {
        var html = """
            <section id="steps"><h2>Steps</h2><table id="step-table"><thead><tr><th>step</th><th>block</th>\
            <th>status</th><th>time</th><th>attempts</th><th>tokens in/out</th><th>cost</th><th>error</th>\
            <th>answer</th></tr></thead><tbody>

            """
        for group in groups {
            guard let id = group.id, aggregated.contains(id) else {
                for step in group.steps { html += stepRow(step, critical: critical.contains(step.entry.id)) }
                continue
            }
            html += aggregateRows(group, critical: critical)
        }
        return html + "</tbody></table></section>\n"
    }

    private func aggregateRows(_ group: Group, critical: Set<String>) -> String {
        let durations = group.steps.compactMap(\.duration).sorted()
        var summary = "\(group.steps.count) branches"
        if let longest = durations.last {
            let percentiles = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].map { name, fraction in
                "\(name) \(Self.seconds(Self.percentile(durations, fraction)))"
            }
            summary += " · " + (percentiles + ["max \(Self.seconds(longest))"]).joined(separator: " · ")
        }
        var counts: [String: Int] = [:]
        for step in group.steps { counts[step.entry.status.rawValue, default: 0] += 1 }
        summary += " · " + Self.statusCounts(counts)
        let id = HTMLText.escape(group.id ?? "")
        var html = "<tr class=\"aggregate\" data-block=\"\(id)\"><td colspan=\"9\"><strong>\(id)</strong>: "
        html += "\(HTMLText.escape(summary)). Listed: the \(slowestListed) slowest and the unsuccessful.</td></tr>\n"
        let slowest = group.steps.sorted { ($0.duration ?? -1) > ($1.duration ?? -1) }.prefix(slowestListed)
        let unsuccessful = group.steps.filter { $0.entry.status != .succeeded }
        var listed = Set<String>()
        for step in Array(slowest) + unsuccessful.prefix(unsuccessfulListed) where listed.insert(step.entry.id).inserted
        {
            html += stepRow(step, critical: critical.contains(step.entry.id))
        }
        if unsuccessful.count > unsuccessfulListed {
            html += "<tr class=\"aggregate\"><td colspan=\"9\">… and \(unsuccessful.count - unsuccessfulListed) more "
            html += "unsuccessful branches of \(id) (run.json lists every one)</td></tr>\n"
        }
        return html
    }

    private func stepRow(_ step: ReportTimeline.Step, critical: Bool) -> String {
        let entry = step.entry
        let record = report.records[entry.id]
        let id = HTMLText.escape(entry.id)
        var attempts = ""
        for segment in step.segments where segment.kind.isRequest {
            attempts +=
                "<span class=\"attempt attempt-\(segment.kind.rawValue)\" data-kind=\"\(segment.kind.rawValue)\" "
            attempts += "title=\"\(HTMLText.escape(segment.detail ?? segment.kind.label))\">#\(segment.attempt) "
            attempts += "\(segment.kind.rawValue)</span> "
            if let next = step.segments.first(where: { $0.kind == .backoff && $0.attempt == segment.attempt + 1 }) {
                attempts += "<span class=\"attempt attempt-backoff\" data-kind=\"backoff\">wait "
                attempts += "\(Self.seconds(next.end - next.start))</span> "
            }
        }
        var error = ""
        if let failure = record?.error, entry.status != .succeeded {
            error = "<code>\(HTMLText.escape(failure.kind))</code> \(HTMLText.escape(failure.message))"
        } else if let message = entry.error {
            error = HTMLText.escape(message)
        }
        var html = "<tr class=\"step\(critical ? " critical" : "")\" "
        html +=
            "data-step=\"\(id)\" data-status=\"\(entry.status.rawValue)\"\(critical ? " data-critical=\"yes\"" : "")>"
        html += "<td>\(critical ? "★ " : "")\(id)</td><td>\(HTMLText.escape(entry.block ?? ""))</td>"
        html += "<td><span class=\"badge status-\(entry.status.rawValue)\">\(entry.status.rawValue)</span></td>"
        html += "<td>\(step.duration.map(Self.seconds) ?? "")</td><td>\(attempts)</td>"
        html += "<td>\(entry.inputTokens)/\(entry.outputTokens)</td><td>\(String(format: "$%.4f", entry.costUSD))</td>"
        html += "<td class=\"error\">\(error)</td><td class=\"answer\">\(answerCell(entry))</td></tr>\n"
        return html
    }

    private func answerCell(_ entry: RunManifest.StepEntry) -> String {
        let id = entry.id
        guard let answer = report.answer(of: entry) else { return "" }
        var shown = answer
        var cut = ""
        if shown.count > answerLimit {
            shown = String(shown.prefix(answerLimit))
            cut = "\n… \(answer.count - answerLimit) more characters in steps/\(id).md"
        }
        guard answer.count > foldAbove || answer.contains("\n") else {
            return "<span class=\"text\">\(HTMLText.escape(shown))</span>"
        }
        let firstLine = String(answer.prefix { $0 != "\n" }.prefix(120))
        return "<details><summary>\(HTMLText.escape(firstLine))…</summary><pre class=\"text\">"
            + "\(HTMLText.escape(shown + cut))</pre></details>"
    }

    // MARK: - Layout helpers

    /// Steps grouped by the block they belong to, in order of first appearance; top-level
    /// steps form groups without an id.
    struct Group {
        var id: String?
        var steps: [ReportTimeline.Step]
    }

    static func groups(of steps: [ReportTimeline.Step]) -> [Group] {
        var groups: [Group] = []
        var index: [String: Int] = [:]
        for step in steps {
            guard let block = step.entry.block else {
                if let last = groups.last, last.id == nil {
                    groups[groups.count - 1].steps.append(step)
                } else {
                    groups.append(Group(id: nil, steps: [step]))
                }
                continue
            }
            if let position = index[block] {
                groups[position].steps.append(step)
            } else {
                index[block] = groups.count
                groups.append(Group(id: block, steps: [step]))
            }
        }
        return groups
    }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }

    static func statusCounts(_ statuses: [String: Int]) -> String {
        let order = NodeStatus.allCases.map(\.rawValue)
        let parts = order.compactMap { name -> String? in
            guard let count = statuses[name], count > 0 else { return nil }
            return "\(count) \(name)"
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    static func tickStep(for length: Double) -> Double {
        let rough = length / 8
        let magnitude = pow(10, floor(log10(rough)))
        for factor in [1.0, 2, 5, 10] where magnitude * factor >= rough { return magnitude * factor }
        return magnitude * 10
    }

    static func seconds(_ value: Double) -> String {
        if value < 1 { return "\(Int((value * 1000).rounded()))ms" }
        if value < 60 { return String(format: "%.2fs", value) }
        return "\(Int(value) / 60)m\(String(format: "%02d", Int(value) % 60))s"
    }

    /// SVG coordinates to a tenth of a pixel: enough, and short.
    static func number(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0
            ? String(Int(tenths / 10)) : String(format: "%.1f", tenths / 10)
    }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1f23;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
        code{font:12px ui-monospace,monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
        .badge{font-size:12px;padding:2px 8px;border-radius:10px;color:#fff;background:#888;vertical-align:middle}
        .status-succeeded{background:#2e9e4f}.status-failed{background:#d64541}.status-timed_out{background:#e8890c}
        .status-cancelled{background:#7f8c8d}.status-skipped{background:#b8bec5}.status-running,.status-pending{background:#3b7dd8}
        .status-interrupted{background:#8e44ad}
        dl.totals{display:flex;flex-wrap:wrap;gap:12px;margin:0}dl.totals div{border:1px solid #e3e5e8;border-radius:6px;padding:6px 12px}
        dt{font-size:12px;color:#666}dd{margin:0;font-weight:600}
        table{border-collapse:collapse;margin-top:10px;font-size:13px}th,td{border-bottom:1px solid #eceef0;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f7f8f9}.met{color:#1e7b3c}.not-met{color:#b0302c;font-weight:600}
        tr.critical td:first-child{font-weight:700;color:#b35c00}.critical-step{font-weight:600;color:#b35c00}
        td.error{color:#b0302c;max-width:320px}td.answer{max-width:460px}pre.text{white-space:pre-wrap;margin:4px 0;font:12px ui-monospace,monospace}
        .scroll{overflow-x:auto}svg text{font:11px system-ui,sans-serif;fill:#333}text.group{font-weight:700}text.small{fill:#777}
        text.tick{fill:#888;font-size:10px}line.tick{stroke:#eef0f2}
        .seg-succeeded{fill:#2e9e4f}.seg-failed{fill:#d64541}.seg-rate-limited{fill:#8e44ad}.seg-timed-out{fill:#e8890c}
        .seg-cancelled{fill:#95a5a6}.seg-queued{fill:#f6e3a1}.seg-budget-wait{fill:#d5c4ee}.seg-rate-wait{fill:#f4b6d2}.seg-backoff{fill:#cfd6de}
        rect.on-critical{stroke:#b35c00;stroke-width:2}
        circle.marker{fill:#b8bec5}circle.status-cancelled{fill:#95a5a6}circle.status-failed{fill:#d64541}
        .attempt{display:inline-block;font-size:11px;padding:0 5px;border-radius:3px;color:#fff;margin:1px}
        .attempt-succeeded{background:#2e9e4f}.attempt-failed{background:#d64541}.attempt-rate-limited{background:#8e44ad}
        .attempt-timed-out{background:#e8890c}.attempt-cancelled{background:#95a5a6}.attempt-backoff{background:#cfd6de;color:#333}
        .legend span{margin-right:12px;font-size:12px;white-space:nowrap}
        polyline.series{fill:none;stroke-width:1.5}line.limit{stroke:#d64541;stroke-dasharray:5 4}line.provider-limit{stroke-dasharray:2 3;opacity:.8}
        .series-0{stroke:#3b7dd8;color:#3b7dd8}.series-1{stroke:#2e9e4f;color:#2e9e4f}.series-2{stroke:#8e44ad;color:#8e44ad}
        .series-3{stroke:#e8890c;color:#e8890c}.series-4{stroke:#16a085;color:#16a085}.series-5{stroke:#7f8c8d;color:#7f8c8d}
        .limit-key{color:#d64541}p.error{color:#b0302c}
        """
}
