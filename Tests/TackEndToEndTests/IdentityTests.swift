import Foundation
import Testing

/// People and agents are who they say they are: no write without an identity, `start`
/// assigns, and an expired lease says so and gives way.
@Suite struct IdentityTests {
  /// No `user.email` anywhere, no `GIT_*_EMAIL`, no `EMAIL`.
  static let nobody = ["EMAIL": ""]

  @Test func aWriteWithNoIdentityIsRefusedAndNothingIsWritten() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Existing")
    try sandbox.git(["config", "--unset", "user.email"])
    let commits = try sandbox.commitCount()

    for arguments in [
      ["add", "New"], ["note", id, "hello"], ["start", id], ["board", "add", "ops"],
    ] {
      let refused = try sandbox.tack(arguments, env: Self.nobody)
      #expect(refused.status == 9, "\(arguments): \(refused)")
      #expect(refused.stderr.contains("git config --global user.email"), "\(refused)")
      #expect(refused.stdout.isEmpty)
    }
    #expect(try sandbox.commitCount() == commits)
    #expect(try sandbox.status().isEmpty)
    #expect(!(try sandbox.git(["log", "--format=%ae %ce", "--all"]).contains("localhost")))
    // Reads need no identity.
    #expect(try sandbox.ok(["list"], env: Self.nobody).contains("Existing"))
    #expect(try sandbox.ok(["show", id], env: Self.nobody).contains("Existing"))

    // Git's own environment variables are an identity, as for git commit.
    try sandbox.ok(["note", id, "hello"], env: ["EMAIL": "eve@example.com"])
    let commit = try sandbox.lastCommit()
    #expect(commit.authorEmail == "eve@example.com")
    #expect(commit.committerEmail == "eve@example.com")
  }

  @Test func initWithNoIdentityCreatesNothing() throws {
    let sandbox = try Sandbox(.empty)
    let refused = try sandbox.tack(["init"], env: Self.nobody)
    #expect(refused.status == 9, "\(refused)")
    #expect(refused.stderr.contains("git config --global user.email"), "\(refused)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.repo).isEmpty)
  }

  @Test func startAssignsTheStarterUnlessAssigned() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Unassigned")
    try sandbox.ok(["start", id])
    #expect(try sandbox.shownTask(id)["assignee"]?.string == Sandbox.email)

    // Assigned by hand (plain git) to somebody else: start keeps that.
    let other = try sandbox.add("Bea's")
    let path = Sandbox.taskPath(other)
    let text = try #require(sandbox.onDisk(path)).withUnsafeBufferPointer {
      String(decoding: $0, as: UTF8.self)
    }
    try sandbox.write(
      path,
      text.replacingOccurrences(of: "\"assignee\": null", with: "\"assignee\": \"bea@example.com\"")
    )
    try sandbox.git(["commit", "-q", "-am", "assign to Bea"])
    try sandbox.ok(["start", other])
    #expect(try sandbox.shownTask(other)["assignee"]?.string == "bea@example.com")
    #expect(try sandbox.shownTask(other)["status"]?.string == "working")
  }

  @Test func anExpiredLeaseSaysSoAndAnotherClaimTakesOver() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Contended")
    let bea = ["GIT_AUTHOR_EMAIL": "bea@example.com", "NO_COLOR": "1", "COLUMNS": "120"]
    try sandbox.ok(["claim", id, "--lease", "1s"], env: bea)
    let early = try sandbox.tack(["claim", id])
    #expect(early.status == 5, "\(early)")
    #expect(!(try sandbox.ok(["show", id]).contains("expired")))
    Thread.sleep(forTimeInterval: 1.3)

    let shown = try sandbox.ok(["show", id])
    #expect(shown.contains("lease expired"), "\(shown)")
    #expect(shown.contains("anyone may claim it"), "\(shown)")
    let listed = try sandbox.ok(["list"], env: bea)
    #expect(listed.contains("bea (lease expired)"), "\(listed)")
    let board = try sandbox.ok(["board"], env: bea)
    #expect(board.contains("(lease expired)"), "\(board)")

    try sandbox.ok(["claim", id])
    let task = try sandbox.shownTask(id)
    #expect(task["assignee"]?.string == Sandbox.email)
    #expect(task["lease"]?["holder"]?.string == Sandbox.email)
    #expect(!(try sandbox.ok(["list"]).contains("expired")))
  }
}
