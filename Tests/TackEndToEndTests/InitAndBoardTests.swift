import Foundation
import Testing

/// `tack init` and boards.
@Suite struct InitAndBoardTests {
  @Test func initTwiceAddsNothing() throws {
    let sandbox = try Sandbox()
    let tip = try sandbox.tip()
    for arguments in [["init"], ["init", "--json"]] {
      let output = try sandbox.tack(arguments)
      #expect(output.status == 0, "\(output)")
      #expect(try sandbox.tip() == tip)
      #expect(try sandbox.status() == "")
    }
    let json = try JSON.parse(sandbox.ok(["init", "--json"]))
    #expect(json["addedFiles"] == .array([]))
    #expect(json["defaultBoard"]?.string == "main")
    #expect(json["createdRepository"]?.bool == false)
  }

  @Test func initInAnEmptyFolderMakesTheRepository() throws {
    let sandbox = try Sandbox(.empty)
    // No repository yet, so the identity comes from the (sandboxed) global config.
    try sandbox.git(["config", "--global", "user.name", Sandbox.name], in: sandbox.root)
    try sandbox.git(["config", "--global", "user.email", Sandbox.email], in: sandbox.root)
    let output = try sandbox.tack(["init", "--json"])
    #expect(output.status == 0, "\(output)")
    let json = try JSON.parse(output.stdoutBytes)
    #expect(json["createdRepository"]?.bool == true)
    #expect(json["addedFiles"]?.array?.count == 6)
    #expect(FileManager.default.fileExists(atPath: sandbox.repo + "/.git"))
    #expect(try sandbox.git(["rev-list", "--count", "HEAD"]) == "1\n")
    #expect(try sandbox.status() == "")
    #expect(
      try sandbox.git(["log", "-1", "--format=%an <%ae>"]) == "\(Sandbox.name) <\(Sandbox.email)>\n"
    )
    let again = try sandbox.tack(["init"])
    #expect(again.status == 0, "\(again)")
    #expect(try sandbox.git(["rev-list", "--count", "HEAD"]) == "1\n")
    let id = try sandbox.add("First")
    #expect(FileManager.default.fileExists(atPath: sandbox.repo + "/" + Sandbox.taskPath(id)))
    #expect(try sandbox.status() == "")
  }

  @Test func initWithABoardName() throws {
    let sandbox = try Sandbox(.board("ops"))
    let config = try JSON.parse(#require(try sandbox.committed(".tack/config.json")))
    #expect(config["defaultBoard"]?.string == "ops")
    #expect(try sandbox.committed("boards/ops/board.json") != nil)
    #expect(try sandbox.committed("boards/main/board.json") == nil)
    #expect(try sandbox.lastCommit().trailer("Tack-Board") == "ops")
    let id = try sandbox.add("On ops")
    #expect(try sandbox.committed(Sandbox.taskPath(id, board: "ops")) != nil)
    #expect(try sandbox.lastCommit().subject.hasPrefix("ops: "))
  }

  @Test func initWithAnInvalidBoardNameCreatesNothing() throws {
    let sandbox = try Sandbox(.empty)
    try sandbox.expectRefused(["init", "--board", "../evil"], exit: 4)
    #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.repo).isEmpty)
    let git = try Sandbox(.git)
    try git.expectRefused(["init", "--board", "Main"], exit: 4)
    #expect(try git.tipIfAny() == nil)
  }

  @Test func boardsAddListAndUse() throws {
    let sandbox = try Sandbox()
    try sandbox.expectOneCommit(
      ["board", "add", "other"], task: nil, board: "other", action: "board-add", status: nil,
      what: "add board")
    #expect(
      sandbox.onDisk("boards/other/board.json")
        == (try sandbox.committed("boards/other/board.json")))
    #expect(
      try sandbox.committed("boards/other/board.json")
        == (try sandbox.committed("boards/main/board.json")), "same template statuses")

    let boards = try JSON.parse(sandbox.ok(["board", "list", "--json"]))["boards"]?.array ?? []
    #expect(boards.compactMap { $0["name"]?.string } == ["main", "other"])
    #expect(boards.compactMap { $0["default"]?.bool } == [true, false])
    #expect(boards.first?["initialStatus"]?.string == "todo")
    let text = try sandbox.ok(["board", "list"])
    #expect(text == "main (default)\nother\n")
    let shown = try JSON.parse(sandbox.ok(["board", "show", "other", "--statuses", "--json"]))
    #expect(shown["name"]?.string == "other")
    #expect(
      shown["statuses"]?.array?.compactMap { $0["name"]?.string }
        == ["todo", "working", "input_required", "completed", "failed", "cancelled"])

    let onMain = try sandbox.add("On main")
    let (added, _) = try sandbox.expectOneCommit(
      ["add", "On other", "--board", "other"], task: nil, board: "other", action: "create",
      status: "todo")
    let onOther = added.line
    #expect(try sandbox.lastCommit().files == [Sandbox.taskPath(onOther, board: "other")])
    #expect(try sandbox.storedTask(onOther, board: "other")["board"]?.string == "other")

    func ids(_ arguments: [String]) throws -> [String] {
      try JSON.parse(sandbox.ok(["list", "--json"] + arguments))["tasks"]?.array?.compactMap {
        $0["taskId"]?.string
      } ?? []
    }
    #expect(try ids([]) == [onMain, onOther])
    #expect(try ids(["--board", "other"]) == [onOther])
    #expect(try ids(["--board", "main"]) == [onMain])

    // Ids resolve across boards; writes stay on the task's board.
    try sandbox.expectOneCommit(
      ["start", onOther], task: onOther, board: "other", action: "transition", status: "working")
    #expect(try sandbox.shownTask(onOther)["status"]?.string == "working")
  }
}
