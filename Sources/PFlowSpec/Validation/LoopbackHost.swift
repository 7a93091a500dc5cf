/// The one rule for "this host is this machine": a key sent over plain http to it never
/// crosses a network, so neither validation nor the provider refuses it.
///
/// Hosts compare case-insensitively, as DNS names do, and an IPv6 literal may keep the
/// brackets it has in a URL.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        var bare = Substring(host.lowercased())
        if bare.hasPrefix("[") && bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        return bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" || bare.hasPrefix("127.")
    }
}
