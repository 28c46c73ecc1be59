import Foundation
import TestSupport
import Testing

@testable import TackGit

/// How well Tack's own packs compress the history its writes leave: each version of a folder
/// should be stored as a small delta against another version of the same folder.
@Suite struct PackTests {
  /// 32 folders of 8 files: their trees all have one size, so a delta search that sorts by
  /// size alone (no paths) finds only other folders' trees, which share nothing, next to each.
  static func folder(_ index: Int) -> String { "d/s" + String(index).leftPadded(to: 2) }

  /// The 32 folders' first versions: 8 files each.
  static var seedFiles: [String: String?] {
    var files: [String: String?] = [:]
    for index in 0..<32 {
      for file in 0..<8 { files["\(folder(index))/f\(file).json"] = "\(index) \(file) 0\n" }
    }
    return files
  }

  /// Trees in the pack `name`, and how many of them are stored as deltas.
  static func trees(
    inPack name: String, of fixture: GitFixture
  ) throws -> (count: Int, deltas: Int) {
    let listing = try fixture.git(["verify-pack", "-v", "objects/pack/\(name).idx"])
    let trees = listing.split(separator: "\n")
      .map { $0.split(separator: " ", omittingEmptySubsequences: true) }
      .filter { $0.count >= 5 && $0[1] == "tree" }
    return (trees.count, trees.filter { $0.count >= 7 }.count)
  }

  @Test func packsStoreTheVersionsOfAFolderAsDeltasOfEachOther() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false
    try repository.update(branch: "refs/heads/main") { _ in request(Self.seedFiles, "seed") }
    _ = try repository.packLoose()
    let seeded = Set(repository.packNames())
    // Four passes over the folders, one file changed per write, as Tack's status changes do.
    for round in 1...4 {
      for step in 0..<32 {
        let index = (step * 13) % 32
        try repository.update(branch: "refs/heads/main") { _ in
          request(["\(Self.folder(index))/f\(round).json": "\(index) \(round) \(round)\n"], "w")
        }
      }
    }
    // An object no commit reaches (an abandoned write attempt's) must survive the loose pack.
    try fixture.write("scratch", "abandoned\n")
    let abandoned = try fixture.git(["hash-object", "-w", "scratch"])
      .trimmingCharacters(in: .whitespacesAndNewlines)

    let report = try repository.packLoose()
    // 128 writes of a commit, three trees (root, d, the folder) and a blob; plus the stray.
    #expect(report.packed == 128 * 5 + 1)
    #expect(report.removedLoose == report.packed && report.keptLoose == 0)
    let loosePack = try #require(Set(repository.packNames()).subtracting(seeded).first)
    // The folder trees: four versions each, up to three of them deltas of another (96); the
    // `d` tree (32 entries) a delta of the one before it (127); the root is too small. 221
    // here; without paths, 129: the `d` trees and the odd folder tree.
    let loose = try Self.trees(inPack: loosePack, of: fixture)
    #expect(loose.count == 128 * 3 && loose.deltas >= 200)
    try fixture.git(["cat-file", "-e", abandoned])
    try fixture.git(["fsck", "--strict", "--no-dangling"])

    // The fold: every version of a folder (five) in one pack, up to four of them deltas (128),
    // and 128 `d` trees. 253 here; without paths, 128: the folders' trees stored whole. No
    // object is dropped: the empty tree the first write started from comes along, and so
    // does the stray blob.
    let folded = try repository.pack(graceSeconds: 0)
    #expect(folded.removedPacks == 2 && repository.packNames().count == 1)
    let all = try Self.trees(inPack: try #require(repository.packNames().first), of: fixture)
    #expect(all.count == 34 + 128 * 3 + 1 && all.deltas >= 240)
    try fixture.git(["cat-file", "-e", abandoned])
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["rev-list", "--count", "main"]) == "129\n")
    #expect(try fixture.git(["show", "main:d/s05/f4.json"]) == "5 4 4\n")
    #expect(try fixture.git(["show", "main:d/s05/f7.json"]) == "5 7 0\n")
  }
}

extension PackTests {
  @Test func aFoldRollsUpTheSmallPacksAndKeepsALargeOne() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false
    let write = NumberedWrites(repository) { n in
      ["d/\(n % 7).json": "\(n)\n", "e/\(n).json": "\(n)\n"]
    }
    try write(40)
    _ = try repository.packLoose(maximumPacks: 4)
    let large = try #require(repository.packNames().first)
    for _ in 0..<3 {
      try write(2)
      _ = try repository.packLoose(maximumPacks: 4)
    }
    #expect(repository.packNames().count == 4)
    // Four packs: the three small ones and what is loose go into one; the large one stays.
    try write(2)
    let folded = try repository.packLoose(maximumPacks: 4)
    #expect(folded.removedPacks == 3 && folded.keptLoose == 0)
    #expect(Set(repository.packNames()).count == 2 && repository.packNames().contains(large))
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["rev-list", "--count", "main"]) == "48\n")
    #expect(try fixture.git(["show", "main:e/45.json"]) == "45\n")
  }

  @Test func copiesGetTheirDeltasTierByTier() {
    func partners(_ copy: Int, _ counts: [Int]) -> [Int] {
      Repository.deltaPartners(of: ("c", copy), among: counts.map { (String($0), $0) })
        .dropFirst().compactMap { Int($0) }.sorted()
    }
    // Alone until three of its size wait; then the four become one.
    #expect(partners(3600, []) == [])
    #expect(partners(3600, [3500, 3000]) == [])
    #expect(partners(3600, [3500, 3000, 3300]) == [3000, 3300, 3500])
    // ...and the result, four times the size, joins three of its own size.
    #expect(
      partners(2000, [1900, 1800, 1700, 7000, 7100, 7200, 40000]) == [
        1700, 1800, 1900, 7000, 7100, 7200,
      ])
    // A bigger tier with fewer than three waits; smaller packs are swept in.
    #expect(partners(3600, [14000, 14100, 900]) == [900])
  }

  @Test func theFoldPicksPacksLikeAGeometricRepack() {
    func pick(_ sizes: [Int]) -> [Int] {
      Repository.packsToFold(sizes.map { (String($0), $0) }).compactMap { Int($0) }
    }
    // Fifteen packs of loose objects over one large fold: the fifteen, not the large one.
    #expect(pick([1000] + Array(2...16)).count == 15)
    // ...unless they add up to half of it.
    #expect(pick([40] + Array(2...16)).count == 16)
    // A progression stays, but the two smallest always go.
    #expect(pick([1, 2, 8, 32, 128]) == [1, 2])
    #expect(pick([3, 1, 100]) == [1, 3])
  }
}

extension PackTests {
  /// A fold of packs made one round at a time still finds the folded commits from the refs,
  /// and gives their trees paths: each folder's versions go in as deltas of each other.
  @Test func aFoldOfSeveralPacksStoresFolderVersionsAsDeltas() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false
    try repository.update(branch: "refs/heads/main") { _ in request(Self.seedFiles, "seed") }
    _ = try repository.packLoose()
    for round in 1...4 {
      for step in 0..<32 {
        let index = (step * 13) % 32
        try repository.update(branch: "refs/heads/main") { _ in
          request(["\(Self.folder(index))/f\(round).json": "\(index) \(round) \(round)\n"], "w")
        }
      }
      _ = try repository.packLoose()
    }
    try repository.update(branch: "refs/heads/main") { _ in request(["x": "1\n"], "last") }
    let before = Set(repository.packNames())
    let folded = try repository.packLoose(maximumPacks: 5)
    #expect(folded.removedPacks >= 3)
    let fold = try #require(Set(repository.packNames()).subtracting(before).first)
    // Rounds 1-3 at least: 32 folders × 3 versions, 64 of them deltas, and 95 of 96 `d` trees.
    // Without paths: ~95.
    #expect(try Self.trees(inPack: fold, of: fixture).deltas >= 150)
    try fixture.git(["fsck", "--strict", "--no-dangling"])
    #expect(try fixture.git(["rev-list", "--count", "main"]) == "130\n")
  }

  /// Many writers all find the loose objects piled up after their writes: one packs, the
  /// others go on; and one that gets the lock after a pack finds nothing left to do.
  @Test func oneProcessPacksAtATime() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    repository.packsEachWrite = false
    for n in 0..<10 {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["d/\(n).json": "\(n)\n"], "write \(n)")
      }
    }
    let loose = repository.looseObjectCount()
    let held = try #require(try FileLock.tryAcquire(path: fixture.path + "/tack-pack.lock"))
    #expect(try FileLock.tryAcquire(path: fixture.path + "/tack-pack.lock") == nil)
    #expect(try repository.packLoose().skipped)
    #expect(repository.looseObjectCount() == loose)
    held.release()
    // The pile is below the threshold asked for: nothing to do.
    #expect(try repository.packLoose(whenLooseAbove: 100_000).skipped)
    let report = try repository.packLoose()
    #expect(!report.skipped && report.removedLoose >= 30)
    try fixture.git(["fsck", "--strict"])
  }
}

/// `tack gc` and folds beside what people do with git: tags, reflogs, stashes, worktrees,
/// staged files, `.keep` files, multi-pack-indexes, shallow clones.
extension PackTests {
  /// Files in the pack folder `git count-objects -v` calls garbage, and its whole output.
  static func garbage(_ fixture: GitFixture) throws -> String {
    let counts = try fixture.git(["count-objects", "-v"])
    return counts.split(separator: "\n").filter { $0.hasPrefix("garbage") }
      .joined(separator: ",")
  }

  /// Objects only a tag object, a reflog, the stash, a detached worktree's HEAD or the index
  /// reach survive `git gc` then `tack gc`: tack gc never drops an object (pruning is git's).
  @Test func gcKeepsWhatOnlyGitReaches() throws {
    let fixture = try GitFixture()
    @discardableResult func git(_ arguments: [String]) throws -> String {
      try fixture.git(arguments)
    }
    func commit(_ file: String, _ text: String, _ message: String) throws {
      try fixture.write(file, text)
      try git(["add", file])
      try git(["commit", "-q", "-m", message])
    }
    try commit("a.txt", "one\n", "first")
    try git(["tag", "-a", "v1", "-m", "release one"])
    try commit("a.txt", "two\n", "second")
    try fixture.write("a.txt", "amended\n")
    try git(["commit", "-q", "-a", "--amend", "-m", "second, amended"])  // "second": reflog only
    try commit("b.txt", "dropped\n", "dropped")
    try git(["reset", "-q", "--hard", "HEAD~1"])  // "dropped": reflog only
    try fixture.write("a.txt", "stashed\n")
    try git(["stash", "-q"])
    let worktree = try TestGit.temporaryFolder("gc-worktree")
    defer { try? FileManager.default.removeItem(atPath: worktree) }
    try git(["worktree", "add", "-q", "--detach", worktree])
    try Data("in the worktree\n".utf8).write(to: URL(fileURLWithPath: worktree + "/w.txt"))
    try TestGit.run(["add", "w.txt"], in: worktree)
    try TestGit.run(["commit", "-q", "-m", "detached"], in: worktree)
    try fixture.write("s.txt", "staged only\n")
    try git(["add", "s.txt"])

    let repository = try Repository.discover(from: fixture.path)
    let board = NumberedWrites(repository) { ["t/\($0).json": "\($0)\n"] }
    try board(5)  // on main: checked out, so the index and files follow
    try git(["gc", "-q"])
    try board(5)
    let keptByHand = try #require(repository.packNames().last)
    #expect(
      FileManager.default.createFile(
        atPath: repository.packFolder + keptByHand + ".keep", contents: nil))
    let report = try repository.pack(graceSeconds: 0)
    #expect(report.removedPacks >= 1)
    #expect(repository.packNames().contains(keptByHand))

    try git(["fsck", "--strict", "--full"])
    #expect(try git(["cat-file", "-t", "v1"]) == "tag\n")
    #expect(try git(["show", "v1:a.txt"]) == "one\n")
    // The commits only the reflog reaches.
    let reflog = try git(["log", "-g", "--format=%H %s", "HEAD"]).split(separator: "\n")
    let dropped = try #require(reflog.first { $0.hasSuffix(" dropped") }?.prefix(40))
    let second = try #require(reflog.first { $0.hasSuffix(" second") }?.prefix(40))
    #expect(try git(["show", "\(dropped):b.txt"]) == "dropped\n")
    #expect(try git(["show", "\(second):a.txt"]) == "two\n")
    #expect(try git(["stash", "show", "-p"]).contains("+stashed"))
    #expect(try TestGit.run(["show", "HEAD:w.txt"], in: worktree) == "in the worktree\n")
    try git(["commit", "-q", "-m", "the staged file"])
    #expect(try git(["show", "HEAD:s.txt"]) == "staged only\n")
    #expect(try git(["show", "HEAD:t/10.json"]) == "10\n")
    try git(["fsck", "--strict", "--full"])
  }

  /// After `git maintenance`'s incremental repack and a multi-pack-index with a bitmap, folds
  /// leave the packs the index lists alone; `tack gc` replaces them and removes the index
  /// (and its bitmap) first, as git's repack does. fsck, `count-objects` and a clone through
  /// the pack protocol stay clean all along.
  @Test func foldsAndGcKeepTheMultiPackIndexWhole() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let write = NumberedWrites(repository) { ["t/\($0 % 9)/\($0).json": "\($0)\n"] }
    func checkClean() throws {
      try fixture.git(["fsck", "--strict", "--full"])
      #expect(try Self.garbage(fixture) == "garbage: 0")
      let clone = try TestGit.temporaryFolder("midx-clone")
      defer { try? FileManager.default.removeItem(atPath: clone) }
      try TestGit.run(["clone", "-q", "--no-local", fixture.path, clone + "/c"], in: clone)
      #expect(
        try TestGit.run(["rev-list", "--count", "HEAD"], in: clone + "/c") == "\(write.written)\n")
    }
    try write(20)
    try fixture.git(["maintenance", "run", "--task=incremental-repack"])
    try fixture.git(["multi-pack-index", "write", "--bitmap"])
    let indexed = try #require(repository.multiPackIndexPacks())
    #expect(!indexed.isEmpty)
    for _ in 0..<40 {
      try write(1)
      _ = try repository.packLoose(maximumPacks: 4)
    }
    #expect(indexed.isSubset(of: Set(repository.packNames())))
    try checkClean()

    let report = try repository.pack(graceSeconds: 0)
    #expect(report.removedMultiPackIndex && report.removedPacks >= indexed.count)
    #expect(!LocalFile.exists(repository.packFolder + "multi-pack-index"))
    #expect(
      (LocalFile.names(in: repository.packFolder) ?? []).allSatisfy {
        !$0.hasPrefix("multi-pack-index") && !$0.hasSuffix(".bitmap") && !$0.hasSuffix(".rev")
      })
    try checkClean()
  }

  /// A shallow clone's oldest commits name parents it does not have: the walks of folds and
  /// `tack gc` stop there, as git's do, instead of failing with "object not found".
  @Test func foldsAndGcWorkInAShallowClone() throws {
    let origin = try GitFixture(bare: true)
    let source = try Repository.discover(from: origin.path)
    try NumberedWrites(source) { ["t/\($0).json": "\($0)\n"] }(10)
    let folder = try TestGit.temporaryFolder("shallow")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try TestGit.run(
      ["clone", "-q", "--bare", "--depth", "1", "file://" + origin.path, folder + "/s.git"],
      in: folder)
    let path = folder + "/s.git"
    let repository = try Repository.discover(from: path)
    let write = NumberedWrites(repository) { ["u/\($0).json": "\($0)\n"] }
    for _ in 0..<6 {
      try write(1)
      _ = try repository.packLoose(maximumPacks: 3)
    }
    _ = try repository.pack(graceSeconds: 0)
    try TestGit.run(["fsck", "--strict", "--full"], in: path)
    #expect(try TestGit.run(["rev-list", "--count", "main"], in: path) == "7\n")
    #expect(try TestGit.run(["show", "main:t/9.json"], in: path) == "9\n")
  }
}
