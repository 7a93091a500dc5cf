/// The behaviour a prompt asks of the mock server through `[mock:...]` markers.
///
/// Why in the prompt: pflow sends fixed headers, but every test controls its prompts, so
/// the prompt is the one channel a workflow file can use to script a server failure.
/// Several markers may appear; later values win. Example: `[mock:fail-first=2 status=503]`.
struct MockDirectives: Equatable {
    /// Groups requests in stats and `fail-first` counting; defaults to the prompt's first line.
    var step: String?
    var latency: Duration?
    var status: Int?
    var retryAfter: String?
    /// OpenAI's `retry-after-ms` header on an error, sent verbatim.
    var retryAfterMilliseconds: String?
    /// Seconds from now, sent as an HTTP-date `Retry-After` (negative means in the past).
    var retryAfterDate: Int?
    var failFirst: Int?
    var hang = false
    var slowBody: Duration?
    var slowHeaders: Duration?
    var stall = false
    var malformed = false
    var wrongShape = false
    var emptyChoices = false
    var html = false
    var reset = false
    /// Read the whole request, then close the connection without a byte of answer.
    var drop = false
    var huge: Int?
    var redirect: String?
    /// Quote the received credential header in the error message, as some real servers do.
    var echoAuth = false
    var finish: MockFinish?
    var content: MockContentShape?
    /// A lone surrogate escape (`\ud800`) inside the answer text.
    var surrogate = false
    var encoding: MockContentEncoding?
    /// Input tokens the usage reports as read from the prompt cache.
    var cached: Int?
    /// The answer text, verbatim (a JSON value, say), in place of the generated words.
    var answer: String?
    /// The answer to the step's first request only; later ones get `answer` or the generated words.
    var answerFirst: String?
    /// Directives the server did not understand; answered with a 400 so typos are loud.
    var unknown: [String] = []

    static let marker = "[mock:"

    init() {}

    init(parsing text: String) {
        var rest = text[...]
        while let open = rest.range(of: Self.marker) {
            guard let close = rest[open.upperBound...].firstIndex(of: "]") else { break }
            for token in rest[open.upperBound..<close].split(whereSeparator: \.isWhitespace) {
                apply(String(token))
            }
            rest = rest[rest.index(after: close)...]
        }
    }

    private mutating func apply(_ token: String) {
        let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
        let name = parts[0].lowercased()
        let value = parts.count > 1 ? parts[1] : nil
        switch (name, value) {
        case ("step", let value?): step = value
        case ("latency", let value?):
            latency =
                MockUnits.duration(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("status", let value?):
            status =
                Int(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("retry-after", let value?): retryAfter = value
        case ("retry-after-ms", let value?): retryAfterMilliseconds = value
        case ("finish", let value?):
            finish =
                MockFinish(rawValue: value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("content", let value?):
            content =
                MockContentShape(rawValue: value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("surrogate", nil): surrogate = true
        case ("gzip", nil): encoding = .gzip
        case ("deflate", nil): encoding = .deflate
        case ("retry-after-date", let value?):
            retryAfterDate =
                Int(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("fail-first", let value?):
            failFirst =
                Int(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("slow-body", let value?):
            slowBody =
                MockUnits.duration(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("slow-headers", let value?):
            slowHeaders =
                MockUnits.duration(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("huge", let value?):
            huge =
                MockUnits.byteCount(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("cached", let value?):
            cached =
                Int(value)
                ?? {
                    unknown.append(token); return nil
                }()
        case ("redirect", let value?): redirect = value
        case ("answer", let value?): answer = value
        case ("answer-first", let value?): answerFirst = value
        case ("hang", nil): hang = true
        case ("stall", nil): stall = true
        case ("malformed", nil): malformed = true
        case ("wrong-shape", nil): wrongShape = true
        case ("empty-choices", nil): emptyChoices = true
        case ("html", nil): html = true
        case ("reset", nil): reset = true
        case ("drop", nil): drop = true
        case ("echo-auth", nil): echoAuth = true
        default: unknown.append(token)
        }
    }
}

/// Why the answer ended: `stop` (the default) or `length`, the token limit.
enum MockFinish: String, Sendable {
    case stop
    case length
}

/// An answer text that is not one plain string.
enum MockContentShape: String, Sendable {
    /// The text is `""`.
    case empty
    /// The text split in two parts (OpenAI: `content` as an array; Anthropic: two text blocks).
    case parts
}
