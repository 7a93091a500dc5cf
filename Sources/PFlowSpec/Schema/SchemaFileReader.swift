/// How the front end reads a `schema_file:`. PFlowSpec touches no disk, so the caller
/// (the CLI) hands it a reader; without one, a `schema_file` is an error that says so.
public struct SchemaFileReader: Sendable {
    /// Why a file could not be read, as the user should see it.
    public struct Problem: Error, Sendable {
        public var message: String

        public init(_ message: String) { self.message = message }
    }

    /// Reads the file at `path`: the workflow's folder joined with what the file wrote, so
    /// relative to the current directory just as the workflow's own path is.
    public let read: @Sendable (_ path: String) -> Result<[UInt8], Problem>

    public init(_ read: @escaping @Sendable (_ path: String) -> Result<[UInt8], Problem>) {
        self.read = read
    }

    public static let unavailable = SchemaFileReader { _ in
        .failure(Problem("schema files are not read here; inline the schema under 'schema'"))
    }
}
