import Foundation
import Testing

/// A board in a code repository (`tack init --branch tack`): the board lives on a branch of
/// its own, and the checked-out branch, its index and its files never see a Tack write.
@Suite struct BoardBranchTests {
  /// A code repository: main with one commit, then `feature` checked out with an unstaged
  /// edit, a staged new file and an untracked file.
  static func codeRepository() throws -> Sandbox {
    let sandbox = try Sandbox(.git)
    try sandbox.write("app.txt", "version 1\n")
    try sandbox.git(["add", "app.txt"])
    try sandbox.git(["commit", "-q", "-m", "code"])
    try sandbox.git(["switch", "-q", "-c", "feature"])
    try sandbox.write("app.txt", "version 1\nwork in progress\n")
    try sandbox.write("staged.txt", "staged\n")
    try sandbox.git(["add", "staged.txt"])
    try sandbox.write("untracked.txt", "mine\n")
    return sandbox
  }

  /// What must not change: the index's bytes, HEAD's bytes and commit, `git status`, the files.
  struct Checkout: Equatable {
    var index: Data?
    var head: Data?
    var headCommit: String
    var status: String
    var files: [String: Data]

    init(_ sandbox: Sandbox, in folder: String? = nil) throws {
      let root = folder ?? sandbox.repo
      let gitDirectory = try sandbox.git(["rev-parse", "--absolute-git-dir"], in: root)
        .trimmingCharacters(in: .newlines)
      index = FileManager.default.contents(atPath: gitDirectory + "/index")
      head = FileManager.default.contents(atPath: gitDirectory + "/HEAD")
      headCommit = try sandbox.git(["rev-parse", "HEAD"], in: root)
      status = try sandbox.git(["status", "--porcelain", "--untracked-files=all"], in: root)
      files = [:]
      for name in try FileManager.default.contentsOfDirectory(atPath: root) where name != ".git" {
        files[name] = FileManager.default.contents(atPath: root + "/" + name)
      }
    }
  }

  @Test func writesOnTheBoardBranchLeaveTheFeatureBranchItsIndexAndFilesAlone() throws {
    let sandbox = try Self.codeRepository()
    // Plain `tack init` here would mix the board into the code's history: refused, with why.
    let refused = try sandbox.tack(["init"])
    #expect(refused.status == 4, "\(refused)")
    #expect(refused.stderr.contains("--branch tack"), "\(refused)")
    #expect(refused.stderr.contains("history"), "\(refused)")
    let before = try Checkout(sandbox)

    let initialized = try sandbox.ok(["init", "--branch", "tack"])
    #expect(initialized.contains("branch tack"), "\(initialized)")
    let id = try sandbox.add("Rotate the certificates")
    try sandbox.ok(["start", id])
    try sandbox.ok(["note", id, "halfway"])
    try sandbox.ok(["claim", id])
    try sandbox.ok(["board", "add", "ops"])
    #expect(try sandbox.ok(["list"]).contains("Rotate the certificates"))

    #expect(try Checkout(sandbox) == before)
    #expect(try sandbox.git(["config", "tack.branch"]) == "tack\n")
    // An orphan history holding only the board.
    let files = try sandbox.git(["ls-tree", "-r", "--name-only", "tack"]).split(separator: "\n")
    #expect(files.allSatisfy { $0.hasPrefix(".tack/") || $0.hasPrefix("boards/") }, "\(files)")
    #expect(try sandbox.gitOutput(["merge-base", "main", "tack"]).status != 0)
    #expect(try sandbox.git(["rev-list", "--count", "tack"]) == "6\n")
    #expect(try sandbox.git(["rev-list", "--count", "feature"]) == "1\n")
    let history = try sandbox.git(["log", "--format=%s", "tack", "--", "boards/main"])
    #expect(history.split(separator: "\n").count == 5, "\(history)")  // init and 4 writes
    #expect(try sandbox.ok(["log", id]).contains("todo → working"))
    try sandbox.expectFsckClean()

    // `git switch` keeps the board: it is on no branch a switch changes.
    try sandbox.git(["stash", "-q", "--include-untracked"])
    try sandbox.git(["switch", "-q", "main"])
    #expect(try sandbox.ok(["list"]).contains("Rotate the certificates"))
    try sandbox.ok(["note", id, "from main"])
    #expect(try sandbox.status().isEmpty)
    try sandbox.git(["switch", "-q", "--detach", "main"])
    #expect(try sandbox.shownTask(id)["notes"]?.array?.count == 2)
  }

  @Test func aCloneFindsTheBoardWithNoSetUp() throws {
    let sandbox = try Self.codeRepository()
    try sandbox.ok(["init", "--branch", "tack"])
    let id = try sandbox.add("Shared task")
    let origin = sandbox.root + "/origin.git"
    let clone = sandbox.root + "/clone"
    try sandbox.git(["clone", "-q", "--bare", sandbox.repo, origin], in: sandbox.root)
    try sandbox.git(["clone", "-q", origin, clone], in: sandbox.root)
    try sandbox.git(["config", "user.name", "Bea"], in: clone)
    try sandbox.git(["config", "user.email", "bea@example.com"], in: clone)
    #expect(
      try sandbox.gitOutput(["rev-parse", "--verify", "refs/heads/tack"], in: clone).status != 0)

    #expect(try sandbox.ok(["list"], in: clone).contains("Shared task"))
    // Found once, then remembered, with the branch tracking origin's as `git switch` makes it.
    #expect(try sandbox.git(["config", "tack.branch"], in: clone) == "tack\n")
    #expect(
      try sandbox.git(["rev-parse", "--abbrev-ref", "tack@{upstream}"], in: clone)
        == "origin/tack\n")
    let before = try Checkout(sandbox, in: clone)
    try sandbox.ok(["note", id, "from the clone"], in: clone)
    #expect(try Checkout(sandbox, in: clone) == before)
    #expect(
      try sandbox.git(["log", "-1", "--format=%ae", "tack"], in: clone) == "bea@example.com\n")
  }

  /// The whole team story on a board branch: a code repository on a feature branch with
  /// work in progress, its board on `tack`; an origin; a teammate's clone finds the board;
  /// both claim one task and sync; the side whose claim lost is told; the feature branch,
  /// its index and its files never move.
  @Test func twoClonesOfACodeRepositoryRaceForATaskOnTheBoardBranch() throws {
    let sandbox = try Self.codeRepository()
    try sandbox.ok(["init", "--branch", "tack"])
    let id = try sandbox.add("Fix the flaky test")
    let origin = sandbox.root + "/origin.git"
    let clone = sandbox.root + "/clone"
    try sandbox.git(["init", "-q", "--bare", "-b", "main", origin], in: sandbox.root)
    try sandbox.git(["remote", "add", "origin", origin])
    try sandbox.git(["push", "-q", "origin", "main"])
    let before = try Checkout(sandbox)
    #expect(try sandbox.ok(["sync"]).contains("pushed"))
    #expect(
      try sandbox.git(["rev-parse", "tack"])
        == (try sandbox.git(["rev-parse", "tack"], in: origin)))
    try sandbox.git(["clone", "-q", origin, clone], in: sandbox.root)
    try sandbox.git(["config", "user.name", "Bea"], in: clone)
    try sandbox.git(["config", "user.email", "bea@example.com"], in: clone)
    #expect(try sandbox.ok(["list"], in: clone).contains("Fix the flaky test"))

    // Ada's claim runs 1 h, Bea's 2 h: Bea's wins; Bea syncs first, Ada is told.
    try sandbox.ok(["claim", id, "--lease", "1h"])
    try sandbox.ok(["claim", id, "--lease", "2h"], in: clone)
    #expect(!(try sandbox.ok(["sync"], in: clone).contains("decided against")))
    let told = try sandbox.ok(["sync"])
    #expect(told.contains("decided against this side"), "\(told)")
    #expect(told.contains("bea@example.com"), "\(told)")
    #expect(
      try JSON.parse(sandbox.ok(["show", id, "--json"]))["assignee"]?.string == "bea@example.com")
    // Both boards agree; the code checkout never moved.
    _ = try sandbox.ok(["sync"], in: clone)
    #expect(
      try sandbox.git(["rev-parse", "tack"]) == (try sandbox.git(["rev-parse", "tack"], in: clone)))
    #expect(try Checkout(sandbox) == before)
    #expect(try sandbox.git(["rev-parse", "--abbrev-ref", "HEAD"]) == "feature\n")
  }

  @Test func aWorktreeOfTheBoardBranchStaysInStep() throws {
    let sandbox = try Self.codeRepository()
    try sandbox.ok(["init", "--branch", "tack"])
    let board = sandbox.root + "/board"
    try sandbox.git(["worktree", "add", "-q", board, "tack"])
    let before = try Checkout(sandbox)

    let id = try sandbox.add("Written from the code checkout")
    let path = Sandbox.taskPath(id)
    #expect(try sandbox.git(["status", "--porcelain"], in: board).isEmpty)
    let committed = try sandbox.git(["show", "tack:" + path])
    #expect(FileManager.default.contents(atPath: board + "/" + path) == Data(committed.utf8))

    let second = try sandbox.add("Written from the board checkout", in: board)
    try sandbox.ok(["start", id], in: board)
    #expect(try sandbox.git(["status", "--porcelain"], in: board).isEmpty)
    #expect(FileManager.default.fileExists(atPath: board + "/" + Sandbox.taskPath(second)))
    #expect(try sandbox.ok(["list"]).contains("Written from the board checkout"))
    #expect(try Checkout(sandbox) == before)
    try sandbox.expectFsckClean()
  }

  @Test func discoveryRefusesToGuessBetweenTwoBoards() throws {
    let sandbox = try Self.codeRepository()
    try sandbox.ok(["init", "--branch", "tack"])
    try sandbox.git(["branch", "other", "tack"])
    try sandbox.git(["config", "--unset", "tack.branch"])
    let refused = try sandbox.tack(["list"])
    #expect(refused.status == 4, "\(refused)")
    #expect(refused.stderr.contains("heads/other, heads/tack"), "\(refused)")
    #expect(refused.stderr.contains("git config tack.branch NAME"), "\(refused)")
    try sandbox.git(["config", "tack.branch", "other"])
    #expect(try sandbox.tack(["list"]).status == 0)
  }

  @Test func initOnABranchAndHereOnACodeBranch() throws {
    let sandbox = try Self.codeRepository()
    let bad = try sandbox.tack(["init", "--branch", "no..good"])
    #expect(bad.status == 4, "\(bad)")
    #expect(try sandbox.gitOutput(["config", "tack.branch"]).status != 0)
    try sandbox.git(["stash", "-q", "--include-untracked"])
    try sandbox.ok(["init", "--here"])
    #expect(try sandbox.committed(".tack/config.json") == nil)  // on feature, not main
    #expect(try sandbox.git(["ls-tree", "--name-only", "feature"]).contains(".tack"))
    #expect(try sandbox.gitOutput(["config", "tack.branch"]).status != 0)
  }
}

extension Sandbox {
  /// `tack add` in `folder`; returns the new task's full id.
  func add(_ title: String, in folder: String) throws -> String {
    try ok(["add", title], in: folder).trimmingCharacters(in: .newlines)
  }
}
