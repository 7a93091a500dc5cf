import Testing

@testable import PFlowEngine
@testable import PFlowSpec

/// The arithmetic of `reduce`: counts, winner, agreement, abstentions, ties, collect.
@Suite struct ReducerTests {
    /// Seven samples: four yes, two no, one failed.
    static let sevenSamples: [Reducer.Branch] =
        ["yes", "no", "yes", "yes", "no", "yes"].enumerated().map { index, answer in
            Reducer.Branch(id: "samples.\(index)", status: .succeeded, text: #"{"answer": "\#(answer)"}"#)
        } + [Reducer.Branch(id: "samples.6", status: .failed, text: nil)]

    @Test func sevenSamplesFourYesTwoNoOneFailure() {
        let outcome = Reducer.vote(
            Self.sevenSamples, id: "verdict", field: [.field("answer")], minAgreement: nil, tie: .fail)
        #expect(outcome.failure == nil)
        #expect(
            outcome.value.compactText
                == #"{"winner":"yes","counts":{"yes":4,"no":2},"agreement":0.6667,"margin":2,"voters":6,"abstained":1,"abstained_branches":["samples.6"]}"#
        )
        #expect(
            outcome.markdown == """
                # verdict

                Winner: **yes**, 4 of 6 votes (agreement 67%, margin 2).

                | answer | votes |
                |---|---|
                | yes | 4 |
                | no | 2 |

                Abstained: 1 (samples.6).

                """)
    }

    @Test func belowMinAgreementTheStepFailsNamingTheCounts() {
        let outcome = Reducer.vote(
            Self.sevenSamples, id: "verdict", field: [.field("answer")], minAgreement: 80, tie: .fail)
        #expect(
            outcome.failure
                == "no consensus: 'yes' has 4 of 6 votes (67%), below min_agreement 80%; counts: yes 4, no 2; abstained: 1"
        )
    }

    @Test func textVotesFoldCaseSpacingAndClosingPunctuation() {
        let branches = ["Yes.", "yes", "  YES!", "No", "Not sure"].enumerated().map {
            Reducer.Branch(id: "b.\($0.offset)", status: .succeeded, text: $0.element)
        }
        let outcome = Reducer.vote(branches, id: "v", field: nil, minAgreement: nil, tie: .fail)
        #expect(outcome.value["counts"]?.compactText == #"{"yes":3,"no":1,"not sure":1}"#)
    }

    @Test func unreadableAnswersAbstain() {
        let branches = [
            Reducer.Branch(id: "b.0", status: .succeeded, text: "not json"),
            Reducer.Branch(id: "b.1", status: .succeeded, text: #"{"other": 1}"#),
            Reducer.Branch(id: "b.2", status: .succeeded, text: #"{"answer": true}"#),
        ]
        let outcome = Reducer.vote(branches, id: "v", field: [.field("answer")], minAgreement: nil, tie: .fail)
        #expect(outcome.value["abstained"] == .number(2))
        #expect(outcome.value["winner"] == .string("true"))
    }

    static let ties: [(ReduceSpec.Tie, String, String?)] = [
        (.fail, "null", "tie: 'yes' and 'no' have 2 votes each; counts: yes 2, no 2; abstained: 0"),
        (.first, #""yes""#, nil), (.all, #"["yes","no"]"#, nil),
    ]

    @Test(arguments: ties)
    func tiesFollowTheTieRule(_ tie: ReduceSpec.Tie, _ winner: String, _ failure: String?) {
        let branches = ["yes", "no", "no", "yes"].enumerated().map {
            Reducer.Branch(id: "b.\($0.offset)", status: .succeeded, text: $0.element)
        }
        let outcome = Reducer.vote(branches, id: "v", field: nil, minAgreement: nil, tie: tie)
        #expect(outcome.value["winner"]?.compactText == winner)
        #expect(outcome.value["margin"] == .number(0))
        #expect(outcome.failure == failure)
    }

    @Test func noVotesAtAllIsAFailure() {
        let outcome = Reducer.vote(
            [Reducer.Branch(id: "b.0", status: .timedOut, text: nil)], id: "v", field: nil, minAgreement: nil,
            tie: .first)
        #expect(outcome.failure == "no votes: all 1 branches of the block abstained (failed or unreadable)")
    }

    @Test func collectKeepsOrderAndNamesFailures() {
        let branches = [
            Reducer.Branch(id: "m.0", status: .succeeded, text: #"{"title": "A"}"#),
            Reducer.Branch(id: "m.1", status: .failed, text: nil),
            Reducer.Branch(id: "m.2", status: .succeeded, text: "plain text"),
        ]
        let outcome = Reducer.collect(branches, id: "all")
        #expect(
            outcome.value.compactText == #"[{"title":"A"},{"branch":"m.1","status":"failed"},"plain text"]"#)
        #expect(outcome.failure == nil)
    }
}
