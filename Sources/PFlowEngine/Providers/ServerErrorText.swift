import Foundation

/// Turns an error response body into one short line a person can read.
///
/// Why: servers answer failures with JSON of several shapes, HTML pages from proxies, or
/// plain text; a step's record should say what the server said, not dump 40 KB of markup.
enum ServerErrorText {
    static let limit = 300

    static func extract(from body: Data, contentType: String?) -> String {
        if body.isEmpty { return "" }
        if let message = jsonMessage(body) { return clean(message, limit: limit) }
        let text = String(decoding: body.prefix(64 * 1024), as: UTF8.self)
        if contentType?.lowercased().contains("html") == true || looksLikeHTML(text) {
            return clean(htmlSummary(text), limit: limit)
        }
        let firstLine = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
        return clean(firstLine.map(String.init) ?? "", limit: limit)
    }

    /// Drops control characters, collapses whitespace and truncates to `limit` characters.
    static func clean(_ text: String, limit: Int) -> String {
        var result = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if CharacterSet.whitespacesAndNewlines.contains(scalar) {
                pendingSpace = !result.isEmpty
            } else if CharacterSet.controlCharacters.contains(scalar) {
                continue
            } else {
                if pendingSpace { result.unicodeScalars.append(" ") }
                pendingSpace = false
                result.unicodeScalars.append(scalar)
            }
        }
        if result.count > limit { return String(result.prefix(limit - 1)) + "…" }
        return result
    }

    /// OpenAI `{"error":{"message"}}`, Anthropic `{"type":"error","error":{"type","message"}}`,
    /// and the `{"error":"..."}` / `{"message"}` / `{"detail"}` of compatible servers.
    private static func jsonMessage(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        if let error = object["error"] as? [String: Any] {
            let message = error["message"] as? String
            let type = (error["type"] as? String) ?? (error["code"] as? String)
            switch (type, message) {
            case (let type?, let message?): return "\(type): \(message)"
            case (nil, let message?): return message
            case (let type?, nil): return type
            case (nil, nil): break
            }
        }
        if let error = object["error"] as? String { return error }
        if let message = object["message"] as? String { return message }
        if let detail = object["detail"] as? String { return detail }
        return nil
    }

    private static func looksLikeHTML(_ text: String) -> Bool {
        let head = text.prefix(200).lowercased()
        return head.contains("<html") || head.contains("<!doctype html")
    }

    /// The `<title>` if there is one, else the first line of visible text.
    private static func htmlSummary(_ html: String) -> String {
        if let title = between(html, "<title", "</title>") {
            let content = title.drop { $0 != ">" }.dropFirst()
            if !content.allSatisfy(\.isWhitespace) { return "HTML page: " + String(content) }
        }
        var text = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
                text.append(" ")
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                text.append(character)
            }
        }
        let line = text.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
        return "HTML page: " + (line.map(String.init) ?? "")
    }

    private static func between(_ text: String, _ open: String, _ close: String) -> Substring? {
        guard let start = text.range(of: open, options: .caseInsensitive),
            let end = text.range(of: close, options: .caseInsensitive, range: start.upperBound..<text.endIndex)
        else { return nil }
        return text[start.upperBound..<end.lowerBound]
    }
}
