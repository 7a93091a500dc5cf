/// A step that aggregates a block's branches in-process: no model, no cost, and the same
/// answer every time for the same branches.
public struct ReduceSpec: Sendable {
    public enum Operation: Sendable, Hashable {
        /// Counts equal answers: the value at `field` of JSON branches, or (nil) each
        /// branch's text, normalised.
        case vote(field: [JSONPathComponent]?)
        /// A JSON array of every branch's value in declaration order, failures as entries.
        case collect
    }

    /// What a vote whose top answers are level does.
    public enum Tie: String, Sendable, Hashable, CaseIterable {
        /// The step fails: no answer won.
        case fail
        /// The tied answer given by the earliest branch wins.
        case first
        /// Every tied answer wins: `winner` is a list.
        case all
    }

    public var id: String
    /// The block whose branches are reduced: a `parallel` (declared or `repeat`) or a `map`.
    public var over: Located<String>
    public var operation: Operation
    /// 0...100: the winner's share of the votes cast below which the step fails.
    public var minAgreement: Double?
    public var tie: Tie
    public var needs: [Located<String>]
    public var location: SourceLocation

    public init(
        id: String, over: Located<String>, operation: Operation, minAgreement: Double? = nil, tie: Tie = .fail,
        needs: [Located<String>] = [], location: SourceLocation
    ) {
        self.id = id
        self.over = over
        self.operation = operation
        self.minAgreement = minAgreement
        self.tie = tie
        self.needs = needs
        self.location = location
    }

    /// The shape of the result, so `{{ steps.ID.json.winnr }}` is caught before the run.
    public var resultSchema: JSONSchema {
        switch operation {
        case .collect:
            return JSONSchema(type: .array, location: location)
        case .vote:
            let fields: [(String, JSONSchema.Kind?)] = [
                ("winner", nil), ("counts", .object), ("agreement", .number), ("margin", .integer),
                ("voters", .integer), ("abstained", .integer), ("abstained_branches", .array),
            ]
            return JSONSchema(
                type: .object,
                properties: fields.map { .init(name: $0.0, schema: JSONSchema(type: $0.1, location: location)) },
                additionalProperties: false, location: location)
        }
    }
}
