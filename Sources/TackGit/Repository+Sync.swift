internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A path both sides changed, with the three versions (`nil`: absent on that side).
public struct MergeConflict: Sendable {
  public var path: String
  public var ancestor: [UInt8]?
  public var ours: [UInt8]?
  public var theirs: [UInt8]?
}

/// A three-way merge of two commits: what the clean paths need changed on top of ours, and
/// the paths both sides changed.
public struct TreeMerge: Sendable {
  public var changes: [FileChange]
  public var conflicts: [MergeConflict]

  public init(changes: [FileChange], conflicts: [MergeConflict]) {
    self.changes = changes
    self.conflicts = conflicts
  }
}

extension Repository {
  /// Fetches `branch` (`refs/heads/NAME`) from `remote` into `refs/remotes/<remote>/NAME`
  /// and returns that commit (`nil` when the remote has no such branch). SSH remotes
  /// authenticate through the ssh agent.
  public func fetch(remote name: String, branch: String) throws(GitError) -> OID? {
    try clearingDeadLocks { () throws(GitError) in try fetchOnce(remote: name, branch: branch) }
  }

  private func fetchOnce(remote name: String, branch: String) throws(GitError) -> OID? {
    let remote = try lookupRemote(name)
    defer { git_remote_free(remote) }
    var options = git_fetch_options()
    try check(
      "git_fetch_options_init", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
    options.callbacks.credentials = agentCredentials
    let short = String(branch.dropFirst("refs/heads/".count))
    let tracking = "refs/remotes/\(name)/\(short)"
    let refspec = strdup("+\(branch):\(tracking)")
    defer { free(refspec) }
    var strings: [UnsafeMutablePointer<CChar>?] = [refspec]
    let code = strings.withUnsafeMutableBufferPointer { buffer in
      var array = git_strarray(strings: buffer.baseAddress, count: 1)
      return git_remote_fetch(remote, &array, &options, "tack sync: fetch")
    }
    try check("git_remote_fetch", code)
    return try tip(of: tracking)
  }

  /// Pushes `branch` to the same branch on `remote`, never forced: the remote branch moves
  /// only if it still points at `expected` (what the last fetch saw). Returns `false` when
  /// it moved on meanwhile (fetch, merge and try again).
  public func push(remote name: String, branch: String, expected: OID?) throws(GitError) -> Bool {
    try clearingDeadLocks { () throws(GitError) in
      try pushOnce(remote: name, branch: branch, expected: expected)
    }
  }

  private func pushOnce(
    remote name: String, branch: String, expected: OID?
  ) throws(GitError) -> Bool {
    let remote = try lookupRemote(name)
    defer { git_remote_free(remote) }
    if let path = git_remote_url(remote).flatMap({ Self.localPath(String(cString: $0)) }) {
      return try pushLocally(to: path, remote: remote, branch: branch, expected: expected)
    }
    return try pushOverTransport(remote, branch: branch)
  }

  /// libgit2's local transport updates the remote's refs without checking their old value,
  /// so for a remote on this machine the objects go through a temporary ref and the branch
  /// moves by compare-and-swap in the remote repository itself.
  private func pushLocally(
    to path: String, remote: OpaquePointer, branch: String, expected: OID?
  )
    throws(GitError) -> Bool
  {
    guard let ours = try tip(of: branch) else { return true }
    let staging = "refs/tack/sync-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = try pushOverTransport(remote, branch: branch, destination: staging)
    let target = try Repository.discover(from: path)
    defer {
      var ref: OpaquePointer?
      if git_reference_lookup(&ref, target.pointer, staging) == 0 {
        git_reference_delete(ref)
        git_reference_free(ref)
      }
    }
    var new = ours.raw
    var ref: OpaquePointer?
    let code: Int32
    if let expected {
      var old = expected.raw
      code = git_reference_create_matching(
        &ref, target.pointer, branch, &new, 1, &old, "tack sync: push")
    } else {
      code = git_reference_create(&ref, target.pointer, branch, &new, 0, "tack sync: push")
    }
    git_reference_free(ref)
    if code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue
      || code == GIT_ELOCKED.rawValue
    {
      return false
    }
    try check("git_reference_create_matching", code)
    return true
  }

  /// Runs `body`; when a lock file is in the way (a sync killed mid-fetch or mid-push leaves
  /// one), waits until it is old enough to be dead, removes it, and runs `body` again.
  private func clearingDeadLocks<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var waited = 0
    while true {
      do {
        return try body()
      } catch let error {
        guard error.kind == .locked || error.message.contains(".lock"),
          let path = Self.lockPath(in: error.message), waited < 15
        else { throw error }
        if let cleared = LocalFile.removeIfStale(path, olderThan: Self.staleLockSeconds) {
          writeWarning = cleared
          continue
        }
        usleep(500_000)
        waited += 1
      }
    }
  }

  /// The `….lock` path libgit2 names in a "failed to lock file '…'" message.
  static func lockPath(in message: String) -> String? {
    let parts = message.split(separator: "'", omittingEmptySubsequences: false)
    return parts.first { $0.hasSuffix(".lock") }.map(String.init)
  }

  /// A remote URL that names a repository on this machine: a path or a file:// URL.
  static func localPath(_ url: String) -> String? {
    if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)) }
    if url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../") { return url }
    return url.contains(":") ? nil : url
  }

  private func pushOverTransport(
    _ remote: OpaquePointer?, branch: String, destination: String? = nil
  )
    throws(GitError) -> Bool
  {
    var options = git_push_options()
    try check(
      "git_push_options_init", git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)))
    options.callbacks.credentials = agentCredentials
    options.callbacks.push_update_reference = { _, status, payload in
      // A refused update arrives here with a message; remember it in the payload.
      if status != nil, let payload { payload.assumingMemoryBound(to: Bool.self).pointee = true }
      return 0
    }
    var rejected = false
    let refspec = strdup("\(branch):\(destination ?? branch)")
    defer { free(refspec) }
    var strings: [UnsafeMutablePointer<CChar>?] = [refspec]
    let code = withUnsafeMutablePointer(to: &rejected) { flag in
      options.callbacks.payload = UnsafeMutableRawPointer(flag)
      return strings.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: 1)
        return git_remote_push(remote, &array, &options)
      }
    }
    if code == GIT_ENONFASTFORWARD.rawValue { return false }
    try check("git_remote_push", code)
    return !rejected
  }

  /// Whether `ancestor` is `descendant` or one of its ancestors.
  public func isAncestor(_ ancestor: OID, of descendant: OID) throws(GitError) -> Bool {
    if ancestor == descendant { return true }
    var a = ancestor.raw
    var d = descendant.raw
    let code = git_graph_descendant_of(pointer, &d, &a)
    try check("git_graph_descendant_of", code)
    return code == 1
  }

  /// Merges `theirs` into `ours` in memory (no working tree, no index file).
  public func merge(ours: OID, theirs: OID) throws(GitError) -> TreeMerge {
    var ourCommit: OpaquePointer?
    var theirCommit: OpaquePointer?
    var ourRaw = ours.raw
    var theirRaw = theirs.raw
    try check("git_commit_lookup", git_commit_lookup(&ourCommit, pointer, &ourRaw))
    defer { git_commit_free(ourCommit) }
    try check("git_commit_lookup", git_commit_lookup(&theirCommit, pointer, &theirRaw))
    defer { git_commit_free(theirCommit) }
    var index: OpaquePointer?
    try check("git_merge_commits", git_merge_commits(&index, pointer, ourCommit, theirCommit, nil))
    defer { git_index_free(index) }

    var conflicts: [MergeConflict] = []
    var iterator: OpaquePointer?
    try check("git_index_conflict_iterator_new", git_index_conflict_iterator_new(&iterator, index))
    defer { git_index_conflict_iterator_free(iterator) }
    var ancestor: UnsafePointer<git_index_entry>?
    var our: UnsafePointer<git_index_entry>?
    var their: UnsafePointer<git_index_entry>?
    while true {
      let code = git_index_conflict_next(&ancestor, &our, &their, iterator)
      if code == GIT_ITEROVER.rawValue { break }
      try check("git_index_conflict_next", code)
      guard let path = (our ?? their ?? ancestor).map({ String(cString: $0.pointee.path) }) else {
        continue
      }
      conflicts.append(
        MergeConflict(
          path: path,
          ancestor: try ancestor.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) },
          ours: try our.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) },
          theirs: try their.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) }))
    }

    // Clean paths: every stage-0 entry that differs from our tree, and what ours has that
    // the merge dropped.
    let ourTree = try tree(ofCommit: ours)
    let conflicted = Set(conflicts.map(\.path))
    var changes: [FileChange] = []
    var merged = Set<String>()
    for position in 0..<git_index_entrycount(index) {
      guard let entry = git_index_get_byindex(index, position) else { continue }
      let path = String(cString: entry.pointee.path)
      guard !conflicted.contains(path) else { continue }
      merged.insert(path)
      let id = OID(entry.pointee.id)
      if try ourTree.entryID(at: path) != id {
        changes.append(FileChange(path: path, content: try blob(id)))
      }
    }
    for file in try ourTree.blobs(under: "")
    where !merged.contains(file.path) && !conflicted.contains(file.path) {
      changes.append(FileChange(path: file.path, content: nil))
    }
    return TreeMerge(changes: changes, conflicts: conflicts)
  }

  private func lookupRemote(_ name: String) throws(GitError) -> OpaquePointer {
    var remote: OpaquePointer?
    let code = git_remote_lookup(&remote, pointer, name)
    if code == GIT_ENOTFOUND.rawValue {
      throw GitError(
        kind: .notFound, code: code, call: "git_remote_lookup", message: "no remote named \(name)")
    }
    try check("git_remote_lookup", code)
    return remote!
  }
}

/// SSH through the agent; other kinds of credentials are not offered (libgit2 has no
/// credential helper), so such remotes fail with libgit2's authentication error.
private let agentCredentials: git_credential_acquire_cb = { out, _, username, allowed, _ in
  guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
  if let username { return git_credential_ssh_key_from_agent(out, username) }
  return git_credential_ssh_key_from_agent(out, "git")
}
