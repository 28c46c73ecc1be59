internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Repository {
  /// What a write does in a checkout, path by path, decided before it commits.
  struct CheckoutPlan {
    /// Per change: the file is left alone and the index entry has the skip-worktree flag
    /// (it is outside the sparse checkout); otherwise the file is written or removed.
    var skipWorktree: [Bool]
    /// The index file does not exist yet (a new repository, nothing committed): the write
    /// creates it.
    var createIndex = false
  }

  /// Checks that a write may change `changes` in this checkout, whose index Tack holds
  /// (`IndexLock`), and says how. Refuses, before anything is committed:
  /// - an index Tack cannot write (split or sparse index, an extension it does not know, a
  ///   missing index on a branch with commits), saying what to do;
  /// - a path below a symbolic link or a file where a folder should be (the write would
  ///   land outside the working tree);
  /// - a path whose file or index entry differs from the committed version, compared as git
  ///   compares them, through its filters (`core.autocrlf`, `.gitattributes`): somebody's
  ///   uncommitted edits.
  /// An entry with the skip-worktree flag is not compared with a file, nor is a new path
  /// outside the sparse checkout: their files are left alone.
  func planCheckout(
    _ changes: [FileChange], tip: OID?, base: Tree?, workdir: String
  ) throws(GitError) -> CheckoutPlan {
    keepAttributesOffTheIndexFile()
    let paths = changes.map(\.path)
    let staged = try indexEntries(paths, unborn: base == nil)
    var plan = CheckoutPlan(skipWorktree: [], createIndex: staged == nil)
    var sparse: SparseCheckout??
    for (n, change) in changes.enumerated() {
      let entry = staged?[n] ?? (id: nil, skipWorktree: false)
      let committed = try base?.entryID(at: change.path)
      var skip = entry.skipWorktree
      if entry.id == nil && change.content != nil {
        if sparse == nil { sparse = .some(try sparseCheckout()) }
        if let patterns = sparse ?? nil, !patterns.includes(change.path) { skip = true }
      }
      plan.skipWorktree.append(skip)
      if skip && entry.id == committed { continue }
      if !skip {
        try ensureInsideWorktree(change.path, workdir: workdir)
        if entry.id == committed,
          try workingFile(change.path, workdir: workdir, commit: tip) == committed
        {
          continue
        }
      }
      throw GitError(
        kind: .uncommittedChanges, call: "check \(change.path)",
        message:
          "\(change.path) has uncommitted changes in the working tree or index; commit them (git commit) or discard them (git restore --staged --worktree \(change.path)) and try again"
      )
    }
    return plan
  }

  /// Where a write notes the paths it is about to move, until the working tree follows.
  var journalPath: String { gitDirectory + "tack-worktree-journal" }

  /// The paths whose file or index entry lags behind `tip` without anybody having edited them:
  /// the file is the committed version (only the index lags), or the file still equals the
  /// index entry (both lag). Paths Tack may not write (below a symbolic link, an entry with
  /// the skip-worktree flag) are left out.
  /// `written[n]`: the blob the stopped write was putting at `paths[n]` (`nil`: it was
  /// removing the file, or the journal does not say): a file that holds it is its work too.
  func behindPaths(
    _ paths: [String], written: [OID?], commit: OID, tip: Tree, workdir: String
  ) throws(GitError) -> [String] {
    keepAttributesOffTheIndexFile()
    guard let staged = try indexEntries(paths, unborn: false) else { return [] }
    var behind: [String] = []
    for (n, (path, entry)) in zip(paths, staged).enumerated() where !entry.skipWorktree {
      guard (try? ensureInsideWorktree(path, workdir: workdir)) != nil else { continue }
      let committed = try tip.entryID(at: path)
      let onDisk = try workingFile(path, workdir: workdir, commit: commit)
      if entry.id == committed && onDisk == committed { continue }
      if onDisk == committed || onDisk == entry.id || (onDisk != nil && onDisk == written[n]) {
        behind.append(path)
      }
    }
    return behind
  }

  /// Brings the checked-out files and the index in line with a commit that changed
  /// `changes`: each file is written as `git checkout` would write it (through the filters
  /// of its attributes), then the new index is written next to `lock` and renamed into
  /// place. With `staging`, before the branch moves: the old index is kept and the lock held,
  /// for `IndexLock.commit` once the branch has moved, or `unstageCheckout` if it did not.
  func syncWorktree(
    _ workdir: String, with changes: [FileChange], commit: OID, plan: CheckoutPlan,
    lock: IndexLock, staging: Bool = false
  ) throws(GitError) {
    var records: [tack_index_change] = []
    records.reserveCapacity(changes.count)
    let strings = changes.map { strdup($0.path) }
    defer { for string in strings { free(string) } }
    keepAttributesOffTheIndexFile()
    // `.gitattributes` files first, as git checks them out first: they decide how the
    // others are written.
    let order = changes.indices.sorted { left, right in
      Self.isAttributes(changes[left].path) && !Self.isAttributes(changes[right].path)
    }
    for n in order {
      let change = changes[n]
      let skip = plan.skipWorktree[n]
      var record = tack_index_change()
      record.path = UnsafePointer(strings[n])
      record.skip_worktree = skip ? 1 : 0
      if let content = change.content {
        record.id = try Repository.blobID(of: content).raw
        if !skip {
          let path = workdir + change.path
          try LocalFile.writeAtomically(
            path,
            try filtered(content, path: change.path, mode: GIT_FILTER_TO_WORKTREE, commit: commit))
          guard lstat(path, &record.info) == 0 else { throw LocalFile.posixError("lstat", path) }
        }
      } else {
        record.remove = 1
        if !skip { LocalFile.remove(workdir + change.path, pruningUpTo: workdir) }
      }
      records.append(record)
    }
    if plan.createIndex { try LocalFile.writeAtomically(indexPath, try Self.emptyIndex()) }
    let code = tack_index_write_locked(
      pointer, indexPath, try lock.newIndexDescriptor(), &records, records.count)
    if code > 0 { try refuseIndex(code) }
    try check("write the index", code)
    try lock.install(keepingOld: staging)
    if !staging { lock.commit() }
  }

  /// Undoes `syncWorktree(…, staging: true)` for a branch that did not move: the old index
  /// back in place, and each file as `tip` (whose tree is `base`) has it. The lock stays held.
  func unstageCheckout(
    _ changes: [FileChange], base: Tree?, tip: OID?, plan: CheckoutPlan, workdir: String,
    lock: IndexLock
  ) {
    lock.unstage()
    for (n, change) in changes.enumerated() where !plan.skipWorktree[n] {
      let path = workdir + change.path
      if let id = try? base?.entryID(at: change.path), let content = try? blob(id) {
        let file =
          (try? filtered(content, path: change.path, mode: GIT_FILTER_TO_WORKTREE, commit: tip))
          ?? content
        try? LocalFile.writeAtomically(path, file)
      } else {
        LocalFile.remove(path, pruningUpTo: workdir)
      }
    }
  }

  private static func isAttributes(_ path: String) -> Bool {
    path == ".gitattributes" || path.hasSuffix("/.gitattributes")
  }

  /// The index file of this working tree.
  var indexPath: String { gitDirectory + "index" }

  /// An index with no entries (version 2), as `git read-tree --empty` writes it.
  static func emptyIndex() throws(GitError) -> [UInt8] {
    let header: [UInt8] = Array("DIRC".utf8) + [0, 0, 0, 2, 0, 0, 0, 0]
    guard let sum = SHA1.digest(header) else {
      throw GitError(kind: .other, call: "SHA-1", message: "OpenSSL could not hash the new index")
    }
    return header + sum
  }

  /// The stage-0 blob id and skip-worktree flag the index holds for each of `paths`;
  /// `nil` when there is no index yet on an `unborn` branch (nothing committed). Refuses an
  /// index Tack cannot write.
  private func indexEntries(
    _ paths: [String], unborn: Bool
  ) throws(GitError) -> [(id: OID?, skipWorktree: Bool)]? {
    var ids = [git_oid](repeating: git_oid(), count: paths.count)
    var found = [Int32](repeating: 0, count: paths.count)
    var skip = [Int32](repeating: 0, count: paths.count)
    let strings = paths.map { strdup($0) }
    defer { for string in strings { free(string) } }
    var pointers = strings.map { UnsafePointer($0) }
    let code = tack_index_lookup(indexPath, &pointers, paths.count, &ids, &found, &skip)
    if code == TACK_INDEX_MISSING && unborn { return nil }
    if code > 0 { try refuseIndex(code) }
    try check("read the index", code)
    return paths.indices.map { (found[$0] != 0 ? OID(ids[$0]) : nil, skip[$0] != 0) }
  }

  /// The refusal for an index Tack does not write (a `TACK_INDEX_` code), saying what to do.
  private func refuseIndex(_ code: Int32) throws(GitError) {
    let path = indexPath
    let message: String
    switch code {
    case TACK_INDEX_MISSING:
      message =
        "there is no index file (\(path)) although the branch has commits; run 'git reset' to rebuild it from the branch (your files are kept) and try again"
    case TACK_INDEX_SPLIT:
      message =
        "the index is split (core.splitIndex), which Tack does not write; run 'git config core.splitIndex false && git update-index --no-split-index' and try again"
    case TACK_INDEX_SPARSE:
      message =
        "the index is a sparse index (index.sparse), which Tack does not write; run 'git sparse-checkout init --no-sparse-index' (the checkout stays sparse) and try again"
    default:
      let detail = git_error_last().flatMap { $0.pointee.message }.map { String(cString: $0) }
      message =
        "the index (\(path)) uses an extension git requires readers to know and Tack does not\(detail.map { " (\($0))" } ?? ""); have git write it without (e.g. 'git update-index --no-split-index --index-version 2') or use a git that Tack supports, and try again"
    }
    throw GitError(kind: .other, code: code, call: "read the index", message: message)
  }

  /// The sparse checkout's patterns, or `nil` when this checkout is not sparse.
  private func sparseCheckout() throws(GitError) -> SparseCheckout? {
    guard configFlag("core.sparseCheckout") else { return nil }
    let file = gitDirectory + "info/sparse-checkout"
    guard let bytes = try LocalFile.read(file) else { return nil }
    return try SparseCheckout(text: String(decoding: bytes, as: UTF8.self), file: file)
  }

  /// A boolean from git's configuration, including this worktree's own `config.worktree`
  /// (`extensions.worktreeConfig`, which `git sparse-checkout` turns on), which libgit2 1.5
  /// does not read.
  private func configFlag(_ key: String) -> Bool {
    var value: Int32 = 0
    var config: OpaquePointer?
    if git_repository_config_snapshot(&config, pointer) == 0 {
      _ = git_config_get_bool(&value, config, key)
      var shared: Int32 = 0
      let worktreeConfig =
        git_config_get_bool(&shared, config, "extensions.worktreeConfig") == 0 && shared != 0
      git_config_free(config)
      var own: OpaquePointer?
      if worktreeConfig, LocalFile.exists(gitDirectory + "config.worktree"),
        git_config_open_ondisk(&own, gitDirectory + "config.worktree") == 0
      {
        _ = git_config_get_bool(&value, own, key)
        git_config_free(own)
      }
    }
    return value != 0
  }

  /// Refuses a path that a write would reach through a symbolic link or a file standing
  /// where a folder should be (an uncommitted change git would not follow either).
  func ensureInsideWorktree(_ path: String, workdir: String) throws(GitError) {
    var prefix = workdir
    for name in path.split(separator: "/").dropLast() {
      prefix += name
      var info = stat()
      if lstat(prefix, &info) != 0 {
        if errno == ENOENT { return }  // created as folders by the write
        throw LocalFile.posixError("lstat", prefix)
      }
      if (info.st_mode & S_IFMT) != S_IFDIR {
        let what = (info.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "not a folder"
        let relative = String(prefix.dropFirst(workdir.count))
        throw GitError(
          kind: .uncommittedChanges, call: "check \(path)",
          message:
            "\(relative) in the working tree is \(what), so writing \(path) would leave the working tree; restore the folder (git restore --staged --worktree \(relative), or move the link away) and try again"
        )
      }
      prefix += "/"
    }
  }

  /// The blob id git would give the working tree's file at `path` (through the filters its
  /// attributes name, as `git add` hashes it), `nil` when there is none; a symbolic link or a
  /// folder there never equals a committed file and gets an id no blob has.
  private func workingFile(
    _ path: String, workdir: String, commit: OID?
  ) throws(GitError) -> OID? {
    var info = stat()
    if lstat(workdir + path, &info) != 0 {
      if errno == ENOENT || errno == ENOTDIR { return nil }
      throw LocalFile.posixError("lstat", workdir + path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else { return OID(git_oid()) }
    guard let bytes = try LocalFile.read(workdir + path) else { return nil }
    return try Repository.blobID(
      of: try filtered(bytes, path: path, mode: GIT_FILTER_TO_ODB, commit: commit))
  }

  /// Attributes for the filters come from the working tree's `.gitattributes` files and from
  /// a commit, never from the index file: libgit2 reads (and hashes) the whole index to look
  /// for `.gitattributes` entries in it, 7 ms at 10k tasks, again after every write. An empty
  /// index in memory stands in for it (nothing else in TackGit uses the handle's index).
  /// The commit's `.gitattributes` are the index's unless somebody staged a change to one.
  private func keepAttributesOffTheIndexFile() {
    var index: OpaquePointer?
    guard git_index_new(&index) == 0 else { return }
    git_repository_set_index(pointer, index)
    git_index_free(index)
  }

  /// `content` through the filters its attributes name for `path` (`core.autocrlf`, `eol`,
  /// `filter`), or as it is when there are none: `GIT_FILTER_TO_WORKTREE` gives what `git
  /// checkout` of `commit` writes (git reads the new index's attributes; the commit's are
  /// those), `GIT_FILTER_TO_ODB` what `git add` hashes. Attributes come from the working tree
  /// and from `commit` (see `keepAttributesOffTheIndexFile`).
  private func filtered(
    _ content: [UInt8], path: String, mode: git_filter_mode_t, commit: OID?
  ) throws(GitError) -> [UInt8] {
    var filters: OpaquePointer?
    var options = git_filter_options()
    options.version = UInt32(GIT_FILTER_OPTIONS_VERSION)
    if let commit {
      options.flags = GIT_FILTER_ATTRIBUTES_FROM_COMMIT.rawValue
      options.attr_commit_id = commit.raw
    }
    try check(
      "git_filter_list_load_ext",
      git_filter_list_load_ext(&filters, pointer, nil, path, mode, &options))
    guard let filters else { return content }
    defer { git_filter_list_free(filters) }
    var out = git_buf()
    defer { git_buf_dispose(&out) }
    let code = content.withUnsafeBytes { bytes in
      git_filter_list_apply_to_buffer(
        &out, filters, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }
    try check("git_filter_list_apply_to_buffer", code)
    guard let start = out.ptr else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: out.size))
  }
}

/// `index.lock` of a checkout, created by Tack (`O_EXCL`, as git creates it) and held from
/// before the branch moves until the new index is in place, so that a git command that takes
/// it (`git commit`) runs before this write or after it, never across it.
///
/// The new index is not written into the lock file but into a file of its own next to it
/// (`newIndexDescriptor`), renamed over the index while the lock is held; then the lock goes.
/// So the lock file never changes after it is made, and the identity recorded for it in
/// `tack.lock` (device, inode, change time) stays exact until it is removed: a writer killed
/// at any moment leaves either no lock or one the next writer can prove its own.
final class IndexLock {
  let path: String
  let indexPath: String
  private var descriptor: Int32
  private var newIndex: Int32 = -1
  private let notes: LockNotes

  private init(indexPath: String, descriptor: Int32, notes: LockNotes) {
    self.indexPath = indexPath
    self.path = indexPath + ".lock"
    self.descriptor = descriptor
    self.notes = notes
  }

  /// Where the writer `pid` writes the new index of the checkout whose lock is `lock`.
  static func newIndexPath(lock: String, pid: Int32) -> String {
    String(lock.dropLast(".lock".count)) + ".tack-\(pid)"
  }

  private var newIndexPath: String { Self.newIndexPath(lock: path, pid: getpid()) }

  /// Creates `<indexPath>.lock`; while another process holds it, polls until `deadline`,
  /// then fails saying who may hold it and what to do. Records it in `notes`: that it is
  /// about to be made, then the file made.
  static func acquire(
    indexPath: String, notes: LockNotes, until deadline: ContinuousClock.Instant,
    clock: ContinuousClock
  ) throws(GitError) -> IndexLock {
    let path = indexPath + ".lock"
    let started = clock.now
    while true {
      var now = timespec()
      clock_gettime(CLOCK_REALTIME, &now)
      notes.opening = (path, now)
      let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      if fd >= 0 {
        let lock = IndexLock(indexPath: indexPath, descriptor: fd, notes: notes)
        var info = stat()
        if fstat(fd, &info) == 0 { notes.index = (path, FileIdentity(info)) }
        return lock
      }
      let error = errno
      notes.opening = nil
      guard error == EEXIST else { throw LocalFile.posixError("open", path) }
      guard clock.now < deadline else {
        let waited = (clock.now - started).components.seconds
        throw GitError(
          kind: .conflict, code: GIT_ELOCKED.rawValue, call: "lock the index",
          message:
            "\(path) exists: another git process is using this checkout's index (a 'git commit' waiting for its editor, say) and kept it for \(waited) s; finish or close it and run the command again. If no git process is running, one stopped mid-way: remove \(path)"
        )
      }
      usleep(10_000)
    }
  }

  /// A file of its own for the new index (truncated), next to the index.
  func newIndexDescriptor() throws(GitError) -> Int32 {
    if newIndex < 0 {
      newIndex = open(newIndexPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
      if newIndex < 0 { throw LocalFile.posixError("open", newIndexPath) }
    }
    return newIndex
  }

  /// Where the writer `pid` keeps the index it replaced until its branch has moved.
  static func oldIndexPath(lock: String, pid: Int32) -> String {
    String(lock.dropLast(".lock".count)) + ".tack-old-\(pid)"
  }

  private var oldIndexPath: String { Self.oldIndexPath(lock: path, pid: getpid()) }

  /// Whether the new index is in place and the old one kept (`install(keepingOld: true)`).
  private var keptOld: Bool?

  /// Renames the new index over the index (fsynced with its folder when fsync is on; the
  /// new index itself was, as it was written), keeping the old one beside it when asked.
  /// The lock stays held.
  func install(keepingOld: Bool) throws(GitError) {
    let closed = close(newIndex)
    newIndex = -1
    var kept: Bool?
    if keepingOld {
      unlink(oldIndexPath)
      if link(indexPath, oldIndexPath) == 0 {
        kept = true
      } else if errno == ENOENT {
        kept = false  // there was no index: unstaging removes the new one
      } else {
        let error = LocalFile.posixError("link", indexPath)
        release()
        throw error
      }
    }
    guard closed == 0, rename(newIndexPath, indexPath) == 0 else {
      let error = LocalFile.posixError("rename", newIndexPath)
      if kept == true { unlink(oldIndexPath) }
      release()
      throw error
    }
    keptOld = kept
    if tack_fsync_enabled() != 0 {
      let folder = open(String(indexPath.dropLast("index".count)), O_RDONLY | O_CLOEXEC)
      if folder >= 0 {
        fsync(folder)
        close(folder)
      }
    }
  }

  /// Puts back the index `install(keepingOld: true)` replaced. The lock stays held.
  func unstage() {
    guard let kept = keptOld else { return }
    if kept { rename(oldIndexPath, indexPath) } else { unlink(indexPath) }
    keptOld = nil
  }

  /// The index in place is final: the old one goes, and so does the lock.
  func commit() {
    if keptOld == true { unlink(oldIndexPath) }
    keptOld = nil
    release()
  }

  /// Removes the lock (and a new index not renamed into place).
  func release() {
    if newIndex >= 0 {
      close(newIndex)
      newIndex = -1
      unlink(newIndexPath)
    }
    if descriptor >= 0 {
      close(descriptor)
      descriptor = -1
      unlink(path)
    }
    if notes.index?.path == path || notes.opening?.path == path {
      notes.index = nil
      notes.opening = nil
    }
  }
}

/// The record a writer keeps in `tack.lock` of the git locks it holds (`LockRecord`),
/// rewritten whenever one is taken or let go.
final class LockNotes {
  private let turn: FileLock
  private var record = LockRecord(owner: .current)

  init(turn: FileLock) { self.turn = turn }

  var index: (path: String, identity: FileIdentity)? {
    get { record.index }
    set {
      record.index = newValue
      save()
    }
  }

  var swap: (lock: String, began: timespec)? {
    get { record.swap }
    set {
      record.swap = newValue
      save()
    }
  }

  var opening: (path: String, began: timespec)? {
    get { record.opening }
    set {
      record.opening = newValue
      save()
    }
  }

  var keeps: Bool {
    get { record.keeps }
    set {
      record.keeps = newValue
      save()
    }
  }

  private func save() {
    let empty =
      record.index == nil && record.swap == nil && record.opening == nil && !record.keeps
    turn.record(empty ? [] : record.bytes)
  }
}
