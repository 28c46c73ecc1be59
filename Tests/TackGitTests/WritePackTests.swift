import Foundation
import TestSupport
import Testing

@testable import TackGit

/// Each write's new objects go to disk as one small pack (CLibGit2/pending.c), and folds copy
/// the small packs together, then give them deltas.
@Suite struct WritePackTests {
  /// Every pack and index in the repository, as `git verify-pack -v` lists it (it checks the
  /// index against the pack: ids, offsets, CRCs, checksums).
  static func verifyEveryPack(_ fixture: GitFixture, _ repository: Repository) throws -> String {
    var listing = ""
    for name in repository.packNames() {
      listing += try fixture.git(["verify-pack", "-v", "objects/pack/\(name).idx"])
    }
    return listing
  }

  /// The `.keep` files in the pack folder.
  static func keeps(_ fixture: GitFixture) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: fixture.path + "/objects/pack")) ?? [])
      .filter { $0.hasSuffix(".keep") }
  }

  @Test func eachWriteLeavesOnePackAndNoLooseObject() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    for n in 0..<5 {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["d/\(n % 2)/\(n).json": "\(n)\n", "e.json": "\(n)\n"], "write \(n)")
      }
    }
    #expect(repository.looseObjectCount() == 0)
    #expect(repository.packNames().count == 5)
    #expect(Self.keeps(fixture).isEmpty)  // each went once its branch moved
    let listing = try Self.verifyEveryPack(fixture, repository)
    // The first write: a commit, three trees (root, d, d/0) and two blobs.
    #expect(listing.contains("commit") && !listing.contains("chain length"))
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["show", "main:d/1/3.json"]) == "3\n")
    #expect(try fixture.git(["show", "main:e.json"]) == "4\n")
    #expect(fixture.commitCount == 5)
    // Written outside a Tack write, an object goes loose, as libgit2 writes it.
    _ = try repository.writeBlob(Array("outside\n".utf8))
    #expect(repository.looseObjectCount() == 1)
  }

  /// A write that loses its compare-and-swap to plain git tries again on the new tip; the
  /// objects of the lost attempt are in a pack of their own, and nothing reaches them.
  @Test func anAttemptThatLostTheRaceIsRetriedOnTheNewTip() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let branch = "refs/heads/main"
    try repository.update(branch: branch) { _ in request(["a.json": "1\n"], "first") }
    var attempts = 0
    var keepsDuringRetry: [String] = []
    try repository.update(branch: branch) { snapshot in
      attempts += 1
      if attempts == 1, let tip = snapshot.commit, let tree = snapshot.tree {
        // Plain git moves the branch between this attempt's read and its compare-and-swap.
        let commit = try fixture.git(["commit-tree", tree.id.hex, "-p", tip.hex, "-m", "by hand"])
          .trimmingCharacters(in: .whitespacesAndNewlines)
        try fixture.git(["update-ref", branch, commit])
      }
      if attempts == 2 {
        // The lost attempt's pack keeps its `.keep` until the update ends: this attempt may
        // have left out an object because that pack holds it.
        keepsDuringRetry = Self.keeps(fixture)
      }
      return request(["b.json": "\(attempts)\n"], "second")
    }
    #expect(attempts == 2)
    #expect(keepsDuringRetry.count == 1)
    #expect(Self.keeps(fixture).isEmpty)
    #expect(try fixture.git(["log", "--format=%s", "main"]) == "second\nby hand\nfirst\n")
    #expect(try fixture.git(["show", "main:b.json"]) == "2\n")
    _ = try Self.verifyEveryPack(fixture, repository)
    try fixture.git(["fsck", "--strict"])
  }

  /// A write does not read the pack folder to learn whether a fold is due: a handle counts
  /// the packs its writes add, and reads the folder again only past the limit.
  @Test func packCountIsReadAgainOnlyPastTheLimit() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let other = try Repository.discover(from: fixture.path)
    let mine = NumberedWrites(repository) { ["mine/\($0).json": "\($0)\n"] }
    let theirs = NumberedWrites(other) { ["theirs/\($0).json": "\($0)\n"] }
    try mine(2)
    #expect(!repository.packCountMayExceed(4))  // reads the folder: 2
    try theirs(3)  // not seen yet: 5 packs in all
    #expect(!repository.packCountMayExceed(4))
    try mine(1)  // 3 by this handle's count, which stays under the limit
    #expect(repository.packsSeen?.count == 3 && !repository.packCountMayExceed(4))
    try mine(2)  // 5 by its count: past the limit, so it reads the folder and finds 8
    #expect(repository.packCountMayExceed(4))
    #expect(repository.packsSeen?.count == 8)
    // Another handle folds them: the next check reads the folder and sees one pack.
    _ = try other.packLoose(maximumPacks: 2)
    #expect(!repository.packCountMayExceed(4))
    #expect(repository.packsSeen?.count == 1)
    // A fold by this handle makes it read the folder at the next check.
    try mine(5)
    _ = try repository.packLoose(maximumPacks: 4, whenPacksAbove: 4)
    #expect(repository.packsSeen == nil)
    #expect(!repository.packCountMayExceed(4) && repository.packsSeen?.count == 1)
  }

  @Test func foldsCopySmallPacksThenGiveThemDeltas() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let write = NumberedWrites(repository) { n in
      ["d/s\(n % 4)/f\(n % 3).json": "\(n) of a longer line of text\n"]
    }
    try write(20)
    // Twenty packs past the limit: copied into one, no deltas, every object once.
    let copy = try repository.packLoose(maximumPacks: 16)
    #expect(copy.removedPacks == 20 && repository.packNames().count == 1)
    #expect(copy.packed == 20 * 5 + 1)  // and the empty tree the first write started from
    var listing = try Self.verifyEveryPack(fixture, repository)
    #expect(!listing.contains("chain length"))
    try fixture.git(["fsck", "--strict", "--no-dangling"])

    // A copy that reaches the size limit is packed again, with deltas between versions.
    let copied = try #require(repository.packNames().first)
    let limit = try #require(LocalFile.size(fixture.path + "/objects/pack/\(copied).pack")) + 1
    try write(20)
    let folded = try repository.packLoose(maximumPacks: 16, plainFoldBytes: limit)
    // The copy takes the 21 packs; its result then goes into the pack with deltas.
    #expect(folded.removedPacks == 22)
    #expect(repository.packNames().count == 1)
    listing = try Self.verifyEveryPack(fixture, repository)
    #expect(listing.contains("chain length"))
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["rev-list", "--count", "main"]) == "40\n")
    #expect(try fixture.git(["show", "main:d/s3/f0.json"]) == "39 of a longer line of text\n")
  }

  /// A process killed while writing a pack leaves a temporary file, or a pack without its
  /// index; a fold removes them once an hour old (a live writer is done in milliseconds).
  @Test func aFoldRemovesTemporaryFilesAKilledWriterLeft() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    for n in 0..<3 {
      try repository.update(branch: "refs/heads/main") { _ in request(["f\(n)": "\(n)\n"], "w") }
    }
    let old = fixture.path + "/objects/pack/tack-tmp-OLD123"
    let young = fixture.path + "/objects/pack/tack-tmp-NEW123"
    // A pack whose index was never written.
    let orphan = fixture.path + "/objects/pack/pack-\(String(repeating: "ab", count: 20)).pack"
    for path in [old, young, orphan] {
      #expect(FileManager.default.createFile(atPath: path, contents: Data("PACK".utf8)))
    }
    for path in [old, orphan] {
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: path)
    }
    _ = try repository.packLoose(maximumPacks: 2)
    #expect(!FileManager.default.fileExists(atPath: old))
    #expect(!FileManager.default.fileExists(atPath: orphan))
    #expect(FileManager.default.fileExists(atPath: young))
    try fixture.git(["fsck", "--strict"])
  }

  /// A fold on a thread of its own runs after newer writes: the tip is in a pack it does not
  /// fold. The walk from the refs passes through those newer commits to give the folded
  /// trees their paths, or each folder's versions would not become deltas of each other.
  @Test func aFoldBehindNewerWritesStillStoresFolderVersionsAsDeltas() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in
      request(PackTests.seedFiles, "seed")
    }
    for round in 1...3 {
      for step in 0..<32 {
        let index = (step * 13) % 32
        try repository.update(branch: "refs/heads/main") { _ in
          request(["\(PackTests.folder(index))/f\(round).json": "\(index) \(round)\n"], "w")
        }
      }
    }
    let folded = Set(repository.packNames())
    // Newer writes, in packs the fold leaves alone (a `.keep` file, as git's).
    for n in 0..<3 {
      try repository.update(branch: "refs/heads/main") { _ in request(["x\(n)": "\(n)\n"], "x") }
    }
    for name in Set(repository.packNames()).subtracting(folded) {
      #expect(
        FileManager.default.createFile(
          atPath: fixture.path + "/objects/pack/\(name).keep", contents: nil))
    }
    _ = try repository.packLoose(maximumPacks: 16, plainFoldBytes: 1)
    let kept = repository.packNames().filter {
      LocalFile.exists(fixture.path + "/objects/pack/\($0).keep")
    }
    let made = try #require(
      Set(repository.packNames()).subtracting(folded).subtracting(kept).first)
    // 96 writes: the folders' trees, up to two of three versions deltas (64), and 95 of 96
    // `d` trees; ~90 when the walk stops at the newer commits and no tree has a path.
    #expect(try PackTests.trees(inPack: made, of: fixture).deltas >= 140)
    try fixture.git(["fsck", "--strict", "--no-dangling"])
  }

  /// A pack with deltas (made by `tack gc`, git, or a fetch) is never copied: a copied entry
  /// must not point at a base in another pack.
  @Test func aCopyLeavesPacksWithDeltasOut() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    for n in 0..<12 {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["d/f.json": String(repeating: "line \(n % 3)\n", count: 40) + "\(n)\n"], "w\(n)")
      }
    }
    _ = try repository.pack(graceSeconds: 0)
    let withDeltas = Set(repository.packNames())
    #expect(try Self.verifyEveryPack(fixture, repository).contains("chain length"))
    for n in 0..<3 {
      try repository.update(branch: "refs/heads/main") { _ in request(["x\(n)": "\(n)\n"], "x") }
    }
    let names = repository.packNames()
    let copy = try #require(try repository.foldPlain(names))
    #expect(Set(copy.folded) == Set(names).subtracting(withDeltas) && copy.folded.count == 3)
    try fixture.git(["verify-pack", "objects/pack/\(copy.name).idx"])
  }

  /// Writers read the tips other writers just made, from packs a fold in another handle
  /// replaces and removes at the same time: a lookup that misses both the old pack and the
  /// new one must look again, not fail the write.
  @Test func writersKeepReadingWhileFoldsReplacePacks() throws {
    let fixture = try GitFixture(bare: true)
    let path = fixture.path
    let failures = Failures()
    DispatchQueue.concurrentPerform(iterations: 5) { worker in
      do {
        let repository = try Repository.discover(from: path)
        if worker == 4 {
          for _ in 0..<400 {
            _ = try repository.packLoose(maximumPacks: 3)
            usleep(500)
          }
          return
        }
        for n in 0..<120 {
          try repository.update(branch: "refs/heads/main") { _ in
            request(["w\(worker)/\(n % 5).json": "\(n)\n"], "w\(worker) \(n)")
          }
        }
      } catch {
        failures.add("\(worker): \(error)")
      }
    }
    #expect(failures.all.isEmpty)
    #expect(fixture.commitCount == 480)
    try fixture.git(["fsck", "--strict"])
  }

  /// A long-lived handle (the MCP server) keeps writing and reading while another process
  /// folds the packs it has seen away.
  @Test func aLongLivedHandleKeepsWorkingWhileOthersFold() throws {
    let fixture = try GitFixture(bare: true)
    let writer = try Repository.discover(from: fixture.path)
    let packer = try Repository.discover(from: fixture.path)
    for n in 0..<300 {
      try writer.update(branch: "refs/heads/main") { _ in
        request(["d/\(n % 9).json": "\(n)\n"], "w\(n)")
      }
      let tip = try #require(try writer.tip(of: "refs/heads/main"))
      #expect(
        try writer.blob(at: "d/\(n % 9).json", in: writer.tree(ofCommit: tip))
          == Array("\(n)\n".utf8))
      if n % 7 == 6 { _ = try packer.packLoose(maximumPacks: 4) }
    }
    #expect(writer.packNames().count <= 12)
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(fixture.commitCount == 300)
  }
}

/// Errors gathered from threads.
final class Failures: @unchecked Sendable {
  private let lock = NSLock()
  private var messages: [String] = []

  func add(_ message: String) { lock.withLock { messages.append(message) } }
  var all: [String] { lock.withLock { messages } }
}

extension WritePackTests {
  /// Runs `script` with sh in `folder` (git configured as TestGit configures it) until the
  /// file `stop` appears; returns the running process.
  static func loop(_ script: String, in folder: String, until stop: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "while [ ! -e '\(stop)' ]; do \(script); done"]
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = folder
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// `git repack -adf` and `git gc --prune=now` in a loop beside a few hundred writes: a write's
  /// pack is guarded by a `.keep` from the moment git can see it until the branch points at
  /// it, so no repack deletes it in between (without the guard, commits and trees of the
  /// middle of history vanished). Every write is there, and fsck finds nothing wrong.
  @Test(arguments: ["git repack -adfq", "git gc --prune=now --quiet"])
  func writesSurviveAConcurrentRepack(_ command: String) throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    try repository.update(branch: "refs/heads/main") { _ in request(["seed": "0\n"], "seed") }
    let stop = fixture.path + "/stop-loop"
    let repacking = try Self.loop(command, in: fixture.path, until: stop)
    defer {
      _ = FileManager.default.createFile(atPath: stop, contents: nil)
      repacking.waitUntilExit()
    }
    let writes = 300
    for n in 0..<writes {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["t/\(n % 16)/\(n).json": "\(n)\n", "t/last.json": "\(n)\n"], "write \(n)")
      }
    }
    _ = FileManager.default.createFile(atPath: stop, contents: nil)
    repacking.waitUntilExit()
    try fixture.git(["fsck", "--strict", "--full"])
    #expect(fixture.commitCount == writes + 1)
    let listing = try fixture.git(["ls-tree", "-r", "--name-only", "main", "t"])
    #expect(listing.split(separator: "\n").count == writes + 1)
    #expect(try fixture.git(["show", "main:t/7/135.json"]) == "135\n")
    #expect(Self.keeps(fixture).isEmpty)
  }
}
