internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What one commit changed below a folder, with exactly the rule `history(of:)` applies to
/// one path: an entry counts when its id differs from the id at the same path in every parent
/// (in a root commit: when it exists). Found by comparing trees by id and descending only into
/// sub-trees whose ids differ, so a commit that changes one task file reads a few small trees.
struct ChangedPaths {
  /// Paths of entries that are not folders (blobs, links, submodules) that changed.
  var leaves: [[UInt8]] = []
  /// Folders met on the way (trees whose id differs from the first parent's).
  var folders: [[UInt8]] = []

  private let repository: OpaquePointer
  private var found: [(path: [UInt8], id: OID?)] = []

  /// `folder` is a list of path components (empty: the whole tree).
  init(commit: OpaquePointer, folder: [String], repository: OpaquePointer) throws(GitError) {
    self.repository = repository
    var tree: OpaquePointer?
    try check("git_commit_tree", git_commit_tree(&tree, commit))
    defer { git_tree_free(tree) }
    let parentCount = git_commit_parentcount(commit)
    let first = parentCount > 0 ? try Self.parentTree(commit, 0) : nil
    defer { git_tree_free(first) }
    try descend(tree, first, folder: folder[...], prefix: [])
    // A merge changed a path only if it differs from every parent, not just the first.
    if parentCount > 1 {
      for index in 1..<parentCount {
        let other = try Self.parentTree(commit, index)
        defer { git_tree_free(other) }
        var kept: [(path: [UInt8], id: OID?)] = []
        for change in found where try Self.entryID(in: other!, at: change.path) != change.id {
          kept.append(change)
        }
        found = kept
      }
    }
    leaves = found.map(\.path)
    found = []
  }

  private static func parentTree(
    _ commit: OpaquePointer, _ index: UInt32
  ) throws(GitError)
    -> OpaquePointer?
  {
    var parent: OpaquePointer?
    try check("git_commit_parent", git_commit_parent(&parent, commit, index))
    defer { git_commit_free(parent) }
    var tree: OpaquePointer?
    try check("git_commit_tree", git_commit_tree(&tree, parent))
    return tree
  }

  private static func entryID(in tree: OpaquePointer, at path: [UInt8]) throws(GitError) -> OID? {
    var entry: OpaquePointer?
    let code = (path + [0]).withUnsafeBufferPointer {
      $0.withMemoryRebound(to: CChar.self) { git_tree_entry_bypath(&entry, tree, $0.baseAddress) }
    }
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check("git_tree_entry_bypath", code)
    defer { git_tree_entry_free(entry) }
    return OID(git_tree_entry_id(entry))
  }

  /// Follows `folder` down both trees, then compares what is below it.
  private mutating func descend(
    _ new: OpaquePointer?, _ old: OpaquePointer?, folder: ArraySlice<String>, prefix: [UInt8]
  ) throws(GitError) {
    guard let name = folder.first else { return try compare(new, old, prefix: prefix) }
    let newEntry = new.flatMap { git_tree_entry_byname($0, name) }
    let oldEntry = old.flatMap { git_tree_entry_byname($0, name) }
    if let newEntry, let oldEntry, Self.sameID(newEntry, oldEntry) { return }
    let newTree = try subtree(newEntry)
    defer { git_tree_free(newTree) }
    let oldTree = try subtree(oldEntry)
    defer { git_tree_free(oldTree) }
    guard newTree != nil || oldTree != nil else { return }
    try descend(newTree, oldTree, folder: folder.dropFirst(), prefix: prefix + name.utf8 + [0x2F])
  }

  /// Walks the entries of both trees side by side in git's order.
  private mutating func compare(
    _ new: OpaquePointer?, _ old: OpaquePointer?, prefix: [UInt8]
  )
    throws(GitError)
  {
    let newCount = new.map { git_tree_entrycount($0) } ?? 0
    let oldCount = old.map { git_tree_entrycount($0) } ?? 0
    var i = 0
    var j = 0
    while i < newCount || j < oldCount {
      let a = i < newCount ? git_tree_entry_byindex(new, i) : nil
      let b = j < oldCount ? git_tree_entry_byindex(old, j) : nil
      let order: Int32
      if let a, let b { order = Self.gitOrder(a, b) } else { order = a == nil ? 1 : -1 }
      if order < 0 {
        try changed(a!, against: nil, prefix: prefix)
        i += 1
      } else if order > 0 {
        try changed(nil, against: b!, prefix: prefix)
        j += 1
      } else {
        if !Self.sameID(a!, b!) { try changed(a!, against: b!, prefix: prefix) }
        i += 1
        j += 1
      }
    }
  }

  /// Records an entry that differs (`new` or `old` may be missing; both are of one kind).
  private mutating func changed(
    _ new: OpaquePointer?, against old: OpaquePointer?, prefix: [UInt8]
  ) throws(GitError) {
    let entry = (new ?? old)!
    let path = prefix + Self.name(entry)
    guard Self.isTree(entry) else {
      found.append((path, new.map { OID(git_tree_entry_id($0)) }))
      return
    }
    folders.append(path)
    let newTree = try subtree(new)
    defer { git_tree_free(newTree) }
    let oldTree = try subtree(old)
    defer { git_tree_free(oldTree) }
    try compare(newTree, oldTree, prefix: path + [0x2F])
  }

  private func subtree(_ entry: OpaquePointer?) throws(GitError) -> OpaquePointer? {
    guard let entry, Self.isTree(entry) else { return nil }
    var tree: OpaquePointer?
    try check("git_tree_lookup", git_tree_lookup(&tree, repository, git_tree_entry_id(entry)))
    return tree
  }

  private static func isTree(_ entry: OpaquePointer) -> Bool {
    git_tree_entry_type(entry) == GIT_OBJECT_TREE
  }

  private static func sameID(_ a: OpaquePointer, _ b: OpaquePointer) -> Bool {
    git_oid_cmp(git_tree_entry_id(a), git_tree_entry_id(b)) == 0
  }

  private static func name(_ entry: OpaquePointer) -> [UInt8] {
    let name = git_tree_entry_name(entry)!
    return Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
  }

  /// git's tree order (`base_name_compare`): bytes, with a folder's name read as if it
  /// ended in `/`. Entries that compare equal have one name and are both folders or both not.
  private static func gitOrder(_ a: OpaquePointer, _ b: OpaquePointer) -> Int32 {
    let nameA = git_tree_entry_name(a)!
    let nameB = git_tree_entry_name(b)!
    let lengthA = strlen(nameA)
    let lengthB = strlen(nameB)
    let length = min(lengthA, lengthB)
    let bytes = memcmp(nameA, nameB, length)
    if bytes != 0 { return bytes }
    let nextA = lengthA > length ? UInt8(bitPattern: nameA[length]) : isTree(a) ? 0x2F : 0
    let nextB = lengthB > length ? UInt8(bitPattern: nameB[length]) : isTree(b) ? 0x2F : 0
    return nextA < nextB ? -1 : nextA > nextB ? 1 : 0
  }
}
