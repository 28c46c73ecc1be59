internal import CLibGit2

/// Finds commits in a history index, for a walk that may ask many times: by whole id where
/// the index has it; otherwise by id prefix (from a table, once asked more than a few times),
/// confirmed by the commit's time and its parents' prefixes.
struct IndexedCommits {
  let index: HistoryIndex
  private var graph: HistoryIndex.Graph?
  private var byPrefix: [UInt64: [Int32]]?
  private var asked = 0

  init(_ index: HistoryIndex) { self.index = index }

  mutating func position(of id: OID, in repository: Repository) throws(GitError) -> Int32? {
    if let position = index.certainPosition(of: id) { return position }
    asked += 1
    if byPrefix == nil && asked > 8 { byPrefix = index.basePrefixTable() }
    let candidates =
      byPrefix.map { $0[HistoryIndex.prefixKey(HistoryIndex.prefix(of: id))] ?? [] }
      ?? index.baseCandidates(for: id)
    guard !candidates.isEmpty else { return nil }
    if graph == nil { graph = index.graph() }
    // Answering "not indexed" here would index the commit a second time: fail instead.
    guard let graph else {
      throw GitError(kind: .other, call: "history index", message: "the commit graph is unreadable")
    }
    var raw = id.raw
    var commit: OpaquePointer?
    try check("git_commit_lookup", git_commit_lookup(&commit, repository.pointer, &raw))
    defer { git_commit_free(commit) }
    return candidates.first { position in
      let parents = graph.parents(of: position)
      guard Int64(git_commit_time(commit)) == graph.times[Int(position)],
        Int(git_commit_parentcount(commit)) == parents.count
      else { return false }
      return parents.enumerated().allSatisfy { slot, parent in
        HistoryIndex.prefix(of: OID(git_commit_parent_id(commit, UInt32(slot))))
          == index.prefix(at: parent)
      }
    }
  }
}
