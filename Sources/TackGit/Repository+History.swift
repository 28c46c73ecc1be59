internal import CLibGit2

/// One commit in the history of a path.
public struct PathChange: Sendable {
  public var commit: OID
  public var author: Signature
  public var committer: Signature
  public var message: String
  /// The file's blob in this commit (`nil` when the commit deleted it).
  public var blob: OID?
  /// The file's blob in the first parent (`nil` when the commit created it).
  public var previousBlob: OID?
}

extension Repository {
  /// The commits reachable from `tip` that changed the file at `path`, newest first. A merge
  /// counts only when the file differs from every parent (git log's default simplification).
  public func history(
    of path: String, from tip: OID, limit: Int? = nil
  ) throws(GitError)
    -> [PathChange]
  {
    var walk: OpaquePointer?
    try check("git_revwalk_new", git_revwalk_new(&walk, pointer))
    defer { git_revwalk_free(walk) }
    try check(
      "git_revwalk_sorting",
      git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue))
    var start = tip.raw
    try check("git_revwalk_push", git_revwalk_push(walk, &start))

    var changes: [PathChange] = []
    var raw = git_oid()
    while true {
      let next = git_revwalk_next(&raw, walk)
      if next == GIT_ITEROVER.rawValue { break }
      try check("git_revwalk_next", next)
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      let blob = try entry(at: path, inTreeOf: commit!)
      let parentCount = git_commit_parentcount(commit)
      var parentBlobs: [OID?] = []
      for index in 0..<parentCount {
        var parent: OpaquePointer?
        try check("git_commit_parent", git_commit_parent(&parent, commit, index))
        defer { git_commit_free(parent) }
        parentBlobs.append(try entry(at: path, inTreeOf: parent!))
      }
      let changed =
        parentBlobs.isEmpty ? blob != nil : parentBlobs.allSatisfy { $0 != blob }
      guard changed else { continue }
      changes.append(
        PathChange(
          commit: OID(raw), author: signature(git_commit_author(commit)),
          committer: signature(git_commit_committer(commit)),
          message: String(cString: git_commit_message(commit)), blob: blob,
          previousBlob: parentBlobs.first ?? nil))
      if let limit, changes.count >= limit { break }
    }
    return changes
  }

  private func entry(at path: String, inTreeOf commit: OpaquePointer) throws(GitError) -> OID? {
    var tree: OpaquePointer?
    try check("git_commit_tree", git_commit_tree(&tree, commit))
    return try Tree(pointer: tree!, repository: self).entryID(at: path)
  }

  private func signature(_ raw: UnsafePointer<git_signature>?) -> Signature {
    guard let raw else { return Signature(name: "", email: "") }
    return Signature(
      name: String(cString: raw.pointee.name), email: String(cString: raw.pointee.email),
      time: Int64(raw.pointee.when.time), offsetMinutes: raw.pointee.when.offset)
  }
}
