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

    /// A request in flight keeps its connection busy past the idle timeout; once it is
    /// answered the server closes the idle connection, as a front end's keep-alive timeout does.
    @Test func closesAConnectionIdleForTheIdleTimeout() async throws {
        try await withMockServerProcess(args: ["--idle-timeout", "1s"]) { server in
            let connection = try RawConnection(port: server.port)
            let body = #"{"model":"m","messages":[{"role":"user","content":"[mock:step=busy latency=2s] hi"}]}"#
            connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let answer = await connection.read(until: "Mock answer")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer)")
            #expect(answer.lowercased().contains("connection: keep-alive"))
            #expect(await connection.waitForClose())
            let stats = try await server.stats()
            #expect(stats.byStep["busy"]?.completed == 1)
            #expect(stats.byStep["busy"]?.cancelled == 0)
        }
    }

    @Test func aRequestRefusedForItsMissingAnthropicVersionIsNotLeftInFlight() async throws {
        try await withMockServerProcess { server in
            let result = try await runCurl([
                "--write-out", "%{http_code}", "--output", "/dev/null", "--data", messagesBody("hi"),
                server.baseURL + "/v1/messages",
            ])
            #expect(result.stdout == "400")
            #expect(try await server.stats().inFlight == 0)
        }
    }

    @Test func rejectsABadFlagWithAMessage() async throws {
        let child = try ChildProcess(
            executable: BuildProducts.executable("pflow-mock-server"), arguments: ["--latency", "soon"])
        let result = await child.wait(limit: .seconds(30))
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("'soon' is not a duration"))
    }
}
