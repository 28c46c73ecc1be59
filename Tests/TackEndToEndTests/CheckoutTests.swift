import Foundation
import Testing

/// The `tack` binary in a checkout beside git's own rules: writers killed mid-write leave
/// nothing that blocks the next one, `core.autocrlf` clones stay byte-exact and writable,
/// and a symbolic link never takes a write outside the working tree.
@Suite struct CheckoutTests {
  /// Writers killed at random moments in a checkout: the next write clears the index.lock
  /// a killed writer recorded as its own, finishes any checkout update it left half done,
  /// and `git status` is clean; every acknowledged write is there.
  @Test func writersKilledInACheckoutLeaveNothingBehind() throws {
    let sandbox = try Sandbox(.board())
    let tack = try Programs.tack.get()
    var acknowledged: [String] = []
    var killed = 0
    var generator = SystemRandomNumberGenerator()
    for round in 0..<8 {
      let writers = try (0..<3).map { writer in
        try sandbox.start(tack, ["add", "round \(round) writer \(writer)"], in: sandbox.repo)
      }
      usleep(UInt32.random(in: 0...30_000, using: &generator))
      for writer in writers where Bool.random(using: &generator) && writer.process.isRunning {
        kill(writer.process.processIdentifier, SIGKILL)
        killed += 1
      }
      for writer in writers {
        let output = try writer.wait()
        if output.status == 0 { acknowledged.append(output.line) }
      }
    }
    let after = try sandbox.tack(["add", "after"])
    #expect(after.status == 0, "\(after)")
    let listed = try sandbox.ok(["list", "--json"])
    for id in acknowledged { #expect(listed.contains(id), "acknowledged \(id) is missing") }
    #expect(!FileManager.default.fileExists(atPath: sandbox.repo + "/.git/index.lock"))
    #expect(try sandbox.status() == "")
    try sandbox.expectFsckClean()
    print("checkout kills: \(acknowledged.count) acknowledged writes, \(killed) kills")
  }

  /// A clone made with `core.autocrlf=true`: the template's attributes keep Tack's files
  /// byte-exact (LF), and a board from before them (CRLF on disk) is still written without
  /// false "uncommitted changes", leaving `git status` clean.
  @Test func autocrlfClonesStayWritable() throws {
    let sandbox = try Sandbox(.board())
    try sandbox.ok(["scope", "add", "bob", "--kind", "person"])
    _ = try sandbox.add("before the clone")
    let clone = sandbox.root + "/clone"
    try sandbox.git(["clone", "-q", "-c", "core.autocrlf=true", sandbox.repo, clone])
    try sandbox.git(["config", "user.email", Sandbox.email], in: clone)
    let scopes = try Data(contentsOf: URL(fileURLWithPath: clone + "/.tack/scopes.json"))
    #expect(!scopes.contains(13), "the template's -text keeps LF")
    try sandbox.ok(["scope", "add", "carol", "--kind", "person"], in: clone)
    _ = try sandbox.ok(["add", "in the clone"], in: clone)
    #expect(try sandbox.git(["status", "--porcelain"], in: clone) == "")

    // Without the attributes, git checks the JSON out with CRLF.
    try sandbox.git(["rm", "-q", ".tack/.gitattributes", "boards/.gitattributes"])
    try sandbox.git(["commit", "-qm", "no attributes"])
    let old = sandbox.root + "/old"
    try sandbox.git(["clone", "-q", "-c", "core.autocrlf=true", sandbox.repo, old])
    try sandbox.git(["config", "user.email", Sandbox.email], in: old)
    let crlf = try Data(contentsOf: URL(fileURLWithPath: old + "/.tack/scopes.json"))
    #expect(crlf.contains(13))
    try sandbox.ok(["scope", "add", "dave", "--kind", "person"], in: old)
    let id = try sandbox.ok(["add", "in the old clone"], in: old)
      .trimmingCharacters(in: .newlines)
    try sandbox.ok(["note", id, "a note"], in: old)
    #expect(try sandbox.git(["status", "--porcelain"], in: old) == "")
    let written = try Data(contentsOf: URL(fileURLWithPath: old + "/.tack/scopes.json"))
    #expect(written.contains(13), "written as checkout writes it")
  }

  /// An uncommitted symbolic link in place of the tasks folder: `tack add` is refused and
  /// writes nothing, inside or outside the working tree.
  @Test func aSymbolicLinkNeverTakesAWriteOutside() throws {
    let sandbox = try Sandbox(.board())
    _ = try sandbox.add("first")
    let before = try sandbox.commitCount()
    let outside = sandbox.root + "/outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    try FileManager.default.moveItem(
      atPath: sandbox.repo + "/boards/main/tasks", toPath: outside + "/tasks")
    try FileManager.default.createSymbolicLink(
      atPath: sandbox.repo + "/boards/main/tasks", withDestinationPath: outside + "/tasks")
    let refused = try sandbox.tack(["add", "second"])
    #expect(refused.status == 6, "\(refused)")
    #expect(refused.stderr.contains("boards/main/tasks"), "\(refused)")
    #expect(try sandbox.commitCount() == before)
    let files = try FileManager.default.subpathsOfDirectory(atPath: outside)
    #expect(files.filter { $0.hasSuffix(".json") }.count == 1, "\(files)")
  }
}
