import Foundation

/// A run as OpenTelemetry traces, encoded as an OTLP `ExportTraceServiceRequest`
/// (protobuf): a span for the run, each block, each step and each attempt, with the GenAI
/// semantic-convention attributes (`gen_ai.*`) and their OpenInference counterparts
/// (`llm.*`, which Arize Phoenix reads). Prompts and answers only when asked for; there is
/// no API key anywhere in a run directory to send.
///
/// Ids are derived from the run id and step ids, so exporting a run twice sends the same
/// spans again rather than a second trace.
public struct OTLPTraces: Sendable {
    enum Value: Sendable, Equatable {
        case string(String)
        case int(Int)
        case double(Double)
    }

    enum Kind: UInt64, Sendable {
        case `internal` = 1
        case client = 3
    }

    struct Span: Sendable {
        var id: [UInt8]
        var parent: [UInt8]?
        var name: String
        var kind: Kind
        /// Nanoseconds since 1970.
        var start: UInt64
        var end: UInt64
        var attributes: [(String, Value)]
        /// nil: ok; otherwise the error's message.
        var failure: String?
    }

    let traceID: [UInt8]
    private(set) var spans: [Span] = []

    public init(report: RunReport, includeContent: Bool) {
        let manifest = report.manifest
        traceID = Self.id("trace|" + manifest.run, bytes: 16)
        let runSpanID = Self.id("run|" + manifest.run)
        func nanoseconds(_ text: String?) -> UInt64? {
            guard let text, let milliseconds = UTCTimestamp.milliseconds(fromISO8601: text), milliseconds >= 0 else {
                return nil
            }
            return UInt64(milliseconds) * 1_000_000
        }
        let runStart = nanoseconds(manifest.startedAt) ?? 0
        var runEnd = nanoseconds(manifest.endedAt) ?? runStart

        var blockSpans: [String: Span] = [:]
        for block in manifest.blocks {
            blockSpans[block.id] = Span(
                id: Self.id("block|" + manifest.run + "|" + block.id), parent: runSpanID,
                name: "\(block.kind) \(block.id)",
                kind: .internal, start: .max, end: 0,
                attributes: [
                    ("openinference.span.kind", .string("CHAIN")), ("pflow.block.id", .string(block.id)),
                    ("pflow.block.kind", .string(block.kind.rawValue)), ("pflow.block.branches", .int(block.branches)),
                    ("pflow.block.succeeded", .int(block.succeeded)), ("pflow.block.required", .int(block.required)),
                    ("pflow.status", .string(block.status.rawValue)),
                ],
                failure: block.status == .succeeded ? nil : (block.error ?? block.status.rawValue))
        }

        var stepSpans: [Span] = []
        for entry in manifest.steps {
            let record = report.records[entry.id]
            guard let start = nanoseconds(entry.startedAt ?? record?.startedAt) else { continue }
            let end = max(start, nanoseconds(entry.endedAt ?? record?.endedAt) ?? start)
            runEnd = max(runEnd, end)
            let stepID = Self.id("step|" + manifest.run + "|" + entry.id)
            var parent = runSpanID
            if let block = entry.block, var span = blockSpans[block] {
                parent = span.id
                span.start = min(span.start, start)
                span.end = max(span.end, end)
                blockSpans[block] = span
            }
            let model = record?.model ?? entry.model ?? ""
            var common: [(String, Value)] = [
                ("gen_ai.operation.name", .string("chat")),
                ("gen_ai.provider.name", .string(record?.providerKind ?? entry.provider ?? "")),
                ("gen_ai.request.model", .string(model)), ("llm.model_name", .string(model)),
                ("llm.provider", .string(record?.providerKind ?? "")), ("pflow.step.id", .string(entry.id)),
                ("pflow.provider", .string(entry.provider ?? "")),
            ]
            if let record {
                common.append(("gen_ai.request.max_tokens", .int(record.maxTokens)))
                // Sent only when the workflow set it, so reported only then.
                if let temperature = record.temperature {
                    common.append(("gen_ai.request.temperature", .double(temperature)))
                }
            }
            var attributes =
                common + [
                    ("openinference.span.kind", .string("CHAIN")), ("pflow.status", .string(entry.status.rawValue)),
                    ("pflow.attempts", .int(entry.attempts)), ("pflow.cost_usd", .double(entry.costUSD)),
                ] + Self.usage(input: entry.inputTokens, output: entry.outputTokens)
            if includeContent {
                if let prompt = record?.prompt { attributes.append(("input.value", .string(prompt))) }
                if let answer = report.answer(of: entry) { attributes.append(("output.value", .string(answer))) }
                if let messages = Self.messages(system: record?.system, prompt: record?.prompt) {
                    attributes.append(("gen_ai.input.messages", .string(messages)))
                }
            }
            stepSpans.append(
                Span(
                    id: stepID, parent: parent, name: "step \(entry.id)", kind: .internal, start: start, end: end,
                    attributes: attributes,
                    failure: entry.status == .succeeded ? nil : (entry.error ?? entry.status.rawValue)))

            for attempt in record?.attempts ?? [] {
                guard let attemptStart = nanoseconds(attempt.startedAt) else { continue }
                var attemptAttributes =
                    common + [
                        ("openinference.span.kind", .string("LLM")), ("pflow.attempt", .int(attempt.number)),
                        ("pflow.status", .string(attempt.status.rawValue)),
                    ] + Self.usage(input: attempt.inputTokens ?? 0, output: attempt.outputTokens ?? 0)
                if let status = attempt.httpStatus {
                    attemptAttributes.append(("http.response.status_code", .int(status)))
                }
                if let error = attempt.error { attemptAttributes.append(("error.type", .string(error.kind))) }
                stepSpans.append(
                    Span(
                        id: Self.id("attempt|\(manifest.run)|\(entry.id)|\(attempt.number)"), parent: stepID,
                        name: "chat \(model)", kind: .client, start: attemptStart,
                        end: max(attemptStart, nanoseconds(attempt.endedAt) ?? attemptStart),
                        attributes: attemptAttributes,
                        failure: attempt.status == .succeeded
                            ? nil : (attempt.error?.message ?? attempt.status.rawValue)))
            }
        }

        let totals = manifest.totals
        spans.append(
            Span(
                id: runSpanID, parent: nil, name: "run \(manifest.workflow.name)", kind: .internal, start: runStart,
                end: runEnd,
                attributes: [
                    ("openinference.span.kind", .string("CHAIN")), ("pflow.run.id", .string(manifest.run)),
                    ("pflow.workflow", .string(manifest.workflow.name)),
                    ("pflow.status", .string(manifest.status.rawValue)),
                    ("pflow.requests", .int(totals.requests)), ("pflow.cost_usd", .double(totals.costUSD)),
                ] + Self.usage(input: totals.inputTokens, output: totals.outputTokens),
                failure: manifest.status == .succeeded ? nil : (manifest.error ?? manifest.status.rawValue)))
        spans += manifest.blocks.compactMap { blockSpans[$0.id] }.filter { $0.end >= $0.start && $0.start != .max }
        spans += stepSpans
    }

    private static func usage(input: Int, output: Int) -> [(String, Value)] {
        [
            ("gen_ai.usage.input_tokens", .int(input)), ("gen_ai.usage.output_tokens", .int(output)),
            ("llm.token_count.prompt", .int(input)), ("llm.token_count.completion", .int(output)),
            ("llm.token_count.total", .int(input + output)),
        ]
    }

    /// `gen_ai.input.messages`: the semantic conventions' JSON of role and text parts.
    private static func messages(system: String?, prompt: String?) -> String? {
        guard let prompt else { return nil }
        var messages: [[String: Any]] = []
        if let system { messages.append(["role": "system", "parts": [["type": "text", "content": system]]]) }
        messages.append(["role": "user", "parts": [["type": "text", "content": prompt]]])
        guard let data = try? JSONSerialization.data(withJSONObject: messages, options: [.sortedKeys]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The first `bytes` bytes of the SHA-256 of `name`: stable across exports of a run.
    static func id(_ name: String, bytes: Int = 8) -> [UInt8] {
        let hex = Array(SHA256.hex(Array(name.utf8)).utf8)
        return (0..<bytes).map { index in
            func nibble(_ byte: UInt8) -> UInt8 { byte <= UInt8(ascii: "9") ? byte - 48 : byte - 87 }
            return nibble(hex[2 * index]) << 4 | nibble(hex[2 * index + 1])
        }
    }

    /// The `ExportTraceServiceRequest` body that OTLP/HTTP receivers accept at `/v1/traces`.
    public func encoded() -> [UInt8] {
        var request = ProtobufWriter()
        request.message(1) { resourceSpans in  // ResourceSpans
            resourceSpans.message(1) { resource in  // Resource
                Self.attribute(&resource, field: 1, "service.name", .string("pflow"))
            }
            resourceSpans.message(2) { scopeSpans in  // ScopeSpans
                scopeSpans.message(1) { scope in
                    scope.string(1, "pflow")
                    scope.string(2, "0.1.0")
                }
                for span in spans {
                    scopeSpans.message(2) { encode(span, into: &$0) }
                }
            }
        }
        return request.encoded
    }

    private func encode(_ span: Span, into writer: inout ProtobufWriter) {
        writer.bytes(1, traceID)
        writer.bytes(2, span.id)
        if let parent = span.parent { writer.bytes(4, parent) }
        writer.string(5, span.name)
        writer.uint(6, span.kind.rawValue)
        writer.fixed64(7, span.start)
        writer.fixed64(8, span.end)
        for (key, value) in span.attributes { Self.attribute(&writer, field: 9, key, value) }
        writer.message(15) { status in  // Status: 1 ok, 2 error
            if let failure = span.failure {
                status.string(2, failure)
                status.uint(3, 2)
            } else {
                status.uint(3, 1)
            }
        }
    }

    private static func attribute(_ writer: inout ProtobufWriter, field: UInt64, _ key: String, _ value: Value) {
        writer.message(field) { keyValue in
            keyValue.string(1, key)
            keyValue.message(2) { any in  // AnyValue
                switch value {
                case .string(let text): any.string(1, text)
                case .int(let number): any.int(3, Int64(number))
                case .double(let number): any.double(4, number)
                }
            }
        }
    }
}
