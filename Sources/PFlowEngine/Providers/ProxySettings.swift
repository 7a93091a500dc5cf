import Foundation

/// The proxy a request should go through, from the conventional environment variables:
/// `HTTPS_PROXY` for `https://` targets, `HTTP_PROXY` for `http://` ones (`ALL_PROXY` for
/// both), lower-case spellings first as curl reads them, and `NO_PROXY` for the hosts that
/// go direct.
///
/// Every proxied request, `http://` included, goes through an HTTP `CONNECT` tunnel
/// (async-http-client's only proxy mode), so the proxy sees the target's host and port
/// and never a request line, a header or the key. Loopback targets are not exempt unless
/// `NO_PROXY` says so, as with curl: a proxy on a corporate network is often the only way
/// out, and a test proxy on loopback is how the tunnel is tested.
public struct ProxySettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// `user:password` from the proxy URL, sent only to the proxy as Basic authorization.
    public var credentials: Credentials?

    public struct Credentials: Sendable, Hashable {
        public var user: String
        public var password: String
    }

    /// The proxy for `url`, or nil to go direct; throws when a proxy variable is set but
    /// cannot be used, so a typo never silently bypasses a corporate proxy.
    public static func forURL(_ url: URL, environment: [String: String]) throws(ProviderError) -> ProxySettings? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host else { return nil }
        let names = scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        let candidates = names + ["all_proxy", "ALL_PROXY"]
        guard
            let (variable, value) = candidates.lazy.compactMap({ name in
                environment[name].flatMap { $0.isEmpty ? nil : (name, $0) }
            }).first
        else { return nil }
        let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        if bypasses(host: host, port: url.port ?? (scheme == "https" ? 443 : 80), noProxy: noProxy) { return nil }
        return try parse(value, variable: variable)
    }

    static func parse(_ value: String, variable: String) throws(ProviderError) -> ProxySettings {
        // curl accepts a bare host:port; so do we.
        let withScheme = value.contains("://") ? value : "http://" + value
        guard let components = URLComponents(string: withScheme), let host = components.host, !host.isEmpty else {
            throw ProviderError(.configuration, "\(variable) is not a proxy URL (expected http://host:port)")
        }
        guard components.scheme?.lowercased() == "http" else {
            throw ProviderError(
                .configuration,
                "\(variable) uses \(components.scheme ?? "?")://; pflow supports http:// proxies (CONNECT tunnels)")
        }
        let credentials = components.user.map {
            Credentials(
                user: $0.removingPercentEncoding ?? $0, password: components.password?.removingPercentEncoding ?? "")
        }
        return ProxySettings(
            host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: components.port ?? 80,
            credentials: credentials)
    }

    /// `NO_PROXY` as curl and most tools read it: comma-separated, `*` for everything, a
    /// host matches itself and its subdomains (a leading dot is optional), `host:port`
    /// matches that port only.
    static func bypasses(host: String, port: Int, noProxy: String) -> Bool {
        let target = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        for raw in noProxy.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            if entry.isEmpty { continue }
            if let colon = entry.lastIndex(of: ":"), !entry.hasPrefix("["), entry.filter({ $0 == ":" }).count == 1 {
                guard Int(entry[entry.index(after: colon)...]) == port else { continue }
                entry = String(entry[..<colon])
            }
            entry = entry.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            while entry.hasPrefix(".") || entry.hasPrefix("*.") { entry.removeFirst(entry.hasPrefix("*") ? 2 : 1) }
            if target == entry || target.hasSuffix("." + entry) { return true }
        }
        return false
    }
}
