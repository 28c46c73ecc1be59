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
    // and 128 `d` trees. 253 here; without paths, 128: the folders' trees stored whole.
    let folded = try repository.pack(graceSeconds: 0)
    #expect(folded.removedPacks == 2 && repository.packNames().count == 1)
    let all = try Self.trees(inPack: try #require(repository.packNames().first), of: fixture)
    #expect(all.count == 34 + 128 * 3 && all.deltas >= 240)
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
