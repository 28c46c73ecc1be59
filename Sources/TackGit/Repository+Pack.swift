internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `pack` did.
public struct PackReport: Sendable {
  /// Objects written to the new pack.
  public var packed: Int
  /// Loose objects removed because the new pack holds them.
  public var removedLoose: Int
  /// Loose objects left: not reachable from any ref (abandoned write attempts), or written
  /// while the pack was being made.
  public var keptLoose: Int
}

extension Repository {
  /// libgit2 never packs: every write leaves loose objects. This writes everything reachable
  /// from the refs into one pack, then removes the loose copies the pack holds. Safe while
  /// others write: a loose object is removed only once the new pack, already on disk, is
  /// proven to hold it; anything written meanwhile stays loose.
  public func pack() throws(GitError) -> PackReport {
    var builder: OpaquePointer?
    try check("git_packbuilder_new", git_packbuilder_new(&builder, pointer))
    defer { git_packbuilder_free(builder) }
    var walk: OpaquePointer?
    try check("git_revwalk_new", git_revwalk_new(&walk, pointer))
    defer { git_revwalk_free(walk) }
    let pushed = git_revwalk_push_glob(walk, "refs/*")
    if pushed != GIT_ENOTFOUND.rawValue { try check("git_revwalk_push_glob", pushed) }
    try check("git_packbuilder_insert_walk", git_packbuilder_insert_walk(builder, walk))
    let packed = Int(git_packbuilder_object_count(builder))
    guard packed > 0 else { return PackReport(packed: 0, removedLoose: 0, keptLoose: 0) }
    try check("git_packbuilder_write", git_packbuilder_write(builder, nil, 0, nil, nil))
    guard let name = git_packbuilder_name(builder).map({ String(cString: $0) }) else {
      throw GitError(
        kind: .other, call: "git_packbuilder_name", message: "the new pack has no name")
    }
    let objects = commonDirectory + "objects/"
    let index = objects + "pack/pack-\(name).idx"

    // An object database of the new pack alone: what it holds may go from the loose store.
    var odb: OpaquePointer?
    try check("git_odb_new", git_odb_new(&odb))
    defer { git_odb_free(odb) }
    var backend: OpaquePointer?
    try check("git_odb_backend_one_pack", git_odb_backend_one_pack(&backend, index))
    try check("git_odb_add_backend", git_odb_add_backend(odb, backend, 1))

    var removed = 0
    var kept = 0
    for high in 0..<256 {
      let prefix = String(high, radix: 16).leftPadded(to: 2)
      let folder = objects + prefix
      guard let directory = opendir(folder) else { continue }
      defer { closedir(directory) }
      while let entry = readdir(directory) {
        let rest = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
          String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard rest.utf8.count == 38, let id = OID(hex: prefix + rest) else { continue }
        var raw = id.raw
        if git_odb_exists(odb, &raw) == 1, unlink(folder + "/" + rest) == 0 {
          removed += 1
        } else {
          kept += 1
        }
      }
      rmdir(folder)  // only succeeds when empty
    }
    return PackReport(packed: packed, removedLoose: removed, keptLoose: kept)
  }

  /// About how many loose objects there are, from one of the 256 fan-out folders (git's own
  /// `gc --auto` estimate): one directory read, cheap enough to do after every write.
  public func looseObjectEstimate() -> Int {
    guard let directory = opendir(commonDirectory + "objects/17") else { return 0 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
      if entry.pointee.d_name.0 != 46 { count += 1 }  // not "." or ".."
    }
    return count * 256
  }

  /// How many loose objects the repository holds (what `pack` would fold into a pack).
  public func looseObjectCount() -> Int {
    let objects = commonDirectory + "objects/"
    var count = 0
    for high in 0..<256 {
      guard let directory = opendir(objects + String(high, radix: 16).leftPadded(to: 2)) else {
        continue
      }
      defer { closedir(directory) }
      while let entry = readdir(directory) {
        if entry.pointee.d_name.0 != 46 { count += 1 }  // not "." or ".."
      }
    }
    return count
  }
}

extension String {
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
