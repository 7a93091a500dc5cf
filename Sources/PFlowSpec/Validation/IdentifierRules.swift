/// What an id or workflow name may look like: it becomes a file name (`steps/<id>.md`,
/// `runs/<name>/`), so it must be safe on every file system pflow runs on.
///
/// `.` is excluded because it separates a block's id from a branch index (`papers.3`).
enum IdentifierRules {
    static let maxLength = 100
    /// Windows device names, and names the run directory itself uses.
    static let reservedNames: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul", "latest", "run", "runs"]
        for n in 0...9 {
            names.insert("com\(n)")
            names.insert("lpt\(n)")
        }
        return names
    }()

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
            || scalar == "-"
    }

    /// Why `name` is not a safe id, phrased to follow "the id 'x' ...", or nil when it is.
    static func problem(with name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "is empty" }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "contains '\(bad.escaped(asASCII: true))'; ids may only use letters, digits, '_' and '-'"
        }
        if first == "_" || first == "-" { return "must start with a letter or a digit" }
        if name.count > maxLength { return "is longer than \(maxLength) characters" }
        if reservedNames.contains(name.lowercased()) { return "is a reserved file name" }
        return nil
    }
}
