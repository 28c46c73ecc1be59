internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `pack` or `packLoose` did.
public struct PackReport: Sendable {
  /// Objects written to the new pack.
  public var packed: Int
  /// Loose objects removed because the new pack holds them.
  public var removedLoose: Int
  /// Loose objects left: not reachable from any ref (abandoned write attempts), or written
  /// while the pack was being made.
  public var keptLoose: Int
  /// Older packs removed because the new one holds every object in them.
  public var removedPacks: Int = 0
  /// The multi-pack-index (with its bitmap) was removed because it listed a removed pack, as
  /// git's repack does; `git multi-pack-index write` makes a new one.
  public var removedMultiPackIndex = false
  /// Nothing was done: another process was packing, or had just packed.
  public var skipped = false
}

extension Repository {
  /// A pack younger than this is left as it is by `pack` (`tack gc`): one a writer has just
  /// made is folded by the writers' own folds, which take any pack but one with a `.keep`.
  public static let packGraceSeconds = 60

  /// `tack gc`: every pack past the grace period (but those git keeps: `.keep`, `.promisor`,
  /// cruft packs) and every loose object into one new pack, which then replaces them. It never
  /// drops an object, reachable or not (pruning is left to `git gc`, which knows every
  /// reflog, worktree index and stash): the commits the refs reach go in first, children
  /// before parents, each tree and blob under its path (see `PackInserter`) so that the
  /// versions of a file become deltas of each other; then everything else the replaced packs
  /// and the loose store hold. The new pack is checked against its index, and a pack is
  /// removed only once the new one is shown to hold each of its objects; a multi-pack-index
  /// that lists one goes first. Safe while others write: what is written meanwhile stays
  /// where it is.
  public func pack(graceSeconds: Int = packGraceSeconds) throws(GitError) -> PackReport {
    let clock = ContinuousClock()
    let lock = try FileLock.acquire(
      path: packLockPath, until: clock.now + .seconds(600), clock: clock)
    defer {
      lock.release()
      reopenObjects()  // this handle sees the new pack, and forgets the ones removed
    }
    removeStaleTemporaries()
    // With no grace period, no clock reading either (a file's time can be a little ahead).
    let replaced = replaceablePacks(multiPackIndexed: true).filter {
      graceSeconds <= 0 || LocalFile.age(packFolder + $0 + ".pack") ?? 0 >= graceSeconds
    }
    let loose = looseObjects()
    var members = loose
    for pack in replaced { members += try objects(inPack: pack) }
    let written = try writePack(threads: 0, removingLoose: loose) { (builder) throws(GitError) in
      var inserter = PackInserter(builder: builder, repository: pointer)
      for commit in try commitsFromEveryRef() { try inserter.insertCommit(commit) }
      for id in members { try inserter.insert(id, name: nil) }
    }
    guard var report = written.report, let name = written.name else { return written.fallback }
    let removal = try removePacks(replaced, replacedBy: name)
    report.removedPacks = removal.removed
    report.removedMultiPackIndex = removal.multiPackIndex
    return report
  }

  /// Packs below this size that hold no delta (the small packs writes leave, and copies of
  /// them) are folded by copying their entries; a copy that reaches it is folded again, with
  /// deltas.
  public static let plainFoldBytes = 1 << 20

  /// What writes do when objects pile up: the small packs each write leaves (see `update`), or
  /// loose objects (which plain git, and libgit2 outside Tack's writes, leave). Two steps:
  /// - with `maximumPacks` packs or more, those below `plainFoldBytes` without deltas are
  ///   copied into one (no inflating, no delta search: a millisecond or two);
  /// - when that copy reaches `plainFoldBytes`, it goes into a pack with deltas, tier by
  ///   tier with the packs of its size (`deltaPartners`); with many big packs, the
  ///   smaller ones as `git repack --geometric=2` picks them (`packsToFold`). The loose
  ///   objects go in too, when there are any.
  ///
  /// Every object of a folded pack goes into the new one, reachable or not, so a pack may be
  /// folded at any age: a writer whose compare-and-swap is still pending finds its objects in
  /// the new pack. With `whenLooseAbove` or `whenPacksAbove` set, only when there are more
  /// loose objects (git's estimate) or packs than that, checked again once the lock is held.
  /// One process packs at a time (`tack-pack.lock`): with many writers, every one of them
  /// would otherwise find the same pile after its write. A writer that finds the lock taken,
  /// or the pile gone once it has it, does nothing. The delta search takes one core: the
  /// others keep writing.
  public func packLoose(
    maximumPacks: Int = 16, plainFoldBytes: Int = plainFoldBytes, whenLooseAbove: Int = 0,
    whenPacksAbove: Int = 0
  ) throws(GitError) -> PackReport {
    let skipped = PackReport(packed: 0, removedLoose: 0, keptLoose: 0, skipped: true)
    guard let lock = try FileLock.tryAcquire(path: packLockPath) else { return skipped }
    defer {
      lock.release()
      reopenObjects()  // this handle sees the new pack, and forgets the ones removed
    }
    let estimate = looseObjectEstimate()
    var packs = replaceablePacks(multiPackIndexed: false).map {
      (name: $0, size: LocalFile.size(packFolder + $0 + ".pack") ?? 0)
    }
    let explicit = whenLooseAbove == 0 && whenPacksAbove == 0
    guard
      explicit || (whenLooseAbove > 0 && estimate > whenLooseAbove)
        || (whenPacksAbove > 0 && packs.count > whenPacksAbove)
    else { return skipped }
    removeStaleTemporaries()

    var copied: (name: String, size: Int, packed: Int)?
    var removedPacks = 0
    if packs.count >= maximumPacks {
      // Geometric among them too: a copy is copied again only once what came after it has
      // grown to half its size.
      let small = Self.packsToFold(packs.filter { $0.size < plainFoldBytes })
      if small.count >= 2, let copy = try foldPlain(small) {
        removedPacks += try removePacks(copy.folded, replacedBy: copy.name).removed
        packs.removeAll { copy.folded.contains($0.name) }
        let size = LocalFile.size(packFolder + copy.name + ".pack") ?? 0
        packs.append((copy.name, size))
        copied = (copy.name, size, copy.objects)
      }
    }
    let folded: [String]
    if let copied, copied.size >= plainFoldBytes {
      folded = Self.deltaPartners(
        of: (copied.name, copied.packed),
        among: packs.map { ($0.name, objectCount(ofPack: $0.name)) })
    } else if packs.count >= maximumPacks {
      // The smallest of the geometric pick, up to the limit a write's fold keeps to.
      var room = explicit ? Int.max : Self.foldObjectLimit
      let picked = Self.packsToFold(packs).map { ($0, objectCount(ofPack: $0)) }
        .sorted { $0.1 < $1.1 }
        .prefix { pack in
          room -= pack.1
          return room >= 0
        }.map(\.0)
      folded = picked.count >= 2 ? picked : []
    } else {
      folded = []
    }
    // A fold need not walk the 256 loose-object folders when git's estimate finds none.
    let loose = explicit || estimate > 0 ? looseObjects() : []
    let done = PackReport(
      packed: copied?.packed ?? 0, removedLoose: 0, keptLoose: loose.count,
      removedPacks: removedPacks)
    guard !folded.isEmpty || !loose.isEmpty else { return done }
    var members = loose
    for pack in folded { members += try objects(inPack: pack) }
    let written = try writePack(removingLoose: loose) { (builder) throws(GitError) in
      let set = Set(members)
      // The new commits newest first, each tree and blob under its path (see `PackInserter`),
      // reading only what goes into the pack; then whatever they do not reach (objects of
      // abandoned write attempts, or of commits no ref reaches), with no path to go by.
      var inserter = PackInserter(builder: builder, repository: pointer, only: set)
      for commit in try commitsNewestFirst(in: set) { try inserter.insertCommit(commit) }
      for id in members { try inserter.insert(id, name: nil) }
    }
    guard var report = written.report, let name = written.name else { return done }
    let removal = try removePacks(folded, replacedBy: name)
    report.removedPacks = removedPacks + removal.removed
    report.removedMultiPackIndex = removal.multiPackIndex
    return report
  }

  /// Copies the packs `names` that hold no delta into one (CLibGit2/pending.c); `nil` when
  /// fewer than two could go in. The folded packs are still there afterwards.
  func foldPlain(
    _ names: [String]
  ) throws(GitError) -> (name: String, folded: [String], objects: Int)? {
    var folded = [Int32](repeating: 0, count: names.count)
    var name = [CChar](repeating: 0, count: 41)
    let strings = names.map { strdup($0) }
    defer { for string in strings { free(string) } }
    var pointers = strings.map { UnsafePointer($0) }
    try check(
      "fold packs",
      tack_pack_fold_plain(
        String(packFolder.dropLast()), &pointers, names.count, &folded, &name))
    let hash = String(nulTerminated: name)
    guard !hash.isEmpty else { return nil }
    let chosen = names.indices.filter { folded[$0] != 0 }.map { names[$0] }
    try checkNewPack("pack-" + hash)
    let objects = objectCount(ofPack: "pack-" + hash)
    return ("pack-" + hash, chosen, objects)
  }

  /// The packs a copy is packed with when it gets its deltas, tier by tier, as an LSM tree
  /// with a size ratio of four merges its runs (counting objects): packs of about the copy's
  /// size (within a factor of two) wait until there are three, then all four become one pack
  /// four times the size, which waits in its turn for three of its own size; smaller packs
  /// (from loose objects) are swept in. So an object gets its deltas computed again about
  /// log₄(history ÷ copy) times — libgit2 reuses no delta — instead of log₂ times when every
  /// fold takes the packs up to twice its size; at most three packs wait in each tier.
  static func deltaPartners(
    of copy: (name: String, objects: Int), among packs: [(name: String, objects: Int)]
  ) -> [String] {
    var chosen = [copy.name]
    var total = max(copy.objects, 1)
    var rest = packs.filter { $0.name != copy.name }
    while true {
      let smaller = rest.filter { $0.objects * 2 < total }
      let peers = rest.filter { $0.objects * 2 >= total && $0.objects < total * 2 }
      let taken = !smaller.isEmpty ? smaller : peers.count >= 3 ? peers : []
      guard !taken.isEmpty else { return chosen }
      chosen += taken.map(\.name)
      total += taken.reduce(0) { $0 + $1.objects }
      rest.removeAll { pack in taken.contains { $0.name == pack.name } }
    }
  }

  /// The most objects a fold of many big packs after a write takes (`packsToFold`'s pick,
  /// smallest first): about a second of delta search here. Tiers are not capped: capping
  /// them left the packs of one tier piling up, unmerged, and the repository 40% bigger.
  static let foldObjectLimit = packInMemoryObjects

  /// How many objects the pack `name` holds, from its index's fan-out table (0 when it
  /// cannot be read).
  func objectCount(ofPack name: String) -> Int {
    let descriptor = open(packFolder + name + ".idx", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return 0 }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: 4)
    // Version 2: an 8-byte header, then 256 cumulative counts; the last is the total.
    guard pread(descriptor, &bytes, 4, 8 + 255 * 4) == 4 else { return 0 }
    return bytes.reduce(0) { $0 << 8 | Int($1) }
  }

  /// The packs a fold rolls into its new pack, as `git repack --geometric=2` picks them:
  /// the largest packs stay while each is at least twice the next smaller one and at least
  /// twice all the smaller ones together; the rest (at least two) are rolled up. A pack is
  /// rewritten only when what came after it has grown to half its size, so an object is
  /// rewritten about log₂(history) times over the repository's life rather than at every
  /// fold (libgit2 reuses no delta: a fold recomputes every one it writes).
  static func packsToFold(_ packs: [(name: String, size: Int)]) -> [String] {
    let sorted = packs.sorted { $0.size < $1.size }
    var split = min(2, sorted.count)
    for index in stride(from: sorted.count - 1, to: 0, by: -1)
    where sorted[index].size < 2 * sorted[index - 1].size {
      split = max(split, index + 1)
      break
    }
    var total = sorted[..<split].reduce(0) { $0 + $1.size }
    while split < sorted.count, sorted[split].size < 2 * total {
      total += sorted[split].size
      split += 1
    }
    return sorted[..<split].map(\.name)
  }

  /// Every object in the pack `name`.
  func objects(inPack name: String) throws(GitError) -> [OID] {
    let odb = try onePackDatabase(packFolder + name + ".idx")
    defer { git_odb_free(odb) }
    var ids: [OID] = []
    let code = withUnsafeMutablePointer(to: &ids) { ids in
      git_odb_foreach(
        odb,
        { id, payload in
          payload!.assumingMemoryBound(to: [OID].self).pointee.append(OID(id!))
          return 0
        }, ids)
    }
    try check("git_odb_foreach", code)
    return ids
  }

  /// An object database of one pack alone.
  func onePackDatabase(_ index: String) throws(GitError) -> OpaquePointer? {
    var odb: OpaquePointer?
    try check("git_odb_new", git_odb_new(&odb))
    do {
      var backend: OpaquePointer?
      try check("git_odb_backend_one_pack", git_odb_backend_one_pack(&backend, index))
      try check("git_odb_add_backend", git_odb_add_backend(odb, backend, 1))
    } catch {
      git_odb_free(odb)
      throw error
    }
    return odb
  }

  /// How many commits newer than a fold's own the walk from the refs reads to reach them
  /// (the writes made since the packs it folds, and the packs waiting in lower tiers).
  static let foldWalkBudget = 20_000

  /// The commits in `members` that the refs reach, children before parents (as a revwalk
  /// gives them), so that the versions of a path go into the pack in the order they were
  /// written. The walk passes through newer commits that are not members (writes made since,
  /// in packs that stay: up to `foldWalkBudget` of them) and stops below the members: what
  /// lies under them is older and stays. Commits it does not reach go in without paths.
  private func commitsNewestFirst(in members: Set<OID>) throws(GitError) -> [OID] {
    var parents: [OID: [OID]] = [:]
    let tips = try referencedCommits()
    let shallow = shallowCommits()
    var pending = tips.map { (id: $0, above: true) }
    var budget = Self.foldWalkBudget
    while let (id, above) = pending.popLast() {
      guard parents[id] == nil else { continue }
      let member = members.contains(id)
      guard member || (above && budget > 0) else { continue }
      if !member { budget -= 1 }
      let up = try parentIDs(of: id, shallow: shallow)
      parents[id] = up
      // Below a member, only members: the rest is older than the fold.
      pending += up.map { (id: $0, above: above && !member) }
    }
    return Self.childrenFirst(from: tips, parents: parents).filter(members.contains)
  }

  /// Every commit the refs reach, children before parents; in a shallow clone, down to its
  /// shallow commits (their parents are not there).
  func commitsFromEveryRef() throws(GitError) -> [OID] {
    var parents: [OID: [OID]] = [:]
    let tips = try referencedCommits()
    let shallow = shallowCommits()
    var pending = tips
    while let id = pending.popLast() {
      guard parents[id] == nil else { continue }
      let up = try parentIDs(of: id, shallow: shallow)
      parents[id] = up
      pending += up
    }
    return Self.childrenFirst(from: tips, parents: parents)
  }

  /// The parents of the commit `id`; none for a commit in `shallow`, whose parents a shallow
  /// clone lacks.
  private func parentIDs(of id: OID, shallow: Set<OID>) throws(GitError) -> [OID] {
    guard !shallow.contains(id) else { return [] }
    return try retryingVanishedPacks { () throws(GitError) -> [OID] in
      var raw = id.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      defer { git_commit_free(commit) }
      return (0..<git_commit_parentcount(commit)).compactMap { index in
        git_commit_parent_id(commit, index).map(OID.init)
      }
    }
  }

  /// The commits of `parents` (each commit's parents, as far as they were read) reachable
  /// from `tips`, each before its parents: depth first along the parents, a commit is listed
  /// after them; reversed, before.
  private static func childrenFirst(from tips: [OID], parents: [OID: [OID]]) -> [OID] {
    var order: [OID] = []
    var visited: Set<OID> = []
    for tip in tips where visited.insert(tip).inserted {
      var stack = [(id: tip, next: 0)]
      while let (id, next) = stack.last {
        let up = parents[id] ?? []
        if next == up.count {
          order.append(id)
          stack.removeLast()
          continue
        }
        stack[stack.count - 1].next += 1
        if visited.insert(up[next]).inserted { stack.append((up[next], 0)) }
      }
    }
    return order.reversed()
  }

  /// The commits the refs (`refs/*`) point at, tags peeled.
  private func referencedCommits() throws(GitError) -> [OID] {
    var iterator: OpaquePointer?
    try check(
      "git_reference_iterator_glob_new",
      git_reference_iterator_glob_new(&iterator, pointer, "refs/*"))
    defer { git_reference_iterator_free(iterator) }
    var commits: [OID] = []
    var reference: OpaquePointer?
    while true {
      let code = git_reference_next(&reference, iterator)
      if code == GIT_ITEROVER.rawValue { break }
      try check("git_reference_next", code)
      defer { git_reference_free(reference) }
      var peeled: OpaquePointer?
      // A ref to something that is not a commit (or is missing) has no history to order.
      guard git_reference_peel(&peeled, reference, GIT_OBJECT_COMMIT) == 0 else { continue }
      commits.append(OID(git_object_id(peeled)))
      git_object_free(peeled)
    }
    return commits
  }

  var packFolder: String { commonDirectory + "objects/pack/" }

  private var packLockPath: String { commonDirectory + "tack-pack.lock" }

  /// Removes what a process killed while writing a pack left in the pack folder, once not
  /// touched for an hour: Tack's temporary files (`tack-tmp-*`, and `tmp_tack_*` of older versions), and a pack whose index was
  /// never written (no reader uses it). A live writer finishes both within milliseconds.
  func removeStaleTemporaries() {
    removeStaleWriteKeeps()
    for name in LocalFile.names(in: packFolder) ?? [] {
      let orphan =
        name.hasPrefix("pack-") && name.hasSuffix(".pack")
        && !LocalFile.exists(packFolder + name.dropLast(5) + ".idx")
      guard name.hasPrefix("tack-tmp-") || name.hasPrefix("tmp_tack_") || orphan,
        LocalFile.age(packFolder + name) ?? 0 >= 3600
      else { continue }
      unlink(packFolder + name)
    }
  }

  /// How many packs the repository has that a fold may take (see `replaceablePacks`).
  public func packCount() -> Int { replaceablePacks(multiPackIndexed: false).count }

  /// Whether the repository may hold more than `limit` packs, without reading the pack
  /// folder at every write: the count from this handle's last read of it, plus the packs its
  /// own writes added, is checked first. The folder is read again only when that count passes
  /// `limit` (while no fold runs in this process to bring it down) or once a background fold
  /// has finished. Other processes' packs are seen at the next read, at the latest when the
  /// handle reopens its object database (every 128 writes), and each process checks its own.
  /// A folder that once held hundreds of packs took about half a write's time to read (an
  /// ext4 directory never shrinks).
  public func packCountMayExceed(_ limit: Int) -> Bool {
    let finished = Self.finishedBackgroundFolds.load(ordering: .acquiring)
    if let seen = packsSeen, seen.foldsFinished == finished {
      if seen.count <= limit { return false }
      if Self.backgroundFoldRunning { return true }
    }
    let count = packCount()
    packsSeen = (count, finished)
    return count > limit
  }

  /// The names (`pack-<id>`) of the packs in the repository.
  func packNames() -> [String] {
    (LocalFile.names(in: packFolder) ?? []).filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }
      .map { String($0.dropLast(4)) }
  }

  /// Writes a pack of what `fill` inserts, then removes those of `loose` it holds.
  private func writePack(
    threads: UInt32 = 1, removingLoose loose: [OID],
    _ fill: (OpaquePointer?) throws(GitError) -> Void
  ) throws(GitError) -> (report: PackReport?, name: String?, fallback: PackReport) {
    let nothing = PackReport(packed: 0, removedLoose: 0, keptLoose: loose.count)
    var builder: OpaquePointer?
    try check("git_packbuilder_new", git_packbuilder_new(&builder, pointer))
    defer { git_packbuilder_free(builder) }
    // Threads for the delta search (0: as many as there are cores).
    git_packbuilder_set_threads(builder, threads)
    try fill(builder)
    let packed = Int(git_packbuilder_object_count(builder))
    guard packed > 0 else { return (nil, nil, nothing) }
    let name = "pack-" + (try writeBuiltPack(builder, objects: packed))
    try checkNewPack(name)
    let (removed, kept) = try removeLoose(loose, heldBy: packFolder + name + ".idx")
    return (PackReport(packed: packed, removedLoose: removed, keptLoose: kept), name, nothing)
  }

  /// Up to this many objects, a new pack is made in memory and indexed by Tack
  /// (`tack_pack_write_indexed`, which holds every object inflated: ~50 MB at this count);
  /// past it, libgit2 writes it, with less memory and more time.
  static let packInMemoryObjects = 50_000

  /// Writes the pack `builder` holds and its index; returns its 40-hex id. libgit2's indexer
  /// maps and unmaps the growing file around every object; Tack indexes the pack in memory.
  private func writeBuiltPack(_ builder: OpaquePointer?, objects: Int) throws(GitError) -> String {
    guard objects <= Self.packInMemoryObjects else {
      try check("git_packbuilder_write", git_packbuilder_write(builder, nil, 0, nil, nil))
      guard let hash = git_packbuilder_name(builder).map({ String(cString: $0) }) else {
        throw GitError(
          kind: .other, call: "git_packbuilder_name", message: "the new pack has no name")
      }
      return hash
    }
    var buffer = git_buf()
    defer { git_buf_dispose(&buffer) }
    try check("git_packbuilder_write_buf", git_packbuilder_write_buf(&buffer, builder))
    var name = [CChar](repeating: 0, count: 41)
    let code = buffer.ptr.withMemoryRebound(to: UInt8.self, capacity: buffer.size) {
      tack_pack_write_indexed(String(packFolder.dropLast()), $0, buffer.size, &name)
    }
    try check("write pack", code)
    return String(nulTerminated: name)
  }

  /// Removes the objects of `loose` that the pack with index `index` holds; returns how many
  /// were removed and how many stay loose.
  private func removeLoose(
    _ loose: [OID], heldBy index: String
  ) throws(GitError) -> (removed: Int, kept: Int) {
    guard !loose.isEmpty else { return (0, 0) }
    // What the new pack alone holds may go from the loose store.
    let odb = try onePackDatabase(index)
    defer { git_odb_free(odb) }
    var removed = 0
    var kept = 0
    var folders: Set<Substring> = []
    let objects = commonDirectory + "objects/"
    for id in loose {
      var raw = id.raw
      let hex = id.hex
      let path = objects + hex.prefix(2) + "/" + hex.dropFirst(2)
      if git_odb_exists(odb, &raw) == 1, unlink(path) == 0 {
        removed += 1
        folders.insert(hex.prefix(2))
      } else {
        kept += 1
      }
    }
    for folder in folders { rmdir(objects + folder) }
    return (removed, kept)
  }

  /// Every loose object's id (a walk of the 256 fan-out folders).
  func looseObjects() -> [OID] {
    let objects = commonDirectory + "objects/"
    var ids: [OID] = []
    for high in 0..<256 {
      let prefix = String(high, radix: 16).leftPadded(to: 2)
      for rest in LocalFile.names(in: objects + prefix) ?? [] {
        if rest.utf8.count == 38, let id = OID(hex: prefix + rest) { ids.append(id) }
      }
    }
    return ids
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

  /// How many loose objects the repository holds (what `packLoose` would fold into a pack).
  public func looseObjectCount() -> Int { looseObjects().count }
}

extension String {
  /// The text before the first NUL of a C character buffer.
  init(nulTerminated characters: [CChar]) {
    self.init(
      decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
