import Foundation
import Testing

/// A bare repository (a server's copy) is a board like any other; nothing is checked out.
@Suite struct BareRepositoryTests {
  @Test func initInABareRepository() throws {
    let sandbox = try Sandbox(.git, bare: true)
    let output = try sandbox.tack(["--repo", sandbox.repo, "init"], in: sandbox.root)
    #expect(output.status == 0, "\(output)")
    #expect(try sandbox.commitCount() == 1)
    #expect(try sandbox.lastCommit().trailer("Tack-Action") == "init")
    #expect(try sandbox.committed(".tack/config.json") != nil)
    #expect(try sandbox.committed("boards/main/board.json") != nil)
    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/.tack"))
    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/boards"))
    let again = try sandbox.tack(["--repo", sandbox.repo, "init"], in: sandbox.root)
    #expect(again.status == 0, "\(again)")
    #expect(try sandbox.commitCount() == 1)
    try sandbox.expectFsckClean()
  }

  @Test func addListShowMoveLogInABareRepository() throws {
    let sandbox = try Sandbox(bare: true)
    let (added, _) = try sandbox.expectOneCommit(
      ["add", "Bare task", "--label", "server"], task: nil, action: "create", status: "todo")
    let id = added.line
    try #require(Sandbox.isTaskID(id), "\(added)")
    let path = Sandbox.taskPath(id)
    #expect(try sandbox.lastCommit().files == [path])

    let listed = try JSON.parse(sandbox.ok(["list", "--json"]))["tasks"]?.array ?? []
    #expect(listed.compactMap { $0["taskId"]?.string } == [id])
    #expect(try sandbox.ok(["list"]).contains("Bare task"))

    let show = try sandbox.tack(["show", id, "--json"])
    #expect(show.status == 0)
    #expect(show.stdoutBytes == (try sandbox.committed(path)))
    #expect(try sandbox.ok(["show", String(id.dropFirst(5))]).contains("Bare task"))

    try sandbox.expectOneCommit(
      ["move", id, "working", "--note", "On it"], task: id, action: "transition",
      status: "working", what: "todo → working")
    try sandbox.expectOneCommit(
      ["note", id, "Halfway"], task: id, action: "note", status: "working")
    try sandbox.expectOneCommit(["claim", id], task: id, action: "claim", status: "working")
    try sandbox.expectOneCommit(
      ["ask", id, "ok", "Done?", "--approval"], task: id, action: "request-input",
      status: "input_required")
    try sandbox.expectOneCommit(
      ["answer", id, "ok=yes"], task: id, action: "answer", status: "completed")
    try sandbox.expectRefused(["move", id, "working"], exit: 5)

    let history = try JSON.parse(sandbox.ok(["log", id, "--json"]))["history"]?.array ?? []
    #expect(
      history.compactMap { $0["action"]?.string }
        == ["answer", "request-input", "claim", "note", "transition", "create"])
    let gitLog = try sandbox.git(["log", "--format=%H", Sandbox.branch, "--", path])
      .split(separator: "\n").map(String.init)
    #expect(history.compactMap { $0["commit"]?.string } == gitLog)

    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/boards"))
    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/index"))
    try sandbox.expectFsckClean()
  }

  @Test func bareRepositoryFromOutsideWithRepoAndTackRepo() throws {
    let sandbox = try Sandbox(bare: true)
    let id = try sandbox.ok(["--repo", sandbox.repo, "add", "Remote"], in: sandbox.root)
      .trimmingCharacters(in: .newlines)
    #expect(Sandbox.isTaskID(id))
    let shown = try sandbox.ok(
      ["show", id, "--json"], env: ["TACK_REPO": sandbox.repo], in: sandbox.root)
    #expect(try JSON.parse(shown)["title"]?.string == "Remote")
  }

  /// A common server layout: a bare repository with the board branch checked out in a
  /// linked worktree (`git worktree add`). Writes through the bare repository must keep that
  /// working tree in step, or its `git status` shows the new task as deleted and the next
  /// `git commit -a` there deletes it.
  @Test func linkedWorktreeOfABareRepositoryFollowsWrites() throws {
    let sandbox = try Sandbox(bare: true)
    let worktree = sandbox.root + "/worktree"
    try sandbox.git(["worktree", "add", "-q", worktree, Sandbox.branch])
    #expect(try sandbox.git(["status", "--porcelain"], in: worktree) == "")

    let id = try sandbox.add("Written through the bare repository")
    let path = Sandbox.taskPath(id)
    #expect(try sandbox.git(["status", "--porcelain"], in: worktree) == "")
    #expect(
      FileManager.default.contents(atPath: worktree + "/" + path).map { Array($0) }
        == (try sandbox.committed(path)))

    // Writing from inside the worktree keeps it clean too.
    let inside = try sandbox.tack(["note", id, "from the worktree"], in: worktree)
    #expect(inside.status == 0, "\(inside)")
    #expect(try sandbox.git(["status", "--porcelain"], in: worktree) == "")
  }
}
