import Foundation
import TackAccess
import TackCore
import Testing

/// Separation of duties for confirmations: the agent that asks never answers; another agent
/// answers only with `approve`; a person answers with `answer`; the host's user's answer is
/// recorded as theirs, on behalf of the agent.
@Suite struct ApprovalTests {
  static let approval = BoardTask.InputRequest.approval(message: "Ship?")

  /// `worker` (every verb on main, approve included) asks for an approval on a main task.
  func asked(_ fixture: ScopeFixture) throws -> String {
    let worker = try fixture.access("worker")
    let id = try worker.create(title: "ship it").taskId.rawValue
    _ = try worker.transition(id, to: "working")
    _ = try worker.requestInput(id, key: "go", request: Self.approval)
    return id
  }

  @Test func theAskingAgentCannotAnswerEvenWithApprove() throws {
    let fixture = try ScopeFixture()
    let id = try asked(fixture)
    let before = fixture.tip
    #expect(throws: TackError.self) {
      _ = try fixture.access("worker").answer(id, responses: ["go": ["confirmed": true]])
    }
    do {
      _ = try fixture.access("worker").answer(id, responses: ["go": ["confirmed": true]])
    } catch {
      #expect("\(error)".contains("cannot answer it itself"), "\(error)")
    }
    #expect(fixture.tip == before)
  }

  /// The decision documented in docs/mcp.md ("Approvals"): separation of duties binds
  /// agents; a person may answer a confirmation they asked, under their own name.
  @Test func aPersonMayAnswerTheirOwnConfirmation() throws {
    let fixture = try ScopeFixture()
    let person = try fixture.access(nil)
    let id = try person.create(title: "release").taskId.rawValue
    _ = try person.transition(id, to: "working")
    _ = try person.requestInput(id, key: "go", request: Self.approval)
    let task = try person.answer(id, responses: ["go": ["confirmed": true]])
    #expect(task.status == "completed")
    // Asked and answered by the same person, and git says so.
    let authors = try fixture.git(["log", "-2", "--format=%ae"]).split(separator: "\n")
    #expect(authors.count == 2 && authors[0] == authors[1], "\(authors)")
  }

  @Test func anotherAgentNeedsApproveAndAPersonNeedsAnswer() throws {
    let fixture = try ScopeFixture()
    let id = try asked(fixture)
    let local = try fixture.access(nil)
    _ = try local.addPrincipal("helper", kind: .agent, name: nil, email: nil)
    _ = try local.grant("helper", board: "main", labels: nil, can: [.answer])
    _ = try local.addPrincipal("approver", kind: .agent, name: nil, email: nil)
    _ = try local.grant("approver", board: "main", labels: nil, can: [.approve])
    let before = fixture.tip
    #expect(throws: TackError.self) {
      _ = try fixture.access("helper").answer(id, responses: ["go": ["confirmed": true]])
    }
    #expect(fixture.tip == before)
    // Text questions stay open to `answer`.
    let task = try fixture.access("approver").answer(id, responses: ["go": ["confirmed": true]])
    #expect(task.status == "completed")
    #expect(try fixture.git(["log", "-1", "--format=%an"]) == "approver\n")
  }

  @Test func theHostUsersAnswerIsRecordedAsTheirs() throws {
    let fixture = try ScopeFixture()
    let id = try asked(fixture)
    let task = try fixture.access("worker").answerAsHostUser(
      id, responses: ["go": ["confirmed": false]])
    #expect(task.status == "failed")
    let log = try fixture.git(["log", "-1", "--format=%an%n%B"])
    #expect(log.hasPrefix("Host's user through elicitation on behalf of worker\n"), "\(log)")
    #expect(log.contains("Tack-Actor: person:host-user@worker\n"), "\(log)")
    #expect(log.contains("Tack-On-Behalf-Of: agent:worker\n"), "\(log)")
    #expect(log.contains("Tack-Answered-Through: elicitation\n"), "\(log)")
  }

  @Test func theHostUserAnswersOnlyWhereThePrincipalMayAnswer() throws {
    let fixture = try ScopeFixture()
    #expect(throws: TackError.self) {
      try fixture.access("deployer").authorizeHostUserAnswers(board: "ops")
    }
    try fixture.access("worker").authorizeHostUserAnswers(board: "main")
  }
}
