import Foundation
import Testing

/// The board's rules hold at the CLI: refused writes change nothing and exit 5 (or 4 for bad
/// input); terminal is terminal, except for notes; claims and leases.
@Suite struct RulesTests {
  @Test func illegalTransitionChangesNothing() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Stay in todo")
    let path = Sandbox.taskPath(id)
    let bytes = try sandbox.committed(path)
    try sandbox.expectRefused(
      ["move", id, "input_required"], exit: 5,
      mentions: ["todo", "input_required", "working, completed, cancelled"], paths: [path])
    try sandbox.expectRefused(
      ["fail", id], exit: 5, mentions: ["working, completed, cancelled"], paths: [path])
    try sandbox.expectRefused(
      ["move", id, "todo"], exit: 5, mentions: ["working, completed, cancelled"], paths: [path])
    try sandbox.expectRefused(
      ["ask", id, "k", "Question?"], exit: 5, mentions: ["working, completed, cancelled"],
      paths: [path])
    #expect(try sandbox.committed(path) == bytes)

    try sandbox.ok(["start", id])
    let working = try sandbox.committed(path)
    try sandbox.expectRefused(
      ["ask", id, "k", "Question?", "--then", "todo"], exit: 5,
      mentions: ["working, completed, failed, cancelled"], paths: [path])
    #expect(try sandbox.committed(path) == working)
  }

  @Test func unknownStatusIsInvalidInput() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Typo")
    try sandbox.expectRefused(
      ["move", id, "doing"], exit: 4,
      mentions: ["doing", "todo, working, input_required, completed, failed, cancelled"],
      paths: [Sandbox.taskPath(id)])
    try sandbox.expectRefused(
      ["list", "--board", "main", "--status", "doing"], exit: 4, mentions: ["doing"])
    try sandbox.ok(["start", id])
    try sandbox.expectRefused(
      ["ask", id, "k", "Q?", "--then", "doing"], exit: 4, mentions: ["doing"])
  }

  /// `list --status` with a status that no board defines is a typo, not an empty result.
  @Test func listWithAStatusNoBoardDefinesIsInvalidInput() throws {
    let sandbox = try Sandbox()
    _ = try sandbox.add("Something")
    try sandbox.expectRefused(["list", "--status", "doing"], exit: 4, mentions: ["doing"])
  }

  @Test func terminalTasksAcceptNotesOnly() throws {
    let sandbox = try Sandbox()
    for terminal in ["completed", "failed", "cancelled"] {
      let id = try sandbox.add("Ends \(terminal)")
      try sandbox.ok(["start", id])
      try sandbox.ok(["ask", id, "q", "Question?"])
      try sandbox.ok(["move", id, terminal])
      let path = Sandbox.taskPath(id)
      let bytes = try sandbox.committed(path)
      for arguments in [
        ["move", id, "working"], ["start", id], ["done", id], ["fail", id], ["cancel", id],
        ["edit", id, "--title", "Reopened"], ["edit", id, "--add-label", "x"],
        ["claim", id], ["release", id], ["ask", id, "again", "Again?"], ["answer", id, "q=late"],
      ] {
        try sandbox.expectRefused(arguments, exit: 5, mentions: [terminal], paths: [path])
      }
      #expect(try sandbox.committed(path) == bytes, "\(terminal) task changed")
      try sandbox.expectOneCommit(
        ["note", id, "Post-mortem written"], task: id, action: "note", status: terminal)
      #expect(try sandbox.storedTask(id)["status"]?.string == terminal)
    }
  }

  @Test func answerRulesAreChecked() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Answers")
    let path = Sandbox.taskPath(id)
    try sandbox.expectRefused(["answer", id, "k=yes"], exit: 5, mentions: ["k"], paths: [path])
    try sandbox.ok(["start", id])
    try sandbox.ok(["ask", id, "ok", "Fine?", "--approval"])
    try sandbox.expectRefused(
      ["answer", id, "ok=maybe"], exit: 4, mentions: ["maybe"], paths: [path])
    try sandbox.expectRefused(
      ["answer", id, "other=yes"], exit: 5, mentions: ["other", "ok"], paths: [path])
    try sandbox.expectRefused(["answer", id, "ok"], exit: 4, paths: [path])
    try sandbox.expectRefused(["answer", id, "ok=yes", "ok=no"], exit: 4, paths: [path])
    try sandbox.expectRefused(["ask", id, "bad key", "Q?"], exit: 4, paths: [path])
    try sandbox.expectRefused(["ask", id, "k", "Q?", "--type", "essay"], exit: 4, paths: [path])
    #expect(try sandbox.storedTask(id)["status"]?.string == "input_required")
  }

  @Test func claimStartsRenewsAndReleases() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Claim me")
    try sandbox.expectOneCommit(["claim", id], task: id, action: "claim", status: "working")
    var task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "working")
    #expect(task["assignee"]?.string == Sandbox.email)
    #expect(task["lease"]?["holder"]?.string == Sandbox.email)
    let updated = try #require(parseTimestamp(task["updatedAt"]?.string))
    let firstExpiry = try #require(parseTimestamp(task["lease"]?["expiresAt"]?.string))
    #expect(abs(firstExpiry.timeIntervalSince(updated) - 30 * 60) < 1, "default lease is 30m")

    try sandbox.expectOneCommit(
      ["claim", id, "--lease", "2h"], task: id, action: "renew", status: "working")
    task = try sandbox.storedTask(id)
    let renewedAt = try #require(parseTimestamp(task["updatedAt"]?.string))
    let secondExpiry = try #require(parseTimestamp(task["lease"]?["expiresAt"]?.string))
    #expect(abs(secondExpiry.timeIntervalSince(renewedAt) - 2 * 3600) < 1)
    #expect(secondExpiry > firstExpiry)

    try sandbox.expectOneCommit(["release", id], task: id, action: "release", status: "todo")
    task = try sandbox.storedTask(id)
    #expect(task["status"]?.string == "todo")
    #expect(task["assignee"]?.isNull == true)
    #expect(task["lease"]?.isNull == true)

    try sandbox.expectRefused(["release", id], exit: 4, paths: [Sandbox.taskPath(id)])
  }

  @Test func startAssignsSoReleaseGivesTheTaskBack() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Started, not claimed")
    try sandbox.ok(["start", id])
    #expect(try sandbox.storedTask(id)["assignee"]?.string == Sandbox.email)
    try sandbox.expectOneCommit(["release", id], task: id, action: "release", status: "todo")
    try sandbox.expectRefused(["release", id], exit: 4, mentions: ["not claimed"])
    try sandbox.expectOneCommit(["claim", id], task: id, action: "claim", status: "working")
  }

  @Test func badLeasesAreInvalidInput() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Lease")
    let path = Sandbox.taskPath(id)
    for lease in ["0s", "abc", "0", "10x", "", "400d"] {
      try sandbox.expectRefused(
        ["claim", id] + (lease.isEmpty ? ["--lease", ""] : ["--lease=\(lease)"]), exit: 4,
        paths: [path])
    }
    try sandbox.expectRefused(["claim", id, "--lease=-5m"], exit: 4, paths: [path])
    #expect(try sandbox.storedTask(id)["status"]?.string == "todo")
  }
}
