import Foundation
import Testing

/// A board's history as git keeps it: shallow clones (whose oldest commits have no parents
/// here), a history with an object gone (`tack check` must say so), and a merge driver that
/// cannot write its result (it must fail the merge, not report one).
@Suite struct HistoryHealthTests {
  /// A `git clone --depth 1` of a board with history: writes, `tack log`, `tack check` work,
  /// and the log stops at the cut as `git log` does.
  @Test func shallowCloneWritesLogsAndChecks() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Deep history")
    for round in 1...3 { try sandbox.ok(["note", id, "note \(round)"]) }
    let clone = sandbox.root + "/shallow"
    try sandbox.git(["clone", "-q", "--depth", "1", "file://" + sandbox.repo, clone])
    try sandbox.git(["config", "user.name", Sandbox.name], in: clone)
    try sandbox.git(["config", "user.email", Sandbox.email], in: clone)
    #expect(FileManager.default.fileExists(atPath: clone + "/.git/shallow"))

    try sandbox.ok(["note", id, "from the shallow clone"], in: clone)
    let log = try sandbox.ok(["log", id, "--json"], in: clone)
    let entries = try #require(
      (try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [String: Any])?["history"]
        as? [[String: Any]])
    // The note made here and the cut commit, which git shows as a root.
    let gitLog = try sandbox.git(
      ["log", "--format=%H", "--", Sandbox.taskPath(id)], in: clone
    ).split(separator: "\n")
    #expect(entries.count == gitLog.count)
    #expect(entries.count == 2)
    #expect(try sandbox.tack(["check"], in: clone).status == 0)
    #expect(try sandbox.tack(["gc"], in: clone).status == 0)
    #expect(try sandbox.tack(["log", id], in: clone).status == 0)
    #expect(try sandbox.git(["status", "--porcelain"], in: clone) == "")
  }

  /// An object that the branch's history needs is deleted: `tack check` names it and exits 8,
  /// though every file at the tip still reads.
  @Test func checkReportsAMissingObjectInHistory() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Will lose its first version")
    let path = Sandbox.taskPath(id)
    let first = try sandbox.git(["rev-parse", "main:" + path]).trimmingCharacters(
      in: .whitespacesAndNewlines)
    try sandbox.ok(["note", id, "a later version"])
    #expect(try sandbox.tack(["check"]).status == 0)
    // Unpack everything so that one object can be removed alone.
    try sandbox.git(["-c", "gc.auto=0", "repack", "-a", "-d", "-q"])
    let packs = try FileManager.default.contentsOfDirectory(
      atPath: sandbox.repo + "/.git/objects/pack"
    ).filter { $0.hasSuffix(".pack") }
    for pack in packs {
      let file = sandbox.repo + "/.git/objects/pack/" + pack
      let moved = sandbox.root + "/" + pack
      try FileManager.default.moveItem(atPath: file, toPath: moved)
      try FileManager.default.removeItem(atPath: String(file.dropLast(5)) + ".idx")
      try sandbox.run("/bin/sh", ["-c", "git unpack-objects -q < '\(moved)'"], in: sandbox.repo)
        .requireSuccess()
    }
    let object =
      sandbox.repo + "/.git/objects/" + first.prefix(2) + "/" + first.dropFirst(2)
    try FileManager.default.removeItem(atPath: object)

    let output = try sandbox.tack(["check"])
    #expect(output.status == 8, "\(output)")
    #expect(output.stdout.contains(first), "\(output)")
    #expect(output.stdout.contains("history"), "\(output)")
    // The tip still reads.
    #expect(try sandbox.tack(["show", id]).status == 0)
  }

  /// The merge driver cannot write its result (a file size limit of 0 makes every write fail
  /// with EFBIG): it must fail, so git reports a conflict instead of taking a truncated file
  /// for the merge.
  @Test func mergeDriverFailsWhenItCannotWriteTheResult() throws {
    let sandbox = try Sandbox()
    let id = try sandbox.add("Merged")
    let path = Sandbox.taskPath(id)
    let base = sandbox.root + "/base.json"
    let ours = sandbox.root + "/ours.json"
    for copy in [base, ours] {
      try FileManager.default.copyItem(atPath: sandbox.repo + "/" + path, toPath: copy)
    }
    let tack = try Programs.tack.get()
    let output = try sandbox.run(
      "/bin/sh",
      [
        "-c", "trap '' XFSZ; ulimit -f 0; exec \"$0\" merge-driver \"$1\" \"$2\" \"$1\" \"$3\"",
        tack, base, ours, path,
      ], in: sandbox.repo)
    // Exit 4 (the write failed), not 0 (merged) nor a signal: the limit also keeps the message
    // from reaching stderr, which is a file here.
    #expect(output.status == 4, "\(output)")
  }
}

extension Output {
  func requireSuccess(sourceLocation: SourceLocation = #_sourceLocation) throws {
    try #require(status == 0, "\(self)", sourceLocation: sourceLocation)
  }
}
