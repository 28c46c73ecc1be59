internal import CLibGit2

extension Repository {
  /// Past this many chunks the file is rewritten as one (fewer tips to hide, less to read).
  static let historyChunkLimit = 16

  /// The history index for `key`, brought up to date for `tip`, and the position of `tip` in
  /// it. Read from its cache file in `cacheFolder`; commits the file does not cover yet are
  /// walked (only those) and appended as one chunk. A file that is missing, of another format
  /// or unreadable is rebuilt from a walk of everything. Writing the file may fail (read-only
  /// repository): the index still answers, it is only computed again next time.
  func historyIndex(
    _ key: HistoryIndexKey, covering tip: OID, cacheFolder: String?
  )
    throws(GitError) -> (index: HistoryIndex, tip: Int32)
  {
    let folder = key.folderComponents
    let file = cacheFolder.map {
      CacheFile(path: $0 + key.fileName, format: HistoryIndex.format)
    }
    // The index decodes chunks as arrays: copied out of the mapped file (well under a MiB).
    let (stored, ranges, damaged) = file?.read() ?? (Bytes(copying: []), [], false)
    let chunks = ranges.map { ArraySlice(stored[$0]) }
    if let first = chunks.first,
      var index = HistoryIndex(base: first, folder: folder.joined(separator: "/"))
    {
      var read = 1
      for chunk in chunks.dropFirst() {
        guard index.apply(chunk) else { break }
        read += 1
      }
      let intact = !damaged && read == chunks.count
      if let position = try? position(of: tip, in: index) {
        if index.orderedTip == nil && index.tips.last?.position == position,
          let whole = index.compacted(
            from: position, tipID: tip, generation: .random(in: .min ... .max))
        {
          // Chunks appended side by side by two processes: order the file again, once.
          _ = try? file?.replace(with: [whole])
        } else if !intact {
          _ = try? file?.replace(with: chunks.prefix(read).map { Array($0) })
        }
        return (index, position)
      }
      let before = index.count
      if let chunk = try? historyChunk(
        from: tip, folder: folder, generation: index.generation, extending: index),
        index.apply(chunk[...]), let position = index.tips.last?.position
      {
        // A line of new commits on top of the last tip is appended. Anything else (a merge, a
        // rewrite), a file damaged or long, or more new commits than old ones: the file is
        // rewritten, in walk order from this tip, with what it can reach.
        if intact && index.orderedTip?.position == position
          && index.chunkCount <= Self.historyChunkLimit && index.count - before <= before
        {
          _ = try? file?.append(chunk)
        } else if let whole = index.compacted(
          from: position, tipID: tip, generation: .random(in: .min ... .max))
        {
          _ = try? file?.replace(with: [whole])
        }
        return (index, position)
      }
      // The tips it covers are gone (history rewritten and collected), or the tip could not
      // be told from another commit: start again.
    }
    let chunk = try historyChunk(
      from: tip, folder: folder, generation: .random(in: .min ... .max), extending: nil)
    guard let index = HistoryIndex(base: chunk[...], folder: folder.joined(separator: "/")) else {
      throw GitError(
        kind: .other, call: "history index", message: "the index built does not read back")
    }
    _ = try? file?.replace(with: [chunk])
    return (index, 0)
  }

  /// Empties the index's cache file (the next lookup builds it again).
  func discardHistoryIndex(_ key: HistoryIndexKey, cacheFolder: String?) {
    guard let cacheFolder else { return }
    _ = try? CacheFile(path: cacheFolder + key.fileName, format: HistoryIndex.format).replace(
      with: [])
  }

  /// The position of the commit `id` in `index`, or `nil` when it is not there.
  func position(of id: OID, in index: HistoryIndex) throws(GitError) -> Int32? {
    var known = IndexedCommits(index)
    return try known.position(of: id, in: self)
  }

  /// Looks up the indexed commit at `position`: by its whole id, or by its prefix, which
  /// libgit2 resolves only when exactly one object has it. `nil` when that fails.
  func commit(at position: Int32, in index: HistoryIndex) -> OpaquePointer? {
    var commit: OpaquePointer?
    if let id = index.fullID(at: position) {
      var raw = id.raw
      return git_commit_lookup(&commit, pointer, &raw) == 0 ? commit : nil
    }
    var raw = git_oid()
    withUnsafeMutableBytes(of: &raw.id) { $0.copyBytes(from: index.prefix(at: position)) }
    let length = HistoryIndex.Chunk.prefixWidth * 2
    return git_commit_lookup_prefix(&commit, pointer, &raw, length) == 0 ? commit : nil
  }

  /// A chunk with the commits reachable from `tip` that `index` does not hold (all of them
  /// without an index), each with the paths it changed below `folder`.
  func historyChunk(
    from tip: OID, folder: [String], generation: UInt64, extending index: HistoryIndex?
  ) throws(GitError) -> [UInt8] {
    var ids: [OID]
    var numbers: [OID: Int32] = [:]
    if let index {
      (ids, numbers) = try newCommits(from: tip, notIn: index)
    } else {
      ids = try walk(from: tip)
    }
    let baseCount = Int32(index?.count ?? 0)
    for (local, id) in ids.enumerated() { numbers[id] = baseCount + Int32(local) }
    var chunk = HistoryIndex.Chunk(
      generation: generation, folder: folder.joined(separator: "/"), tip: tip,
      baseCount: baseCount)
    for (local, id) in ids.enumerated() {
      var raw = id.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      var parents: [Int32] = []
      for slot in 0..<git_commit_parentcount(commit) {
        let parent = OID(git_commit_parent_id(commit, slot))
        guard let number = numbers[parent] else {
          throw GitError(
            kind: .notFound, call: "history index",
            message: "parent \(parent) of \(id) is neither walked nor indexed")
        }
        parents.append(number)
      }
      chunk.add(id: id, time: Int64(git_commit_time(commit)), parents: parents)
      let changes = try ChangedPaths(commit: commit!, folder: folder, repository: pointer)
      for path in changes.leaves { chunk.record(path, changedBy: baseCount + Int32(local)) }
      for path in changes.folders { chunk.recordFolder(path) }
    }
    // Each new commit's only parent is the next, and the last one's is the ordered tip:
    // the walk from `tip` is these, then the walk from that tip.
    if let ordered = index?.orderedTip, !ids.isEmpty,
      (0..<ids.count).allSatisfy({ local in
        chunk.parents(local).elementsEqual(
          [local + 1 < ids.count ? baseCount + Int32(local) + 1 : ordered.position])
      })
    {
      chunk.extends = ordered.id
    }
    return chunk.encoded()
  }

  /// Every commit reachable from `tip`, in the order of libgit2's topological + time revwalk.
  private func walk(from tip: OID) throws(GitError) -> [OID] {
    var ids: [OID] = []
    try revwalk(from: tip) { (id) throws(GitError) in
      ids.append(id)
      return true
    }
    return ids
  }

  /// The commits reachable from `tip` (which `index` does not hold) that `index` does not
  /// hold, found by following parents until indexed commits, `tip` first (so a line of
  /// commits comes in line order); and the positions of the indexed parents met. Not a
  /// revwalk hiding the indexed tips: with clock skew, libgit2 would read far down the
  /// hidden history before deciding what to leave out.
  private func newCommits(
    from tip: OID, notIn index: HistoryIndex
  ) throws(GitError) -> (
    ids: [OID], known: [OID: Int32]
  ) {
    var indexed = IndexedCommits(index)
    var ids: [OID] = []
    var known: [OID: Int32] = [:]
    var seen: Set<OID> = [tip]
    var stack = [tip]
    while let id = stack.popLast() {
      ids.append(id)
      var raw = id.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      // Last parent pushed first, so the first parent is followed first.
      for slot in (0..<git_commit_parentcount(commit)).reversed() {
        let parent = OID(git_commit_parent_id(commit, slot))
        guard seen.insert(parent).inserted else { continue }
        if let position = try indexed.position(of: parent, in: self) {
          known[parent] = position
        } else {
          stack.append(parent)
        }
      }
    }
    return (ids, known)
  }
}
