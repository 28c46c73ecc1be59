import Foundation
import TestSupport
import Testing

@testable import TackGit

/// The history index must answer exactly what the walk of every commit answers (same commits,
/// same order, same blobs), whatever the history and whatever state its cache file is in.
@Suite struct HistoryIndexTests {
  static let key = HistoryIndexKey(branch: "refs/heads/main", folder: "boards")

  /// A comparable form of one answer (or of the error it threw).
  func summary(_ result: () throws -> [PathChange]) -> [String] {
    do {
      return try result().map {
        "\($0.commit) \($0.blob?.hex ?? "-") \($0.previousBlob?.hex ?? "-") \($0.author.name)"
      }
    } catch { return ["error \(error)"] }
  }

  /// Asks both ways for every query path (with and without a limit) and compares. A file
  /// below the folder must be answered by the index itself, not by the fallback walk.
  func expectSameAnswers(
    _ repository: Repository, tip: OID, key: HistoryIndexKey = key, cacheFolder: String?,
    paths: [String] = RandomHistory.queries, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    for path in paths {
      for limit in [nil, 1] {
        let walked = summary { try repository.walkHistory(of: path, from: tip, limit: limit) }
        let fromIndex = try? repository.historyFromIndex(
          of: path, from: tip, limit: limit, key: key, cacheFolder: cacheFolder)
        let label = "\(path) limit \(limit.map(String.init) ?? "none") from \(tip)"
        if let changes = fromIndex {
          #expect(summary { changes } == walked, "\(label)", sourceLocation: sourceLocation)
        } else if Self.alwaysFiles.contains(path)
          && (key.folder.isEmpty || path.hasPrefix(key.folder + "/"))
        {
          Issue.record("\(label): not answered by the index", sourceLocation: sourceLocation)
        }
        if !key.folder.isEmpty && !path.hasPrefix(key.folder + "/") {
          #expect(fromIndex == nil, "\(label): not the index's", sourceLocation: sourceLocation)
        }
      }
      // The entry point: the index's answer, or the walk's.
      let indexed = summary {
        try repository.indexedHistory(
          of: path, from: tip, limit: nil, key: key, cacheFolder: cacheFolder)
      }
      let walked = summary { try repository.walkHistory(of: path, from: tip, limit: nil) }
      #expect(indexed == walked, "\(path) from \(tip)", sourceLocation: sourceLocation)
    }
    // Where the stored order stands for the walk, it is the walk.
    if let (index, _) = try? repository.historyIndex(key, covering: tip, cacheFolder: cacheFolder),
      let ordered = index.orderedTip, index.graph() != nil
    {
      #expect(
        index.walkOrder(from: ordered.position) == index.graph()?.walkOrder(from: ordered.position),
        sourceLocation: sourceLocation)
    }
  }

  /// Query paths that are never folders, in any history these tests make.
  static let alwaysFiles: Set<String> = [
    "boards/a/t1.json", "boards/a/t2.json", "boards/a/sub/t3.json", "boards/b/x/y.json",
    "boards/c.json", "boards/missing.json", "boards/b/t3.json", "boards/b/x.json",
    "boards/a/t0.json", "README.md", "other/z.txt", "boards/x.json", "boards/h.json",
  ]

  @Test(arguments: 1...8 as ClosedRange<UInt64>)
  func randomHistoriesAnswerLikeTheWalk(seed: UInt64) throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    var history = RandomHistory(seed: seed)
    var generator = SplitMix64(seed: seed &* 7919)
    for _ in 0..<4 {
      try history.grow(fixture, by: 25)
      // Tips in a random order: newer ones extend the index, older ones and the heads of
      // other branches (not descendants) are answered from what it holds or extend it.
      var tips =
        history.heads + (0..<3).map { _ in history.commits.randomElement(using: &generator)! }
      tips.shuffle(using: &generator)
      for tip in tips {
        expectSameAnswers(repository, tip: tip, cacheFolder: cache)
      }
    }
    // The whole tree as the folder: every path is indexed.
    let everything = HistoryIndexKey(branch: "refs/heads/main", folder: "")
    for tip in history.heads {
      expectSameAnswers(repository, tip: tip, key: everything, cacheFolder: cache)
    }
  }

  @Test func handCommitsMergesAndARewriteAnswerLikeTheWalk() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    let branch = "refs/heads/main"
    let paths = ["boards/a/t1.json", "boards/a/t2.json", "boards/b/t3.json", "README.md"]
    func check() throws {
      let tip = try #require(try repository.tip(of: branch))
      expectSameAnswers(repository, tip: tip, cacheFolder: cache, paths: paths)
    }
    try repository.update(branch: branch) { _ in
      request(["boards/a/t1.json": "1", "boards/a/t2.json": "1", "README.md": "r"], "create")
    }
    try check()
    for round in 0..<3 {
      try repository.update(branch: branch) { _ in request(["boards/a/t1.json": "\(round)"], "tack")
      }
      try fixture.write("boards/b/t3.json", "hand \(round)\n")
      try fixture.git(["add", "-A"])
      try fixture.git(["commit", "-q", "-m", "hand \(round)"])
      try check()
    }
    // A side branch merged back the way sync does (two parents), one file differing from both.
    try fixture.git(["checkout", "-q", "-b", "side", "HEAD~2"])
    try fixture.write("boards/a/t2.json", "side\n")
    try fixture.git(["commit", "-q", "-am", "side"])
    try fixture.git(["checkout", "-q", "main"])
    try fixture.write("boards/a/t1.json", "main\n")
    try fixture.git(["commit", "-q", "-am", "main"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "merge", "side"])
    try check()
    try fixture.write("boards/a/t2.json", "evil\n")
    try fixture.git(["commit", "-q", "-a", "--amend", "--no-edit"])
    try check()
    // Rewritten history: three commits dropped, new ones on top.
    try fixture.git(["reset", "-q", "--hard", "HEAD~3"])
    try check()
    try repository.update(branch: branch) { _ in request(["boards/a/t2.json": "after"], "new") }
    try fixture.write("boards/a/t1.json", "after\n")
    try fixture.git(["commit", "-q", "-am", "hand after"])
    try check()
    // Rewritten again and the old commits collected: the index's tips are gone.
    try fixture.git(["reset", "-q", "--hard", "HEAD~2"])
    try fixture.git(["commit", "-q", "--allow-empty", "-m", "empty"])
    try fixture.git(["reflog", "expire", "--expire=now", "--all"])
    try fixture.git(["gc", "-q", "--prune=now"])
    try repository.update(branch: branch) { _ in request(["boards/a/t1.json": "last"], "last") }
    try check()
  }

  @Test func aMissingOrDamagedCacheFileChangesNothing() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    var history = RandomHistory(seed: 99)
    try history.grow(fixture, by: 40)
    let file = cache + Self.key.fileName
    let tip = try #require(try repository.tip(of: "refs/heads/main"))
    expectSameAnswers(repository, tip: tip, cacheFolder: cache)
    let whole = try #require(FileManager.default.contents(atPath: file))
    // Commits on top of the tip are appended (a merge or a rewrite would rewrite the file).
    try fixture.git(["reset", "-q", "--hard"])
    for step in 0..<3 {
      try repository.update(branch: "refs/heads/main") { _ in
        request(["boards/a/t1.json": "step \(step)"], "step \(step)")
      }
    }
    let newer = try #require(try repository.tip(of: "refs/heads/main"))
    expectSameAnswers(repository, tip: newer, cacheFolder: cache)
    let grown = try #require(FileManager.default.contents(atPath: file))
    #expect(grown.count > whole.count && grown.prefix(whole.count) == whole)

    let damages: [(String, (Data) -> Data)] = [
      ("deleted", { _ in Data() }),
      ("cut in the last chunk", { $0.prefix($0.count - 7) }),
      ("cut in the first chunk", { $0.prefix(whole.count / 2) }),
      ("only the header", { $0.prefix(18) }),
      ("garbage", { _ in Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131) }) }),
      (
        "a flipped byte",
        {
          var d = $0; d[d.count / 3] ^= 0x40; return d
        }
      ),
      ("another format", { Data("tack cache history 0\n".utf8) + $0.dropFirst(21) }),
    ]
    for (name, damage) in damages {
      let damaged = damage(grown)
      if damaged.isEmpty {
        try? FileManager.default.removeItem(atPath: file)
      } else {
        try damaged.write(to: URL(fileURLWithPath: file))
      }
      for asked in [tip, newer] { expectSameAnswers(repository, tip: asked, cacheFolder: cache) }
      // Whatever was wrong has been rewritten: the file reads whole again.
      let (_, chunks, isDamaged) = CacheFile(path: file, format: HistoryIndex.format).read()
      #expect(!chunks.isEmpty && !isDamaged, "\(name)")
    }
  }

  @Test func aChunkWhoseGraphDoesNotDecodeIsRebuilt() throws {
    // A whole chunk (its checksum right) whose times and parents do not decode: answers from
    // the stored order and a line of new commits do not need them; a replay does, and the
    // walk answers while the file is built again.
    let steps = try Steps()
    let (repository, cache, file) = (steps.repository, steps.cache, steps.file)
    func commit(_ step: Int) throws -> OID { try steps.commit(step) }
    for step in 0..<5 { _ = try commit(step) }
    let first = try commit(5)
    let paths = ["boards/a/t0.json", "boards/a/t1.json"]
    expectSameAnswers(repository, tip: first, cacheFolder: cache, paths: paths)
    let stored = file.read()
    var payload = stored.bytes[try #require(stored.chunks.first)]
    // The graph (its 4-byte length, then its bytes) follows the header and the 6-byte ids;
    // make it all one endless varint.
    let graph = 8 + 4 + "boards".utf8.count + 20 + 1 + 4 + 4 + 1 + 6 * 6 + 4
    let length = Int(payload[graph - 4]) | Int(payload[graph - 3]) << 8
    payload.replaceSubrange(graph..<graph + length, with: repeatElement(0xFF, count: length))
    try file.replace(with: [payload])
    #expect(HistoryIndex(base: payload[...], folder: "boards")?.graph() == nil)
    expectSameAnswers(repository, tip: first, cacheFolder: cache, paths: paths)
    let tip = try commit(6)
    expectSameAnswers(repository, tip: tip, cacheFolder: cache, paths: paths)
    var (index, _) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(index.count == 7 && index.graph() == nil)
    // An older tip: a replay, which needs the graph. The walk answers.
    for path in paths {
      let walked = summary { try repository.walkHistory(of: path, from: first, limit: nil) }
      let indexed = summary {
        try repository.indexedHistory(
          of: path, from: first, limit: nil, key: Self.key, cacheFolder: cache)
      }
      #expect(indexed == walked)
    }
    (index, _) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(index.count == 7 && index.graph() != nil)
  }

  @Test func withoutAWritableCacheTheAnswersAreTheSame() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    var history = RandomHistory(seed: 5)
    try history.grow(fixture, by: 30)
    let tip = try #require(try repository.tip(of: "refs/heads/main"))
    // No cache directory at all (a read-only repository): the walk answers.
    expectSameAnswers(repository, tip: tip, cacheFolder: nil)
    // A cache directory where nothing can be written: the index is built and used in memory.
    let blocked = fixture.path + "/not-a-folder"
    try fixture.write("not-a-folder", "x")
    expectSameAnswers(repository, tip: tip, cacheFolder: blocked + "/")
    #expect(!FileManager.default.fileExists(atPath: blocked + "/" + Self.key.fileName))
    // Through the public entry point, with the repository's own cache directory.
    let walked = summary {
      try repository.walkHistory(of: "boards/a/t1.json", from: tip, limit: nil)
    }
    let indexed = summary {
      try repository.history(of: "boards/a/t1.json", from: tip, index: Self.key)
    }
    #expect(indexed == walked)
    #expect(
      FileManager.default.fileExists(
        atPath: try #require(repository.cacheDirectory) + Self.key.fileName))
  }

  @Test func chunksAppendedTwiceOrForAnotherFileAreHarmless() throws {
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    let file = CacheFile(path: cache + Self.key.fileName, format: HistoryIndex.format)
    var history = RandomHistory(seed: 7)
    try history.grow(fixture, by: 30)
    let first = try #require(try repository.tip(of: "refs/heads/main"))
    let (index, _) = try repository.historyIndex(Self.key, covering: first, cacheFolder: cache)
    try history.grow(fixture, by: 15)
    let tip = try #require(try repository.tip(of: "refs/heads/main"))

    // Two processes that read the same file both append the commits since: the second copy
    // must be read as the same commits, not new ones.
    let delta = try repository.historyChunk(
      from: tip, folder: ["boards"], generation: index.generation, extending: index)
    try file.append(delta)
    try file.append(delta)
    // A chunk made for a file that has since been replaced (another generation) is ignored.
    let stranger = try repository.historyChunk(
      from: tip, folder: ["boards"], generation: index.generation &+ 1, extending: index)
    try file.append(stranger)
    let (_, chunks, damaged) = file.read()
    #expect(chunks.count == 4 && !damaged)
    let (reread, position) = try repository.historyIndex(
      Self.key, covering: tip, cacheFolder: cache)
    // Each commit once: those of the first tip, and those since.
    let count = { (range: String) in
      Int(
        try fixture.git(["rev-list", "--count", range]).trimmingCharacters(
          in: .whitespaces.union(.newlines)))!
    }
    let before = try count(first.hex)
    let since = try count("\(first.hex)..\(tip.hex)")
    let reachable = try count(tip.hex)
    #expect(reread.count == before + since)
    let order = try #require(reread.walkOrder(from: position)).map { Array(reread.prefix(at: $0)) }
    #expect(order.count == Set(order).count && order.count == reachable)
    expectSameAnswers(repository, tip: tip, cacheFolder: cache)
    // The file was rewritten (a stranger chunk in it, commits out of stored order): one
    // chunk, without the stranger.
    #expect(file.read().chunks.count == 1)
  }

  @Test func overlappingChunksFromTwoProcessesAreReadAndThenReordered() throws {
    let steps = try Steps()
    let (repository, cache, file) = (steps.repository, steps.cache, steps.file)
    func commit(_ step: Int) throws -> OID { try steps.commit(step) }
    let first = try commit(0)
    let (index, _) = try repository.historyIndex(Self.key, covering: first, cacheFolder: cache)
    // Two processes read the same file; one saw two new commits, the other three.
    _ = try commit(1)
    let middle = try commit(2)
    let shorter = try repository.historyChunk(
      from: middle, folder: ["boards"], generation: index.generation, extending: index)
    let tip = try commit(3)
    let longer = try repository.historyChunk(
      from: tip, folder: ["boards"], generation: index.generation, extending: index)
    try file.append(shorter)
    try file.append(longer)
    let (both, position) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(both.count == 4 && both.orderedTip == nil)
    #expect(both.walkOrder(from: position)?.count == 4)
    // That read rewrote the file in walk order: the next one reads the order off it.
    #expect(file.read().chunks.count == 1)
    let (reread, _) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(reread.orderedTip?.id == tip)
    for asked in [first, middle, tip] {
      expectSameAnswers(
        repository, tip: asked, cacheFolder: cache, paths: ["boards/a/t0.json", "boards/a/t1.json"])
    }
  }

  @Test func anExtensionMeetingManyIndexedCommitsFindsEachOfThem() throws {
    // An octopus merge of ten commits, each made on a different old commit: extending the
    // index meets ten indexed commits known only by id prefix (looked up in a table).
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    let branch = "refs/heads/main"
    var old: [OID] = []
    for step in 0..<12 {
      try repository.update(branch: branch) { _ in
        request(["boards/a/t\(step % 3).json": "\(step)"], "step \(step)")
      }
      old.append(try #require(try repository.tip(of: branch)))
    }
    let first = old.last!
    _ = try repository.historyIndex(Self.key, covering: first, cacheFolder: cache)
    var parents = [first.hex]
    for (index, base) in old.prefix(10).enumerated() {
      let tree = try fixture.git(["rev-parse", "\(old[(index + 3) % 12].hex)^{tree}"])
      parents.append(
        try fixture.git(
          ["commit-tree", tree.trimmingCharacters(in: .newlines), "-p", base.hex, "-m", "side"]
        ).trimmingCharacters(in: .newlines))
    }
    let tree = try fixture.git(["rev-parse", "\(old[4].hex)^{tree}"])
    let merge = try fixture.git(
      ["commit-tree", tree.trimmingCharacters(in: .newlines)] + parents.flatMap { ["-p", $0] }
        + ["-m", "octopus"]
    ).trimmingCharacters(in: .newlines)
    try fixture.git(["update-ref", branch, merge])
    let tip = try #require(OID(hex: merge))
    let (index, _) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(index.count == 12 + 10 + 1)
    expectSameAnswers(
      repository, tip: tip, cacheFolder: cache,
      paths: ["boards/a/t0.json", "boards/a/t1.json", "boards/a/t2.json"])
  }

  @Test func manySmallUpdatesKeepTheFileShort() throws {
    let fixture = try GitFixture(bare: true)
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    let branch = "refs/heads/main"
    let file = CacheFile(path: cache + Self.key.fileName, format: HistoryIndex.format)
    for step in 0..<40 {
      try repository.update(branch: branch) { _ in
        request(
          ["boards/a/t\(step % 3).json": "\(step)", "boards/b/x.json": "\(step % 2)"],
          "step \(step)")
      }
      let tip = try #require(try repository.tip(of: branch))
      expectSameAnswers(
        repository, tip: tip, cacheFolder: cache,
        paths: ["boards/a/t0.json", "boards/a/t1.json", "boards/b/x.json", "boards/a"])
      #expect(file.read().chunks.count <= Repository.historyChunkLimit)
      // One commit after another: each is appended, and answered in stored order.
      let (index, position) = try repository.historyIndex(
        Self.key, covering: tip, cacheFolder: cache)
      #expect(index.orderedTip?.position == position)
      #expect(file.read().chunks.count == step % Repository.historyChunkLimit + 1)
    }
    let tip = try #require(try repository.tip(of: branch))
    let (index, position) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(index.count == 40 && index.walkOrder(from: position)?.count == 40)
  }

  @Test func commitsAHiddenTipReachesAreNotIndexedTwice() throws {
    // `X` is reachable from both tips, and the commits between the indexed tip `H` and `X`
    // are dated long before `X` (a revwalk from `T` hiding `H` gives up marking them before
    // reaching `X`, and returns it).
    let fixture = try GitFixture()
    let repository = try Repository.discover(from: fixture.path)
    let cache = try #require(repository.cacheDirectory)
    var stream = ""
    func commit(_ mark: Int, _ branch: String, _ time: Int, from parent: Int?, _ file: String) {
      stream += "commit refs/heads/\(branch)\nmark :\(mark)\n"
      stream += "committer C <c@x> \(time) +0000\ndata 2\nc\n"
      if let parent { stream += "from :\(parent)\n" }
      stream += "M 100644 inline boards/\(file)\ndata 2\n\(mark)\n\n"
    }
    commit(1, "hidden", 1_000_000, from: nil, "x.json")
    for step in 2...12 { commit(step, "hidden", 10 + step, from: step - 1, "h.json") }
    commit(13, "hidden", 2_000_000, from: 12, "h.json")
    commit(14, "main", 2_000_001, from: 1, "x.json")
    try Data(stream.utf8).write(to: URL(fileURLWithPath: fixture.path + "/.git/stream"))
    try GitFixture.runFastImport(
      in: fixture.path, input: fixture.path + "/.git/stream", marks: fixture.path + "/.git/marks")
    let hidden = try #require(try repository.tip(of: "refs/heads/hidden"))
    let tip = try #require(try repository.tip(of: "refs/heads/main"))
    let paths = ["boards/x.json", "boards/h.json"]
    expectSameAnswers(repository, tip: hidden, cacheFolder: cache, paths: paths)
    let (index, position) = try repository.historyIndex(Self.key, covering: tip, cacheFolder: cache)
    #expect(index.count == 14)
    #expect(index.walkOrder(from: position)?.count == 2)
    expectSameAnswers(repository, tip: tip, cacheFolder: cache, paths: paths)
  }

  @Test func theWalkOrderIsLibgit2s() throws {
    // Every commit of a random graph, in the order the index replays, against libgit2's own.
    for seed in 20..<26 as Range<UInt64> {
      let fixture = try GitFixture()
      let repository = try Repository.discover(from: fixture.path)
      var history = RandomHistory(seed: seed)
      try history.grow(fixture, by: 60)
      for tip in history.heads {
        let (index, position) = try repository.historyIndex(
          Self.key, covering: tip, cacheFolder: nil)
        let replayed = try #require(index.graph()?.walkOrder(from: position)).map {
          Array(index.prefix(at: $0))
        }
        #expect(replayed == (try Self.revwalk(repository, from: tip)), "seed \(seed)")
      }
    }
  }

  /// The ids (prefixes) libgit2's topological + time revwalk returns from `tip`.
  static func revwalk(_ repository: Repository, from tip: OID) throws -> [[UInt8]] {
    // A chunk made with nothing to extend holds the commits in the order libgit2's revwalk
    // (topological + time, nothing hidden) returned them.
    let bytes = try repository.historyChunk(
      from: tip, folder: ["none"], generation: 1, extending: nil)
    let chunk = try #require(HistoryIndex.Chunk(decoding: bytes[...]))
    return (0..<chunk.count).map { Array(chunk.storedID($0)) }
  }
}

/// A bare repository whose commits alternate between two task files, and the file its
/// history index goes to.
private struct Steps {
  let fixture: GitFixture
  let repository: Repository
  let cache: String
  let file: CacheFile
  let branch = "refs/heads/main"

  init() throws {
    fixture = try GitFixture(bare: true)
    repository = try Repository.discover(from: fixture.path)
    cache = try #require(repository.cacheDirectory)
    file = CacheFile(path: cache + HistoryIndexTests.key.fileName, format: HistoryIndex.format)
  }

  func commit(_ step: Int) throws -> OID {
    try repository.update(branch: branch) { _ in
      request(["boards/a/t\(step % 2).json": "\(step)"], "step \(step)")
    }
    return try #require(try repository.tip(of: branch))
  }
}
