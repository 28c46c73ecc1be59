import Foundation
import Testing

/// Two clones edit one task and meet through a bare remote: plain `git pull` merges the task
/// field by field with `tack merge-driver` (installed by `tack init` / `install-merge-driver`).
@Suite struct MergeDriverTests {
  @Test func editsOnBothSidesMergeFieldByField() throws {
    let clones = try Clones(installMergeDriver: true)
    let id = try clones.sandbox.add("Shared", ["--label", "base"])
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    try clones.sandbox.git(["pull", "-q", "--no-rebase", "origin", "main"], in: clones.b)
    _ = try clones.tack(clones.a, ["note", id, "from A"])
    _ = try clones.tack(clones.a, ["edit", id, "--add-label", "from-a"])
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    _ = try clones.tack(clones.b, ["note", id, "from B"])
    _ = try clones.tack(
      clones.b, ["edit", id, "--title", "Title from B", "--remove-label", "base"])
    try clones.sandbox.git(
      ["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"], in: clones.b)
    let merged = try clones.tack(clones.b, ["show", id, "--json"])
    let task = try #require(
      try JSONSerialization.jsonObject(with: Data(merged.utf8)) as? [String: Any])
    #expect(task["title"] as? String == "Title from B")
    #expect(task["labels"] as? [String] == ["from-a"])
    #expect(
      (task["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String }.sorted() == [
        "from A", "from B",
      ])
    #expect(try clones.sandbox.git(["status", "--porcelain"], in: clones.b) == "")
    #expect(try clones.tack(clones.b, ["check"]).contains("valid"))
  }

  /// The driver tells, on stderr, what it decided against this side, in `tack sync`'s words.
  @Test func theDriverSaysWhatItDecidedAgainstThisSide() throws {
    let clones = try Clones(installMergeDriver: true)
    let id = try clones.sandbox.add("Finished elsewhere")
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    try clones.sandbox.git(["pull", "-q", "--no-rebase", "origin", "main"], in: clones.b)
    _ = try clones.tack(clones.a, ["done", id])
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    _ = try clones.tack(clones.b, ["start", id])
    let pull = try clones.sandbox.gitOutput(
      ["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"], in: clones.b)
    #expect(pull.status == 0, "\(pull)")
    #expect(
      pull.stderr.contains(
        "tack: \(id) \"Finished elsewhere\": decided against this side: status: completed (terminal) over working"
      ), "\(pull.stderr)")
  }

  @Test func twoDifferentEndingsAreAConflictThatCheckLists() throws {
    let clones = try Clones(installMergeDriver: true)
    let id = try clones.sandbox.add("Contested")
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    try clones.sandbox.git(["pull", "-q", "--no-rebase", "origin", "main"], in: clones.b)
    _ = try clones.tack(clones.a, ["done", id])
    try clones.sandbox.git(["push", "-q", "origin", "main"])
    _ = try clones.tack(clones.b, ["cancel", id])
    let pull = try clones.sandbox.gitOutput(
      ["pull", "-q", "--no-rebase", "--no-edit", "origin", "main"], in: clones.b)
    #expect(pull.status != 0)
    // The file holds the base status and both endings; git stops so a person decides.
    try clones.sandbox.git(["add", "-A"], in: clones.b)
    try clones.sandbox.git(["commit", "-qm", "merge with a conflict recorded"], in: clones.b)
    let check = try clones.sandbox.tack(["--repo", clones.b, "check"], in: clones.b)
    #expect(check.status == 8)
    #expect(check.stdout.contains("unresolved merge") && check.stdout.contains("completed"))
    // Deciding with tack clears the record.
    _ = try clones.tack(clones.b, ["done", id])
    #expect(try clones.sandbox.tack(["--repo", clones.b, "check"], in: clones.b).status == 0)
  }
}
