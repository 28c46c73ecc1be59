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

  /// What git makes of the index Tack patched: nothing staged or modified, the same entries
  /// as the commit, and a cache tree that `git write-tree` trusts for the folders Tack left
  /// alone and rebuilds for those it changed.
  static func expectIndexMatchesHead(_ fixture: GitFixture) throws {
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    // "<mode> <id> <stage>\t<path>" against "<mode> blob <id>\t<path>".
    let staged = Set(
      try fixture.git(["ls-files", "--stage"]).split(separator: "\n").map { line in
        let fields = line.split(separator: " ", maxSplits: 2)
        return "\(fields[0]) blob \(fields[1])\t" + line.split(separator: "\t")[1]
      })
    let committed = Set(
      try fixture.git(["ls-tree", "-r", "HEAD"]).split(separator: "\n").map(String.init))
    #expect(
      staged.subtracting(committed).isEmpty && committed.subtracting(staged).isEmpty,
      "only staged: \(staged.subtracting(committed)), only committed: \(committed.subtracting(staged))"
    )
    #expect(try fixture.git(["write-tree"]) == (try fixture.git(["rev-parse", "HEAD^{tree}"])))
  }

  @Test func tackPatchesTheIndexInPlace() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    var files: [String: String?] = ["README": "r\n"]
    for n in 0..<60 { files["boards/m/tasks/\(n % 4)/\(n % 7)/t\(n).json"] = "\(n)\n" }
    try repository.update(branch: branch) { _ in request(files, "first") }
    // git gives the index a cache tree; Tack's writes must keep it true.
    try fixture.git(["write-tree"])
    let index = try Data(contentsOf: URL(fileURLWithPath: fixture.path + "/.git/index"))
    #expect(index.range(of: Data("TREE".utf8)) != nil)
    let steps: [(String, [String: String?])] = [
      ("change one", ["boards/m/tasks/1/2/t9.json": "nine\n"]),
      ("add in a new folder", ["boards/m/tasks/9/9/new.json": "new\n"]),
      ("remove one", ["boards/m/tasks/0/0/t0.json": nil]),
      (
        "several at once",
        [
          "boards/m/tasks/2/3/t10.json": "ten\n", "boards/m/tasks/3/4/t11.json": nil,
          "a-first.json": "first in order\n", "zz/last.json": "last in order\n",
        ]
      ),
      ("a path git sorts between others", ["boards/m/tasks/1.json": "one\n"]),
    ]
    for (message, changes) in steps {
      try repository.update(branch: branch) { _ in request(changes, message) }
      try Self.expectIndexMatchesHead(fixture)
    }
    // Hand edits are still seen through Tack's reading of the index.
    try fixture.write("boards/m/tasks/1/2/t9.json", "hand\n")
    try fixture.git(["add", "boards/m/tasks/1/2/t9.json"])
    #expect(throws: GitError.self) {
      try repository.update(branch: branch) { _ in
        request(["boards/m/tasks/1/2/t9.json": "tack\n"], "refused")
      }
    }
  }

  /// Entries and extensions Tack does not touch come through its patch as git wrote them:
  /// a skip-worktree flag (which makes the index version 3) on another file, and the
  /// untracked cache, which describes the old index and is dropped.
  @Test func whatTackDoesNotChangeInTheIndexStaysAsGitWroteIt() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in
      request(["d/a.json": "a\n", "d/b.json": "b\n", "notes.txt": "n\n"], "first")
    }
    try fixture.git(["update-index", "--skip-worktree", "notes.txt"])
    try fixture.git(["config", "core.untrackedCache", "true"])
    try fixture.git(["update-index", "--untracked-cache"])
    _ = try fixture.git(["status", "--porcelain"])  // fills the untracked cache
    let before = try Data(contentsOf: URL(fileURLWithPath: fixture.path + "/.git/index"))
    #expect(before[4..<8] == Data([0, 0, 0, 3]))
    #expect(before.range(of: Data("UNTR".utf8)) != nil)
    try repository.update(branch: branch) { _ in
      request(["d/a.json": "changed\n", "d/c.json": "c\n"], "second")
    }
    #expect(try fixture.git(["ls-files", "-v", "notes.txt"]) == "S notes.txt\n")
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(try fixture.git(["ls-files", "--stage", "d"]).split(separator: "\n").count == 3)
    // A write to the skip-worktree file itself keeps its flag.
    try repository.update(branch: branch) { _ in request(["notes.txt": "n2\n"], "third") }
    #expect(try fixture.git(["ls-files", "-v", "notes.txt"]) == "S notes.txt\n")
  }

  /// A version 4 index (with compressed paths) is patched by Tack and stays version 4.
  @Test func aVersion4IndexIsPatchedByTack() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/a.json": "a\n"], "first") }
    try fixture.git(["update-index", "--index-version", "4"])
    try repository.update(branch: branch) { _ in
      request(["d/a.json": "b\n", "d/c.json": "c\n"], "v4")
    }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path + "/.git/index"))
    #expect(bytes[4..<8] == Data([0, 0, 0, 4]))
    try Self.expectIndexMatchesHead(fixture)
  }

  /// A damaged index refuses the write before anything is committed.
  @Test func aDamagedIndexRefusesTheWrite() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/a.json": "a\n"], "first") }
    let path = fixture.path + "/.git/index"
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    bytes[20] ^= 0xff  // a byte of the first entry's stat data
    try bytes.write(to: URL(fileURLWithPath: path))
    #expect {
      try repository.update(branch: branch) { _ in request(["d/a.json": "b\n"], "second") }
    } throws: { error in
      (error as? GitError)?.message.contains("checksum does not match") == true
    }
    #expect(fixture.commitCount == 1)
  }

  /// A writer killed while updating the checkout leaves its journal, maybe a temporary file
  /// not yet renamed into place, and maybe index.lock with its record in tack.lock: the next
  /// write finishes the update, removes the temporary file and the dead writer's lock.
  @Test func aWriteKilledMidUpdateIsFinishedByTheNext() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/t.json": "one\n"], "first") }
    try fixture.write("d/t.json.tack-99999-1234", "one\n")
    try Data("d/t.json".utf8).write(to: URL(fileURLWithPath: repository.journalPath))
    let lock = fixture.path + "/.git/index.lock"
    try Data().write(to: URL(fileURLWithPath: lock))
    let record = LockRecord(
      owner: try deadTackProcess(), index: (lock, try #require(FileIdentity(path: lock))))
    try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/.git/tack.lock"))
    try repository.update(branch: branch) { _ in request(["e.json": "two\n"], "second") }
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(!FileManager.default.fileExists(atPath: lock))
    #expect(repository.writeWarning?.contains("index.lock") == true)
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
