internal import CLibGit2

/// Puts objects into a `git_packbuilder` under the path each tree and blob sits at, as
/// `git pack-objects` does. libgit2 sorts delta candidates by a hash of that name, then by
/// size, and tries each against the 10 before it: with names, the versions of one file or
/// folder sit side by side and become small deltas of each other. Without one (and
/// `git_packbuilder_insert_walk` gives trees none) a tree's neighbours are other folders'
/// trees of the same size, which share nothing with it, and it is stored whole.
struct PackInserter {
  private let builder: OpaquePointer?
  private let repository: OpaquePointer
  /// When set, only these objects go in, and only trees among them are read: a pack of the
  /// loose objects reads what was written since the last pack, not the history below it.
  private let only: Set<OID>?
  /// What went in so far; a tree already in was read already, with everything below it.
  private(set) var inserted: Set<OID> = []

  init(builder: OpaquePointer?, repository: OpaquePointer, only: Set<OID>? = nil) {
    self.builder = builder
    self.repository = repository
    self.only = only
  }

  /// Inserts `id` with `name` (a path, or nil), unless it is in already or not wanted.
  @discardableResult
  mutating func insert(_ id: OID, name: String?) throws(GitError) -> Bool {
    guard only?.contains(id) ?? true, inserted.insert(id).inserted else { return false }
    var raw = id.raw
    try check("git_packbuilder_insert", git_packbuilder_insert(builder, &raw, name))
    return true
  }

  /// A commit, then its tree and what the tree holds, each under its path.
  mutating func insertCommit(_ id: OID) throws(GitError) {
    guard try insert(id, name: nil) else { return }
    var raw = id.raw
    var commit: OpaquePointer?
    try check("git_commit_lookup", git_commit_lookup(&commit, repository, &raw))
    defer { git_commit_free(commit) }
    try insertTree(OID(git_commit_tree_id(commit)), path: "")
  }

  private mutating func insertTree(_ id: OID, path: String) throws(GitError) {
    guard try insert(id, name: path.isEmpty ? nil : path) else { return }
    var raw = id.raw
    var tree: OpaquePointer?
    try check("git_tree_lookup", git_tree_lookup(&tree, repository, &raw))
    defer { git_tree_free(tree) }
    let prefix = path.isEmpty ? "" : path + "/"
    for index in 0..<git_tree_entrycount(tree) {
      guard let entry = git_tree_entry_byindex(tree, index) else { continue }
      let child = OID(git_tree_entry_id(entry))
      switch git_tree_entry_type(entry) {
      case GIT_OBJECT_TREE:
        try insertTree(child, path: prefix + String(cString: git_tree_entry_name(entry)))
      case GIT_OBJECT_BLOB:
        guard only?.contains(child) ?? true, !inserted.contains(child) else { continue }
        try insert(child, name: prefix + String(cString: git_tree_entry_name(entry)))
      default: continue  // a submodule's commit is not in this repository
      }
    }
  }
}
