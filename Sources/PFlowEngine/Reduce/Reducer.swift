import PFlowSpec

/// The arithmetic of `reduce` steps, apart from the run so every rule is tested on plain
/// values: what a vote counts, who wins, and when there is no consensus.
enum Reducer {
    /// One branch as the reducer sees it: its answer when it succeeded.
    struct Branch: Sendable {
        var id: String
        var status: NodeStatus
        var text: String?
    }

    struct Outcome: Sendable {
        /// steps/<id>.json's `value` and what `{{ steps.ID.json }}` reads.
        var value: JSONValue
        /// steps/<id>.md.
        var markdown: String
        /// Why the step fails, nil when it succeeds.
        var failure: String?
    }

    // MARK: vote

    static func vote(
        _ branches: [Branch], id: String, field: [JSONPathComponent]?, minAgreement: Double?, tie: ReduceSpec.Tie
    ) -> Outcome {
        var counts: [(answer: String, votes: Int)] = []
        // Free-text votes can all differ: a scan of `counts` per vote would be quadratic.
        var positions: [String: Int] = [:]
        var abstained: [String] = []
        for branch in branches {
            guard branch.status == .succeeded, let text = branch.text, let answer = ballot(text, field: field) else {
                abstained.append(branch.id)
                continue
            }
            if let index = positions[answer] {
                counts[index].votes += 1
            } else {
                positions[answer] = counts.count
                counts.append((answer, 1))
            }
        }
        // Stable: level counts keep the order their first vote came in, which is declaration order.
        let ranked = counts.enumerated().sorted { a, b in
            a.element.votes != b.element.votes ? a.element.votes > b.element.votes : a.offset < b.offset
        }.map(\.element)
        let voters = ranked.reduce(0) { $0 + $1.votes }
        let top = ranked.first?.votes ?? 0
        let tied = ranked.prefix { $0.votes == top }.map(\.answer)
        let margin = top - (ranked.count > 1 ? ranked[1].votes : 0)
        let agreement = voters == 0 ? 0 : (Double(top) / Double(voters) * 10_000).rounded() / 10_000
        let winner: JSONValue =
            switch (tied.count, tie) {
            case (0, _): .null
            case (1, _), (_, .first): .string(tied[0])
            case (_, .all): .array(tied.map(JSONValue.string))
            case (_, .fail): .null
            }
        let value = JSONValue.object([
            JSONMember("winner", winner),
            JSONMember("counts", .object(ranked.map { JSONMember($0.answer, .number(Double($0.votes))) })),
            JSONMember("agreement", .number(agreement)),
            JSONMember("margin", .number(Double(margin))),
            JSONMember("voters", .number(Double(voters))),
            JSONMember("abstained", .number(Double(abstained.count))),
            JSONMember("abstained_branches", .array(abstained.map(JSONValue.string))),
        ])
        let tally = ranked.map { "\($0.answer) \($0.votes)" }.joined(separator: ", ")
        let summary = "counts: \(tally.isEmpty ? "none" : tally); abstained: \(abstained.count)"
        var failure: String?
        if voters == 0 {
            failure = "no votes: all \(branches.count) branches of the block abstained (failed or unreadable)"
        } else if tied.count > 1 && tie == .fail {
            failure =
                "tie: \(tied.map { "'\($0)'" }.joined(separator: " and ")) have \(top) votes each; \(summary)"
        } else if let minAgreement, agreement * 100 < minAgreement - 1e-9 {
            failure =
                "no consensus: '\(tied[0])' has \(top) of \(voters) votes (\(percent(agreement))), below "
                + "min_agreement \(JSONValue.number(minAgreement).compactText)%; \(summary)"
        }
        var lines = ["# \(id)", ""]
        if let failure {
            lines.append("No winner: \(failure).")
        } else {
            let names = tied.count > 1 && tie == .all ? tied.joined(separator: ", ") : tied[0]
            lines.append(
                "Winner: **\(names)**, \(top) of \(voters) votes (agreement \(percent(agreement)), margin \(margin)).")
        }
        lines += ["", "| answer | votes |", "|---|---|"] + ranked.map { "| \($0.answer) | \($0.votes) |" }
        if !abstained.isEmpty {
            lines += ["", "Abstained: \(abstained.count) (\(abstained.joined(separator: ", ")))."]
        }
        return Outcome(value: value, markdown: lines.joined(separator: "\n") + "\n", failure: failure)
    }

    /// What a branch votes for: the value at `field` of its JSON answer, or its text with
    /// case, spacing and closing punctuation folded so "Yes." and "yes" agree. Nil when the
    /// answer has no such value: the branch abstains.
    static func ballot(_ text: String, field: [JSONPathComponent]?) -> String? {
        if let field {
            guard let value = try? JSONValue.parse(text), let picked = value.value(at: field) else { return nil }
            return picked.promptText
        }
        let words = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let folded = String(words.reversed().drop { ".!?".contains($0) }.reversed())
        return folded.isEmpty ? nil : folded
    }

    private static func percent(_ share: Double) -> String { "\(Int((share * 100).rounded()))%" }

    // MARK: collect

    /// Every branch in order: its parsed JSON, its text when it is not JSON, or an entry
    /// naming the branch and how it ended.
    static func collect(_ branches: [Branch], id: String) -> Outcome {
        var items: [JSONValue] = []
        var lines = ["# \(id)", ""]
        for branch in branches {
            guard branch.status == .succeeded, let text = branch.text else {
                items.append(
                    .object([
                        JSONMember("branch", .string(branch.id)), JSONMember("status", .string(branch.status.rawValue)),
                    ]))
                lines.append("- \(branch.id): \(branch.status.rawValue)")
                continue
            }
            let value = (try? JSONValue.parse(text)) ?? .string(text)
            items.append(value)
            lines.append("- \(branch.id): \(value.compactText)")
        }
        return Outcome(value: .array(items), markdown: lines.joined(separator: "\n") + "\n", failure: nil)
    }
}
