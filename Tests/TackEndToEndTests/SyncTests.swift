import Foundation
import Testing

/// `tack sync` between two clones of a bare remote, through libgit2.
@Suite struct SyncTests {
  @Test func clonesMeetThroughSyncWithTasksMergedFieldByField() throws {
    let clones = try Clones()
    let id = try clones.tack(clones.a, ["add", "Shared"]).trimmingCharacters(in: .newlines)
    #expect(try clones.tack(clones.a, ["sync"]).contains("pushed"))
    #expect(try clones.tack(clones.b, ["sync"]).contains("fast-forward"))
    #expect(try clones.tack(clones.b, ["show", id, "--json"]).contains("Shared"))
    #expect(try clones.sandbox.git(["status", "--porcelain"], in: clones.b) == "")

    try clones.tack(clones.a, ["note", id, "from A"])
    try clones.tack(clones.a, ["edit", id, "--add-label", "from-a"])
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["note", id, "from B"])
    let merged = try clones.tack(clones.b, ["sync"])
    #expect(merged.contains("merged") && merged.contains("1 task"))
    let task = try #require(
      try JSONSerialization.jsonObject(
        with: Data(try clones.tack(clones.b, ["show", id, "--json"]).utf8))
        as? [String: Any])
    #expect(
      (task["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String } == [
        "from A", "from B",
      ])
    #expect(task["labels"] as? [String] == ["from-a"])
    let commit = try clones.sandbox.git(["log", "-1", "--format=%P%n%B"], in: clones.b)
    #expect(commit.split(separator: "\n").first?.split(separator: " ").count == 2)
    #expect(commit.contains("Tack-Action: sync"))
    #expect(try clones.sandbox.git(["status", "--porcelain"], in: clones.b) == "")
    // A sees B's merge by fast-forward; both now have the same tip as the remote.
    #expect(try clones.tack(clones.a, ["sync"]).contains("fast-forward"))
    #expect(
      try clones.sandbox.git(["rev-parse", "main"], in: clones.a)
        == (try clones.sandbox.git(["rev-parse", "main"], in: clones.b)))
    try clones.sandbox.expectFsckClean()
  }

  @Test func whatCannotBeMergedStopsTheSyncWithNothingWritten() throws {
    let clones = try Clones()
    let id = try clones.tack(clones.a, ["add", "Contested"]).trimmingCharacters(in: .newlines)
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["sync"])
    try clones.tack(clones.a, ["done", id])
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["cancel", id])
    let before = try clones.sandbox.git(["rev-parse", "main"], in: clones.b)
    let refused = try clones.sandbox.tack(["--repo", clones.b, "sync"], in: clones.b)
    #expect(refused.status == 6)
    #expect(refused.stderr.contains("status") && refused.stderr.contains("nothing was written"))
    #expect(try clones.sandbox.git(["rev-parse", "main"], in: clones.b) == before)
    #expect(try clones.sandbox.git(["status", "--porcelain"], in: clones.b) == "")
  }

  @Test func aTerminalStatusWinsARaceAndTheMergeCommitSaysSo() throws {
    let clones = try Clones()
    let id = try clones.tack(clones.a, ["add", "Race"]).trimmingCharacters(in: .newlines)
    let other = try clones.tack(clones.a, ["add", "Created in A"]).trimmingCharacters(in: .newlines)
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["sync"])
    try clones.tack(clones.a, ["done", id])
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["start", id])
    let created = try clones.tack(clones.b, ["add", "Created in B"]).trimmingCharacters(
      in: .newlines)
    let told = try clones.tack(clones.b, ["sync"])
    #expect(
      told.contains(
        "\(id) \"Race\": decided against this side: status: completed (terminal) over working"),
      "\(told)")
    #expect(
      try clones.tack(clones.b, ["show", id, "--json"]).contains("\"status\": \"completed\""))
    let body = try clones.sandbox.git(["log", "-1", "--format=%B"], in: clones.b)
    #expect(body.contains("status: completed (terminal) over working"))
    // Tasks created on both sides are all there: ULIDs never collide.
    let listed = try clones.tack(clones.b, ["list", "--fields", "id"])
    for task in [id, other, created] { #expect(listed.contains(task)) }
  }

  @Test func theSideWhoseClaimLostIsTold() throws {
    try Clones().claimRace()
  }

  @Test func syncWithNoRemoteSaysHowToAddOne() throws {
    let sandbox = try Sandbox(.board())
    let before = try sandbox.git(["rev-parse", "main"])
    let refused = try sandbox.tack(["sync"])
    #expect(refused.status == 4)
    #expect(refused.stderr.contains("no remote named origin"), "\(refused.stderr)")
    #expect(refused.stderr.contains("git remote add origin URL"), "\(refused.stderr)")
    #expect(try sandbox.git(["rev-parse", "main"]) == before)
  }

  @Test func twoClonesSyncingAtOnceBothLand() throws {
    let clones = try Clones()
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["sync"])
    for n in 0..<3 {
      try clones.tack(clones.a, ["add", "A \(n)"])
      try clones.tack(clones.b, ["add", "B \(n)"])
    }
    let tack = try Programs.tack.get()
    let racing = try [clones.a, clones.b].map { clone in
      try clones.sandbox.start(tack, ["--repo", clone, "sync"], in: clone)
    }
    for run in racing {
      let output = try run.wait()
      #expect(output.status == 0, "\(output.stderr)")
    }
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["sync"])
    let a = try clones.tack(clones.a, ["list", "--fields", "title"])
    let b = try clones.tack(clones.b, ["list", "--fields", "title"])
    #expect(a == b)
    #expect(a.split(separator: "\n").count == 6)
  }

  @Test func aSyncKilledMidwayLeavesAUsableRepository() throws {
    let clones = try Clones()
    try clones.tack(clones.a, ["sync"])
    try clones.tack(clones.b, ["sync"])
    let tack = try Programs.tack.get()
    var generator = SystemRandomNumberGenerator()
    for round in 0..<4 {
      try clones.tack(clones.a, ["add", "A \(round)"])
      try clones.tack(clones.a, ["sync"])
      try clones.tack(clones.b, ["add", "B \(round)"])
      let run = try clones.sandbox.start(tack, ["--repo", clones.b, "sync"], in: clones.b)
      usleep(UInt32.random(in: 0...40_000, using: &generator))
      if run.process.isRunning { kill(run.process.processIdentifier, SIGKILL) }
      _ = try run.wait()
    }
    // The next sync finishes the job; nothing is lost and the checkout is clean.
    try clones.tack(clones.b, ["sync"])
    try clones.tack(clones.a, ["sync"])
    let titles = try clones.tack(clones.a, ["list", "--fields", "title"])
    for round in 0..<4 { #expect(titles.contains("A \(round)") && titles.contains("B \(round)")) }
    let status = try clones.sandbox.git(["status", "--porcelain"], in: clones.b)
    let recent = try clones.sandbox.git(["log", "--oneline", "-5", "--graph"], in: clones.b)
    #expect(status == "", "\(status)\n\(recent)")
    #expect(
      try clones.sandbox.gitOutput(["fsck", "--strict", "--no-progress"], in: clones.b).status == 0)
  }
}
