internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Repository {
  /// Who wrote the index at the last write: Tack, patching it in place, or libgit2, for an
  /// index Tack leaves to it.
  enum IndexWriter { case tack, libgit2 }

  /// Refuses a write that would overwrite a checked-out file (or index entry) that differs
  /// from the committed version: those are somebody's uncommitted edits.
  func ensureUnmodified(_ paths: [String], base: Tree?, workdir: String) throws(GitError) {
    for (path, staged) in zip(paths, try stagedIDs(paths)) {
      let committed = try base?.entryID(at: path)
      let onDisk = try LocalFile.read(workdir + path).map { (bytes) throws(GitError) in
        try Repository.blobID(of: bytes)
      }
      if staged != committed || onDisk != committed {
        throw GitError(
          kind: .uncommittedChanges, call: "check \(path)",
          message:
            "\(path) has uncommitted changes in the working tree or index; commit them (git commit) or discard them (git restore --staged --worktree \(path)) and try again"
        )
      }
    }
  }

  /// Where a write notes the paths it is about to move, until the working tree follows.
  var journalPath: String { gitDirectory + "tack-worktree-journal" }

  /// The paths whose file or index entry lags behind `tip` without anybody having edited them:
  /// the file is the committed version (only the index lags), or the file still equals the
  /// index entry (both lag).
  func behindPaths(_ paths: [String], tip: Tree, workdir: String) throws(GitError) -> [String] {
    var behind: [String] = []
    for (path, staged) in zip(paths, try stagedIDs(paths)) {
      let committed = try tip.entryID(at: path)
      let onDisk = try LocalFile.read(workdir + path).map { (bytes) throws(GitError) in
        try Repository.blobID(of: bytes)
      }
      if staged == committed && onDisk == committed { continue }
      if onDisk == committed || onDisk == staged { behind.append(path) }
    }
    return behind
  }

  /// Brings the checked-out files and the index in line with a commit that changed `changes`.
  func syncWorktree(_ workdir: String, with changes: [FileChange]) throws(GitError) {
    for change in changes {
      if let content = change.content {
        try LocalFile.writeAtomically(workdir + change.path, content)
      } else {
        LocalFile.remove(workdir + change.path, pruningUpTo: workdir)
      }
    }
    // Plain git may hold index.lock for a moment: the commit has landed, so wait for it.
    var attempt = 0
    while true {
      let code = try writeIndex(changes, workdir: workdir)
      if code == 0 { return }
      attempt += 1
      if code != GIT_ELOCKED.rawValue || attempt > 500 { try check("write the index", code) }
      usleep(20_000)
    }
  }

  /// The index file of this working tree.
  private var indexPath: String { gitDirectory + "index" }

  /// The blob ids the index holds (stage 0) for `paths`, read by Tack (CLibGit2/index_file.c)
  /// or, for an index it leaves to libgit2, by libgit2.
  private func stagedIDs(_ paths: [String]) throws(GitError) -> [OID?] {
    var ids = [git_oid](repeating: git_oid(), count: paths.count)
    var found = [Int32](repeating: 0, count: paths.count)
    let strings = paths.map { strdup($0) }
    defer { for string in strings { free(string) } }
    var pointers = strings.map { UnsafePointer($0) }
    let code = tack_index_lookup(indexPath, &pointers, paths.count, &ids, &found, nil)
    if code == 0 { return paths.indices.map { found[$0] != 0 ? OID(ids[$0]) : nil } }
    if code < 0 { try check("read the index", code) }
    let index = try openIndex()
    defer { git_index_free(index) }
    return paths.map { git_index_get_bypath(index, $0, 0).map { OID($0.pointee.id) } }
  }

  /// Records `changes`, whose files are written, in the index: patched in place by Tack
  /// (CLibGit2/index_file.c), which rewrites the 1.3 MB index of a 10k-task board in about
  /// a millisecond where libgit2's writer took 8 ms; an index Tack leaves to libgit2 is
  /// written by libgit2. 0, or the libgit2 code of the failure (`GIT_ELOCKED`: index.lock
  /// is taken).
  private func writeIndex(_ changes: [FileChange], workdir: String) throws(GitError) -> Int32 {
    var records: [tack_index_change] = []
    let strings = changes.map { strdup($0.path) }
    defer { for string in strings { free(string) } }
    for (change, path) in zip(changes, strings) {
      var record = tack_index_change()
      record.path = UnsafePointer(path)
      if let content = change.content {
        record.id = try Repository.blobID(of: content).raw
        guard lstat(workdir + change.path, &record.info) == 0 else {
          throw LocalFile.posixError("lstat", workdir + change.path)
        }
      } else {
        record.remove = 1
      }
      records.append(record)
    }
    let code = tack_index_update(pointer, indexPath, &records, records.count)
    lastIndexWriter = code == 1 ? .libgit2 : .tack
    guard code == 1 else { return code }
    let index = try openIndex()
    defer { git_index_free(index) }
    for change in changes {
      if change.content != nil {
        try check("git_index_add_bypath", git_index_add_bypath(index, change.path))
      } else {
        let code = git_index_remove_bypath(index, change.path)
        if code != GIT_ENOTFOUND.rawValue { try check("git_index_remove_bypath", code) }
      }
    }
    return git_index_write(index)
  }

  private func openIndex() throws(GitError) -> OpaquePointer {
    var index: OpaquePointer?
    try check("git_repository_index", git_repository_index(&index, pointer))
    let code = git_index_read(index, 0)
    if code < 0 {
      git_index_free(index)
      try check("git_index_read", code)
    }
    return index!
  }
}
