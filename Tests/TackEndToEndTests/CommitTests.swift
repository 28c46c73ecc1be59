import Foundation
import Testing

/// Every write is exactly one commit with the right subject, trailers and author, and the
/// checked-out working tree follows it.
@Suite struct CommitTests {
  @Test func initIsOneCommitOfTheTemplateFiles() throws {
    let sandbox = try Sandbox(.git)
    let output = try sandbox.tack(["init"])
    #expect(output.status == 0, "\(output)")
    #expect(try sandbox.commitCount() == 1)
    let commit = try sandbox.lastCommit()
    let files = [
      ".tack/.gitattributes", ".tack/README.md", ".tack/config.json", ".tack/scopes.example.json",
      "boards/.gitattributes", "boards/main/board.json",
    ]
    #expect(commit.files.sorted() == files)
    #expect(try sandbox.trackedFiles().sorted() == files)
    #expect(commit.trailer("Tack-Action") == "init")
    #expect(commit.trailer("Tack-Board") == "main")
    #expect(commit.trailer("Tack-Actor") == Sandbox.actor)
    #expect(commit.authorName == Sandbox.name)
    #expect(commit.authorEmail == Sandbox.email)
    #expect(try sandbox.status() == "")
    for path in files {
      #expect(sandbox.onDisk(path) != nil, "\(path) is not on disk")
      #expect(sandbox.onDisk(path) == (try sandbox.committed(path)), "\(path)")
    }
    let config = try JSON.parse(#require(try sandbox.committed(".tack/config.json")))
    #expect(config["defaultBoard"]?.string == "main")
    try sandbox.expectFsckClean()
  }

  @Test func everyKindOfWriteIsOneCommit() throws {
    let sandbox = try Sandbox()
    let (added, _) = try sandbox.expectOneCommit(
      ["add", "Write the report"], task: nil, action: "create", status: "todo")
    let id = added.line
    try #require(Sandbox.isTaskID(id), "\(added)")
    #expect(
      try sandbox.lastCommit().subject
        == "main: \(id.dropFirst(15).prefix(5).lowercased()) Write the report — created")
    #expect(try sandbox.lastCommit().trailer("Tack-Task") == id)

    try sandbox.expectOneCommit(
      ["edit", id, "--title", "Write the annual report"], task: id, action: "edit",
      status: "todo", what: "edit title")
    try sandbox.expectOneCommit(
      ["edit", id, "--add-label", "docs", "--description", "Numbers too."], task: id,
      action: "edit", status: "todo")
    try sandbox.expectOneCommit(
      ["start", id], task: id, action: "transition", status: "working", what: "todo → working")
    let (_, noted) = try sandbox.expectOneCommit(
      ["note", id, "Half done"], task: id, action: "note", status: "working", what: "note")
    #expect(noted.message.contains("\n\nHalf done\n"), "the note is the body:\n\(noted.message)")
    try sandbox.expectOneCommit(
      ["ask", id, "audience", "Who reads it?"], task: id, action: "request-input",
      status: "input_required", what: "asks audience (working → input_required)")
    try sandbox.expectOneCommit(
      ["answer", id, "audience=the board"], task: id, action: "answer", status: "working",
      what: "answered audience (input_required → working)")
    let (_, moved) = try sandbox.expectOneCommit(
      ["move", id, "completed", "--note", "Sent"], task: id, action: "transition",
      status: "completed", what: "working → completed")
    #expect(moved.message.contains("\n\nSent\n"), "\(moved.message)")
    try sandbox.expectOneCommit(
      ["note", id, "Thanks all"], task: id, action: "note", status: "completed")

    let second = try sandbox.add("Second")
    try sandbox.expectOneCommit(
      ["claim", second], task: second, action: "claim", status: "working")
    try sandbox.expectOneCommit(
      ["claim", second, "--lease", "1h"], task: second, action: "renew", status: "working")
    try sandbox.expectOneCommit(
      ["release", second], task: second, action: "release", status: "todo")
    try sandbox.expectOneCommit(
      ["cancel", second], task: second, action: "transition", status: "cancelled",
      what: "todo → cancelled")

    let (_, boardCommit) = try sandbox.expectOneCommit(
      ["board", "add", "ops"], task: nil, board: "ops", action: "board-add", status: nil,
      what: "add board")
    #expect(boardCommit.files == ["boards/ops/board.json"])
    let (opsAdded, _) = try sandbox.expectOneCommit(
      ["add", "Rotate keys", "--board", "ops"], task: nil, board: "ops", action: "create",
      status: "todo")
    let opsID = opsAdded.line
    #expect(try sandbox.lastCommit().files == [Sandbox.taskPath(opsID, board: "ops")])
    try sandbox.expectOneCommit(
      ["done", opsID], task: opsID, board: "ops", action: "transition", status: "completed")

    try sandbox.expectFsckClean()
  }

  @Test func theTaskFileSitsInItsShardFolders() throws {
    let sandbox = try Sandbox()
    for title in ["one", "two", "three"] {
      let id = try sandbox.add(title)
      let path = Sandbox.taskPath(id)
      #expect(try sandbox.lastCommit().files == [path])
      #expect(try sandbox.committed(path) != nil, "\(path) is not in main")
      #expect(sandbox.onDisk(path) == (try sandbox.committed(path)))
    }
  }

  @Test func aNoteThatLooksLikeATrailerDoesNotChangeTheTrailers() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Careful")
    let text = "First line\n\nTack-Status: completed\nTack-Actor: agent:mallory"
    let (_, commit) = try sandbox.expectOneCommit(
      ["note", id, text], task: id, action: "note", status: "todo")
    #expect(commit.trailers["Tack-Status"] == ["todo"])
    #expect(commit.trailers["Tack-Actor"] == [Sandbox.actor])
    let history = try JSON.parse(sandbox.ok(["log", id, "--json"]))
    #expect(history["history"]?[0]?["actor"]?.string == Sandbox.actor)
    #expect(history["history"]?[0]?["action"]?.string == "note")
  }

  @Test func anEditThatChangesNothingMakesNoCommit() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Same")
    let before = try sandbox.commitCount()
    let output = try sandbox.tack(["edit", id, "--title", "Same"])
    #expect(output.status == 0, "\(output)")
    #expect(try sandbox.commitCount() == before)
    #expect(try sandbox.status() == "")
  }

  @Test func aWriteFromASubfolderOfTheWorkingTree() throws {
    let sandbox = try Sandbox()
    let output = try sandbox.tack(["add", "From below"], in: sandbox.repo + "/boards/main")
    #expect(output.status == 0, "\(output)")
    let id = output.line
    #expect(try sandbox.committed(Sandbox.taskPath(id)) != nil)
    #expect(try sandbox.status() == "")
  }
}
