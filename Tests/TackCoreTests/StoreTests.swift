import Foundation
import TestSupport
import Testing

@testable import TackCore

private let alice = StoreFixture.alice
private let bot = StoreFixture.bot

@Suite struct StoreLifecycleTests {
  @Test func initLaysTheTemplateInOneCommitAndIsHarmlessTwice() throws {
    let fixture = try StoreFixture(board: "ops")
    #expect(fixture.commitCount == 1)
    #expect(try fixture.store.config().defaultBoard == "ops")
    let files = try fixture.git(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n")
    #expect(
      files == [
        ".tack/.gitattributes", ".tack/README.md", ".tack/config.json", ".tack/scopes.example.json",
        "boards/.gitattributes", "boards/ops/board.json",
      ])
    let again = try Store.openOrCreate(at: fixture.path)
    #expect(!again.created)
    let outcome = try again.store.initialize(board: "other", actor: alice)
    #expect(outcome.addedFiles.isEmpty)
    #expect(outcome.defaultBoard == "ops")
    #expect(fixture.commitCount == 1)
  }

  @Test func createStartsInTheInitialStatusWithOneCommit() throws {
    let fixture = try StoreFixture()
    let task = try fixture.store.create(
      title: "Ship it", description: "all of it", labels: ["deploy", "deploy", "ops"], actor: bot)
    #expect(task.status == "todo")
    #expect(task.labels == ["deploy", "ops"])
    #expect(task.createdAt == fixture.clock.now)
    #expect(fixture.commitCount == 2)
    let message = try fixture.git(["log", "-1", "--format=%an <%ae>%n%B", "main"])
    #expect(
      message.hasPrefix(
        "Bot <bot@agents.example>\nmain: \(task.taskId.historyID) Ship it — created\n"))
    #expect(
      message.contains(
        "Tack-Task: \(task.taskId)\nTack-Board: main\nTack-Action: create\nTack-Status: todo\nTack-Actor: agent:bot\n"
      ))
    let stored = try fixture.git(["show", "main:\(Store.taskPath(task.taskId, board: "main"))"])
    #expect(Array(stored.utf8) == task.fileContents)
    #expect(try fixture.store.task(task.taskId.rawValue) == task)
  }

  @Test func transitionsFollowTheBoard() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    #expect(
      fixture.expectRefusal({
        if case .illegalTransition(_, "todo", "input_required", let allowed) = $0 {
          return allowed == ["working", "completed", "cancelled"]
        } else {
          return false
        }
      }) {
        _ = try fixture.store.transition(id, to: "input_required", actor: alice)
      })
    #expect(
      fixture.expectRefusal({
        if case .unknownStatus("done", "main", _) = $0 { true } else { false }
      }) {
        _ = try fixture.store.transition(id, to: "done", actor: alice)
      })
    #expect(
      try fixture.store.transition(id, to: "working", note: "on it", actor: alice).status
        == "working")
    let done = try fixture.store.transition(id, to: "completed", actor: alice)
    #expect(done.status == "completed")
    #expect(done.notes.map(\.text) == ["on it"])
    // Terminal is terminal: only notes.
    for attempt in [
      { _ = try fixture.store.transition(id, to: "working", actor: alice) },
      { _ = try fixture.store.edit(id, title: "new", actor: alice) },
      { _ = try fixture.store.claim(id, leaseSeconds: 60, actor: alice) },
      {
        _ = try fixture.store.requestInput(
          id, key: "k", request: .init(type: .text, message: "?"), actor: alice)
      },
    ] as [() throws -> Void] {
      #expect(
        fixture.expectRefusal(
          { if case .terminalTask(_, "completed") = $0 { true } else { false } }, attempt))
    }
    #expect(try fixture.store.addNote(id, text: "post-mortem", actor: alice).notes.count == 2)
  }

  /// A store keeps the boards it parsed, by the id of their file: a `board.json` changed by
  /// hand with plain git is a new blob, and the next write follows its rules.
  @Test func aBoardChangedByHandRulesTheNextWrite() throws {
    let fixture = try StoreFixture()
    let first = try fixture.store.create(title: "a", actor: alice).taskId.rawValue
    let second = try fixture.store.create(title: "b", actor: alice).taskId.rawValue
    #expect(try fixture.store.transition(first, to: "working", actor: alice).status == "working")
    let path = "boards/main/board.json"
    let original = try fixture.git(["show", "main:\(path)"])
    // By hand: todo may no longer move to working.
    try fixture.restrictMoves(from: "todo", to: ["cancelled"])
    #expect(
      fixture.expectRefusal({
        if case .illegalTransition(_, "todo", "working", let allowed) = $0 {
          allowed == ["cancelled"]
        } else {
          false
        }
      }) { _ = try fixture.store.transition(second, to: "working", actor: alice) })
    // And back: the first version's blob, parsed before, rules again.
    try TestGit.commitFile(in: fixture.path, path: path, content: original, message: "undo")
    #expect(try fixture.store.transition(second, to: "working", actor: alice).status == "working")
  }

  @Test func editChangesFieldsAndANoOpCommitsNothing() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", labels: ["a"], actor: alice).taskId.rawValue
    let (task, changed) = try fixture.store.edit(
      id, title: "T", addLabels: ["b"], removeLabels: ["a"], actor: alice)
    #expect(changed && task.title == "T" && task.labels == ["b"])
    let count = fixture.commitCount
    #expect(try !fixture.store.edit(id, title: "T", actor: alice).changed)
    #expect(fixture.commitCount == count)
    #expect(try fixture.git(["log", "-1", "--format=%s", "main"]).contains("edit title, labels"))
    #expect(
      fixture.expectRefusal({ if case .invalidName = $0 { true } else { false } }) {
        _ = try fixture.store.edit(id, addLabels: ["../x"], actor: alice)
      })
  }
}

@Suite struct InputRequestTests {
  @Test func anApprovalCompletesOnYesAndFailsOnNo() throws {
    let fixture = try StoreFixture()
    for (answer, expected) in [(true, "completed"), (false, "failed")] {
      let id = try fixture.store.create(title: "deploy", actor: alice).taskId.rawValue
      _ = try fixture.store.transition(id, to: "working", actor: bot)
      let asked = try fixture.store.requestInput(
        id, key: "approve_release",
        request: .init(
          type: .confirmation, message: "Ship?", onConfirm: "completed", onDecline: "failed"),
        actor: bot)
      #expect(asked.status == "input_required")
      #expect(asked.pendingInputKeys == ["approve_release"])
      #expect(asked.inputRequests["approve_release"]?.requestedBy == "bot")
      #expect(
        fixture.expectRefusal({ if case .invalidInput = $0 { true } else { false } }) {
          _ = try fixture.store.answer(
            id, responses: ["approve_release": ["text": "sure"]], actor: alice)
        })
      let answered = try fixture.store.answer(
        id, responses: ["approve_release": ["confirmed": .bool(answer)]], actor: alice)
      #expect(answered.status == expected)
      #expect(answered.inputResponses["approve_release"] == ["confirmed": .bool(answer)])
      #expect(answered.pendingInputKeys.isEmpty)
    }
  }

  @Test func theTaskWaitsForEveryRequestThenReturnsToWorking() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    _ = try fixture.store.transition(id, to: "working", actor: bot)
    _ = try fixture.store.requestInput(
      id, key: "region", request: .init(type: .text, message: "Which region?"), actor: bot)
    _ = try fixture.store.requestInput(
      id, key: "ok", request: .init(type: .confirmation, message: "Go?"), actor: bot)
    let partial = try fixture.store.answer(
      id, responses: ["region": ["text": "eu-west"]], actor: alice)
    #expect(partial.status == "input_required")
    #expect(
      fixture.expectRefusal({
        if case .noPendingRequest(_, "region", ["ok"]) = $0 { true } else { false }
      }) {
        _ = try fixture.store.answer(id, responses: ["region": ["text": "again"]], actor: alice)
      })
    #expect(
      fixture.expectRefusal({ if case .noPendingRequest(_, "nope", _) = $0 { true } else { false } }
      ) {
        _ = try fixture.store.answer(id, responses: ["nope": ["text": "x"]], actor: alice)
      })
    #expect(
      try fixture.store.answer(id, responses: ["ok": ["confirmed": true]], actor: alice).status
        == "working")
  }

  @Test func requestTargetsMustBeReachable() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    #expect(
      fixture.expectRefusal({
        if case .illegalTransition(_, "todo", "input_required", _) = $0 { true } else { false }
      }) {
        _ = try fixture.store.requestInput(
          id, key: "k", request: .init(type: .text, message: "?"), actor: bot)
      })
    _ = try fixture.store.transition(id, to: "working", actor: bot)
    #expect(
      fixture.expectRefusal({
        if case .illegalTransition(_, "input_required", "todo", _) = $0 { true } else { false }
      }) {
        _ = try fixture.store.requestInput(
          id, key: "k", request: .init(type: .text, message: "?", next: "todo"), actor: bot)
      })
    #expect(
      fixture.expectRefusal({ if case .invalidName = $0 { true } else { false } }) {
        _ = try fixture.store.requestInput(
          id, key: "a/b", request: .init(type: .text, message: "?"), actor: bot)
      })
  }
}

@Suite struct ClaimTests {
  @Test func aLeaseKeepsOthersOutUntilItExpires() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    let claimed = try fixture.store.claim(id, leaseSeconds: 600, actor: bot)
    #expect(claimed.status == "working" && claimed.assignee == "bot")
    #expect(
      claimed.lease == .init(holder: "bot", expiresAt: fixture.clock.now.adding(seconds: 600)))
    #expect(
      fixture.expectRefusal({ if case .leaseHeld(_, "bot", _) = $0 { true } else { false } }) {
        _ = try fixture.store.claim(id, leaseSeconds: 60, actor: alice)
      })
    #expect(
      fixture.expectRefusal({ if case .leaseHeld = $0 { true } else { false } }) {
        _ = try fixture.store.release(id, actor: alice)
      })
    fixture.clock.advance(seconds: 300)
    let renewed = try fixture.store.claim(id, leaseSeconds: 600, actor: bot)
    #expect(renewed.lease?.expiresAt == fixture.clock.now.adding(seconds: 600))
    #expect(try fixture.git(["log", "-1", "--format=%B", "main"]).contains("Tack-Action: renew"))
    fixture.clock.advance(seconds: 601)
    let taken = try fixture.store.claim(id, leaseSeconds: 60, actor: alice)
    #expect(taken.assignee == "alice@example.com" && taken.lease?.holder == "alice@example.com")
    let released = try fixture.store.release(id, actor: alice)
    #expect(released.status == "todo" && released.assignee == nil && released.lease == nil)
    #expect(
      fixture.expectRefusal({ if case .invalidInput = $0 { true } else { false } }) {
        _ = try fixture.store.release(id, actor: alice)
      })
  }
}

@Suite struct ReadTests {
  @Test func shortIDsResolveAndAmbiguityIsReported() throws {
    let fixture = try StoreFixture()
    // Same clock instant: the ids share their 10-character time prefix.
    let a = try fixture.store.create(title: "a", actor: alice).taskId
    let b = try fixture.store.create(title: "b", actor: alice).taskId
    #expect(try fixture.store.resolve(String(a.ulid)) == a)
    #expect(try fixture.store.resolve(a.rawValue.lowercased()) == a)
    let shorts = try fixture.store.shortIDs()
    #expect(try fixture.store.resolve(try #require(shorts[a])) == a)
    #expect(try fixture.store.resolve(try #require(shorts[b])) == b)
    // Drawn from the random part, so the shared time prefix does not lengthen them.
    #expect(shorts[a]! == a.randomPart.prefix(shorts[a]!.count).lowercased())
    #expect(shorts[a]!.count >= 5 && shorts[a]!.count < 8)
    #expect(
      throws: TackError.ambiguousTaskID(
        String(a.ulid.prefix(10)), candidates: [a, b].sorted().map(\.rawValue))
    ) {
      _ = try fixture.store.resolve(String(a.ulid.prefix(10)))
    }
    #expect(throws: TackError.taskNotFound("ZZZZZZZZ")) {
      _ = try fixture.store.resolve("ZZZZZZZZ")
    }
    // Text that cannot be an id (U is not Crockford base32) is no task, like an unknown id.
    #expect(throws: TackError.taskNotFound("../..")) { _ = try fixture.store.resolve("../..") }
    #expect(throws: TackError.taskNotFound("k3fu")) { _ = try fixture.store.resolve("k3fu") }
  }

  @Test func listFiltersAndReportsUnreadableFilesWithoutStopping() throws {
    let fixture = try StoreFixture(bare: false)
    _ = try fixture.store.addBoard("ops", actor: alice)
    let a = try fixture.store.create(title: "Alpha release", labels: ["x"], actor: alice)
    fixture.clock.advance(seconds: 1)
    let b = try fixture.store.create(title: "beta", board: "ops", labels: ["x", "y"], actor: alice)
    _ = try fixture.store.claim(b.taskId.rawValue, leaseSeconds: 60, actor: bot)
    #expect(try fixture.store.list().tasks.map(\.taskId) == [a.taskId, b.taskId])
    #expect(try fixture.store.list(TaskFilter(board: "ops")).tasks.map(\.taskId) == [b.taskId])
    #expect(
      try fixture.store.list(TaskFilter(labels: ["x", "y"])).tasks.map(\.taskId) == [b.taskId])
    #expect(
      try fixture.store.list(TaskFilter(statuses: ["todo"])).tasks.map(\.taskId) == [a.taskId])
    #expect(try fixture.store.list(TaskFilter(assignee: "bot")).tasks.map(\.taskId) == [b.taskId])
    #expect(try fixture.store.list(TaskFilter(assignee: "")).tasks.map(\.taskId) == [a.taskId])
    #expect(try fixture.store.list(TaskFilter(text: "ALPHA")).tasks.map(\.taskId) == [a.taskId])
    #expect(throws: TackError.boardNotFound("nope")) {
      _ = try fixture.store.list(TaskFilter(board: "nope"))
    }

    // A hand-committed broken file is reported by path; the others still list.
    let path = Store.taskPath(a.taskId, board: "main")
    try Data("{ not json".utf8).write(to: URL(fileURLWithPath: fixture.path + "/" + path))
    try fixture.git(["commit", "-qam", "break it"])
    let (tasks, problems) = try fixture.store.list()
    #expect(tasks.map(\.taskId) == [b.taskId])
    #expect(problems.map(\.path) == [path])
    #expect(try fixture.store.check().map(\.path) == [path])
    #expect(throws: TackError.self) { _ = try fixture.store.task(a.taskId.rawValue) }
  }

  @Test func handEditsAreReadAndShowInHistory() throws {
    let fixture = try StoreFixture(bare: false)
    let task = try fixture.store.create(title: "old title", actor: alice)
    _ = try fixture.store.transition(task.taskId.rawValue, to: "working", actor: bot)
    let path = fixture.path + "/" + Store.taskPath(task.taskId, board: "main")
    let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
      of: "old title", with: "new title")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    try fixture.git(["commit", "-qam", "retitle by hand"])
    #expect(try fixture.store.task(task.taskId.rawValue).title == "new title")
    let history = try fixture.store.history(task.taskId.rawValue)
    #expect(history.map(\.action) == [nil, "transition", "create"])
    #expect(history[0].actor == nil && history[0].authorEmail == "hand@example.com")
    #expect(history[0].changes == ["title: old title → new title"])
    #expect(history[1].changes.contains("status: todo → working"))
    #expect(history[1].actor == "agent:bot")
    // And the store keeps writing on top of the hand edit.
    #expect(
      try fixture.store.addNote(task.taskId.rawValue, text: "ok", actor: alice).title == "new title"
    )
  }

  @Test func unknownFieldsSurviveAWrite() throws {
    let fixture = try StoreFixture(bare: false)
    let task = try fixture.store.create(title: "t", actor: alice)
    let path = fixture.path + "/" + Store.taskPath(task.taskId, board: "main")
    var json = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    guard case .object(var object) = json else { Issue.record("not an object"); return }
    object["futureField"] = ["kept": true]
    json = .object(object)
    try Data(json.serializedBytes()).write(to: URL(fileURLWithPath: path))
    try fixture.git(["commit", "-qam", "future"])
    _ = try fixture.store.addNote(task.taskId.rawValue, text: "n", actor: alice)
    #expect(
      try fixture.git(["show", "main:" + Store.taskPath(task.taskId, board: "main")]).contains(
        "\"futureField\": {\n    \"kept\": true\n  }"))
  }
}

@Suite struct ConcurrencyTests {
  /// Plain git cancels the task while a Tack write is deciding (Tack's own writers take turns
  /// on a lock); the Tack write loses the swap, re-reads the tip and its rule is checked
  /// again.
  @Test func theLoserOfARaceSeesTheNewStateAndTheRuleIsRechecked() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    let path = Store.taskPath(try fixture.store.resolve(id), board: "main")
    var raced = false
    #expect(
      throws: TackError.terminalTask(
        task: try fixture.store.resolve(id).rawValue, status: "cancelled")
    ) {
      _ = try fixture.store.mutate(id, .transition, actor: alice) {
        (task, board, _) throws(TackError) in
        if !raced {
          raced = true
          var cancelled = try fixture.store.task(id)
          cancelled.status = "cancelled"
          do {
            try TestGit.commitFile(
              in: fixture.path, path: path,
              content: String(decoding: cancelled.fileContents, as: UTF8.self),
              message: "cancel by hand")
          } catch { Issue.record("the hand commit failed: \(error)") }
        }
        try Store.refuseTerminal(task, board)
        try Store.move(&task, to: "completed", on: board)
        return .init(what: "todo → completed", body: nil, action: "transition")
      }
    }
    #expect(try fixture.store.task(id).status == "cancelled")
  }

  @Test func threadsWritingAtOnceAllLand() async throws {
    let fixture = try StoreFixture(bare: false)
    let path = fixture.path
    let id = try fixture.store.create(title: "shared", actor: alice).taskId.rawValue
    try await withThrowingTaskGroup(of: Void.self) { group in
      for worker in 0..<4 {
        group.addTask {
          let store = try Store.open(discoveringFrom: path)
          for n in 0..<10 { _ = try store.addNote(id, text: "w\(worker) n\(n)", actor: alice) }
        }
      }
      try await group.waitForAll()
    }
    #expect(try fixture.store.task(id).notes.count == 40)
    #expect(fixture.commitCount == 42)
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    try fixture.git(["fsck", "--strict"])
  }
}

@Suite struct ReopenTests {
  @Test func reopeningMakesANewTaskThatLinksBackInOneCommit() throws {
    let fixture = try StoreFixture()
    let old = try fixture.store.create(title: "flaky test", labels: ["ci"], actor: alice)
    #expect(
      fixture.expectRefusal({ if case .invalidInput = $0 { true } else { false } }) {
        _ = try fixture.store.reopen(old.taskId.rawValue, actor: alice)
      })
    _ = try fixture.store.transition(old.taskId.rawValue, to: "completed", actor: alice)
    let count = fixture.commitCount
    let new = try fixture.store.reopen(old.taskId.rawValue, actor: bot)
    #expect(fixture.commitCount == count + 1)
    #expect(new.status == "todo" && new.title == "flaky test" && new.labels == ["ci"])
    #expect(new.links == [.init(rel: "reopens", taskId: old.taskId.rawValue)])
    let closed = try fixture.store.task(old.taskId.rawValue)
    #expect(closed.status == "completed")
    #expect(closed.notes.last?.text == "Reopened as \(new.taskId).")
    #expect(try fixture.git(["log", "-1", "--format=%B", "main"]).contains("Tack-Action: reopen"))
  }
}

@Suite struct ImportTests {
  @Test func importIsOneCommitAndExportReadsBackLosslessly() throws {
    let fixture = try StoreFixture()
    let lines = [
      #"{"title": "one", "labels": ["a"]}"#, #"{"title": "two", "status": "working"}"#,
      #"{"title": "three", "description": "d"}"#,
    ]
    let items = try lines.enumerated().map {
      try Store.ImportItem(json: Array($1.utf8), line: $0 + 1)
    }
    let count = fixture.commitCount
    let imported = try fixture.store.importTasks(items, actor: alice)
    #expect(fixture.commitCount == count + 1)
    #expect(imported.map(\.status) == ["todo", "working", "todo"])
    #expect(try fixture.git(["log", "-1", "--format=%s", "main"]) == "main: import 3 tasks\n")
    // Exported tasks (full objects) go into another repository unchanged.
    let other = try StoreFixture()
    let exported = try fixture.store.list().tasks
    let again = try exported.enumerated().map { index, task in
      try Store.ImportItem(json: task.json.serializedBytes(pretty: false), line: index + 1)
    }
    try other.store.importTasks(again, actor: alice)
    #expect(try other.store.list().tasks == exported)
  }

  @Test func aBadBatchWritesNothing() throws {
    let fixture = try StoreFixture()
    let existing = try fixture.store.create(title: "x", actor: alice)
    let before = try fixture.git(["rev-parse", "main"])
    for bad in [
      [#"{"title": "ok"}"#, #"{"title": "bad", "status": "nope"}"#],
      [#"{"title": "ok"}"#, #"{"title": "bad", "board": "../x"}"#],
      [
        #"{"title": "ok"}"#,
        String(decoding: existing.json.serializedBytes(pretty: false), as: UTF8.self),
      ],
    ] {
      let items = try bad.enumerated().map {
        try Store.ImportItem(json: Array($1.utf8), line: $0 + 1)
      }
      #expect(throws: TackError.self) { try fixture.store.importTasks(items, actor: alice) }
      #expect(try fixture.git(["rev-parse", "main"]) == before)
    }
    #expect(throws: TackError.self) {
      _ = try Store.ImportItem(json: Array(#"{"title": 7}"#.utf8), line: 1)
    }
    #expect(throws: TackError.self) { _ = try Store.ImportItem(json: Array("[1]".utf8), line: 1) }
  }
}

@Suite struct MaintenanceStoreTests {
  /// Each write leaves one small pack; writes fold them once there are more than sixteen.
  @Test func writesFoldTheSmallPacksTheyLeave() throws {
    let fixture = try StoreFixture()
    let items = try (0..<200).map { n in
      try Store.ImportItem(json: Array("{\"title\": \"t\(n)\"}".utf8), line: n + 1)
    }
    try fixture.store.importTasks(items, actor: alice)
    var most = 0
    for n in 0..<60 {
      _ = try fixture.store.create(title: "w\(n)", actor: alice)
      most = max(most, fixture.packCount)
    }
    #expect(most <= Store.packFoldThreshold + 1)
    #expect(fixture.store.looseObjectCount == 0)
    #expect(try fixture.store.list().tasks.count == 260)
    try fixture.git(["fsck", "--strict"])
  }

  /// A long-lived process (the MCP server) leaves folds to a thread of its own, which also
  /// folds what writes left while it ran; a process about to end lets it finish.
  @Test func writesCanFoldOnAThreadOfTheirOwn() throws {
    let fixture = try StoreFixture()
    fixture.store.packsInBackground = true
    for n in 0..<40 { _ = try fixture.store.create(title: "w\(n)", actor: alice) }
    #expect(fixture.store.finishBackgroundPacking())
    // The last write may have come as the thread looked for the last time.
    #expect(fixture.packCount <= Store.packFoldThreshold + 1)
    #expect(try fixture.store.list().tasks.count == 40)
    try fixture.git(["fsck", "--strict"])
  }

  @Test func checkFixMovesAMisplacedTaskFile() throws {
    let fixture = try StoreFixture(bare: false)
    let task = try fixture.store.create(title: "lost", actor: alice)
    let home = Store.taskPath(task.taskId, board: "main")
    try fixture.git(["mv", home, "boards/main/tasks/\(task.taskId).json"])
    try fixture.git(["commit", "-qm", "flatten by hand"])
    #expect(try fixture.store.check().map(\.path) == ["boards/main/tasks/\(task.taskId).json"])
    #expect(throws: TackError.self) { _ = try fixture.store.task(task.taskId.rawValue) }
    let (fixed, remaining) = try fixture.store.repair(actor: alice)
    #expect(fixed.count == 1 && remaining.isEmpty)
    #expect(try fixture.store.task(task.taskId.rawValue).title == "lost")
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(try fixture.git(["log", "-1", "--format=%B", "main"]).contains("Tack-Action: repair"))
  }

  @Test func checkReportsAnIdFoundTwice() throws {
    let fixture = try StoreFixture(bare: false)
    _ = try fixture.store.addBoard("ops", actor: alice)
    let task = try fixture.store.create(title: "twin", actor: alice)
    let copy = Store.taskPath(task.taskId, board: "ops")
    try FileManager.default.createDirectory(
      atPath: fixture.path + "/" + copy.split(separator: "/").dropLast().joined(separator: "/"),
      withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: fixture.path + "/" + Store.taskPath(task.taskId, board: "main"),
      toPath: fixture.path + "/" + copy)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-qm", "copy by hand"])
    let problems = try fixture.store.check()
    #expect(problems.contains { $0.path == copy && $0.reason.contains("also in") })
  }
}

@Suite struct FuzzTests {
  /// Seeded random mutations of a real task file: the decoder either reads it or throws a
  /// TackError naming the path; it never crashes or hangs.
  @Test func theTaskDecoderSurvivesMutatedFiles() throws {
    let fixture = try StoreFixture()
    var task = try fixture.store.create(title: "fuzz me", labels: ["a"], actor: alice)
    task.notes = [.init(at: fixture.clock.now, by: "x", text: "a note with \u{e9} and \"quotes\"")]
    let original = task.fileContents
    var generator = SplitMix64(seed: 0x7ac7)
    var decoded = 0
    var refused = 0
    for _ in 0..<20_000 {
      var bytes = original
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        let position = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
        case 1: bytes.remove(at: position)
        default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
        }
      }
      do {
        _ = try BoardTask(fileContents: bytes, path: "fuzz.json")
        decoded += 1
      } catch {
        if case .corruptFile(let path, _) = error { #expect(path == "fuzz.json") }
        refused += 1
      }
    }
    #expect(decoded + refused == 20_000)
    #expect(refused > 0)
  }
}
