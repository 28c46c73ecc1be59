internal import CLibGit2

/// An object that the history of a branch needs and the repository does not have (or cannot
/// read).
public struct MissingObject: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable { case commit, tree, blob }
  public var id: OID
  public var kind: Kind
  /// The commit whose history needs it (for a commit: the child that names it as a parent).
  public var neededBy: OID?
  /// Where the object sits in that commit's tree ("" for a root tree or a commit).
  public var path: String

  public var description: String {
    let place = path.isEmpty ? "" : " (\(path))"
    let owner = neededBy.map { kind == .commit ? ", parent of \($0.hex)" : " of commit \($0.hex)" }
    return "\(kind.rawValue) \(id.hex)\(place)\(owner ?? "") is missing or unreadable"
  }
}

extension Repository {
  /// Checks that everything the history of `tip` needs is there: every commit reachable from
  /// it (stopping at the cut of a shallow clone), every tree of those commits and every blob
  /// they name — what `git fsck --connectivity-only` checks for one branch. Trees are read
  /// (parsed), blobs only looked up; each object once. Returns the first `limit` objects found
  /// missing; an empty list means the history is whole.
  public func missingObjects(from tip: OID, limit: Int = 20) throws(GitError) -> [MissingObject] {
    let missing = try walkForMissingObjects(from: tip, limit: limit)
    guard !missing.isEmpty else { return [] }
    // A fold in another process may have replaced a pack while the walk read it: look again
    // with a fresh view of the pack folder before calling the history damaged.
    reopenObjects()
    return try walkForMissingObjects(from: tip, limit: limit)
  }

  private func walkForMissingObjects(
    from tip: OID, limit: Int
  ) throws(GitError) -> [MissingObject] {
    let cut = shallowCommits()
    var odb: OpaquePointer?
    try check("git_repository_odb", git_repository_odb(&odb, pointer))
    defer { git_odb_free(odb) }
    var missing: [MissingObject] = []
    var seenCommits: Set<OID> = [tip]
    var seenObjects: Set<OID> = []
    var commits: [(id: OID, child: OID?)] = [(tip, nil)]
    while let (id, child) = commits.popLast(), missing.count < limit {
      var raw = id.raw
      var commit: OpaquePointer?
      guard git_commit_lookup(&commit, pointer, &raw) == 0 else {
        missing.append(MissingObject(id: id, kind: .commit, neededBy: child, path: ""))
        continue
      }
      defer { git_commit_free(commit) }
      if !cut.contains(id) {
        for slot in 0..<git_commit_parentcount(commit) {
          guard let parent = git_commit_parent_id(commit, slot).map(OID.init) else { continue }
          if seenCommits.insert(parent).inserted { commits.append((parent, id)) }
        }
      }
      let root = OID(git_commit_tree_id(commit))
      guard seenObjects.insert(root).inserted else { continue }
      var trees: [(id: OID, path: String)] = [(root, "")]
      while let (treeID, path) = trees.popLast(), missing.count < limit {
        var rawTree = treeID.raw
        var tree: OpaquePointer?
        guard git_tree_lookup(&tree, pointer, &rawTree) == 0 else {
          missing.append(MissingObject(id: treeID, kind: .tree, neededBy: id, path: path))
          continue
        }
        defer { git_tree_free(tree) }
        for index in 0..<git_tree_entrycount(tree) {
          guard let entry = git_tree_entry_byindex(tree, index) else { continue }
          let entryID = OID(git_tree_entry_id(entry))
          guard seenObjects.insert(entryID).inserted else { continue }
          let name = String(cString: git_tree_entry_name(entry))
          let entryPath = path.isEmpty ? name : path + "/" + name
          switch git_tree_entry_type(entry) {
          case GIT_OBJECT_TREE:
            trees.append((entryID, entryPath))
          case GIT_OBJECT_BLOB:
            var rawBlob = entryID.raw
            if git_odb_exists(odb, &rawBlob) != 1 {
              missing.append(MissingObject(id: entryID, kind: .blob, neededBy: id, path: entryPath))
            }
          default:
            continue  // a submodule's commit lives in another repository
          }
        }
      }
    }
    return Array(missing.prefix(limit))
  }
}
