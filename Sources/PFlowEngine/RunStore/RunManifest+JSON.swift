extension RunManifest {
    /// run.json, with the same keys the Codable conformance reads.
    var jsonDocument: String {
        var bytes: [UInt8] = []
        writeDocument(stepElements: steps.map(\.jsonArrayElement)) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// run.json streamed to `write`, with its `steps` array made of entries encoded
    /// beforehand, in order: the journal keeps each step's encoding until that step
    /// changes, so a rewrite during a ten-thousand-step run re-encodes only what changed
    /// since the last one.
    func writeDocument(stepElements: [String], to write: (UnsafeRawBufferPointer) -> Void) {
        JSONWriter.streamDocument(to: write) { json in
            json.add("format", format)
            json.add("run", run)
            json.add("status", status.rawValue)
            json.add("error", error)
            json.beginObject("workflow")
            json.add("name", workflow.name)
            json.add("path", workflow.path)
            json.add("sha256", workflow.sha256)
            json.endObject()
            json.beginObject("inputs")
            for name in inputs.keys.sorted() { json.add(name, inputs[name]) }
            json.endObject()
            if let inputFiles, !inputFiles.isEmpty {
                json.beginArray("input_files")
                for name in inputFiles { json.add(nil, name) }
                json.endArray()
            }
            json.add("started_at", startedAt)
            json.add("ended_at", endedAt)
            json.add("duration_seconds", durationSeconds)
            json.add("mock", mock)
            json.add("max_concurrency", maxConcurrency)
            if let providerMaxConcurrency, !providerMaxConcurrency.isEmpty {
                json.beginObject("provider_max_concurrency")
                for name in providerMaxConcurrency.keys.sorted() { json.add(name, providerMaxConcurrency[name]) }
                json.endObject()
            }
            json.add("result", result)
            if let resumes {
                json.beginArray("resumes")
                for resume in resumes {
                    json.beginObject()
                    json.add("started_at", resume.startedAt)
                    json.add("only_failed", resume.onlyFailed)
                    json.add("forced", resume.forced)
                    json.endObject()
                }
                json.endArray()
            }
            if let criticalPath {
                json.beginObject("critical_path")
                json.add("seconds", criticalPath.seconds)
                json.beginArray("steps")
                for step in criticalPath.steps { json.add(nil, step) }
                json.endArray()
                json.endObject()
            }
            if let budget {
                json.beginObject("budget")
                json.add("max_cost", budget.maxCost)
                json.add("max_tokens", budget.maxTokens)
                json.add("reserved_cost", budget.reservedCost)
                json.add("reserved_tokens", budget.reservedTokens)
                json.add("spent_cost", budget.spentCost)
                json.add("spent_tokens", budget.spentTokens)
                json.add(unsettled: budget.unsettled)
                json.add("refused_attempts", budget.refusedAttempts)
                json.add("exceeded", budget.exceeded)
                if let blocks = budget.blocks {
                    json.beginObject("blocks")
                    for id in blocks.keys.sorted() {
                        guard let block = blocks[id] else { continue }
                        json.beginObject(id)
                        json.add("max_cost", block.maxCost)
                        json.add("max_tokens", block.maxTokens)
                        json.add("spent_cost", block.spentCost)
                        json.add("spent_tokens", block.spentTokens)
                        json.add(unsettled: block.unsettled)
                        json.endObject()
                    }
                    json.endObject()
                }
                json.endObject()
            }
            json.beginObject("totals")
            json.add("steps", totals.steps)
            json.add("requests", totals.requests)
            json.add("input_tokens", totals.inputTokens)
            json.add("output_tokens", totals.outputTokens)
            json.add("cost_usd", totals.costUSD)
            json.beginObject("statuses")
            for name in totals.statuses.keys.sorted() { json.add(name, totals.statuses[name]) }
            json.endObject()
            json.endObject()
            json.beginArray("blocks")
            for block in blocks {
                json.beginObject()
                json.add("id", block.id)
                json.add("kind", block.kind.rawValue)
                json.add("status", block.status.rawValue)
                json.add("branches", block.branches)
                json.add("succeeded", block.succeeded)
                json.add("required", block.required)
                json.add("error", block.error)
                json.endObject()
            }
            json.endArray()
            json.beginArray("steps")
            for element in stepElements {
                json.addEncoded(nil, element)
                json.flushIfLarge()
            }
            json.endArray()
        }
    }
}

extension RunManifest.StepEntry {
    /// This entry as an element of run.json's `steps` array (two levels deep).
    var jsonArrayElement: String {
        JSONWriter.fragment(depth: 2) { json in
            json.add("id", id)
            json.add("block", block)
            json.add("status", status.rawValue)
            json.add("provider", provider)
            json.add("model", model)
            json.add("attempts", attempts)
            json.add("input_tokens", inputTokens)
            json.add("output_tokens", outputTokens)
            json.add("cost_usd", costUSD)
            json.add("started_at", startedAt)
            json.add("ended_at", endedAt)
            json.add("duration_seconds", durationSeconds)
            json.add("error", error)
        }
    }
}

extension JSONWriter {
    fileprivate mutating func add(unsettled: RunManifest.SpendFigure?) {
        guard let unsettled else { return }
        beginObject("unsettled")
        add("cost", unsettled.cost)
        add("tokens", unsettled.tokens)
        endObject()
    }
}
