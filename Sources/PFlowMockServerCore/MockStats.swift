/// Request counters for the whole server or one group of requests (a step, a model).
public struct MockCounters: Codable, Sendable, Equatable {
    public var requests = 0
    public var inFlight = 0
    public var peakInFlight = 0
    /// Responses written in full.
    public var completed = 0
    /// Requests whose client closed the connection before the response was complete.
    public var cancelled = 0
    /// Responses by HTTP status, as strings so the JSON stays an object.
    public var statuses: [String: Int] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests, completed, cancelled, statuses
        case inFlight = "in_flight"
        case peakInFlight = "peak_in_flight"
    }

    mutating func begin() {
        requests += 1
        inFlight += 1
        peakInFlight = max(peakInFlight, inFlight)
    }

    mutating func end(status: Int, disconnected: Bool) {
        inFlight -= 1
        if disconnected { cancelled += 1 } else { completed += 1 }
        statuses[String(status), default: 0] += 1
    }
}

/// The HTTP version a connection speaks, as ALPN settled it (plain connections speak HTTP/1).
public enum MockWireProtocol: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case http1
    case h2
}

/// What `GET /_stats` answers: totals, plus the same counters per step key and per model.
///
/// Why per model: tests check a provider's `max_concurrency` by giving it its own model
/// name and reading that model's `peak_in_flight`.
public struct MockStats: Codable, Sendable, Equatable {
    public var total = MockCounters()
    public var byStep: [String: MockCounters] = [:]
    public var byModel: [String: MockCounters] = [:]
    /// TCP connections accepted: with keep-alive, fewer than the requests.
    public var connections = 0
    /// Connections by the protocol they settled on; a TLS connection whose handshake
    /// failed is in `connections` only.
    public var connectionsByProtocol: [MockWireProtocol: Int] = [:]
    public var tlsHandshakes = 0
    /// HTTP/2 streams opened by clients, admin requests included.
    public var streams = 0
    /// 429s sent because a model's `--rpm` or `--tpm` ran short.
    public var rateLimited = 0

    public init() {}

    public var requests: Int { total.requests }
    public var inFlight: Int { total.inFlight }
    public var peakInFlight: Int { total.peakInFlight }
    public var completed: Int { total.completed }
    public var cancelled: Int { total.cancelled }

    enum CodingKeys: String, CodingKey {
        case byStep = "by_step"
        case byModel = "by_model"
        case connections
        case connectionsByProtocol = "connections_by_protocol"
        case tlsHandshakes = "tls_handshakes"
        case streams
        case rateLimited = "rate_limited"
    }

    // The totals sit at the top level of the JSON, beside the groups.
    public init(from decoder: any Decoder) throws {
        total = try MockCounters(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        byStep = try container.decode([String: MockCounters].self, forKey: .byStep)
        byModel = try container.decode([String: MockCounters].self, forKey: .byModel)
        connections = try container.decodeIfPresent(Int.self, forKey: .connections) ?? 0
        connectionsByProtocol =
            try container.decodeIfPresent([MockWireProtocol: Int].self, forKey: .connectionsByProtocol) ?? [:]
        tlsHandshakes = try container.decodeIfPresent(Int.self, forKey: .tlsHandshakes) ?? 0
        streams = try container.decodeIfPresent(Int.self, forKey: .streams) ?? 0
        rateLimited = try container.decodeIfPresent(Int.self, forKey: .rateLimited) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        try total.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(byStep, forKey: .byStep)
        try container.encode(byModel, forKey: .byModel)
        try container.encode(connections, forKey: .connections)
        try container.encode(connectionsByProtocol, forKey: .connectionsByProtocol)
        try container.encode(tlsHandshakes, forKey: .tlsHandshakes)
        try container.encode(streams, forKey: .streams)
        try container.encode(rateLimited, forKey: .rateLimited)
    }
}

/// One line of the request log (`GET /_log`, `--log FILE`).
public struct MockRequestRecord: Codable, Sendable, Equatable {
    /// 1-based order of arrival.
    public var seq: Int
    /// Unix time in seconds when the request arrived and when it ended.
    public var start: Double
    public var end: Double
    public var path: String
    /// `openai` or `anthropic`.
    public var api: String
    public var model: String
    public var step: String
    /// 1-based count of requests seen for this step key, this one included.
    public var attempt: Int
    /// The status the server answered (or was about to answer when the client left).
    public var status: Int
    /// The client closed the connection before the response was complete.
    public var disconnected: Bool
    /// An `Authorization` or `x-api-key` header was present; its value is never logged.
    public var authorization: Bool
    /// The Host header, to tell the two ends of a redirect apart.
    public var host: String
    /// The request body's top-level keys, sorted: did the client send `max_completion_tokens`,
    /// leave out `temperature`? Values are never logged.
    public var parameterNames: [String]
    /// The request's Accept-Encoding header, if it sent one.
    public var acceptEncoding: String?

    enum CodingKeys: String, CodingKey {
        case seq, start, end, path, api, model, step, attempt, status, disconnected, authorization, host
        case parameterNames = "params"
        case acceptEncoding = "accept_encoding"
    }

    public init(
        seq: Int, start: Double, end: Double, path: String, api: String, model: String, step: String, attempt: Int,
        status: Int, disconnected: Bool, authorization: Bool, host: String, parameterNames: [String] = [],
        acceptEncoding: String? = nil
    ) {
        self.seq = seq
        self.start = start
        self.end = end
        self.path = path
        self.api = api
        self.model = model
        self.step = step
        self.attempt = attempt
        self.status = status
        self.disconnected = disconnected
        self.authorization = authorization
        self.host = host
        self.parameterNames = parameterNames
        self.acceptEncoding = acceptEncoding
    }
}
