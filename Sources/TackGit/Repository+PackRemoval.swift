internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Which packs Tack may replace, and removing the ones it replaced as git's `repack -d` does:
/// only once the new pack is proven to hold every object of each, the multi-pack-index first
/// when it lists one of them, and each pack with its companion files.
extension Repository {
  /// What a pack may carry beside its `.pack` and `.idx`; a removed pack goes with all of
  /// them. (`.keep` and `.promisor` packs are never removed.)
  static let packCompanions = [".rev", ".bitmap", ".mtimes"]

  /// The packs Tack may fold or replace: not those git is told to keep (`.keep`), a partial
  /// clone's promisor packs (`.promisor`), or cruft packs (`.mtimes`: git's record of when each
  /// unreachable object was last used, which a Tack pack would lose). With
  /// `multiPackIndexed` false, not those a multi-pack-index lists either: `git maintenance`
  /// looks after those, and a fold would otherwise remove the index and its bitmap
  /// every time.
  func replaceablePacks(multiPackIndexed: Bool) -> [String] {
    let indexed: Set<String>? = multiPackIndexed ? [] : multiPackIndexPacks()
    return packNames().filter { name in
      !LocalFile.exists(packFolder + name + ".keep")
        && !LocalFile.exists(packFolder + name + ".promisor")
        && !LocalFile.exists(packFolder + name + ".mtimes")
        && indexed.map { !$0.contains(name) } ?? false
    }
  }

  /// The packs (`pack-<id>`) the multi-pack-index lists (incremental chains included); empty
  /// when there is none, `nil` when one is there that cannot be read (it may list any pack).
  func multiPackIndexPacks() -> Set<String>? {
    var files = [packFolder + "multi-pack-index"].filter(LocalFile.exists)
    let chain = packFolder + "multi-pack-index.d/"
    files += (LocalFile.names(in: chain) ?? []).filter { $0.hasSuffix(".midx") }.map { chain + $0 }
    var names: Set<String> = []
    for file in files {
      guard let listed = Self.multiPackIndexPackNames(file) else { return nil }
      names.formUnion(listed)
    }
    return names
  }

  /// The pack names in the multi-pack-index file `path` (its PNAM chunk: NUL-terminated
  /// `pack-<id>.idx` names); `nil` when it is not one Tack can read.
  static func multiPackIndexPackNames(_ path: String) -> [String]? {
    guard let bytes = try? LocalFile.read(path), bytes.count >= 12,
      Array(bytes[0..<4]) == Array("MIDX".utf8)
    else { return nil }
    func number(_ at: Int, _ width: Int) -> Int {
      bytes[at..<at + width].reduce(0) { $0 << 8 | Int($1) }
    }
    let chunks = Int(bytes[6])
    guard bytes.count >= 12 + (chunks + 1) * 12 else { return nil }
    for chunk in 0..<chunks {
      let entry = 12 + chunk * 12
      guard Array(bytes[entry..<entry + 4]) == Array("PNAM".utf8) else { continue }
      let start = number(entry + 4, 8)
      let end = number(entry + 16, 8)
      guard start <= end, end <= bytes.count else { return nil }
      return bytes[start..<end].split(separator: 0).map {
        String(decoding: $0, as: UTF8.self)
      }
      .filter { $0.hasSuffix(".idx") }.map { String($0.dropLast(4)) }
    }
    return nil
  }

  /// Removes the multi-pack-index (and its incremental chain) with its bitmap and reverse
  /// index files, as git's repack does before it deletes a pack the index lists.
  func removeMultiPackIndex() {
    unlink(packFolder + "multi-pack-index")
    for name in LocalFile.names(in: packFolder) ?? []
    where name.hasPrefix("multi-pack-index-")
      && (name.hasSuffix(".bitmap") || name.hasSuffix(".rev"))
    {
      unlink(packFolder + name)
    }
    let chain = packFolder + "multi-pack-index.d/"
    if let names = LocalFile.names(in: chain) {
      for name in names { unlink(chain + name) }
      rmdir(chain)
    }
  }

  /// Checks the new pack `name` against its index (checksums, entry CRCs: CLibGit2's
  /// pack_check.c) before anything it replaces is removed.
  func checkNewPack(_ name: String) throws(GitError) {
    try check("check the new pack", tack_pack_check(String(packFolder.dropLast()), name))
  }

  /// Removes the packs `names` that the pack `new` replaces, once it is proven to hold every
  /// object of each (it was checked against its index when written). A pack that gained a
  /// `.keep` meanwhile stays. When the multi-pack-index lists one of them, the index goes
  /// first. Returns how many were removed and whether the multi-pack-index went.
  func removePacks(
    _ names: [String], replacedBy new: String
  ) throws(GitError) -> (removed: Int, multiPackIndex: Bool) {
    let doomed = names.filter {
      $0 != new && !LocalFile.exists(packFolder + $0 + ".keep")
        && !LocalFile.exists(packFolder + $0 + ".promisor")
    }
    guard !doomed.isEmpty else { return (0, false) }
    let odb = try onePackDatabase(packFolder + new + ".idx")
    defer { git_odb_free(odb) }
    for old in doomed {
      for id in try objects(inPack: old) {
        var raw = id.raw
        guard git_odb_exists(odb, &raw) == 1 else {
          throw GitError(
            kind: .other, call: "remove \(old)",
            message:
              "\(new) does not hold \(id.hex), which \(old) holds; no pack was removed. Run 'git fsck' and report this as a Tack bug"
          )
        }
      }
    }
    // An index that cannot be read may list any of them.
    let removedIndex = multiPackIndexPacks().map { !$0.isDisjoint(with: doomed) } ?? true
    if removedIndex { removeMultiPackIndex() }
    var removed = 0
    for old in doomed {
      // The index first: without it git and libgit2 no longer see the pack.
      guard unlink(packFolder + old + ".idx") == 0 else { continue }
      unlink(packFolder + old + ".pack")
      for companion in Self.packCompanions { unlink(packFolder + old + companion) }
      removed += 1
    }
    return (removed, removedIndex)
  }

  /// Removes the `.keep` files that Tack writes hold until their branch moves (CLibGit2's
  /// pending.c: "tack write <pid>") once an hour old: a write is done in milliseconds, so
  /// its process was killed. git's own and people's `.keep` files are left alone.
  func removeStaleWriteKeeps() {
    for (path, _) in writeKeeps() where LocalFile.age(path) ?? 0 >= 3600 { unlink(path) }
  }

  /// Removes the `.keep` files of the Tack writer `pid`, which died mid-write (its record in
  /// `tack.lock` says so): a writer removes its own before its update ends. Returns their
  /// paths.
  func removeWriteKeeps(of pid: Int32) -> [String] {
    writeKeeps().filter { $0.pid == pid && unlink($0.path) == 0 }.map(\.path)
  }

  /// The `.keep` files in the pack folder that Tack writes made, and the pid each names.
  private func writeKeeps() -> [(path: String, pid: Int32)] {
    let prefix = Array("tack write ".utf8)
    return (LocalFile.names(in: packFolder) ?? []).compactMap { name in
      guard name.hasPrefix("pack-") && name.hasSuffix(".keep") else { return nil }
      let path = packFolder + name
      guard let content = try? LocalFile.read(path), content.starts(with: prefix),
        let pid = Int32(
          String(
            decoding: content.dropFirst(prefix.count).prefix { (48...57).contains($0) },
            as: UTF8.self))
      else { return nil }
      return (path, pid)
    }
  }

  /// Commits whose parents a shallow clone lacks (`shallow` in the git directory): walks stop
  /// there, as git's do.
  func shallowCommits() -> Set<OID> {
    guard let bytes = try? LocalFile.read(commonDirectory + "shallow") else { return [] }
    return Set(
      bytes.split(separator: UInt8(ascii: "\n")).compactMap {
        OID(hex: String(decoding: $0, as: UTF8.self))
      })
  }
}
