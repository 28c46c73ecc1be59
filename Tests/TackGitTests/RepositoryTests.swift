import Foundation
import TestSupport
import Testing

@testable import TackGit

@Suite struct RepositoryTests {
  @Test func writesOneCommitPerUpdateWithoutTheIndexInABareRepository() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    #expect(repository.isBare)
    let branch = try repository.headBranch()
    #expect(branch == "refs/heads/main")
    #expect(try repository.tip(of: branch) == nil)

    let first = try #require(
      try repository.update(branch: branch) { snapshot in
        #expect(snapshot.commit == nil)
        return request(["a/b/one.json": "{}\n", "top.txt": "hello\n"], "first\n\nbody\n")
      })
    let second = try #require(
      try repository.update(branch: branch) { snapshot in
        #expect(snapshot.commit == first)
        return request(["a/b/one.json": "{\"x\": 1}\n", "top.txt": nil], "second\n")
      })
    #expect(try repository.tip(of: branch) == second)
    #expect(fixture.commitCount == 2)
    #expect(try fixture.git(["show", "main:a/b/one.json"]) == "{\"x\": 1}\n")
    #expect(try fixture.git(["ls-tree", "-r", "--name-only", "main"]) == "a/b/one.json\n")
    #expect(
      try fixture.git(["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", "main"])
        == "Ada Agent <ada@agents.example>|Tack <tack@localhost>|second\n")
    try fixture.git(["fsck", "--strict"])
  }

  @Test func bodyReturningNilCommitsNothing() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let result = try repository.update(branch: "refs/heads/main") { _ in nil }
    #expect(result == nil)
    #expect(try repository.tip(of: "refs/heads/main") == nil)
  }

  @Test func readsTreesBlobsAndEntries() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let commit = try #require(
      try repository.update(branch: "refs/heads/main") { _ in
        request(["d/x/1.json": "one", "d/y/2.json": "two", "d/z.txt": "three"], "seed")
      })
    let tree = try repository.tree(ofCommit: commit)
    #expect(try repository.blob(at: "d/x/1.json", in: tree) == Array("one".utf8))
    #expect(try repository.blob(at: "d/missing", in: tree) == nil)
    #expect(try tree.entries(at: "d")?.map(\.name) == ["x", "y", "z.txt"])
    #expect(try tree.entries(at: "d/z.txt") == nil)
    #expect(try tree.blobs(under: "d").map(\.path) == ["d/x/1.json", "d/y/2.json", "d/z.txt"])
    #expect(try tree.blobs(under: "nothing").isEmpty)
    let id = try #require(try tree.entryID(at: "d/y/2.json"))
    #expect(try Repository.blobID(of: Array("two".utf8)) == id)
    #expect(
      id.hex
        == (try fixture.git(["rev-parse", "main:d/y/2.json"])).trimmingCharacters(
          in: .whitespacesAndNewlines))
    #expect(OID(hex: id.hex) == id)
    #expect(OID(hex: "xyz") == nil)
  }

  @Test func errorsCarryLibgit2sMessageAndTheCall() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let missing = try #require(OID(hex: String(repeating: "ab", count: 20)))
    #expect {
      try repository.blob(missing)
    } throws: { error in
      guard let error = error as? GitError else { return false }
      return error.call == "git_blob_lookup" && error.kind == .notFound && !error.message.isEmpty
    }
  }

  @Test func discoveryRefusesAFolderOutsideAnyRepository() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "tackgit-none-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect {
      try Repository.discover(from: folder)
    } throws: { ($0 as? GitError)?.kind == .notARepository }
  }

  @Test func aMovedBranchMakesTheWholeOperationRunAgain() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["n.txt": "0"], "seed") }

    // The first attempt reads n = 0, then another writer (plain git: Tack's own writers
    // take turns on a lock) commits n = 1 before the swap; the retry must see n = 1 and
    // write n = 2, never overwrite the other writer's commit.
    var attempts = 0
    try repository.update(branch: branch) { snapshot in
      attempts += 1
      let current = Int(
        String(decoding: try repository.blob(at: "n.txt", in: snapshot.tree!)!, as: UTF8.self))!
      if attempts == 1 {
        try TestGit.commitFile(
          in: fixture.path, path: "n.txt", content: "\(current + 1)", message: "racer")
      }
      return request(["n.txt": "\(current + 1)"], "increment")
    }
    #expect(attempts == 2)
    #expect(try fixture.git(["show", "main:n.txt"]) == "2")
    #expect(try fixture.git(["log", "--format=%s", "main"]) == "increment\nracer\nseed\n")
  }

  @Test func contentionThatNeverEndsBecomesAConflict() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["n.txt": "0"], "seed") }
    var attempts = 0
    #expect {
      try repository.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 1000)) { _ in
        attempts += 1
        try TestGit.commitFile(
          in: fixture.path, path: "n.txt", content: "\(attempts)", message: "racer")
        return request(["n.txt": "mine"], "never lands")
      }
    } throws: { ($0 as? GitError)?.kind == .conflict }
    #expect(attempts >= 2)
    #expect(try !fixture.git(["log", "--format=%s", "main"]).contains("never lands"))
  }

  @Test func historyListsTheCommitsThatChangedAPath() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["t.json": "1", "other": "a"], "create") }
    try repository.update(branch: branch) { _ in request(["other": "b"], "unrelated") }
    try repository.update(branch: branch) { _ in request(["t.json": "2"], "change") }
    try repository.update(branch: branch) { _ in request(["t.json": nil], "delete") }
    let tip = try #require(try repository.tip(of: branch))
    let history = try repository.history(of: "t.json", from: tip)
    #expect(
      history.map { $0.message.trimmingCharacters(in: .newlines) } == [
        "delete", "change", "create",
      ])
    #expect(history[0].blob == nil)
    #expect(history[2].previousBlob == nil)
    #expect(history[1].author.email == "ada@agents.example")
    #expect(try repository.history(of: "t.json", from: tip, limit: 1).count == 1)
  }
}

@Suite struct LockTests {
  @Test func aStaleRefLockEndsInAConflictThatNamesTheLockFile() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a": "1"], "seed") }
    try fixture.write("refs/heads/main.lock", "")
    #expect {
      try repository.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 30)) { _ in
        request(["a": "2"], "blocked")
      }
    } throws: { error in
      guard let error = error as? GitError else { return false }
      return error.kind == .conflict && error.message.contains("refs/heads/main.lock")
    }
    #expect(fixture.commitCount == 1)
    #expect(FileManager.default.fileExists(atPath: fixture.path + "/refs/heads/main.lock"))
  }
}

/// A process of this machine that has exited: what a killed Tack writer looks like later.
func deadTackProcess() throws -> LockOwner {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/true")
  try process.run()
  process.waitUntilExit()
  return LockOwner(pid: process.processIdentifier, start: 1, host: LockOwner.current.host)
}

/// A process that runs (this one's parent: the test runner's shell or launcher).
func liveProcess() throws -> LockOwner {
  let pid = getppid()
  return LockOwner(pid: pid, start: LockOwner.startTime(of: pid) ?? 0, host: LockOwner.current.host)
}

@Suite struct MaintenanceTests {
  /// A ref lock that a killed Tack writer left inside its compare-and-swap (its record in
  /// tack.lock names it, a process that is gone, and a swap that began when the lock was
  /// made) is removed, with a warning, and the write lands.
  @Test func aRefLockLeftByADeadTackWriterIsCleared() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a": "1"], "seed") }
    let lock = fixture.path + "/refs/heads/main.lock"
    try fixture.write("refs/heads/main.lock", "")
    let made = try #require(FileIdentity(path: lock)).changed
    let record = LockRecord(owner: try deadTackProcess(), swap: (lock, made))
    try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/tack.lock"))
    try repository.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 2000)) { _ in
      request(["a": "2"], "after a crash")
    }
    #expect(fixture.commitCount == 2)
    #expect(repository.writeWarning?.contains("main.lock") == true)
    #expect(!FileManager.default.fileExists(atPath: lock))
  }

  /// A Tack writer killed while its pack still had its `.keep` (its record says it may hold
  /// some): the next writer removes the `.keep` files naming that process, and only those —
  /// a live writer's, git's and a person's stay.
  @Test func keepsLeftByADeadTackWriterAreCleared() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a": "1"], "seed") }
    let dead = try deadTackProcess()
    let folder = fixture.path + "/objects/pack/"
    let keeps = [
      "pack-\(String(repeating: "1", count: 40)).keep": "tack write \(dead.pid)",
      "pack-\(String(repeating: "2", count: 40)).keep": "tack write \(getppid())",
      "pack-\(String(repeating: "3", count: 40)).keep": "fetch-pack 42 on host",
      "pack-\(String(repeating: "4", count: 40)).keep": "",
    ]
    for (name, content) in keeps {
      try Data(content.utf8).write(to: URL(fileURLWithPath: folder + name))
    }
    var record = LockRecord(owner: dead)
    record.keeps = true
    try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/tack.lock"))
    try repository.update(branch: branch) { _ in request(["a": "2"], "after a crash") }
    let left = Set(
      try FileManager.default.contentsOfDirectory(atPath: folder).filter {
        $0.hasSuffix(".keep")
      })
    #expect(left == Set(keeps.keys).subtracting(["pack-\(String(repeating: "1", count: 40)).keep"]))
    #expect(repository.writeWarning?.contains(".keep") == true)
    #expect(LockRecord(bytes: record.bytes) == record)
  }

  /// A killed writer its parent has not reaped yet (a zombie: its pid and start time still
  /// answer) holds nothing any more: it counts as gone, so its locks are cleared at once
  /// rather than orphaned. A live process does not.
  @Test func aZombieCountsAsGone() throws {
    var pid: pid_t = 0
    let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { for argument in arguments { free(argument) } }
    try #require(posix_spawn(&pid, "/bin/true", nil, nil, arguments, nil) == 0)
    var zombie: LockOwner?
    for _ in 0..<200 where zombie == nil {
      usleep(5_000)
      let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
      if stat?.split(separator: ")").last?.split(separator: " ").first == "Z" {
        zombie = LockOwner(
          pid: pid, start: LockOwner.startTime(of: pid) ?? 0, host: LockOwner.current.host)
      }
    }
    let owner = try #require(zombie, "/bin/true never became a zombie")
    #expect(owner.start != 0)
    #expect(owner.isGone)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    #expect(owner.isGone)
    #expect(!(try liveProcess()).isGone)
  }

  /// A record naming a process that still runs, or a lock made long after the dead writer's
  /// swap, clears nothing: that lock may be another process's.
  @Test func aRefLockTackCannotProveItsOwnStays() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a": "1"], "seed") }
    let lock = fixture.path + "/refs/heads/main.lock"
    try fixture.write("refs/heads/main.lock", "")
    let made = try #require(FileIdentity(path: lock)).changed
    let records = [
      LockRecord(owner: try liveProcess(), swap: (lock, made)),
      LockRecord(
        owner: try deadTackProcess(), swap: (lock, timespec(tv_sec: made.tv_sec - 60, tv_nsec: 0))),
    ]
    for record in records {
      try Data(record.bytes).write(to: URL(fileURLWithPath: fixture.path + "/tack.lock"))
      #expect(throws: GitError.self) {
        try repository.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 50)) { _ in
          request(["a": "2"], "blocked")
        }
      }
      #expect(FileManager.default.fileExists(atPath: lock))
    }
    #expect(fixture.commitCount == 1)
  }

  @Test func packingFoldsLooseObjectsAndKeepsEverythingReadable() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false  // loose, as plain git leaves them
    for n in 0..<20 {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["d/\(n).json": "\(n)\n"], "write \(n)")
      }
    }
    #expect(repository.looseObjectCount() >= 60)
    let report = try repository.pack()
    #expect(report.packed >= 60 && report.removedLoose == report.packed)
    #expect(repository.looseObjectCount() == report.keptLoose)
    try fixture.git(["fsck", "--strict"])
    #expect(try fixture.git(["show", "main:d/7.json"]) == "7\n")
    // Writing on top of the pack still works.
    try repository.update(branch: "refs/heads/main") { _ in request(["d/x.json": "x\n"], "after") }
    #expect(fixture.commitCount == 21)
  }

  /// New objects skip libgit2's re-read of the pack folder (CLibGit2/startup.c); objects
  /// already there, in a pack this handle has seen or one it has not, must still work out.
  @Test func objectsAlreadyPackedAreWrittenSafely() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false  // the loose path: writes outside Tack's own
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a.json": "same\n"], "first") }
    #expect(try repository.pack(graceSeconds: 0).removedLoose >= 3)
    // The same content again, in a pack this handle knows: found, not written loose.
    try repository.update(branch: branch) { _ in request(["b.json": "same\n"], "known") }
    let blob = try fixture.git(["rev-parse", "main:b.json"]).trimmingCharacters(
      in: .whitespacesAndNewlines)
    let loosePath = fixture.path + "/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
    #expect(!FileManager.default.fileExists(atPath: loosePath))

    // Another handle packs new content this one has never seen in any pack.
    let other = try Repository.discover(from: fixture.path)
    other.packsEachWrite = false
    try other.update(branch: branch) { _ in request(["c.json": "fresh\n"], "other") }
    _ = try other.pack(graceSeconds: 0)
    try repository.update(branch: branch) { _ in request(["d.json": "fresh\n"], "unseen") }
    try fixture.git(["fsck", "--strict"])
    #expect(try fixture.git(["show", "main:d.json"]) == "fresh\n")
    #expect(try fixture.git(["show", "main:b.json"]) == "same\n")
  }

  @Test func tackWritersTakeTurnsOnALock() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let other = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    // While one write holds the lock, another Tack write waits for it (here: its whole
    // budget, since the holder waits on it) and fails as a conflict, changing nothing.
    var inner: GitError?
    try repository.update(branch: branch) { _ in
      do {
        try other.update(branch: branch, policy: RetryPolicy(maxWaitMilliseconds: 100)) { _ in
          request(["x": "x"], "inner")
        }
      } catch let error as GitError {
        inner = error
      }
      return request(["n.txt": "0"], "outer")
    }
    #expect(inner?.kind == .conflict && inner?.message.contains("tack.lock") == true)
    #expect(try fixture.git(["log", "--format=%s", "main"]) == "outer\n")
  }

  @Test func writesPackOnlyWhatIsLooseAndPacksAreFoldedTogether() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false
    func write(_ range: Range<Int>) throws {
      for n in range {
        try repository.update(branch: "refs/heads/main") { _ in
          request(["d/\(n % 7).json": "\(n)\n"], "write \(n)")
        }
      }
    }
    try write(0..<10)
    let first = try repository.packLoose(maximumPacks: 4)
    #expect(first.packed >= 30 && first.removedLoose == first.packed && first.keptLoose == 0)
    try write(10..<13)
    // Only what was written since: three commits' objects, not the whole history again.
    let second = try repository.packLoose(maximumPacks: 4)
    #expect(second.packed > 0 && second.packed <= 15 && second.removedPacks == 0)
    #expect(repository.packNames().count == 2)
    try write(13..<16)
    _ = try repository.packLoose(maximumPacks: 4)
    #expect(repository.packNames().count == 3)
    try write(16..<19)
    _ = try repository.packLoose(maximumPacks: 4)
    #expect(repository.packNames().count == 4)
    // At the limit, the next one folds every pack into one.
    try write(19..<20)
    let folded = try repository.packLoose(maximumPacks: 4)
    #expect(folded.removedPacks == 4 && repository.packNames().count == 1)
    #expect(repository.looseObjectCount() == 0)
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["rev-list", "--count", "main"]) == "20\n")
    #expect(try fixture.git(["show", "main:d/5.json"]) == "19\n")
  }

  @Test func aYoungPackIsKeptByAFullPack() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["a": "1\n"], "one") }
    _ = try repository.packLoose()
    // Within the grace period an older pack may hold objects a writer is about to reference.
    let report = try repository.pack()
    #expect(report.removedPacks == 0 && repository.packNames().count == 2)
    try fixture.git(["fsck", "--strict"])
  }
}
