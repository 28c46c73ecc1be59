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
  /// The commits reachable from `tip` that changed the file at `path`, newest first, in the
  /// order of a topological + time revwalk. A merge counts only when the file differs from
  /// every parent (git log's default simplification).
  ///
  /// With `index`, paths below its folder are answered from the history index kept in the
  /// cache directory (see `historyIndex`), which reads only the commits that changed the path
  /// and those made since the index was last brought up to date; the answer is the same.
  public func history(
    of path: String, from tip: OID, limit: Int? = nil, index: HistoryIndexKey? = nil
  ) throws(GitError) -> [PathChange] {
    // Read-only: run again whole when a fold elsewhere moved a commit it was reading.
    try retryingVanishedPacks { () throws(GitError) in
      guard let index else { return try walkHistory(of: path, from: tip, limit: limit) }
      return try indexedHistory(
        of: path, from: tip, limit: limit, key: index, cacheFolder: cacheDirectory)
    }
  }

  /// `history` through the index kept in `cacheFolder` (`nil`: none, walk every commit).
  func indexedHistory(
    of path: String, from tip: OID, limit: Int?, key: HistoryIndexKey, cacheFolder: String?
  ) throws(GitError) -> [PathChange] {
    if cacheFolder != nil,
      let changes = try historyFromIndex(
        of: path, from: tip, limit: limit, key: key, cacheFolder: cacheFolder)
    {
      return changes
    }
    return try walkHistory(of: path, from: tip, limit: limit)
  }

  /// The answer from the index, or `nil` when it cannot give one: a path outside its folder,
  /// a path that was a folder (the index records files), an index that cannot be built.
  func historyFromIndex(
    of path: String, from tip: OID, limit: Int?, key: HistoryIndexKey, cacheFolder: String?
  ) throws(GitError) -> [PathChange]? {
    guard Self.isIndexable(path, below: key.folderComponents),
      let (index, position) = try? historyIndex(key, covering: tip, cacheFolder: cacheFolder),
      let (positions, wasFolder) = index.lookup(Array(path.utf8)), !wasFolder
    else { return nil }
    guard let order = index.walkOrder(from: position, wanted: positions, limit: limit) else {
      // Its graph does not decode: let the next lookup build the index again.
      discardHistoryIndex(key, cacheFolder: cacheFolder)
      return nil
    }
    var changes: [PathChange] = []
    for position in order {
      guard let commit = commit(at: position, in: index) else { return nil }
      defer { git_commit_free(commit) }
      // A path sharing the hash of another, or (never expected) an index that disagrees with
      // the commit: the walk is the reference.
      guard let change = try change(to: path, in: commit) else { return nil }
      changes.append(change)
    }
    return changes
  }

  /// Whether the index can answer for `path`: a plain path (no empty parts) below `folder`.
  private static func isIndexable(_ path: String, below folder: [String]) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    return parts.count > folder.count && !parts.contains { $0.isEmpty }
      && zip(parts, folder).allSatisfy { $0 == $1 }
  }

  /// The reference implementation: a revwalk from `tip` that compares the path's entry in
  /// every commit with its parents'. Reads every commit; used for paths the index does not
  /// cover and when there is no place to keep it.
  func walkHistory(of path: String, from tip: OID, limit: Int?) throws(GitError) -> [PathChange] {
    var changes: [PathChange] = []
    try revwalk(from: tip) { (id) throws(GitError) in
      var raw = id.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      if let change = try change(to: path, in: commit!) { changes.append(change) }
      return limit.map { changes.count < $0 } ?? true
    }
    return changes
  }

  /// Hands `body` each commit reachable from `tip`, in libgit2's topological + time order
  /// (`git log`'s), until it returns `false`.
  func revwalk(from tip: OID, _ body: (OID) throws(GitError) -> Bool) throws(GitError) {
    let cut = shallowCommits()
    guard cut.isEmpty else { return try shallowWalk(from: tip, cutAt: cut, body) }
    var walk: OpaquePointer?
    try check("git_revwalk_new", git_revwalk_new(&walk, pointer))
    defer { git_revwalk_free(walk) }
    try check(
      "git_revwalk_sorting",
      git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue))
    var start = tip.raw
    try check("git_revwalk_push", git_revwalk_push(walk, &start))
    var raw = git_oid()
    while true {
      let next = git_revwalk_next(&raw, walk)
      if next == GIT_ITEROVER.rawValue { return }
      try check("git_revwalk_next", next)
      guard try body(OID(raw)) else { return }
    }
  }

  /// What `commit` did to `path`, or `nil` when it did not change it: its entry there differs
  /// from every parent's (a root commit: it exists). In a shallow clone, a commit at the cut
  /// counts as a root, as `git log` shows it.
  private func change(to path: String, in commit: OpaquePointer) throws(GitError) -> PathChange? {
    let blob = try entry(at: path, inTreeOf: commit)
    let isCut =
      git_repository_is_shallow(pointer) == 1
      && shallowCommits().contains(OID(git_commit_id(commit)))
    let parentCount = isCut ? 0 : git_commit_parentcount(commit)
    var parentBlobs: [OID?] = []
    for index in 0..<parentCount {
      var parent: OpaquePointer?
      try check("git_commit_parent", git_commit_parent(&parent, commit, index))
      defer { git_commit_free(parent) }
      parentBlobs.append(try entry(at: path, inTreeOf: parent!))
    }
    let changed = parentBlobs.isEmpty ? blob != nil : parentBlobs.allSatisfy { $0 != blob }
    guard changed else { return nil }
    return PathChange(
      commit: OID(git_commit_id(commit)), author: signature(git_commit_author(commit)),
      committer: signature(git_commit_committer(commit)),
      message: String(cString: git_commit_message(commit)), blob: blob,
      previousBlob: parentBlobs.first ?? nil)
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

extension Repository {
  /// A revwalk of a shallow clone. libgit2 1.5 does not read the `shallow` file, so its walk
  /// fails at the first missing parent: this one collects the commits `tip` reaches, stopping
  /// at the cut, and orders them as libgit2's topological + time sort does
  /// (`HistoryIndex.Graph.walkOrder`).
  private func shallowWalk(
    from tip: OID, cutAt cut: Set<OID>, _ body: (OID) throws(GitError) -> Bool
  ) throws(GitError) {
    var positions: [OID: Int32] = [:]
    var ids: [OID] = []
    var times: [Int64] = []
    var parentIDs: [[OID]] = []
    var pending = [tip]
    while let id = pending.popLast() {
      guard positions[id] == nil else { continue }
      positions[id] = Int32(ids.count)
      var raw = id.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      let parents =
        cut.contains(id)
        ? []
        : (0..<git_commit_parentcount(commit)).compactMap { git_commit_parent_id(commit, $0) }
          .map(OID.init)
      ids.append(id)
      times.append(Int64(git_commit_time(commit)))
      parentIDs.append(parents)
      pending += parents.reversed()
    }
    var starts: [Int32] = [0]
    var parents: [Int32] = []
    for list in parentIDs {
      parents += list.map { positions[$0]! }
      starts.append(Int32(parents.count))
    }
    let graph = HistoryIndex.Graph(times: times, starts: starts, parents: parents)
    for position in graph.walkOrder(from: 0) {
      guard try body(ids[Int(position)]) else { return }
    }
  }
}
