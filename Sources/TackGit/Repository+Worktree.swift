internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Repository {
  /// Refuses a write that would overwrite a checked-out file (or index entry) that differs
  /// from the committed version: those are somebody's uncommitted edits.
  func ensureUnmodified(_ paths: [String], base: Tree?, workdir: String) throws(GitError) {
    let index = try openIndex()
    defer { git_index_free(index) }
    for path in paths {
      let committed = try base?.entryID(at: path)
      let staged = git_index_get_bypath(index, path, 0).map { OID($0.pointee.id) }
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
    let index = try openIndex()
    defer { git_index_free(index) }
    var behind: [String] = []
    for path in paths {
      let committed = try tip.entryID(at: path)
      let staged = git_index_get_bypath(index, path, 0).map { OID($0.pointee.id) }
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
    // Plain git may hold index.lock for a moment, and a killed writer may have left one
    // behind: the commit has landed, so wait until it is released or stale (and removed).
    var attempt = 0
    while true {
      let code = git_index_write(index)
      if code == 0 { return }
      attempt += 1
      if code != GIT_ELOCKED.rawValue || attempt > Self.staleLockSeconds * 50 + 25 {
        try check("git_index_write", code)
      }
      if let cleared = LocalFile.removeIfStale(
        gitDirectory + "index.lock", olderThan: Self.staleLockSeconds)
      {
        writeWarning = cleared
        continue
      }
      usleep(20_000)
    }
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
