import Foundation
import Testing

@testable import PFlowEngine

/// The OTLP export of the report fixture (Tests/Fixtures/report), span by span, and the
/// protobuf wire format against the encodings the protobuf documentation spells out.
@Suite("OTLP traces")
struct OTLPTracesTests {
    private func traces(content: Bool = false) throws -> OTLPTraces {
        OTLPTraces(report: try RunReport.load(ReportHTMLTests.fixture), includeContent: content)
    }

    @Test func wireFormat() {
        var writer = ProtobufWriter()
        writer.uint(1, 150)
        #expect(writer.encoded == [0x08, 0x96, 0x01])
        writer = ProtobufWriter()
        writer.string(2, "testing")
        #expect(writer.encoded == [0x12, 0x07] + Array("testing".utf8))
        writer = ProtobufWriter()
        writer.int(3, -1)
        #expect(writer.encoded == [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        writer = ProtobufWriter()
        writer.int(3, 0)
        #expect(writer.encoded == [0x18, 0x00], "a oneof member is written even when zero")
        writer = ProtobufWriter()
        writer.fixed64(7, 1)
        #expect(writer.encoded == [0x39, 1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func aSpanForTheRunEachBlockStepAndAttempt() throws {
        let traces = try traces()
        let names = traces.spans.map(\.name)
        // run, the analysts block, 5 steps, 7 attempts.
        #expect(traces.spans.count == 1 + 1 + 5 + 7)
        #expect(names.first == "run fixture")
        #expect(names.contains("parallel analysts"))
        let byName = Dictionary(grouping: traces.spans, by: \.name)
        let run = try #require(byName["run fixture"]?.first)
        let block = try #require(byName["parallel analysts"]?.first)
        let financials = try #require(byName["step financials"]?.first)
        #expect(run.parent == nil)
        #expect(block.parent == run.id)
        #expect(financials.parent == block.id)
        #expect(byName["step brief"]?.first?.parent == run.id)
        let attempts = traces.spans.filter { $0.parent == financials.id }
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0.kind == .client && $0.name == "chat m" })
        #expect(attempts.first?.failure == "429 Too Many Requests")
        #expect(
            attempts.first?.attributes.contains { $0.0 == "http.response.status_code" && $0.1 == .int(429) } == true)
        #expect(Set(traces.spans.map(\.id)).count == traces.spans.count, "span ids are unique")
        // The block spans from its first step's start to its last one's end.
        #expect(block.start == financials.start)
        #expect(block.end - block.start == 3_500_000_000)
    }

    @Test func genAIAttributesAndTokens() throws {
        let traces = try traces()
        let run = try #require(traces.spans.first)
        #expect(run.attributes.contains { $0.0 == "gen_ai.usage.input_tokens" && $0.1 == .int(40) })
        #expect(run.attributes.contains { $0.0 == "gen_ai.usage.output_tokens" && $0.1 == .int(80) })
        let brief = try #require(traces.spans.first { $0.name == "step brief" })
        for (key, value) in [
            ("gen_ai.operation.name", OTLPTraces.Value.string("chat")),
            ("gen_ai.provider.name", .string("openai")), ("gen_ai.request.model", .string("m")),
            ("gen_ai.usage.input_tokens", .int(10)), ("gen_ai.usage.output_tokens", .int(20)),
        ] {
            #expect(brief.attributes.contains { $0.0 == key && $0.1 == value }, "\(key)")
        }
    }

    @Test func contentOnlyWhenAskedFor() throws {
        let without = try traces().spans.flatMap(\.attributes).map(\.0)
        #expect(!without.contains("input.value") && !without.contains("output.value"))
        let with = try traces(content: true).spans.first { $0.name == "step brief" }?.attributes ?? []
        #expect(with.contains { $0.0 == "input.value" && $0.1 == .string("p") })
        #expect(
            with.contains {
                $0.0 == "output.value" && $0.1 == .string("A brief with <script>alert('pwned')</script> & more.")
            })
        #expect(with.contains { $0.0 == "gen_ai.input.messages" })
    }

    @Test func endpointGetsTheTracesPathOnlyWhenBare() {
        #expect(OTLPExport.endpoint("http://127.0.0.1:6006") == "http://127.0.0.1:6006/v1/traces")
        #expect(OTLPExport.endpoint("http://127.0.0.1:6006/") == "http://127.0.0.1:6006/v1/traces")
        #expect(OTLPExport.endpoint("https://collector/otlp/v1/traces") == "https://collector/otlp/v1/traces")
    }
}
