import Foundation
import Testing

@testable import TackCore

/// Priority, due dates, dependencies, the ready queue and its atomic claim.
@Suite struct PlanningTests {
  let alice = StoreFixture.alice
  let bot = StoreFixture.bot

  @Test func prioritiesTakeNumbersAndNames() throws {
    #expect(try Priority.parse("0") == 0)
    #expect(try Priority.parse("Critical") == 0)
    #expect(try Priority.parse("backlog") == 4)
    for bad in ["5", "-1", "urgent", "", "2.0"] {
      #expect(throws: TackError.self) { try Priority.parse(bad) }
    }
  }

  @Test func dueDatesAreRealDaysOrMoments() throws {
    #expect(try DueDate.parse("2028-02-29") == "2028-02-29")
    #expect(try DueDate.parse("2026-12-24T17:00:00+01:00") == "2026-12-24T16:00:00.000Z")
    for bad in ["2026-02-31", "2027-02-29", "2026-13-01", "24.12.2026", "tomorrow", ""] {
      #expect(throws: TackError.self, "\(bad)") { try DueDate.parse(bad) }
    }
  }

  @Test func oldFilesReadAsDefaultsAndUnsetFieldsAreNotWritten() throws {
    let fixture = try StoreFixture()
    let task = try fixture.store.create(title: "plain", actor: alice)
    #expect(task.priority == nil && task.due == nil && task.effectivePriority == Priority.normal)
    let text = String(decoding: task.fileContents, as: UTF8.self)
    #expect(!text.contains("priority") && !text.contains("\"due\""))
    var planned = task
    planned.priority = 0
    planned.due = "2026-12-24"
    let read = try BoardTask(fileContents: planned.fileContents, path: "x.json")
    #expect(read.priority == 0 && read.due == "2026-12-24")
    var broken = planned.json.objectValue!
    broken["priority"] = .int(7)
    #expect(throws: TackError.self) {
      try BoardTask(fileContents: JSONValue.object(broken).serializedBytes(pretty: true), path: "x")
    }
  }

  @Test func theReadyQueueOrdersByPriorityThenDueThenAge() throws {
    let fixture = try StoreFixture()
    let store = fixture.store
    let old = try store.create(title: "old, normal", actor: alice)
    fixture.clock.advance(seconds: 1)
    let late = try store.create(
      title: "due later", plan: .init(due: "2027-01-01"), actor: alice)
    let soon = try store.create(
      title: "due sooner", plan: .init(due: "2026-12-24"), actor: alice)
    let urgent = try store.create(title: "urgent", plan: .init(priority: 0), actor: alice)
    let backlog = try store.create(title: "someday", plan: .init(priority: 4), actor: alice)
    let order = try store.ready(actor: alice).map(\.summary.taskId)
    #expect(order == [urgent, soon, late, old, backlog].map(\.taskId))
  }

  @Test func blockedLeasedAndStartedTasksAreNotReady() throws {
    let fixture = try StoreFixture()
    let store = fixture.store
    let blocker = try store.create(title: "blocker", actor: alice)
    let waiting = try store.create(
      title: "waits", plan: .init(addBlockers: [blocker.taskId.rawValue]), actor: alice)
    let started = try store.create(title: "started", actor: alice)
    _ = try store.transition(started.taskId.rawValue, to: "working", actor: alice)
    let leased = try store.create(title: "leased", actor: alice)
    _ = try store.claim(leased.taskId.rawValue, leaseSeconds: 600, actor: bot)
    var ready = try store.ready(actor: alice).map(\.summary.title)
    #expect(ready == ["blocker"])
    // Back in its initial status a task holds no lease (the move ends it): ready again.
    _ = try store.transition(leased.taskId.rawValue, to: "todo", actor: bot)
    #expect(Set(try store.ready(actor: alice).map(\.summary.title)) == ["blocker", "leased"])
    _ = try store.transition(leased.taskId.rawValue, to: "cancelled", actor: alice)
    // A task in its initial status with a live lease (as a merge or an import can leave it):
    // not ready for others, ready for the holder.
    let now = fixture.clock.now
    var held = BoardTask(
      taskId: TaskID.generate(at: now), board: "main", title: "held", status: "todo",
      createdAt: now)
    held.lease = .init(holder: bot.id, expiresAt: now.adding(seconds: 600))
    try store.importTasks([.task(held)], actor: alice)
    #expect(try !store.ready(actor: alice).map(\.summary.title).contains("held"))
    #expect(try store.ready(actor: bot).map(\.summary.title).contains("held"))
    fixture.clock.advance(seconds: 601)
    #expect(try store.ready(actor: alice).map(\.summary.title).contains("held"))
    _ = try store.transition(held.taskId.rawValue, to: "cancelled", actor: alice)
    _ = try store.transition(blocker.taskId.rawValue, to: "working", actor: alice)
    _ = try store.transition(blocker.taskId.rawValue, to: "completed", actor: alice)
    ready = try store.ready(actor: alice).map(\.summary.title)
    #expect(ready == ["waits"])
    _ = waiting
  }

  @Test func aCycleIsRefusedAndNamed() throws {
    let fixture = try StoreFixture()
    let store = fixture.store
    let a = try store.create(title: "A", actor: alice)
    let b = try store.create(
      title: "B", plan: .init(addBlockers: [a.taskId.rawValue]), actor: alice)
    let c = try store.create(
      title: "C", plan: .init(addBlockers: [b.taskId.rawValue]), actor: alice)
    let before = fixture.commitCount
    do {
      _ = try store.plan(a.taskId.rawValue, .init(addBlockers: [c.taskId.rawValue]), actor: alice)
      Issue.record("a cycle was accepted")
    } catch {
      let text = "\(error)"
      #expect(text.contains("cycle"), "\(text)")
      for task in [a, b, c] { #expect(text.contains(task.taskId.rawValue), "\(text)") }
    }
    #expect(throws: TackError.self) {
      _ = try store.plan(a.taskId.rawValue, .init(addBlockers: [a.taskId.rawValue]), actor: alice)
    }
    #expect(fixture.commitCount == before)
    // Removing a dependency unblocks.
    let (unblocked, changed) = try store.plan(
      c.taskId.rawValue, .init(removeBlockers: [b.taskId.rawValue]), actor: alice)
    #expect(changed && unblocked.blockers.isEmpty)
    let (_, blockers, blocks) = try store.dependencies(b.taskId.rawValue)
    #expect(blockers.map(\.taskId) == [a.taskId.rawValue] && blockers[0].isOpen)
    #expect(blocks.isEmpty)
    #expect(try store.dependencies(a.taskId.rawValue).blocks.map(\.taskId) == [b.taskId])
  }

  @Test func aMissingBlockerIsNoTaskAndWritesNothing() throws {
    let fixture = try StoreFixture()
    let before = fixture.commitCount
    #expect(throws: TackError.self) {
      _ = try fixture.store.create(
        title: "x", plan: .init(addBlockers: ["task_01ZZZZZZZZZZZZZZZZZZZZZZZZ"]), actor: alice)
    }
    #expect(fixture.commitCount == before)
  }

  @Test func claimNextGivesEachCallerADifferentTask() throws {
    let fixture = try StoreFixture()
    let store = fixture.store
    for number in 0..<6 {
      _ = try store.create(title: "job \(number)", actor: alice)
    }
    let claimed = try (0..<6).map { _ in
      try #require(try store.claimNext(leaseSeconds: 600, actor: bot))
    }
    #expect(Set(claimed.map(\.taskId)).count == 6)
    #expect(claimed.allSatisfy { $0.status == "working" && $0.lease?.holder == bot.id })
    #expect(try store.claimNext(leaseSeconds: 600, actor: alice) == nil)
  }
}
