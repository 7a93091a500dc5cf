import Foundation

/// A Chat Completions body: `prompt` as the user message, `system` as a system message,
/// `extra` appended as more top-level members (`,"max_tokens":100`).
func chatBody(_ prompt: String, system: String? = nil, model: String = "m", extra: String = "") -> String {
    let systemMessage = system.map { #"{"role":"system","content":\#(jsonQuoted($0))},"# } ?? ""
    return
        #"{"model":"\#(model)","messages":[\#(systemMessage){"role":"user","content":\#(jsonQuoted(prompt))}]\#(extra)}"#
}

/// An Anthropic Messages body whose one user message is `prompt`.
func messagesBody(_ prompt: String, extra: String = #","max_tokens":100"#) -> String {
    #"{"model":"claude-test","messages":[{"role":"user","content":\#(jsonQuoted(prompt))}]\#(extra)}"#
}

private func jsonQuoted(_ text: String) -> String {
    String(decoding: (try? JSONEncoder().encode(text)) ?? Data(#""""#.utf8), as: UTF8.self)
}
