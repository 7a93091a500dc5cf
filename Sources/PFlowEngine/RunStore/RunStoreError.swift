/// A file in the run directory could not be written or read: a full disk, a read-only
/// folder. The message names the path.
public struct RunStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
