/// Choices the person running pflow makes about what a workflow may do, as opposed to
/// what the file itself says.
///
/// They live outside the file on purpose: a workflow downloaded from elsewhere must not be
/// able to grant itself access to the rest of the disk.
public struct LoadOptions: Sendable, Equatable {
    /// Lets map paths (`glob`, `lines`) start with `/` or `~` or climb out with `..`
    /// (`--allow-outside`). Without it they must stay inside the workflow's folder.
    public var allowOutside: Bool

    public init(allowOutside: Bool = false) {
        self.allowOutside = allowOutside
    }
}
