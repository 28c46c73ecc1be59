internal import CLibGit2

/// A tree object (a folder snapshot) read from the repository.
public final class Tree {
  let pointer: OpaquePointer
  unowned let repository: Repository

  init(pointer: OpaquePointer, repository: Repository) {
    self.pointer = pointer
    self.repository = repository
  }

  deinit { git_tree_free(pointer) }

  public var id: OID { OID(git_tree_id(pointer)) }

  public enum EntryKind: Sendable { case blob, tree, other }

  public struct Entry: Sendable, Hashable {
    public var name: String
    public var id: OID
    public var kind: EntryKind

    public init(name: String, id: OID, kind: EntryKind) {
      self.name = name
      self.id = id
      self.kind = kind
    }
  }

  /// The id of the object at `path` (relative, `/`-separated), or `nil` when nothing is there.
  public func entryID(at path: String) throws(GitError) -> OID? {
    try lookup(path) { OID(git_tree_entry_id($0)) }
  }

  /// The id of the sub-tree at `path`, or `nil` when there is no folder there.
  public func treeID(at path: String) throws(GitError) -> OID? {
    try lookup(path) { kindOf($0) == .tree ? OID(git_tree_entry_id($0)) : nil } ?? nil
  }

  /// The entries of the sub-tree at `path` (`""` for this tree), or `nil` when it is not a tree.
  public func entries(at path: String) throws(GitError) -> [Entry]? {
    if path.isEmpty { return Self.entries(of: pointer) }
    guard let subtree = try self.subtree(at: path) else { return nil }
    return Self.entries(of: subtree.pointer)
  }

  /// The sub-tree at `path`, or `nil` when there is none.
  public func subtree(at path: String) throws(GitError) -> Tree? {
    guard let (id, kind) = try lookup(path, { (OID(git_tree_entry_id($0)), kindOf($0)) }),
      kind == .tree
    else { return nil }
    return try repository.treeObject(id)
  }

  /// Every blob below `path`, depth first, with paths relative to this tree.
  public func blobs(under path: String) throws(GitError) -> [(path: String, id: OID)] {
    var found: [(path: String, id: OID)] = []
    guard let start = path.isEmpty ? self : try subtree(at: path) else { return [] }
    let prefix = path.isEmpty ? "" : path + "/"
    try start.collectBlobs(prefix: prefix, into: &found)
    return found
  }

  private func collectBlobs(
    prefix: String, into found: inout [(path: String, id: OID)]
  )
    throws(GitError)
  {
    for entry in Self.entries(of: pointer) {
      switch entry.kind {
      case .blob: found.append((prefix + entry.name, entry.id))
      case .tree:
        let child = try repository.treeObject(entry.id)
        try child.collectBlobs(prefix: prefix + entry.name + "/", into: &found)
      case .other: continue
      }
    }
  }

  private static func entries(of tree: OpaquePointer) -> [Entry] {
    let count = git_tree_entrycount(tree)
    var result: [Entry] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      guard let entry = git_tree_entry_byindex(tree, index) else { continue }
      result.append(
        Entry(
          name: String(cString: git_tree_entry_name(entry)),
          id: OID(git_tree_entry_id(entry)), kind: kindOf(entry)))
    }
    return result
  }

  private func lookup<T>(_ path: String, _ body: (OpaquePointer) -> T) throws(GitError) -> T? {
    var entry: OpaquePointer?
    let code = git_tree_entry_bypath(&entry, pointer, path)
    if code == GIT_ENOTFOUND.rawValue { return nil }
    try check("git_tree_entry_bypath", code)
    defer { git_tree_entry_free(entry) }
    return body(entry!)
  }
}

private func kindOf(_ entry: OpaquePointer) -> Tree.EntryKind {
  switch git_tree_entry_type(entry) {
  case GIT_OBJECT_BLOB: .blob
  case GIT_OBJECT_TREE: .tree
  default: .other
  }
}

extension Repository {
  /// The root tree of a commit.
  public func tree(ofCommit commit: OID) throws(GitError) -> Tree {
    try retryingVanishedPacks { () throws(GitError) in
      var raw = commit.raw
      var object: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&object, pointer, &raw))
      defer { git_commit_free(object) }
      var tree: OpaquePointer?
      try check("git_commit_tree", git_commit_tree(&tree, object))
      return Tree(pointer: tree!, repository: self)
    }
  }

  /// The tree object `id`.
  func treeObject(_ id: OID) throws(GitError) -> Tree {
    try retryingVanishedPacks { () throws(GitError) in
      var raw = id.raw
      var tree: OpaquePointer?
      try check("git_tree_lookup", git_tree_lookup(&tree, pointer, &raw))
      return Tree(pointer: tree!, repository: self)
    }
  }

  /// The entries of the tree object `id`.
  public func treeEntries(_ id: OID) throws(GitError) -> [Tree.Entry] {
    try treeObject(id).entries(at: "") ?? []
  }

  /// The bytes of a blob.
  public func blob(_ id: OID) throws(GitError) -> [UInt8] {
    var blob: OpaquePointer?
    try retryingVanishedPacks { () throws(GitError) in
      var raw = id.raw
      try check("git_blob_lookup", git_blob_lookup(&blob, pointer, &raw))
    }
    defer { git_blob_free(blob) }
    let size = Int(git_blob_rawsize(blob))
    guard size > 0, let content = git_blob_rawcontent(blob) else { return [] }
    return [UInt8](UnsafeRawBufferPointer(start: content, count: size))
  }

  /// The bytes of the file at `path` in `tree`, or `nil` when there is no blob there.
  public func blob(at path: String, in tree: Tree) throws(GitError) -> [UInt8]? {
    guard let id = try tree.entryID(at: path) else { return nil }
    return try blob(id)
  }

  /// The blob id git would give `content` (no write).
  public static func blobID(of content: [UInt8]) throws(GitError) -> OID {
    _ = libgit2Ready
    var raw = git_oid()
    let code = content.withUnsafeBytes {
      git_odb_hash(&raw, $0.baseAddress, $0.count, GIT_OBJECT_BLOB)
    }
    try check("git_odb_hash", code)
    return OID(raw)
  }
}
