import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("pflow-mock-server executable")
struct MockServerProcessTests {
    @Test func startsOnAFreePortAndCountsRequests() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let logFile = directory.url.appendingPathComponent("requests.jsonl")
        try await withMockServerProcess(args: ["--latency", "10ms", "--log", logFile.path]) { server in
            #expect(server.port > 0)
            #expect(try await server.stats().requests == 0)

            var request = URLRequest(url: try #require(URL(string: server.baseURL + "/v1/chat/completions")))
            request.httpMethod = "POST"
            request.httpBody = Data(
                #"{"model":"m","messages":[{"role":"user","content":"[mock:step=smoke] hi"}]}"#.utf8)
            let (_, response) = try await URLSession(configuration: .ephemeral).data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)

            let stats = try await server.stats()
            #expect(stats.requests == 1)
            #expect(stats.byStep["smoke"]?.completed == 1)
            #expect(stats.byModel["m"]?.peakInFlight == 1)
            #expect(try await server.log().map(\.step) == ["smoke"])
            try await server.reset()
            #expect(try await server.stats().requests == 0)
        }
        // Stopping flushes the buffered log file.
        let lines = try String(contentsOf: logFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(#""step":"smoke""#) == true)
    }

    @Test func rejectsABadFlagWithAMessage() async throws {
        let child = try ChildProcess(
            executable: BuildProducts.executable("pflow-mock-server"), arguments: ["--latency", "soon"])
        let result = await child.wait(limit: .seconds(30))
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("'soon' is not a duration"))
    }
}
