import CLibGit2
import Foundation
import TestSupport
import Testing

@testable import TackGit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Tack's index writer (CLibGit2/index_file.c) against git's own: racily clean entries
/// smudged as git smudges them, versions 2, 3 and 4, skip-worktree, the index kinds it
/// refuses, and a caller's own index.lock.
struct IndexFileTests {
  /// A whole second well in the past: files and the index pinned to it look written in the
  /// same second, however slow the machine.
  static let past = Double(Int(Date().timeIntervalSince1970) - 1000)

  static func setModified(_ path: String, _ seconds: Double) throws {
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSince1970: seconds)], ofItemAtPath: path)
  }

  static func indexPath(_ fixture: GitFixture) -> String { fixture.path + "/.git/index" }

  static func indexVersion(_ fixture: GitFixture) throws -> UInt8 {
    try Data(contentsOf: URL(fileURLWithPath: indexPath(fixture)))[7]
  }

  /// Writes (or, for nil, deletes) each file and records it in the index with Tack's writer
  /// (`tack_index_write_locked`, into an index.lock taken and renamed in here, as git does).
  /// 0; `GIT_ELOCKED` when index.lock exists; 1 for any `TACK_INDEX_` code; -1 on an error.
  @discardableResult
  static func tackUpdate(
    _ fixture: GitFixture, _ changes: [(String, String?)], skipWorktree: Bool = false
  ) throws -> Int32 {
    let repository = try Repository.discover(from: fixture.path)
    let strings = changes.map { strdup($0.0) }
    defer { for string in strings { free(string) } }
    var records: [tack_index_change] = []
    for ((path, content), string) in zip(changes, strings) {
      var record = tack_index_change()
      record.path = UnsafePointer(string)
      record.skip_worktree = skipWorktree ? 1 : 0
      if let content {
        try fixture.write(path, content)
        try fixture.git(["hash-object", "-w", path])
        record.id = try Repository.blobID(of: Array(content.utf8)).raw
        #expect(lstat(fixture.path + "/" + path, &record.info) == 0)
      } else {
        try? FileManager.default.removeItem(atPath: fixture.path + "/" + path)
        record.remove = 1
      }
      records.append(record)
    }
    let index = indexPath(fixture)
    let lock = index + ".lock"
    let fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    if fd < 0 { return errno == EEXIST ? GIT_ELOCKED.rawValue : -1 }
    var result = tack_index_write_locked(repository.pointer, index, fd, &records, records.count)
    if close(fd) != 0 && result == 0 { result = -1 }
    if result == 0 && rename(lock, index) != 0 { result = -1 }
    if result != 0 { unlink(lock) }
    return result > 0 ? 1 : result
  }

  /// The first code `tack_index_lookup` returns for `path`, and what it found.
  static func lookup(
    _ fixture: GitFixture, _ path: String
  ) -> (
    code: Int32, found: Bool, skipWorktree: Bool
  ) {
    let string = strdup(path)
    defer { free(string) }
    var pointers = [UnsafePointer(string)]
    var ids = [git_oid()]
    var found: [Int32] = [0]
    var skip: [Int32] = [0]
    let code = tack_index_lookup(indexPath(fixture), &pointers, 1, &ids, &found, &skip)
    return (code, found[0] != 0, skip[0] != 0)
  }

  /// Each index entry's recorded size (`git ls-files --debug`): 0 for a smudged entry.
  static func sizes(_ fixture: GitFixture) throws -> [String: Int] {
    var sizes: [String: Int] = [:]
    var path = ""
    for line in try fixture.git(["ls-files", "--debug"]).split(separator: "\n") {
      if !line.hasPrefix(" ") {
        path = String(line)
      } else if let range = line.range(of: "size: ") {
        sizes[path] = Int(line[range.upperBound...].prefix { $0.isNumber })
      }
    }
    return sizes
  }

  /// A racy state: files committed, then some edited in the same second (same size, or not,
  /// or deleted), all pinned to `past` with the index. Tack's writer and, from the same
  /// index, git's (`git update-index --add`) then add the same new file: both smudge the
  /// same entries — exactly those whose content changed at the same size.
  @Test(arguments: [2, 3, 4])
  func racilyCleanEntriesAreSmudgedAsGitDoes(version: Int) throws {
    let fixture = try GitFixture()
    // git compares change times too: off, so that only the pinned times count.
    try fixture.git(["config", "core.trustctime", "false"])
    try fixture.git(["config", "index.version", version == 4 ? "4" : "2"])
    let files = [
      "old.txt": "old\n", "dir/modified.txt": "AAAA\n", "dir/same.txt": "same\n",
      "dir/resized.txt": "CCCC\n", "dir/deleted.txt": "DDDD\n", "dir/sub/deep.txt": "EEEE\n",
      "zlast.txt": "ZZZZ\n",
    ]
    for (path, content) in files {
      try fixture.write(path, content)
      try Self.setModified(fixture.path + "/" + path, Self.past)
    }
    try Self.setModified(fixture.path + "/old.txt", Self.past - 1000)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "base"])
    if version == 3 { try fixture.git(["update-index", "--skip-worktree", "old.txt"]) }
    for (path, content) in [
      "dir/modified.txt": "BBBB\n", "dir/resized.txt": "CCCCCC\n", "dir/sub/deep.txt": "FFFF\n",
      "zlast.txt": "YYYY\n",
    ] {
      try fixture.write(path, content)
      try Self.setModified(fixture.path + "/" + path, Self.past)
    }
    try FileManager.default.removeItem(atPath: fixture.path + "/dir/deleted.txt")
    try Self.setModified(Self.indexPath(fixture), Self.past)
    #expect(try Self.indexVersion(fixture) == UInt8(version))
    let racy = try Data(contentsOf: URL(fileURLWithPath: Self.indexPath(fixture)))

    #expect(try Self.tackUpdate(fixture, [("new.txt", "new\n")]) == 0)
    let tack = try Self.sizes(fixture)
    #expect(try Self.indexVersion(fixture) == UInt8(version))

    try racy.write(to: URL(fileURLWithPath: Self.indexPath(fixture)))
    try Self.setModified(Self.indexPath(fixture), Self.past)
    try fixture.git(["update-index", "--add", "new.txt"])
    let git = try Self.sizes(fixture)

    #expect(tack == git)
    #expect(
      tack.filter { $0.value == 0 }.keys.sorted() == [
        "dir/modified.txt", "dir/sub/deep.txt", "zlast.txt",
      ])
    #expect(tack.count == files.count + 1)
  }

  /// The scenario: `echo AAAA>x; git add x; git commit; echo BBBB>x` in one second,
  /// then a Tack write: `git status` still shows x modified.
  @Test func anEditInTheSecondOfTheIndexStaysVisibleAfterATackWrite() throws {
    let fixture = try GitFixture()
    try fixture.git(["config", "core.trustctime", "false"])
    let repository = try Repository.discover(from: fixture.path)
    let branch = try repository.headBranch()
    try repository.update(branch: branch) { _ in request(["d/a.json": "a\n"], "first") }
    try fixture.write("x", "AAAA\n")
    try Self.setModified(fixture.path + "/x", Self.past)
    try fixture.git(["add", "x"])
    try fixture.git(["commit", "-q", "-m", "x"])
    try fixture.write("x", "BBBB\n")
    try Self.setModified(fixture.path + "/x", Self.past)
    try Self.setModified(Self.indexPath(fixture), Self.past)
    try repository.update(branch: branch) { _ in request(["d/a.json": "b\n"], "note") }
    #expect(try fixture.git(["status", "--porcelain"]) == " M x\n")
  }

  /// A version 4 index (paths compressed against the entry before) after insertions before,
  /// between and after entries, a change and removals: git reads the same entries as it
  /// does after making the same changes itself, and the index stays version 4.
  @Test func aVersion4IndexReadsAsGitsOwn() throws {
    let fixture = try GitFixture()
    try fixture.git(["config", "index.version", "4"])
    for n in 1...12 {
      try fixture.write("boards/m/tasks/\(n % 3)/\(n)/t\(n).json", "task \(n)\n")
    }
    try fixture.write("boards/m/board.json", "{}\n")
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "base"])
    let copy = fixture.path + "-git"
    try FileManager.default.copyItem(atPath: fixture.path, toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }

    let changes: [(String, String?)] = [
      ("a.json", "first\n"), ("boards/m/tasks/1/1/t1.json", "changed\n"),
      ("boards/m/tasks/1/1/t1a.json", "between\n"), ("boards/m/tasks/2/5/t5.json", nil),
      ("boards/m/tasks/0/9/t9.json", nil), ("boards/m/tasks/0/12/t12.json", "changed too\n"),
      ("zz/last.json", "last\n"),
    ]
    #expect(try Self.tackUpdate(fixture, changes) == 0)
    for (path, content) in changes {
      if let content {
        let url = URL(fileURLWithPath: copy + "/" + path)
        try FileManager.default.createDirectory(
          at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
        try TestGit.run(["update-index", "--add", path], in: copy)
      } else {
        try TestGit.run(["update-index", "--force-remove", path], in: copy)
      }
    }
    #expect(try Self.indexVersion(fixture) == 4)
    let ours = try fixture.git(["ls-files", "--stage"])
    #expect(ours == (try TestGit.run(["ls-files", "--stage"], in: copy)))
    #expect(ours.split(separator: "\n").count == 14)
    // Staged, not committed: nothing differs between the index and the working tree.
    #expect(try fixture.git(["diff", "--name-only"]) == "")
    // A second write on Tack's own version 4 output.
    #expect(try Self.tackUpdate(fixture, [("boards/m/tasks/1/1/t1b.json", "more\n")]) == 0)
    #expect(try fixture.git(["ls-files", "--stage"]).split(separator: "\n").count == 15)
    #expect(try fixture.git(["diff", "--name-only"]) == "")
  }

  /// A new entry with skip-worktree makes a version 2 index version 3 (as git does); a
  /// later change keeps the flag; removing the last such entry brings version 2 back.
  @Test func skipWorktreeOnANewEntry() throws {
    let fixture = try GitFixture()
    try fixture.write("a.txt", "a\n")
    try fixture.git(["add", "a.txt"])
    #expect(try Self.indexVersion(fixture) == 2)
    #expect(try Self.tackUpdate(fixture, [("sparse.txt", "s\n")], skipWorktree: true) == 0)
    #expect(try Self.indexVersion(fixture) == 3)
    #expect(try fixture.git(["ls-files", "-v"]) == "H a.txt\nS sparse.txt\n")
    let found = Self.lookup(fixture, "sparse.txt")
    #expect(found.code == 0 && found.found && found.skipWorktree)
    #expect(Self.lookup(fixture, "a.txt").skipWorktree == false)
    #expect(try Self.tackUpdate(fixture, [("sparse.txt", "s2\n")]) == 0)
    #expect(try fixture.git(["ls-files", "-v"]) == "H a.txt\nS sparse.txt\n")
    #expect(try Self.tackUpdate(fixture, [("sparse.txt", nil)]) == 0)
    #expect(try Self.indexVersion(fixture) == 2)
    #expect(try fixture.git(["ls-files", "-v"]) == "H a.txt\n")
  }

  /// A path in conflict has no stage-0 id; a change to it replaces all its stages, as
  /// `git add` does.
  @Test func aChangeResolvesAConflictsStages() throws {
    let fixture = try GitFixture()
    try fixture.write("c.txt", "base\n")
    try fixture.git(["add", "c.txt"])
    try fixture.git(["commit", "-q", "-m", "base"])
    try fixture.git(["checkout", "-q", "-b", "side"])
    try fixture.write("c.txt", "side\n")
    try fixture.git(["commit", "-q", "-am", "side"])
    try fixture.git(["checkout", "-q", "main"])
    try fixture.write("c.txt", "main\n")
    try fixture.git(["commit", "-q", "-am", "main"])
    try fixture.git(["merge", "-q", "side"], allowFailure: true)
    #expect(try fixture.git(["ls-files", "--stage", "c.txt"]).split(separator: "\n").count == 3)
    let conflicted = Self.lookup(fixture, "c.txt")
    #expect(conflicted.code == 0 && !conflicted.found)
    #expect(try Self.tackUpdate(fixture, [("c.txt", "resolved\n")]) == 0)
    let blob = try fixture.git(["hash-object", "c.txt"]).trimmingCharacters(in: .newlines)
    #expect(try fixture.git(["ls-files", "--stage", "c.txt"]) == "100644 \(blob) 0\tc.txt\n")
  }

  /// Index kinds Tack does not write are named, with nothing changed.
  @Test func splitSparseUnknownAndMissingIndexesAreNamed() throws {
    let split = try GitFixture()
    try split.write("a.txt", "a\n")
    try split.git(["add", "a.txt"])
    try split.git(["update-index", "--split-index"])
    #expect(Self.lookup(split, "a.txt").code == TACK_INDEX_SPLIT)

    let sparse = try GitFixture()
    try sparse.write("in/a.txt", "a\n")
    try sparse.write("out/b.txt", "b\n")
    try sparse.git(["add", "-A"])
    try sparse.git(["commit", "-q", "-m", "base"])
    try sparse.git(["sparse-checkout", "set", "--cone", "--sparse-index", "in"])
    #expect(Self.lookup(sparse, "in/a.txt").code == TACK_INDEX_SPARSE)

    let unknown = try GitFixture()
    try unknown.write("a.txt", "a\n")
    try unknown.git(["add", "a.txt"])
    let path = Self.indexPath(unknown)
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)).dropLast(20))
    bytes += Array("zzzz".utf8) + [0, 0, 0, 0]
    bytes += try #require(SHA1.digest(bytes))
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(Self.lookup(unknown, "a.txt").code == TACK_INDEX_UNKNOWN_EXTENSION)
    #expect(String(cString: git_error_last().pointee.message).contains("'zzzz'"))
    #expect(try Self.tackUpdate(unknown, [("b.txt", "b\n")]) == 1)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    #expect(!FileManager.default.fileExists(atPath: path + ".lock"))

    try FileManager.default.removeItem(atPath: path)
    #expect(Self.lookup(unknown, "a.txt").code == TACK_INDEX_MISSING)
  }

  /// `tack_index_write_locked` writes the whole index into the caller's lock from its start
  /// (whatever the lock held before), leaves the index alone and the lock open.
  @Test func writeLockedFillsTheCallersLock() throws {
    let fixture = try GitFixture()
    try fixture.write("a.txt", "a\n")
    try fixture.git(["add", "a.txt"])
    let index = Self.indexPath(fixture)
    let before = try Data(contentsOf: URL(fileURLWithPath: index))
    let lock = open(index + ".lock", O_RDWR | O_CREAT | O_EXCL, 0o666)
    #expect(lock >= 0)
    let junk = [UInt8](repeating: 0x55, count: 4096)
    #expect(write(lock, junk, junk.count) == junk.count)
    try fixture.write("b.txt", "b\n")
    try fixture.git(["hash-object", "-w", "b.txt"])
    let path = strdup("b.txt")
    defer { free(path) }
    var change = tack_index_change()
    change.path = UnsafePointer(path)
    change.id = try Repository.blobID(of: Array("b\n".utf8)).raw
    #expect(lstat(fixture.path + "/b.txt", &change.info) == 0)
    let repository = try Repository.discover(from: fixture.path)
    #expect(tack_index_write_locked(repository.pointer, index, lock, &change, 1) == 0)
    #expect(fcntl(lock, F_GETFD) >= 0)  // still open
    #expect(close(lock) == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before)
    #expect(rename(index + ".lock", index) == 0)
    #expect(try fixture.git(["ls-files"]) == "a.txt\nb.txt\n")
    #expect(try fixture.git(["status", "--porcelain"]) == "A  a.txt\nA  b.txt\n")
    try fixture.git(["fsck", "--no-dangling"])
  }
}
