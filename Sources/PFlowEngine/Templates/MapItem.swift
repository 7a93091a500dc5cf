import Foundation

/// One item a `map` fans out over, as `{{ AS.name }}`, `{{ AS.path }}`,
/// `{{ AS.content }}`, `{{ AS.index }}` and `{{ AS }}` see it.
///
/// A file item's content is read when its branch renders its prompt, not at expansion, so
/// a map over ten thousand files holds only the paths in memory until branches run.
struct MapItem: Sendable, Hashable {
    enum Content: Sendable, Hashable {
        case text(String)
        /// Absolute path read at render time.
        case file(String)
    }

    var index: Int
    /// A file's name, or the item's text.
    var name: String
    /// A file's path as matched relative to the workflow's folder; empty for text items.
    var path: String
    var content: Content

    /// `{{ AS }}` on its own: the path of a file item, the text of any other.
    var value: String { path.isEmpty ? name : path }

    func field(_ field: String?) throws(TemplateRenderError) -> String {
        switch field {
        case nil: return value
        case "name": return name
        case "path": return path
        case "index": return String(index)
        case "content":
            switch content {
            case .text(let text): return text
            case .file(let absolute):
                switch RegularFile.read(absolute) {
                case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
                case .failure(let problem):
                    throw TemplateRenderError("map item '\(path)' \(problem.message(for: "a file"))")
                }
            }
        case let other?:
            throw TemplateRenderError("unknown map item field '\(other)' (name, path, content, index)")
        }
    }
}

/// A template could not be rendered at run time: a file vanished, an input is missing.
struct TemplateRenderError: Error, Sendable, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}
