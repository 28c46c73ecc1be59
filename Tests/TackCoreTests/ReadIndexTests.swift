import Foundation
import TackGit
import TestSupport
import Testing

@testable import TackCore

private let alice = StoreFixture.alice

/// The read index must never change what a list says: every test compares with the files
/// themselves, after writes made by tack, by hand with git, and with the cache damaged.
@Suite struct ReadIndexTests {
  /// What a list says, read straight from git without the index.
  private func truth(_ store: Store) throws -> [String: String] {
    var result: [String: String] = [:]
    let view = try store.view()
    let plain = View(
      repository: view.repository, snapshot: .init(commit: view.commit, tree: view.tree),
      branch: view.branch)
    for file in try plain.taskFiles(board: "main") {
      if let task = try? plain.readTask(at: file.path, board: "main") {
        result[task.taskId.rawValue] = task.status
      }
    }
    return result
  }

  private func listed(_ store: Store) throws -> [String: String] {
    Dictionary(uniqueKeysWithValues: try store.list().tasks.map { ($0.taskId.rawValue, $0.status) })
  }

  private func indexFile(_ fixture: StoreFixture) -> String { fixture.path + "/tack/read-index" }

  @Test func listsFollowTackWritesAndHandCommits() throws {
    let fixture = try StoreFixture(bare: false)
    var ids: [String] = []
    for index in 0..<12 {
      ids.append(try fixture.store.create(title: "t\(index)", actor: alice).taskId.rawValue)
    }
    #expect(try listed(fixture.store) == truth(fixture.store))
    #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/tack/read-index"))

    // A new store (another process) sees a write made after the index was saved.
    _ = try fixture.store.transition(ids[3], to: "working", actor: alice)
    let other = try Store.open(discoveringFrom: fixture.path)
    #expect(try listed(other)["\(ids[3])"] == "working")

    // A hand edit committed with plain git: a new blob id, so the index reads it anew.
    let path = try #require(
      try fixture.git(["ls-files", "*\(ids[5]).json"]).split(separator: "\n").first)
    let file = fixture.path + "/" + path
    let text = try String(contentsOfFile: file, encoding: .utf8)
      .replacingOccurrences(of: "\"status\": \"todo\"", with: "\"status\": \"cancelled\"")
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    try fixture.git(["commit", "-qam", "by hand"])
    for store in [fixture.store, try Store.open(discoveringFrom: fixture.path)] {
      #expect(try listed(store)[ids[5]] == "cancelled")
      #expect(try listed(store) == truth(store))
    }

    // Back in time: git reset to an older commit lists the older state.
    try fixture.git(["reset", "-q", "--hard", "HEAD~2"])
    let reset = try Store.open(discoveringFrom: fixture.path)
    #expect(try listed(reset)[ids[3]] == "todo" && listed(reset)[ids[5]] == "todo")
  }

  @Test func aBrokenFileIsReportedFromTheIndexAndGoneWhenFixed() throws {
    let fixture = try StoreFixture(bare: false)
    let id = try fixture.store.create(title: "t", actor: alice).taskId
    let path = Store.taskPath(id, board: "main")
    let good = try String(contentsOfFile: fixture.path + "/" + path, encoding: .utf8)
    try "{ not json".write(toFile: fixture.path + "/" + path, atomically: true, encoding: .utf8)
    try fixture.git(["commit", "-qam", "break it"])
    for _ in 0..<2 {  // computed, then read back from the index file
      let (tasks, problems) = try Store.open(discoveringFrom: fixture.path).list()
      #expect(tasks.isEmpty && problems.map(\.path) == [path])
      #expect(problems.first?.reason.contains("invalid JSON") == true)
    }
    try good.write(toFile: fixture.path + "/" + path, atomically: true, encoding: .utf8)
    try fixture.git(["commit", "-qam", "fix it"])
    let (tasks, problems) = try Store.open(discoveringFrom: fixture.path).list()
    #expect(tasks.map(\.taskId) == [id] && problems.isEmpty)
  }

  @Test func aMisplacedFileIsAProblemNotATask() throws {
    let fixture = try StoreFixture(bare: false)
    let id = try fixture.store.create(title: "t", actor: alice).taskId
    let path = Store.taskPath(id, board: "main")
    try fixture.git(["mv", path, "boards/main/tasks/\(id.rawValue).json"])
    try fixture.git(["commit", "-qm", "move"])
    let (tasks, problems) = try Store.open(discoveringFrom: fixture.path).list()
    #expect(tasks.isEmpty)
    #expect(problems.first?.reason.contains("does not match the file's name and folder") == true)
  }

  @Test(arguments: ["truncated", "garbage", "empty", "other format"])
  func aDamagedIndexIsIgnoredAndRewritten(damage: String) throws {
    let fixture = try StoreFixture()
    for index in 0..<6 { _ = try fixture.store.create(title: "t\(index)", actor: alice) }
    let expected = try listed(fixture.store)
    let file = indexFile(fixture)
    var bytes = try #require(FileManager.default.contents(atPath: file))
    switch damage {
    case "truncated": bytes = bytes.prefix(bytes.count - 7)
    case "garbage": bytes.replaceSubrange(40..<60, with: Data(repeating: 0x5A, count: 20))
    case "empty": bytes = Data()
    default: bytes = Data("tack cache read-index 0\n".utf8) + bytes.dropFirst(30)
    }
    try bytes.write(to: URL(fileURLWithPath: file))
    #expect(try listed(Store.open(discoveringFrom: fixture.path)) == expected)
    // Rewritten whole: the next reader finds it intact.
    let reread = CacheFile(path: file, format: ReadIndex.format).read()
    #expect(!reread.damaged && !reread.chunks.isEmpty)
    #expect(try listed(Store.open(discoveringFrom: fixture.path)) == expected)
  }

  @Test func aCacheThatCannotBeWrittenStillLists() throws {
    let fixture = try StoreFixture()
    _ = try fixture.store.create(title: "t", actor: alice)
    // A file where the cache folder should be: every cache write fails (even for root).
    try FileManager.default.removeItem(atPath: fixture.path + "/tack")
    try Data("not a folder".utf8).write(to: URL(fileURLWithPath: fixture.path + "/tack"))
    let store = try Store.open(discoveringFrom: fixture.path)
    #expect(try store.list().tasks.count == 1)
    _ = try store.create(title: "u", actor: alice)
    #expect(try store.list().tasks.map(\.title) == ["t", "u"])
  }

  @Test func theFileStaysNearTheLiveSize() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    // Every write leaves an old version behind; lists append, then rewrite the file.
    for round in 0..<400 {
      _ = try fixture.store.addNote(id, text: "note \(round)", actor: alice)
      _ = try Store.open(discoveringFrom: fixture.path).list()
    }
    let size = try #require(
      try FileManager.default.attributesOfItem(atPath: indexFile(fixture))[.size] as? Int)
    // All 400 versions of the task (up to 400 notes each) would be ~400 × its size now.
    let latest = try fixture.store.task(id).fileContents.count
    #expect(size < (ReadIndex.maximumChunks + 2) * latest)
    #expect(try listed(fixture.store) == truth(fixture.store))
  }

  @Test func aLongLivedStoreStartsAFreshIndexInsteadOfGrowing() throws {
    let fixture = try StoreFixture()
    let id = try fixture.store.create(title: "t", actor: alice).taskId.rawValue
    _ = try fixture.store.list()
    fixture.store.readIndex.maximumComputed = 8
    let first = fixture.store.readIndex
    // Each write is a new blob and new trees above it: computed on the next list.
    for round in 0..<4 {
      _ = try fixture.store.addNote(id, text: "n\(round)", actor: alice)
      #expect(try fixture.store.list().tasks.first?.notes.count == round + 1)
    }
    #expect(fixture.store.readIndex !== first)
    #expect(try listed(fixture.store) == truth(fixture.store))
  }

  /// A scan asks whether to stop when it starts and every `Store.stopCheckInterval` tasks
  /// after (with the read index and without), and ends with `cancelled` when told to.
  @Test func aScanAsksNowAndThenWhetherToStop() throws {
    let fixture = try StoreFixture()
    let count = Store.stopCheckInterval * 2 + 10
    try fixture.store.importTasks(
      (0..<count).map {
        .draft(title: "t\($0)", board: nil, status: nil, labels: [], description: "")
      },
      actor: alice)
    for _ in 0..<2 {  // the first scan builds the board table, the second reads it
      var asked = 0
      let all = try fixture.store.summaries(TaskFilter(text: "t")) {
        asked += 1
        return false
      }
      #expect(all.tasks.count == count)
      #expect(asked == 3)
    }
    var asked = 0
    #expect(throws: TackError.cancelled) {
      _ = try fixture.store.summaries(TaskFilter(text: "t")) {
        asked += 1
        return asked == 2
      }
    }
    #expect(asked == 2)
  }

  @Test func theJSONDocumentIsTheSerializerOutputByteForByte() throws {
    let fixture = try StoreFixture()
    var tasks: [BoardTask] = []
    for (index, title) in ["plain", "line\nbreak \"quoted\"", "ünïcode ✓", "tab\there"].enumerated()
    {
      var task = try fixture.store.create(
        title: "t\(index)", description: title, labels: ["a\(index)"], actor: alice)
      task = try fixture.store.addNote(task.taskId.rawValue, text: title, actor: alice)
      tasks.append(task)
    }
    // Ordered as lists order them; each prefix, from none to all.
    let listed = try fixture.store.list().tasks
    let summaries = try fixture.store.summaries().tasks
    #expect(listed.map(\.taskId) == summaries.map(\.taskId) && listed.count == tasks.count)
    for count in 0...tasks.count {
      let document = TaskSummary.jsonDocument(key: "tasks", Array(summaries.prefix(count)))
      let expected = JSONValue.object(["tasks": .array(listed.prefix(count).map(\.json))])
      #expect(document == expected.serializedBytes(pretty: true), "\(count) tasks")
    }
  }

  @Test func listsAreOldestFirstThenById() throws {
    let fixture = try StoreFixture()
    var created: [(Timestamp, TaskID)] = []
    for round in 0..<3 {
      // The test clock stands still: ties within a round, broken by id.
      for index in 0..<8 {
        let task = try fixture.store.create(title: "r\(round) t\(index)", actor: alice)
        created.append((task.createdAt, task.taskId))
      }
      fixture.clock.advance(seconds: round == 0 ? 5 : -60)
    }
    let expected = created.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.1)
    #expect(try fixture.store.list().tasks.map(\.taskId) == expected)
    #expect(expected.map(\.rawValue) != created.map(\.1.rawValue))
  }

  @Test func shortIDsAreTheShortestUniquePrefixesOfTheRandomPart() throws {
    let fixture = try StoreFixture()
    var ids: [TaskID] = []
    // Same clock: the ids share their 10 time characters, which short ids leave out.
    for index in 0..<40 {
      ids.append(try fixture.store.create(title: "t\(index)", actor: alice).taskId)
    }
    let short = try fixture.store.shortIDs()
    #expect(short.count == ids.count)
    func named(_ prefix: some StringProtocol) -> [TaskID] {
      let query = prefix.uppercased()
      return ids.filter { $0.randomPart.hasPrefix(query) || $0.ulid.hasPrefix(query) }
    }
    for id in ids {
      let prefix = try #require(short[id])
      #expect(prefix == prefix.lowercased() && prefix.count >= ShortID.minimum)
      #expect(id.randomPart.lowercased().hasPrefix(prefix))
      // Unique (also against whole-ULID prefixes), and one character shorter would not be.
      #expect(named(prefix) == [id])
      if prefix.count > ShortID.minimum { #expect(named(prefix.dropLast()).count > 1) }
      #expect(try fixture.store.resolve(prefix) == id)
    }
  }

  @Test func shortIDsGrowOnlyWhereTasksCollide() {
    // Hand-made ids: two share a 6-character random prefix, one's random part starts
    // like every id's time prefix.
    let time = "task_01KBX00000"
    let a = TaskID(time + "ABCDEF0000000000")!
    let b = TaskID(time + "ABCDEG0000000000")!
    let c = TaskID(time + "01KBX00000ZZZZZZ")!
    let d = TaskID(time + "ZZZZ000000000000")!
    let short = ShortID.of([a, b, c, d])
    #expect(short[a] == "abcdef" && short[b] == "abcdeg")
    // c's random part shares 14 characters with d's whole ULID (01KBX00000ZZZZ…).
    #expect(short[c] == "01kbx00000zzzzz")
    #expect(short[d] == "zzzz0")
    #expect(ShortID.of([a, b, c, d], minimum: 4)[d] == "zzzz")
  }

  @Test func aBurstOfTasksHasShortIDsOfAtMost5Characters() throws {
    var generator = SplitMix64(seed: 22)
    let now = Timestamp.now()
    for count in [300, 10_000] {
      let ids = (0..<count).map { _ in TaskID.generate(at: now, using: &generator) }
      for minimum in [4, ShortID.minimum] {
        let lengths = ShortID.of(ids, minimum: minimum).values.map(\.count).sorted()
        #expect(lengths[count / 2] <= 5, "median of \(count)")
        #expect(lengths.last! <= 7, "longest of \(count)")
        let over = lengths.filter { $0 > minimum }.count
        print(
          "short ids of \(count) burst tasks, minimum \(minimum): median \(lengths[count / 2]), longest \(lengths.last!), \(over) longer than the minimum"
        )
      }
    }
  }

  @Test func taskPathCheckAgreesWithTaskPath() throws {
    var generator = SystemRandomNumberGenerator()
    for board in ["main", "a", "ops-2"] {
      for _ in 0..<50 {
        let id = TaskID.generate(at: Timestamp.now(), using: &generator)
        let path = Store.taskPath(id, board: board)
        #expect(Store.isTaskPath(path, id: id, board: board))
        #expect(!Store.isTaskPath(path + "x", id: id, board: board))
        #expect(!Store.isTaskPath(String(path.dropFirst()), id: id, board: board))
        #expect(!Store.isTaskPath(path, id: id, board: board + "x"))
        #expect(
          !Store.isTaskPath("boards/\(board)/tasks/\(id.rawValue).json", id: id, board: board))
        let other = TaskID.generate(at: Timestamp.now(), using: &generator)
        #expect(!Store.isTaskPath(Store.taskPath(other, board: board), id: id, board: board))
      }
    }
  }
}
