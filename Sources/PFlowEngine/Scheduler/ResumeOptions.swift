/// How `pflow resume` treats the earlier session.
public struct ResumeOptions: Sendable, Hashable {
    /// Resume although the workflow file changed; steps whose request is unchanged are reused.
    public var force: Bool
    /// Run again only failed and timed-out steps and the steps they caused to be skipped.
    public var onlyFailed: Bool

    public init(force: Bool = false, onlyFailed: Bool = false) {
        self.force = force
        self.onlyFailed = onlyFailed
    }
}
