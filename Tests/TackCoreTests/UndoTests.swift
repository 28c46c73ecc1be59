import TestSupport
import Testing

@testable import TackCore

private let alice = StoreFixture.alice
private let bot = StoreFixture.bot

/// `tack undo`: only your own latest change, through the board's rules, never losing a
/// later write.
@Suite struct UndoTests {
  @Test func revertsYourLatestChangeAsANewCommit() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "Ship it", labels: ["ops"], actor: alice).taskId
      .rawValue
    _ = try fixture.store.claim(id, leaseSeconds: 600, actor: bot)
    _ = try fixture.store.addNote(id, text: "halfway", actor: bot)
    let commits = fixture.commitCount
    let (task, undone) = try fixture.store.undo(id, actor: bot)
    #expect(undone.hasSuffix("— note"))
    #expect(task.notes.isEmpty && task.status == "working" && task.assignee == "bot")
    #expect(fixture.commitCount == commits + 1)
    // Another undo would undo the undo: refused.
    #expect(
      fixture.expectRefusal({
        if case .invalidInput(let m) = $0 { m.contains("an undo") } else { false }
      }) {
        _ = try fixture.store.undo(id, actor: bot)
      })
  }

  @Test func neverLosesSomeoneElsesLaterWrite() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "Ship it", actor: alice).taskId.rawValue
    _ = try fixture.store.transition(id, to: "working", actor: alice)
    _ = try fixture.store.addNote(id, text: "mine now", actor: bot)
    // Alice's latest write to the task is the move, but the bot wrote after it.
    #expect(
      fixture.expectRefusal({
        if case .invalidInput(let m) = $0 {
          m.contains("not yours") && m.contains("agent:bot")
        } else {
          false
        }
      }) { _ = try fixture.store.undo(id, actor: alice) })
    #expect(try fixture.store.task(id).notes.count == 1)
  }

  @Test func theStateMachineDecides() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "Ship it", actor: alice).taskId.rawValue
    // Creating is not undone (cancel instead).
    #expect(
      fixture.expectRefusal({
        if case .invalidInput(let m) = $0 { m.contains("tack cancel") } else { false }
      }) {
        _ = try fixture.store.undo(id, actor: alice)
      })
    // A terminal task is not un-terminated.
    _ = try fixture.store.transition(id, to: "completed", actor: alice)
    #expect(
      fixture.expectRefusal({ if case .terminalTask = $0 { true } else { false } }) {
        _ = try fixture.store.undo(id, actor: alice)
      })
    // Questions and answers are not taken back.
    let other = try fixture.store.create(title: "Ask", actor: alice).taskId.rawValue
    _ = try fixture.store.transition(other, to: "working", actor: alice)
    _ = try fixture.store.requestInput(
      other, key: "go", request: .init(type: .text, message: "Go?"), actor: alice)
    #expect(
      fixture.expectRefusal({
        if case .invalidInput(let m) = $0 { m.contains("questions") } else { false }
      }) {
        _ = try fixture.store.undo(other, actor: alice)
      })
  }

  @Test func aMoveBackTheBoardForbidsIsRefused() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "Ship it", actor: alice).taskId.rawValue
    _ = try fixture.store.transition(id, to: "working", actor: alice)
    // By hand: working may no longer go back to todo.
    try fixture.restrictMoves(from: "working", to: ["completed"])
    #expect(
      fixture.expectRefusal({
        if case .illegalTransition(_, "working", "todo", let allowed) = $0 {
          allowed == ["completed"]
        } else {
          false
        }
      }) { _ = try fixture.store.undo(id, actor: alice) })
  }
}
