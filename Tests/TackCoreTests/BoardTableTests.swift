import Foundation
import TackGit
import TestSupport
import Testing

@testable import TackCore

private let alice = StoreFixture.alice

/// A board table answers a list of an unchanged board in one read; it must say exactly what
/// walking the board says, and a stale or damaged table must only cost time.
@Suite struct BoardTableTests {
  /// The list as a new process makes it: tasks (id → status) and problems.
  private func list(
    _ path: String
  ) throws -> (
    tasks: [String: String], problems: [String], fromTables: Bool
  ) {
    let store = try Store.open(discoveringFrom: path)
    let (tasks, problems) = try store.list()
    return (
      Dictionary(uniqueKeysWithValues: tasks.map { ($0.taskId.rawValue, $0.status) }),
      problems.map(\.description), store.readIndex.servedFromTables
    )
  }

  /// A bare board of 30 tasks (some working), one broken file and one misplaced file.
  private func board() throws -> StoreFixture {
    let fixture = try StoreFixture()
    for index in 0..<30 {
      let id = try fixture.store.create(title: "t\(index)", actor: alice).taskId.rawValue
      if index % 3 == 0 { _ = try fixture.store.transition(id, to: "working", actor: alice) }
    }
    try commitFile(fixture, "boards/main/tasks/0/0/broken.json", "{ not json")
    let moved = try fixture.store.create(title: "moved", actor: alice)
    try commitFile(
      fixture, "boards/main/tasks/\(moved.taskId.rawValue).json",
      String(decoding: moved.fileContents, as: UTF8.self))
    return fixture
  }

  private func commitFile(_ fixture: StoreFixture, _ path: String, _ text: String) throws {
    try TestGit.commitFile(in: fixture.path, path: path, content: text, message: "by hand")
  }

  private func tablesFile(_ fixture: StoreFixture) -> String {
    fixture.path + "/tack/board-tables"
  }

  @Test func anUnchangedBoardIsListedFromItsTableAndSaysTheSame() throws {
    let fixture = try board()
    let walked = try list(fixture.path)
    #expect(!walked.fromTables)
    #expect(walked.tasks.count == 31 && walked.problems.count == 2)
    #expect(FileManager.default.fileExists(atPath: tablesFile(fixture)))
    let tabled = try list(fixture.path)
    #expect(tabled.fromTables)
    #expect(tabled.tasks == walked.tasks && tabled.problems == walked.problems)

    // A write is a new tasks tree: the table is brought up to date from what changed.
    let id = try #require(walked.tasks.first { $0.value == "todo" }?.key)
    _ = try fixture.store.transition(id, to: "working", actor: alice)
    let after = try list(fixture.path)
    #expect(after.fromTables && after.tasks[id] == "working")
    #expect(try list(fixture.path).tasks == after.tasks)
  }

  /// A list filtered by status passes over the other tasks' records in the read index
  /// without decoding them; it must say what filtering the whole list says.
  @Test func aStatusFilterFromATableSaysWhatFilteringTheListSays() throws {
    let fixture = try board()
    let all = try list(fixture.path)
    for statuses in [["todo"], ["working"], ["working", "todo"], ["completed"]] {
      let store = try Store.open(discoveringFrom: fixture.path)
      let (tasks, problems) = try store.list(TaskFilter(statuses: statuses))
      #expect(store.readIndex.servedFromTables)
      let listed = Dictionary(uniqueKeysWithValues: tasks.map { ($0.taskId.rawValue, $0.status) })
      #expect(listed == all.tasks.filter { statuses.contains($0.value) }, "\(statuses)")
      #expect(problems.map(\.description) == all.problems)
    }
  }

  /// The list made by walking the board (no tables file).
  private func walked(
    _ fixture: StoreFixture
  ) throws -> (tasks: [String: String], problems: [String]) {
    let tables = try? Data(contentsOf: URL(fileURLWithPath: tablesFile(fixture)))
    try? FileManager.default.removeItem(atPath: tablesFile(fixture))
    defer { try? tables?.write(to: URL(fileURLWithPath: tablesFile(fixture))) }
    let result = try list(fixture.path)
    #expect(!result.fromTables)
    return (result.tasks, result.problems)
  }

  @Test func aTableBroughtUpToDateSaysWhatAWalkSays() throws {
    let fixture = try board()
    var generator = SplitMix64(seed: 7)
    var ids = Array(try list(fixture.path).tasks.keys).sorted()
    for round in 0..<24 {
      let id = ids[Int(generator.next() % UInt64(ids.count))]
      switch round % 6 {
      case 0: _ = try fixture.store.addNote(id, text: "n\(round)", actor: alice)
      case 1:
        ids.append(try fixture.store.create(title: "new \(round)", actor: alice).taskId.rawValue)
      case 2:  // a file broken by hand, then another one added broken
        try commitFile(fixture, "boards/main/tasks/1/2/broken\(round).json", "[")
      case 3:  // a problem fixed: the broken file removed
        let broken = try fixture.git(["ls-tree", "-r", "--name-only", "main", "boards/main/tasks"])
          .split(separator: "\n").first { $0.contains("broken") }
        if let broken {
          try fixture.git(["update-ref", "refs/heads/main", try removing(String(broken), fixture)])
        }
      case 4:  // two tasks changed in one commit, and one removed
        let task = try fixture.store.task(id)
        try commitFile(
          fixture, Store.taskPath(task.taskId, board: "main"),
          String(decoding: task.fileContents, as: UTF8.self)
            .replacingOccurrences(of: "\"title\": \"", with: "\"title\": \"edited "))
        try fixture.git([
          "update-ref", "refs/heads/main",
          try removing(Store.taskPath(try #require(TaskID(ids[0])), board: "main"), fixture),
        ])
        ids.removeFirst()
      default:
        _ = try? fixture.store.transition(id, to: "working", actor: alice)
      }
      let updated = try list(fixture.path)
      #expect(updated.fromTables, "round \(round)")
      let truth = try walked(fixture)
      #expect(updated.tasks == truth.tasks, "round \(round)")
      #expect(updated.problems == truth.problems, "round \(round)")
    }
  }

  /// A commit on main without `path` (plain git plumbing); returns its id.
  private func removing(_ path: String, _ fixture: StoreFixture) throws -> String {
    let index = fixture.path + "/scratch-index"
    defer { try? FileManager.default.removeItem(atPath: index) }
    func git(_ arguments: [String]) throws -> String {
      try TestGit.run(
        arguments, in: fixture.path,
        environment: [
          "GIT_INDEX_FILE": index, "GIT_AUTHOR_NAME": "Hand", "GIT_AUTHOR_EMAIL": "h@example.com",
          "GIT_COMMITTER_NAME": "Hand", "GIT_COMMITTER_EMAIL": "h@example.com",
        ])
    }
    _ = try git(["read-tree", "main"])
    _ = try git(["rm", "-q", "--cached", path])
    let tree = try git(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
    return try git(["commit-tree", tree, "-p", "main", "-m", "remove \(path)"])
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test func shortIDsFromATableAreAWalksShortIDs() throws {
    let fixture = try board()
    try FileManager.default.removeItem(atPath: fixture.path + "/tack")
    let walkedStore = try Store.open(discoveringFrom: fixture.path)
    let walked = try walkedStore.shortIDs()
    #expect(!walkedStore.readIndex.servedFromTables)
    // 31 tasks (the misplaced copy carries one of their ids; the broken file's name is none).
    #expect(walked.count == 31)
    _ = try Store.open(discoveringFrom: fixture.path).list()
    let tabledStore = try Store.open(discoveringFrom: fixture.path)
    #expect(try tabledStore.shortIDs() == walked)
    #expect(tabledStore.readIndex.servedFromTables)
  }

  /// A long-lived process (the MCP server) writes and lists, appending to the read index
  /// and past 64 chunks rewriting it: the tables it saves must point where the records are
  /// for everyone, so that neither it nor the next process has to rewrite them again.
  @Test func aLongLivedProcessSavesHintsOthersCanUse() throws {
    let fixture = try board()
    let store = fixture.store
    let ids = try store.list().tasks.map(\.taskId.rawValue)
    for round in 0..<(ReadIndex.maximumChunks + 6) {
      _ = try store.addNote(ids[round % ids.count], text: "n\(round)", actor: alice)
      _ = try store.list()
      if round % 20 == 19 || round >= ReadIndex.maximumChunks {
        let saved = try Data(contentsOf: URL(fileURLWithPath: tablesFile(fixture)))
        let other = try list(fixture.path)
        #expect(other.fromTables, "round \(round)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: tablesFile(fixture))) == saved)
        _ = try store.list()
        #expect(try Data(contentsOf: URL(fileURLWithPath: tablesFile(fixture))) == saved)
      }
    }
    #expect(try list(fixture.path).tasks == walked(fixture).tasks)
  }

  @Test func hintsIntoARewrittenReadIndexAreOnlyMisses() throws {
    let fixture = try board()
    let expected = try list(fixture.path)
    // The read index gone (or rewritten by another process): every hint misses, the list
    // reads the records again, and the tables get hints into the new file.
    try FileManager.default.removeItem(atPath: fixture.path + "/tack/read-index")
    let missed = try list(fixture.path)
    #expect(missed.tasks == expected.tasks && missed.problems == expected.problems)
    let healed = try list(fixture.path)
    #expect(healed.fromTables && healed.tasks == expected.tasks)
  }

  @Test func aHintAtAnotherTasksRecordIsAMiss() throws {
    let fixture = try board()
    let expected = try list(fixture.path)
    // Every hint moved one task along: each points at a real record, of the wrong blob.
    let file = CacheFile(path: tablesFile(fixture), format: BoardTable.format)
    let (bytes, chunks, damaged) = file.read()
    #expect(!damaged && chunks.count == 1)
    var reader = ByteReader(bytes, from: chunks[0].lowerBound, to: chunks[0].upperBound)
    var table = try #require(BoardTable(from: &reader))
    let hints = table.tasks.map(\.hint)
    #expect(hints.allSatisfy { $0 > 0 })
    for index in table.tasks.indices {
      table.tasks[index].hint = hints[(index + 1) % hints.count]
    }
    var writer = ByteWriter()
    table.write(to: &writer)
    try file.replace(with: [writer.bytes])
    let shifted = try list(fixture.path)
    #expect(shifted.tasks == expected.tasks && shifted.problems == expected.problems)
  }

  @Test(arguments: ["truncated", "garbage", "other board tree"])
  func aDamagedTablesFileIsIgnored(damage: String) throws {
    let fixture = try board()
    let expected = try list(fixture.path)
    let path = tablesFile(fixture)
    var bytes = try #require(FileManager.default.contents(atPath: path))
    switch damage {
    case "truncated": bytes = bytes.prefix(bytes.count / 2)
    case "garbage": bytes.replaceSubrange(60..<90, with: Data(repeating: 0x5A, count: 30))
    default:
      // A whole, well-formed table of an older version of the board: never used for this one.
      _ = try fixture.store.create(title: "newer", actor: alice)
      bytes = try #require(FileManager.default.contents(atPath: path))
    }
    try bytes.write(to: URL(fileURLWithPath: path))
    let listed = try list(fixture.path)
    #expect(listed.problems == expected.problems)
    #expect(listed.tasks.count == expected.tasks.count + (damage == "other board tree" ? 1 : 0))
    #expect(try list(fixture.path).tasks == listed.tasks)
  }

  @Test func aHandCommitNeverMeetsAStaleTable() throws {
    let fixture = try board()
    let before = try list(fixture.path)
    let id = try #require(before.tasks.first { $0.value == "todo" }?.key)
    let task = try fixture.store.task(id)
    let text = String(decoding: task.fileContents, as: UTF8.self)
      .replacingOccurrences(of: "\"status\": \"todo\"", with: "\"status\": \"cancelled\"")
    try commitFile(fixture, Store.taskPath(task.taskId, board: "main"), text)
    #expect(try list(fixture.path).tasks[id] == "cancelled")
    #expect(try list(fixture.path).tasks[id] == "cancelled")
  }
}
