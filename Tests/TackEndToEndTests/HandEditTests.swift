import Foundation
import Testing

/// Plain git and tack share the repository: hand commits are read like any other, broken
/// files are reported by path, and uncommitted hand edits are never overwritten.
@Suite struct HandEditTests {
  @Test func handCommittedEditIsReadAndLogged() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Typed by tack")
    let path = Sandbox.taskPath(id)
    let text = try #require(sandbox.onDisk(path)).withUnsafeBufferPointer {
      String(decoding: $0, as: UTF8.self)
    }
    let edited = text.replacingOccurrences(
      of: "\"title\": \"Typed by tack\"", with: "\"title\": \"Typed by hand\"")
    try #require(edited != text)
    try sandbox.write(path, edited)
    try sandbox.git(["commit", "-q", "-am", "Retitle by hand"])
    let handCommit = try sandbox.tip()

    let shown = try sandbox.shownTask(id)
    #expect(shown["title"]?.string == "Typed by hand")
    #expect(try sandbox.ok(["show", id]).contains("Typed by hand"))

    let history = try #require(try JSON.parse(sandbox.ok(["log", id, "--json"]))["history"]?.array)
    try #require(history.count == 2, "\(history)")
    let hand = history[0]
    #expect(hand["commit"]?.string == handCommit)
    #expect(hand["actor"]?.isNull == true)
    #expect(hand["action"]?.isNull == true)
    #expect(hand["subject"]?.string == "Retitle by hand")
    #expect(hand["status"]?.string == "todo")
    #expect(hand["author"]?["email"]?.string == Sandbox.email)
    #expect(hand["changes"] == .array([.string("title: Typed by tack → Typed by hand")]))
    #expect(history[1]["actor"]?.string == Sandbox.actor)
    #expect(history[1]["changes"] == .array([.string("created")]))

    let log = try sandbox.ok(["log", id])
    #expect(log.contains("Retitle by hand"), "\(log)")
    #expect(log.contains("plain git"), "\(log)")

    // A tack write on top keeps the hand edit.
    try sandbox.expectOneCommit(["note", id, "Seen"], task: id, action: "note", status: "todo")
    #expect(try sandbox.storedTask(id)["title"]?.string == "Typed by hand")
  }

  @Test func brokenTaskFileIsReportedByPath() throws {
    let sandbox = try Sandbox()
    let good = try sandbox.add("Good")
    let bad = try sandbox.add("Soon broken")
    let alsoGood = try sandbox.add("Also good")
    #expect(try sandbox.tack(["check"]).status == 0)
    let path = Sandbox.taskPath(bad)
    try sandbox.write(path, "{ this is not json\n")
    try sandbox.git(["commit", "-q", "-am", "Break a task file"])

    let list = try sandbox.tack(["list", "--json"])
    #expect(list.status == 0, "\(list)")
    #expect(list.stderr.contains(path), "\(list)")
    let listed = try JSON.parse(list.stdoutBytes)["tasks"]?.array?.compactMap {
      $0["taskId"]?.string
    }
    #expect(listed == [good, alsoGood])
    let table = try sandbox.tack(["list"])
    #expect(table.status == 0 && table.stderr.contains(path), "\(table)")

    let check = try sandbox.tack(["check"])
    #expect(check.status == 8, "\(check)")
    #expect((check.stdout + check.stderr).contains(path), "\(check)")
    let checkJSON = try sandbox.tack(["check", "--json"])
    #expect(checkJSON.status == 8, "\(checkJSON)")
    let problems = try JSON.parse(checkJSON.stdoutBytes)["problems"]?.array ?? []
    #expect(problems.compactMap { $0["path"]?.string } == [path])

    try sandbox.expectRefused(["show", bad], exit: 8, mentions: [path])
    try sandbox.expectRefused(["note", bad, "fix me"], exit: 8, mentions: [path])
    try sandbox.expectRefused(["start", bad], exit: 8, mentions: [path])
    // The rest of the board keeps working.
    try sandbox.expectOneCommit(
      ["start", good], task: good, action: "transition", status: "working")
  }

  @Test func misplacedTaskFileIsReported() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Moved by hand")
    let path = Sandbox.taskPath(id)
    let wrong = "boards/main/tasks/0/0/\(id).json"
    try #require(wrong != path)
    try FileManager.default.createDirectory(
      atPath: sandbox.repo + "/boards/main/tasks/0/0", withIntermediateDirectories: true)
    try sandbox.git(["mv", path, wrong])
    try sandbox.git(["commit", "-q", "-m", "Misplace"])
    let check = try sandbox.tack(["check", "--json"])
    #expect(check.status == 8, "\(check)")
    let problems = try JSON.parse(check.stdoutBytes)["problems"]?.array ?? []
    #expect(problems.compactMap { $0["path"]?.string } == [wrong])
    let list = try sandbox.tack(["list"])
    #expect(list.status == 0 && list.stderr.contains(wrong), "\(list)")
  }

  @Test func uncommittedEditBlocksAWriteToThatFile() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Edited in an editor")
    let path = Sandbox.taskPath(id)
    let handEdit = try #require(sandbox.onDisk(path)).map { $0 } + Array("\n".utf8)
    try Data(handEdit).write(to: URL(fileURLWithPath: sandbox.repo + "/" + path))
    #expect(try sandbox.status() == " M \(path)\n")

    for arguments in [
      ["note", id, "overwrite?"], ["start", id], ["edit", id, "--title", "New"], ["claim", id],
    ] {
      try sandbox.expectRefused(arguments, exit: 6, mentions: [path], paths: [path])
    }
    #expect(sandbox.onDisk(path) == handEdit, "the hand edit must survive")
    #expect(try sandbox.status() == " M \(path)\n")
  }

  @Test func stagedEditBlocksAWriteToThatFile() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Staged")
    let path = Sandbox.taskPath(id)
    let original = try #require(sandbox.onDisk(path))
    let edited = original + Array(" ".utf8)
    try Data(edited).write(to: URL(fileURLWithPath: sandbox.repo + "/" + path))
    try sandbox.git(["add", path])
    try sandbox.expectRefused(["note", id, "x"], exit: 6, mentions: [path], paths: [path])
    #expect(try sandbox.status() == "M  \(path)\n")
    // The edit is staged but the file on disk is back to the committed bytes: the index
    // still holds somebody's work, so the write is still refused.
    try Data(original).write(to: URL(fileURLWithPath: sandbox.repo + "/" + path))
    #expect(try sandbox.status() == "MM \(path)\n")
    try sandbox.expectRefused(["note", id, "x"], exit: 6, mentions: [path], paths: [path])
    #expect(try sandbox.git(["diff", "--cached", "--name-only"]) == "\(path)\n")
  }

  @Test func uncommittedDeletionBlocksAWriteToThatFile() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Deleted by hand")
    let path = Sandbox.taskPath(id)
    try FileManager.default.removeItem(atPath: sandbox.repo + "/" + path)
    try sandbox.expectRefused(["note", id, "still there?"], exit: 6, mentions: [path])
    #expect(sandbox.onDisk(path) == nil)
    #expect(try sandbox.status() == " D \(path)\n")
  }

  @Test func otherUncommittedWorkIsLeftAlone() throws {
    let sandbox = try Sandbox()
    let dirty = try sandbox.add("Dirty")
    let clean = try sandbox.add("Clean")
    let dirtyPath = Sandbox.taskPath(dirty)
    let handEdit = try #require(sandbox.onDisk(dirtyPath)) + Array("\n".utf8)
    try Data(handEdit).write(to: URL(fileURLWithPath: sandbox.repo + "/" + dirtyPath))
    try sandbox.write("NOTES.md", "my notes\n")
    try sandbox.git(["add", "NOTES.md"])
    try sandbox.write("scratch.txt", "untracked\n")
    let statusBefore = try sandbox.status()

    let before = try sandbox.commitCount()
    let output = try sandbox.tack(["start", clean])
    #expect(output.status == 0, "\(output)")
    #expect(try sandbox.commitCount() == before + 1)
    #expect(try sandbox.lastCommit().files == [Sandbox.taskPath(clean)])
    #expect(try sandbox.status() == statusBefore, "only the written file may change")
    #expect(sandbox.onDisk(dirtyPath) == handEdit)
    #expect(
      sandbox.onDisk(Sandbox.taskPath(clean)) == (try sandbox.committed(Sandbox.taskPath(clean))))
    let staged = try sandbox.git(["diff", "--cached", "--name-only"])
    #expect(staged == "NOTES.md\n", "the staged file stays staged")

    let added = try sandbox.tack(["add", "While dirty"])
    #expect(added.status == 0, "\(added)")
    #expect(try sandbox.status().contains("A  NOTES.md"))
  }

  @Test func newerFormatVersionIsRefusedNotOverwritten() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("From the future")
    let other = try sandbox.add("From today")
    let path = Sandbox.taskPath(id)
    let text = String(decoding: try #require(sandbox.onDisk(path)), as: UTF8.self)
    try sandbox.write(
      path, text.replacingOccurrences(of: "\"schemaVersion\": 1", with: "\"schemaVersion\": 2"))
    try sandbox.git(["commit", "-q", "-am", "Written by a newer tack"])

    try sandbox.expectRefused(["show", id], exit: 8, mentions: [path, "upgrade"])
    try sandbox.expectRefused(["note", id, "overwrite?"], exit: 8, mentions: [path], paths: [path])
    try sandbox.expectRefused(["done", id], exit: 8, mentions: [path], paths: [path])
    let list = try sandbox.tack(["list", "--json"])
    #expect(list.status == 0 && list.stderr.contains(path), "\(list)")
    #expect(
      try JSON.parse(list.stdoutBytes)["tasks"]?.array?.compactMap { $0["taskId"]?.string }
        == [other])
    let check = try sandbox.tack(["check"])
    #expect(check.status == 8 && check.stdout.contains(path), "\(check)")
  }

  @Test func newerRepositoryFormatStopsEverything() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Before the upgrade")
    try sandbox.write(
      ".tack/config.json", "{\n  \"defaultBoard\": \"main\",\n  \"schemaVersion\": 2\n}\n")
    try sandbox.git(["commit", "-q", "-am", "Upgrade the format"])
    for arguments in [
      ["list"], ["show", id], ["add", "After"], ["note", id, "x"], ["board", "list"],
    ] {
      try sandbox.expectRefused(arguments, exit: 8, mentions: [".tack/config.json"])
    }
  }

  @Test func brokenBoardFileIsReportedByPath() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("On a broken board")
    try sandbox.write("boards/main/board.json", "{\"statuses\": \n")
    try sandbox.git(["commit", "-q", "-am", "Break the board"])
    let check = try sandbox.tack(["check", "--json"])
    #expect(check.status == 8, "\(check)")
    let problems = try JSON.parse(check.stdoutBytes)["problems"]?.array ?? []
    #expect(problems.compactMap { $0["path"]?.string } == ["boards/main/board.json"])
    try sandbox.expectRefused(["note", id, "x"], exit: 8, mentions: ["boards/main/board.json"])
    try sandbox.expectRefused(["add", "More"], exit: 8, mentions: ["boards/main/board.json"])
  }
}
