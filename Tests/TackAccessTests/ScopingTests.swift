import Foundation
import Testing
import TackAccess
import TackCore

/// One escape attempt: who tries, what, and the error that must stop it (with nothing written).
struct Escape: CustomStringConvertible, Sendable {
  var name: String
  var principal: String?
  var attempt: @Sendable (BoardAccess, ScopeFixture) throws -> Void
  var expected: @Sendable (TackError, ScopeFixture) -> Bool

  var description: String { name }
}

private func notFound(_ error: TackError, _: ScopeFixture) -> Bool {
  if case .taskNotFound = error { return true }
  return false
}
private func boardNotFound(_ error: TackError, _: ScopeFixture) -> Bool {
  if case .boardNotFound = error { return true }
  return false
}
private func forbidden(_ error: TackError, _: ScopeFixture) -> Bool {
  if case .forbidden = error { return true }
  return false
}
private func invalidName(_ error: TackError, _: ScopeFixture) -> Bool {
  if case .invalidName = error { return true }
  return false
}

let escapes: [Escape] = [
  // Other boards and out-of-label tasks are invisible, by id, short id, filter and history.
  Escape(
    name: "deployer gets a main task by id", principal: "deployer",
    attempt: { a, f in _ = try a.task(f.mainTask) }, expected: notFound),
  Escape(
    name: "deployer gets a secret-labelled task by id", principal: "deployer",
    attempt: { a, f in _ = try a.task(f.secretTask) }, expected: notFound),
  Escape(
    name: "deployer gets a secret task by short id", principal: "deployer",
    attempt: { a, f in _ = try a.task(String(f.secretTask.dropFirst(5).prefix(12))) },
    expected: notFound),
  Escape(
    name: "deployer lists board main", principal: "deployer",
    attempt: { a, _ in _ = try a.list(TaskFilter(board: "main")) }, expected: boardNotFound),
  Escape(
    name: "deployer reads main's history", principal: "deployer",
    attempt: { a, f in _ = try a.history(f.mainTask) }, expected: notFound),
  Escape(
    name: "deployer reads a secret task's history", principal: "deployer",
    attempt: { a, f in _ = try a.history(f.secretTask) }, expected: notFound),
  Escape(
    name: "deployer shows board main", principal: "deployer",
    attempt: { a, _ in _ = try a.board("main") }, expected: boardNotFound),
  Escape(
    name: "deployer creates on the default board main", principal: "deployer",
    attempt: { a, _ in _ = try a.create(title: "x") }, expected: boardNotFound),
  Escape(
    name: "deployer notes a main task", principal: "deployer",
    attempt: { a, f in _ = try a.addNote(f.mainTask, text: "x") }, expected: notFound),
  Escape(
    name: "deployer moves a secret task", principal: "deployer",
    attempt: { a, f in _ = try a.transition(f.secretTask, to: "working") }, expected: notFound),
  // Labels: the label that keeps a task in scope stays; a create must carry one.
  Escape(
    name: "deployer removes the deploy label", principal: "deployer",
    attempt: { a, f in _ = try a.edit(f.deployTask, removeLabels: ["deploy"]) }, expected: forbidden
  ),
  Escape(
    name: "deployer swaps deploy for secret", principal: "deployer",
    attempt: { a, f in _ = try a.edit(f.deployTask, addLabels: ["secret"], removeLabels: ["deploy"])
    }, expected: forbidden),
  Escape(
    name: "worker creates on ops", principal: "worker",
    attempt: { a, _ in _ = try a.create(title: "x", board: "ops") }, expected: boardNotFound),
  // A read-only agent tries every write.
  Escape(
    name: "reader creates", principal: "reader",
    attempt: { a, _ in _ = try a.create(title: "x", board: "ops") }, expected: forbidden),
  Escape(
    name: "reader edits", principal: "reader",
    attempt: { a, f in _ = try a.edit(f.deployTask, title: "x") }, expected: forbidden),
  Escape(
    name: "reader transitions", principal: "reader",
    attempt: { a, f in _ = try a.transition(f.deployTask, to: "working") }, expected: forbidden),
  Escape(
    name: "reader comments", principal: "reader",
    attempt: { a, f in _ = try a.addNote(f.deployTask, text: "x") }, expected: forbidden),
  Escape(
    name: "reader claims", principal: "reader",
    attempt: { a, f in _ = try a.claim(f.deployTask, leaseSeconds: 60) }, expected: forbidden),
  Escape(
    name: "reader releases", principal: "reader",
    attempt: { a, f in _ = try a.release(f.deployTask) }, expected: forbidden),
  Escape(
    name: "reader asks for input", principal: "reader",
    attempt: { a, f in
      _ = try a.requestInput(f.deployTask, key: "k", request: .init(type: .text, message: "?"))
    }, expected: forbidden),
  Escape(
    name: "reader answers", principal: "reader",
    attempt: { a, f in _ = try a.answer(f.deployTask, responses: ["k": ["text": "x"]]) },
    expected: forbidden),
  Escape(
    name: "reader adds a board", principal: "reader",
    attempt: { a, _ in _ = try a.addBoard("new") }, expected: forbidden),
  Escape(
    name: "reader grants itself more", principal: "reader",
    attempt: { a, _ in _ = try a.grant("reader", board: "ops", labels: nil, can: [.admin]) },
    expected: forbidden),
  Escape(
    name: "reader lists scopes", principal: "reader", attempt: { a, _ in _ = try a.scopes() },
    expected: forbidden),
  Escape(
    name: "reader shows another's scope", principal: "reader",
    attempt: { a, _ in _ = try a.scope("deployer") }, expected: forbidden),
  Escape(
    name: "deployer adds a principal", principal: "deployer",
    attempt: { a, _ in _ = try a.addPrincipal("evil", kind: .agent, name: nil, email: nil) },
    expected: forbidden),
  Escape(
    name: "worker removes a principal", principal: "worker",
    attempt: { a, _ in try a.removePrincipal("deployer") }, expected: forbidden),
  // Crafted names never become paths.
  Escape(
    name: "../ as a board", principal: nil,
    attempt: { a, _ in _ = try a.create(title: "x", board: "../ops") }, expected: invalidName),
  Escape(
    name: "/ in a board", principal: nil,
    attempt: { a, _ in _ = try a.list(TaskFilter(board: "ops/tasks")) }, expected: invalidName),
  Escape(
    name: "%2e%2e as a board", principal: nil, attempt: { a, _ in _ = try a.addBoard("%2e%2e") },
    expected: invalidName),
  Escape(
    name: "NUL in a label", principal: nil,
    attempt: { a, _ in _ = try a.create(title: "x", labels: ["a\u{0}b"]) }, expected: invalidName),
  Escape(
    name: "newline in a label", principal: nil,
    attempt: { a, f in _ = try a.edit(f.mainTask, addLabels: ["a\nb"]) }, expected: invalidName),
  Escape(
    name: "look-alike Cyrillic board", principal: nil,
    attempt: { a, _ in _ = try a.addBoard("оps") }, expected: invalidName),
  Escape(
    name: "path in a task id", principal: nil,
    // Text no id can contain names no task (never a path).
    attempt: { a, _ in _ = try a.task("../../.tack/config") }, expected: notFound),
  Escape(
    name: "../ as a principal id", principal: nil,
    attempt: { a, _ in _ = try a.addPrincipal("../x", kind: .agent, name: nil, email: nil) },
    expected: invalidName),
  Escape(
    name: "over-long principal id", principal: nil,
    attempt: { a, _ in
      _ = try a.addPrincipal(String(repeating: "a", count: 65), kind: .agent, name: nil, email: nil)
    }, expected: invalidName),
  Escape(
    name: "grant on a path", principal: nil,
    attempt: { a, _ in _ = try a.grant("reader", board: "../main", labels: nil, can: [.read]) },
    expected: invalidName),
]

@Suite struct ScopingTests {
  @Test(arguments: escapes)
  func escapeIsRefusedAndNothingIsWritten(escape: Escape) throws {
    let fixture = try ScopeFixture()
    let access = try fixture.access(escape.principal)
    let before = fixture.tip
    do {
      try escape.attempt(access, fixture)
      Issue.record("\(escape.name): allowed")
    } catch let error as TackError {
      #expect(escape.expected(error, fixture), "\(escape.name): \(error)")
    }
    #expect(fixture.tip == before, "\(escape.name): the branch moved")
  }

  @Test func hiddenTasksGiveTheSameAnswerAsMissingOnes() throws {
    let fixture = try ScopeFixture()
    let deployer = try fixture.access("deployer")
    let missing = "task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    func message(_ body: () throws -> Void) -> (String, Int32)? {
      do { try body() } catch let error as TackError {
        return (error.description.replacingOccurrences(of: missing, with: "ID"), error.exitCode)
      } catch { return nil }
      return nil
    }
    let hidden = message { _ = try deployer.task(fixture.secretTask) }
    let absent = message { _ = try deployer.task(missing) }
    #expect(hidden?.1 == absent?.1)
    #expect(hidden?.0.replacingOccurrences(of: fixture.secretTask, with: "ID") == absent?.0)
    #expect(
      message { _ = try deployer.board("main") }?.0
        == message { _ = try deployer.board("nosuch") }?.0.replacingOccurrences(
          of: "nosuch", with: "main"))
  }

  @Test func unknownPrincipalsAreRefusedNeverDefaulted() throws {
    let fixture = try ScopeFixture()
    #expect(throws: TackError.unknownPrincipal("ghost")) { _ = try fixture.access("ghost") }
    #expect(throws: TackError.self) { _ = try fixture.access("Bad/Id") }
  }

  @Test func aScopedAgentStillDoesItsWork() throws {
    let fixture = try ScopeFixture()
    let deployer = try fixture.access("deployer")
    #expect(try deployer.boards().boards.map(\.name) == ["ops"])
    #expect(try deployer.list(TaskFilter()).tasks.map(\.taskId.rawValue) == [fixture.deployTask])
    let created = try deployer.create(title: "hotfix", board: "ops")
    #expect(created.labels == ["deploy"])
    _ = try deployer.claim(created.taskId.rawValue, leaseSeconds: 60)
    _ = try deployer.addNote(created.taskId.rawValue, text: "rolling out")
    _ = try deployer.edit(created.taskId.rawValue, addLabels: ["urgent"])
    let done = try deployer.transition(created.taskId.rawValue, to: "completed")
    #expect(done.status == "completed")
    let log = try fixture.git(["log", "-1", "--format=%an <%ae>%n%B", "main"])
    #expect(log.hasPrefix("Deploy Bot <deployer@agents.example>\n"))
    #expect(log.contains("Tack-Actor: agent:deployer"))
    #expect(try deployer.history(created.taskId.rawValue).count == 5)
    // The reader sees the whole ops board but cannot touch it.
    let reader = try fixture.access("reader")
    #expect(try reader.list(TaskFilter()).tasks.count == 3)
    #expect(try reader.scope("reader").grants.map(\.board) == ["ops"])
  }

  @Test func theLocalIdentityIsConfinedOnceSomebodyIsAdmin() throws {
    let fixture = try ScopeFixture()
    // admin@example.com is the git identity and the admin principal: it keeps full rights.
    let local = try fixture.access(nil)
    #expect(local.principal.id == "admin")
    #expect(try local.list(TaskFilter()).tasks.count == 3)
    // Another git identity, not a principal, is refused.
    try fixture.git(["config", "user.email", "stranger@example.com"])
    let stranger = try fixture.access(nil)
    #expect(throws: TackError.self) { _ = try stranger.list(TaskFilter()) }
    // Before anyone is admin, the local identity has full rights.
    try fixture.git(["config", "user.email", "admin@example.com"])
    _ = try fixture.access("admin").revoke("admin", board: "*")
    #expect(try fixture.access(nil).boards().boards.count == 2)
    try fixture.git(["config", "user.email", "stranger@example.com"])
    #expect(try fixture.access(nil).boards().boards.count == 2)
  }

  @Test func scopeChangesAreCommitsWithAnAuditTrail() throws {
    let fixture = try ScopeFixture()
    let log = try fixture.git(["log", "--format=%s", "--", ".tack/scopes.json"])
    #expect(log.split(separator: "\n").count == 8)
    #expect(
      log.hasPrefix(
        "scopes: grant worker main: read,create,edit,transition,comment,claim,answer,approve\n")
    )
    let stored = try fixture.git(["show", "main:.tack/scopes.json"])
    let parsed = try JSONValue.parse(stored)
    #expect(parsed.serialized(pretty: true) == stored)
    #expect(
      parsed["principals"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [
        "admin", "deployer", "reader", "worker",
      ])
  }
}
