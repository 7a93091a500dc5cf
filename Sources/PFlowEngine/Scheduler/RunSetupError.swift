/// Why a run could not start: bad inputs, a missing key, an unusable output folder.
/// Nothing has been sent when it is thrown; the CLI exits 2.
public struct RunSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
