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
