import AsyncHTTPClient
import Foundation
import NIOCore

/// Where `--otlp` sends a run's traces: an OTLP/HTTP endpoint (`http://` or `https://`,
/// protobuf POSTed to `/v1/traces` when the URL has no path) or a file of the same bytes.
public enum OTLPExport {
    /// Exports `report`'s run; returns where it went. An endpoint that does not answer
    /// 2xx within 30 s is an error naming its status and answer.
    public static func send(_ report: RunReport, to destination: String, includeContent: Bool)
        async throws(RunSetupError)
        -> String
    {
        let body = OTLPTraces(report: report, includeContent: includeContent).encoded()
        guard destination.hasPrefix("http://") || destination.hasPrefix("https://") else {
            do { try Data(body).write(to: URL(fileURLWithPath: destination)) } catch {
                throw RunSetupError("cannot write \(destination): \(error.localizedDescription)")
            }
            return destination
        }
        let url = endpoint(destination)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                throw RunSetupError(
                    "\(url) answered HTTP \(response.status.code): \(String(buffer: answer).prefix(300))")
            }
        } catch let error as RunSetupError {
            throw error
        } catch {
            throw RunSetupError("cannot send the traces to \(url): \(error)")
        }
        return url
    }

    /// The OTLP/HTTP convention: a base URL gets `/v1/traces`; a URL with a path is used as is.
    static func endpoint(_ url: String) -> String {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last ?? ""
        guard let slash = afterScheme.firstIndex(of: "/"), afterScheme[slash...] != "/" else {
            return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/v1/traces"
        }
        return url
    }
}
