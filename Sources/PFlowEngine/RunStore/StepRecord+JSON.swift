import PFlowSpec

extension StepRecord {
    /// steps/<id>.json, with the same keys the Codable conformance reads.
    var jsonDocument: String {
        JSONWriter.document { json in
            json.add("id", id)
            json.add("status", status.rawValue)
            json.add("provider", provider)
            json.add("provider_kind", providerKind)
            json.add("model", model)
            json.add("max_tokens", maxTokens)
            json.add("temperature", temperature)
            json.add("timeout_seconds", timeoutSeconds)
            json.add("started_at", startedAt)
            json.add("ended_at", endedAt)
            json.add("duration_seconds", durationSeconds)
            json.add("input_tokens", inputTokens)
            json.add("output_tokens", outputTokens)
            json.add("cost_usd", costUSD)
            json.add("output", output)
            json.add("request_sha256", requestSHA256)
            json.add("repairs", repairs)
            if let value { json.addEncoded("value", value.compactText) }
            if let error { Self.write(error, as: "error", to: &json) }
            json.beginArray("attempts")
            for attempt in attempts {
                json.beginObject()
                json.add("number", attempt.number)
                json.add("span", attempt.span)
                json.add("status", attempt.status.rawValue)
                json.add("delay_before_seconds", attempt.delayBeforeSeconds)
                json.add("budget_wait_seconds", attempt.budgetWaitSeconds)
                json.add("rate_limit_wait_seconds", attempt.rateLimitWaitSeconds)
                json.add("started_at", attempt.startedAt)
                json.add("ended_at", attempt.endedAt)
                json.add("duration_seconds", attempt.durationSeconds)
                json.add("http_status", attempt.httpStatus)
                json.add("input_tokens", attempt.inputTokens)
                json.add("output_tokens", attempt.outputTokens)
                json.add("reasoning_tokens", attempt.reasoningTokens)
                json.add("finish_reason", attempt.finishReason)
                json.add("repair", attempt.repair)
                if let error = attempt.error { Self.write(error, as: "error", to: &json) }
                json.endObject()
            }
            json.endArray()
            json.add("system", system)
            json.add("prompt", prompt)
        }
    }

    private static func write(_ failure: Failure, as key: String, to json: inout JSONWriter) {
        json.beginObject(key)
        json.add("kind", failure.kind)
        json.add("message", failure.message)
        json.add("retryable", failure.retryable)
        json.endObject()
    }
}
