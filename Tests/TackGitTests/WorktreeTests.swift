import Foundation
import TestSupport
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
    let status = try fixture.git(["status", "--porcelain"])
    #expect(status == "", "git status: \(status)")
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

  /// A writer killed between creating index.lock and recording the file (its record says
  /// only that it was opening it, and when) left a lock made in that moment, and maybe its
  /// new index: the next write removes both. A lock made long after is another process's
  /// and stays.
  @Test func aLockMadeWhileADeadWriterOpenedItIsCleared() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/t.json": "one\n"], "first") }
    let lock = fixture.path + "/.git/index.lock"
    let dead = try deadTackProcess()
    let newIndex = IndexLock.newIndexPath(lock: lock, pid: dead.pid)
    try Data().write(to: URL(fileURLWithPath: lock))
    try Data("half an index".utf8).write(to: URL(fileURLWithPath: newIndex))
    let made = try #require(FileIdentity(path: lock)).changed
    var record = LockRecord(owner: dead)
    record.opening = (lock, timespec(tv_sec: made.tv_sec - 60, tv_nsec: 0))
    try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/.git/tack.lock"))
    #expect(LockRecord(bytes: record.bytes) == record)
    #expect(throws: GitError.self) {
      try repository.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 50)) { _ in
        request(["d/t.json": "two\n"], "blocked")
      }
    }
    #expect(FileManager.default.fileExists(atPath: lock))

    record.opening = (lock, made)
    try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/.git/tack.lock"))
    try repository.update(branch: branch) { _ in request(["d/t.json": "two\n"], "second") }
    #expect(!FileManager.default.fileExists(atPath: lock))
    #expect(!FileManager.default.fileExists(atPath: newIndex))
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(fixture.commitCount == 2)
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

/// The rules git's own commands keep in a checkout, kept by Tack beside them: index.lock,
/// filters, sparse checkouts, symbolic links, indexes Tack does not write.
@Suite struct CheckoutRuleTests {
  /// A foreign index.lock (no record of a dead Tack writer names it) is waited for until the
  /// write's deadline, then the write fails saying what to do; the lock is never removed.
  @Test func aForeignIndexLockIsWaitedForAndNeverRemoved() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "1\n"], "first") }
    let lock = fixture.path + "/.git/index.lock"
    try Data().write(to: URL(fileURLWithPath: lock))
    // An old lock too: its age says nothing about whether its process still runs.
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: lock)
    #expect {
      try repository.update(
        branch: "refs/heads/main", policy: RetryPolicy(maxWaitMilliseconds: 300)
      ) { _ in request(["a.json": "2\n"], "blocked") }
    } throws: { error in
      guard let error = error as? GitError else { return false }
      return error.kind == .conflict && error.message.contains(lock)
        && error.message.contains("git commit")
    }
    #expect(FileManager.default.fileExists(atPath: lock))
    #expect(fixture.commitCount == 1)
    #expect(try fixture.read("a.json") == "1\n")
    try FileManager.default.removeItem(atPath: lock)
    try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "2\n"], "then") }
    try WorktreeTests.expectIndexMatchesHead(fixture)
  }

  /// A `git commit` waiting for its editor holds index.lock: a Tack write waits for it (within
  /// its deadline) and then lands on top; both commits are in the history and the checkout.
  @Test func aGitCommitWithItsEditorOpenGoesFirst() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "1\n"], "first") }
    try fixture.write("hand.txt", "one\n")
    try fixture.git(["add", "hand.txt"])
    try fixture.git(["commit", "-qm", "hand.txt"])
    try fixture.write("hand.txt", "by hand\n")
    // `commit -a` (or with paths) holds index.lock while the editor is open.
    let commit = Process()
    commit.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    commit.arguments = ["git", "-C", fixture.path, "commit", "-q", "-a", "-e", "-m", "by hand"]
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_EDITOR"] = "sleep 2; true"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = fixture.path
    commit.environment = environment
    try commit.run()
    let lock = fixture.path + "/.git/index.lock"
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: lock) { usleep(10_000) }
    #expect(FileManager.default.fileExists(atPath: lock))
    let started = Date()
    try repository.update(branch: "refs/heads/main") { _ in request(["b.json": "2\n"], "tack") }
    commit.waitUntilExit()
    #expect(commit.terminationStatus == 0)
    #expect(Date().timeIntervalSince(started) > 1)  // it waited
    #expect(
      try fixture.git(["log", "--format=%s", "main"]) == "tack\nby hand\nhand.txt\nfirst\n")
    #expect(try fixture.git(["show", "main:hand.txt"]) == "by hand\n")
    try WorktreeTests.expectIndexMatchesHead(fixture)
  }

  /// Plain `git commit`s of another file in the same checkout while Tack writes: every
  /// acknowledged Tack write is in the final tree, none reverted by a commit of an older
  /// index (the branch used to move before Tack took index.lock).
  @Test func plainCommitsBesideTackWritesLoseNothing() async throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["seed.json": "0\n"], "seed") }
    let path = fixture.path
    let hand = Task.detached { () throws -> Int in
      var landed = 0
      for n in 0..<30 {
        try Data("hand \(n)\n".utf8).write(to: URL(fileURLWithPath: path + "/hand.txt"))
        // git fails at once when index.lock is taken: a person runs it again.
        for _ in 0..<200 {
          let added = try TestGit.run(["add", "hand.txt"], in: path, allowFailure: true)
          _ = added
          let status = try TestGit.run(
            ["commit", "-q", "-m", "hand \(n)"], in: path, allowFailure: true)
          _ = status
          if try TestGit.run(["log", "-1", "--format=%s"], in: path) == "hand \(n)\n" {
            landed += 1
            break
          }
          usleep(5_000)
        }
      }
      return landed
    }
    var acknowledged: [String] = []
    for n in 0..<30 {
      let name = "t/\(n).json"
      try repository.update(branch: "refs/heads/main") { _ in request([name: "\(n)\n"], "tack \(n)")
      }
      acknowledged.append(name)
    }
    let landed = try await hand.value
    #expect(landed == 30)
    let tree = Set(
      try fixture.git(["ls-tree", "-r", "--name-only", "main"]).split(separator: "\n"))
    for name in acknowledged { #expect(tree.contains(Substring(name)), "\(name) was lost") }
    let subjects = try fixture.git(["log", "--format=%s", "main"])
    #expect(subjects.split(separator: "\n").filter { $0.hasPrefix("tack ") }.count == 30)
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    try fixture.git(["fsck", "--strict"])
  }

  /// With `core.autocrlf=true` git checks text files out with CRLF: Tack compares them with
  /// the commit through the same filter (no false "uncommitted changes") and writes them as
  /// checkout would, so `git status` stays clean.
  @Test func filesAreComparedAndWrittenThroughGitsFilters() throws {
    let fixture = try GitFixture()
    try Repository.discover(from: fixture.path).update(branch: "refs/heads/main") { _ in
      request([".tack/scopes.json": "{\n  \"a\": 1\n}\n"], "first")
    }
    try fixture.git(["config", "core.autocrlf", "true"])
    // libgit2 caches core.autocrlf per handle: a command opens the repository afresh.
    let repository = try Repository.discover(from: fixture.path)
    try FileManager.default.removeItem(atPath: fixture.path + "/.tack/scopes.json")
    try fixture.git(["checkout", "--", ".tack/scopes.json"])
    #expect(try fixture.read(".tack/scopes.json") == "{\r\n  \"a\": 1\r\n}\r\n")
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    try repository.update(branch: "refs/heads/main") { _ in
      request([".tack/scopes.json": "{\n  \"a\": 2\n}\n"], "second")
    }
    #expect(try fixture.read(".tack/scopes.json") == "{\r\n  \"a\": 2\r\n}\r\n")
    #expect(try fixture.git(["show", "main:.tack/scopes.json"]) == "{\n  \"a\": 2\n}\n")
    try WorktreeTests.expectIndexMatchesHead(fixture)
    // A real edit is still seen as one through the filter.
    try fixture.write(".tack/scopes.json", "{\r\n  \"a\": 3\r\n}\r\n")
    #expect(throws: GitError.self) {
      try repository.update(branch: "refs/heads/main") { _ in
        request([".tack/scopes.json": "{\n  \"a\": 4\n}\n"], "refused")
      }
    }
    // With the template's attributes (`-text`), the bytes stay exactly as committed.
    try fixture.git(["checkout", "--", "."])
    try repository.update(branch: "refs/heads/main") { _ in
      request([".tack/.gitattributes": "* -text\n"], "attributes")
    }
    // Checked out again (as a clone would), the file is the committed bytes.
    try FileManager.default.removeItem(atPath: fixture.path + "/.tack/scopes.json")
    try fixture.git(["checkout", "--", ".tack/scopes.json"])
    #expect(try fixture.read(".tack/scopes.json") == "{\n  \"a\": 2\n}\n")
    try repository.update(branch: "refs/heads/main") { _ in
      request([".tack/scopes.json": "{\n  \"a\": 5\n}\n"], "exact")
    }
    #expect(try fixture.read(".tack/scopes.json") == "{\n  \"a\": 5\n}\n")
    try WorktreeTests.expectIndexMatchesHead(fixture)
  }

  /// An uncommitted symbolic link (or a file) in place of a folder would take a write outside
  /// the working tree: refused before anything is committed.
  @Test func aSymbolicLinkInPlaceOfAFolderIsRefused() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in
      request(["boards/b/tasks/x.json": "x\n"], "first")
    }
    let outside = try TestGit.temporaryFolder("outside")
    defer { try? FileManager.default.removeItem(atPath: outside) }
    try FileManager.default.removeItem(atPath: fixture.path + "/boards/b/tasks")
    try FileManager.default.createSymbolicLink(
      atPath: fixture.path + "/boards/b/tasks", withDestinationPath: outside)
    for changes in [["boards/b/tasks/y.json": "y\n"], ["boards/b/tasks/x.json": nil]] {
      #expect {
        try repository.update(branch: "refs/heads/main") { _ in request(changes, "refused") }
      } throws: { error in
        (error as? GitError)?.kind == .uncommittedChanges
          && (error as? GitError)?.message.contains("boards/b/tasks") == true
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    #expect(fixture.commitCount == 1)
    // A file where a folder should be is refused the same way.
    try FileManager.default.removeItem(atPath: fixture.path + "/boards/b/tasks")
    try fixture.write("boards/b/tasks", "a file\n")
    #expect(throws: GitError.self) {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["boards/b/tasks/z.json": "z\n"], "refused")
      }
    }
    #expect(fixture.commitCount == 1)
  }

  /// In a sparse checkout, entries outside the patterns (skip-worktree) are updated in the
  /// index only, keeping the flag; new files outside get the flag and no file; new files
  /// inside are written. Non-cone and cone mode.
  @Test(arguments: [["--no-cone", ".tack"], ["--cone", ".tack"], ["--no-cone", "/*.md", "!/x*"]])
  func sparseCheckoutsKeepTheirShape(_ arguments: [String]) throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in
      request(
        [".tack/config.json": "c\n", "boards/m/tasks/a.json": "a\n", "README.md": "r\n"], "first")
    }
    try fixture.git(["sparse-checkout", "set"] + arguments)
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/boards/m/tasks/a.json"))
    try repository.update(branch: "refs/heads/main") { _ in
      request(
        [
          "boards/m/tasks/a.json": "a2\n", "boards/m/tasks/b.json": "b\n",
          ".tack/scopes.json": "s\n",
        ], "second")
    }
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/boards/m/tasks/a.json"))
    #expect(!FileManager.default.fileExists(atPath: fixture.path + "/boards/m/tasks/b.json"))
    let tags = try fixture.git(["ls-files", "-t"])
    #expect(tags.contains("S boards/m/tasks/a.json") && tags.contains("S boards/m/tasks/b.json"))
    let included = arguments.contains(".tack")
    #expect(FileManager.default.fileExists(atPath: fixture.path + "/.tack/scopes.json") == included)
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    #expect(try fixture.git(["show", "main:boards/m/tasks/b.json"]) == "b\n")
    try repository.update(branch: "refs/heads/main") { _ in
      request(["boards/m/tasks/a.json": nil], "third")
    }
    #expect(try fixture.git(["status", "--porcelain"]) == "")
    try fixture.git(["sparse-checkout", "disable"])
    #expect(try fixture.read("boards/m/tasks/b.json") == "b\n")
    try WorktreeTests.expectIndexMatchesHead(fixture)
  }

  /// Tack's reading of sparse-checkout patterns agrees with git's, path by path.
  @Test(arguments: [
    ["--no-cone", "/*", "!/*/", "/a/"], ["--no-cone", "*.json", "!b/"],
    ["--no-cone", "a/b", "c"], ["--cone", "a/b"], ["--cone", "c", "a"],
  ])
  func sparsePatternsMatchGit(_ arguments: [String]) throws {
    let fixture = try GitFixture()
    let paths = [
      "r.json", "r.txt", "a/x.json", "a/b/y.txt", "a/b/c/z.json", "a/c/w.txt", "b/v.json",
      "c/u.txt", "c/c/t.json", "d/a/b/s.txt",
    ]
    for path in paths { try fixture.write(path, path + "\n") }
    try fixture.git(["add", "."])
    try fixture.git(["commit", "-qm", "files"])
    try fixture.git(["sparse-checkout", "set"] + arguments)
    let file = try fixture.read(".git/info/sparse-checkout")
    let patterns = try SparseCheckout(text: file, file: "sparse-checkout")
    for line in try fixture.git(["ls-files", "-t"]).split(separator: "\n") {
      let path = String(line.dropFirst(2))
      #expect(patterns.includes(path) == line.hasPrefix("H"), "\(arguments): \(line)")
    }
  }

  /// An index Tack does not write is refused before anything is committed, saying what to do.
  @Test func unsupportedIndexesAreRefusedWithWhatToDo() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "1\n"], "first") }
    func refused(_ advice: String) {
      #expect {
        try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "2\n"], "no") }
      } throws: { error in
        (error as? GitError)?.message.contains(advice) == true
      }
      #expect(fixture.commitCount == 1)
      #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/index.lock"))
    }
    try fixture.git(["update-index", "--split-index"])
    refused("git update-index --no-split-index")
    try fixture.git(["config", "core.splitIndex", "false"])
    try fixture.git(["update-index", "--no-split-index"])
    try fixture.git(["sparse-checkout", "init", "--cone", "--sparse-index"])
    try fixture.git(["sparse-checkout", "set", "d"])
    refused("git sparse-checkout init --no-sparse-index")
    try fixture.git(["sparse-checkout", "disable"])
    try FileManager.default.removeItem(atPath: fixture.path + "/.git/index")
    refused("git reset")
    try fixture.git(["reset", "-q"])
    try repository.update(branch: "refs/heads/main") { _ in request(["a.json": "2\n"], "yes") }
    try WorktreeTests.expectIndexMatchesHead(fixture)
  }

  @Test func aLockRecordReadsBackAsWritten() throws {
    let record = LockRecord(
      owner: LockOwner(pid: 42, start: 123_456, host: "a host"),
      index: (
        "/tmp/a b/.git/index.lock",
        FileIdentity(device: 1, inode: 2, changed: timespec(tv_sec: 3, tv_nsec: 4))
      ),
      swap: ("/tmp/a b/.git/refs/heads/main.lock", timespec(tv_sec: 5, tv_nsec: 6)))
    #expect(LockRecord(bytes: record.bytes) == record)
    #expect(LockRecord(bytes: []) == nil)
    #expect(LockOwner.current.isGone == false)
    #expect(try deadTackProcess().isGone)
  }
}
