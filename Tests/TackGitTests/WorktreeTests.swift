import Foundation
import Testing

@testable import TackGit

@Suite struct WorktreeTests {
  @Test func aCheckedOutBranchKeepsGitStatusClean() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    #expect(!repository.isBare)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in
      request(["boards/a/x.json": "one\n", "keep.txt": "k\n"], "first")
    }
    try repository.update(branch: branch) { _ in request(["boards/a/x.json": "two\n"], "second") }
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(try fixture.read("boards/a/x.json") == "two\n")
    try repository.update(branch: branch) { _ in request(["boards/a/x.json": nil], "delete") }
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/boards"))
    try fixture.git(["fsck", "--strict"])
  }

  /// A writer killed while updating the checkout leaves its journal, maybe a temporary file
  /// not yet renamed into place, and maybe index.lock: the next write finishes the update,
  /// removes the temporary file and waits the lock out (removed once stale).
  @Test func aWriteKilledMidUpdateIsFinishedByTheNext() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/t.json": "one\n"], "first") }
    try fixture.write("d/t.json.tack-99999-1234", "one\n")
    try Data("d/t.json".utf8).write(to: URL(fileURLWithPath: repository.journalPath))
    let lock = fixture.path + "/.git/index.lock"
    try Data().write(to: URL(fileURLWithPath: lock))
    let old = Date(timeIntervalSinceNow: -Double(Repository.staleLockSeconds + 1))
    try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: lock)
    try repository.update(branch: branch) { _ in request(["e.json": "two\n"], "second") }
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(!FileManager.default.fileExists(atPath: lock))
  }

  @Test func uncommittedEditsAreNeverOverwritten() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["t.json": "committed\n"], "first") }
    try fixture.write("t.json", "hand edit\n")
    #expect {
      try repository.update(branch: branch) { _ in request(["t.json": "tack\n"], "second") }
    } throws: { error in
      guard let error = error as? GitError else { return false }
      return error.kind == .uncommittedChanges && error.message.contains("t.json")
    }
    #expect(fixture.commitCount == 1)
    #expect(try fixture.read("t.json") == "hand edit\n")

    // Staged but not committed is refused too.
    try fixture.git(["add", "t.json"])
    #expect(throws: GitError.self) {
      try repository.update(branch: branch) { _ in request(["t.json": "tack\n"], "third") }
    }
    #expect(fixture.commitCount == 1)

    // An untracked file where Tack would create one is refused as well.
    try fixture.git(["reset", "-q", "--hard"])
    try fixture.write("new.json", "mine\n")
    #expect(throws: GitError.self) {
      try repository.update(branch: branch) { _ in request(["new.json": "tack\n"], "fourth") }
    }
    #expect(try fixture.read("new.json") == "mine\n")
  }

  @Test func otherBranchesLeaveTheWorkingTreeAlone() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["a": "1\n"], "first") }
    try repository.update(branch: "refs/heads/side") { _ in request(["b": "2\n"], "side") }
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/b"))
    #expect(try fixture.git(["status", "--porcelain"]) == "")
  }
}
