internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Repository {
  /// Makes one commit on `branch` from what `body` returns, without touching the index:
  /// blobs, then `git_tree_create_updated` on the tip's tree, then a commit, then a
  /// compare-and-swap of the branch. When another writer moved the branch first, the tip is
  /// read again and `body` runs again — so its rules are checked against the new state — after
  /// a jittered backoff, until `policy` runs out and the write fails with a conflict.
  ///
  /// Tack's writers serialize on a lock in the git directory (`tack.lock`, an `flock`, so a
  /// killed writer never leaves it held). When `branch` is checked out in this repository's
  /// working tree, the index and the changed files follow the commit (so `git status` stays
  /// clean), and a path with uncommitted edits is never overwritten.
  ///
  /// Returns the new commit, or `nil` when `body` returned `nil` (nothing to write).
  @discardableResult
  public func update(
    branch: String, policy: RetryPolicy = .standard,
    _ body: (Snapshot) throws -> CommitRequest?
  ) throws -> OID? {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(policy.maxWaitMilliseconds)
    writeWarning = nil
    let worktree = try checkedOutWorktree(for: branch)
    // Tack's writers take turns: without the lock, concurrent writers would each build a
    // commit and all but one would lose the compare-and-swap and start over (8 writers got
    // under 100 commits/s that way). Writers that do not take it (plain git) still meet the
    // compare-and-swap.
    let lock = try FileLock.acquire(
      path: commonDirectory + "tack.lock", until: deadline, clock: clock)
    defer {
      lock.record([])
      lock.release()
    }
    clearOwnDeadLocks(lock)
    let notes = LockNotes(turn: lock)
    if let worktree {
      try recoverWorktree(worktree, branch: branch, notes: notes, until: deadline, clock: clock)
    }
    let pending = packsEachWrite ? try pendingObjects() : nil
    // Each attempt's pack has a `.keep` until the branch moves (or the update ends): a
    // writer killed meanwhile leaves them, and the next writer removes them.
    if pending != nil { notes.keeps = true }
    updating = true
    defer {
      if let pending {
        tack_pending_end(pending)
        notes.keeps = false
      }
      updating = false
    }

    var backoff = max(1, policy.initialBackoffMilliseconds)
    var attempts = 0
    while true {
      attempts += 1
      if let pending { tack_pending_begin(pending) }
      // In a checkout, index.lock first, as git takes it before it reads HEAD: a `git
      // commit` either finishes before this write reads the tip or waits until the new
      // index is in place, and never commits the old index over the new tip.
      let indexLock = try worktree.map { (worktree) throws(GitError) in
        try IndexLock.acquire(
          indexPath: worktree.repository.indexPath, notes: notes, until: deadline, clock: clock)
      }
      defer { indexLock?.release() }  // unless renamed into place
      let tip = try self.tip(of: branch)
      let tree = try tip.map { (tip) throws(GitError) in try self.tree(ofCommit: tip) }
      guard let request = try body(Snapshot(commit: tip, tree: tree)) else { return nil }
      var plan: CheckoutPlan?
      if let worktree {
        plan = try worktree.repository.planCheckout(
          request.changes, tip: tip, base: tree, workdir: worktree.folder)
        // Written before the checkout changes: a process killed before its files, index and
        // branch agree leaves this behind, and the next write brings the paths in line with
        // the branch. Each line names the blob the write puts there ("-": none), so that a
        // file it wrote is known as its own.
        var journal: [String] = []
        for change in request.changes {
          let blob = try change.content.map { (content) throws(GitError) in
            try Repository.blobID(of: content).hex
          }
          journal.append("\(blob ?? "-") \(change.path)")
        }
        try LocalFile.writeAtomically(
          worktree.repository.journalPath, Array(journal.joined(separator: "\n").utf8))
      }
      // In a checkout, the files and the index take the new commit's state just before the
      // branch moves, with index.lock held (and go back if it does not move): the index
      // never lags the branch, so a `git commit` that reads both without the lock (git
      // reads HEAD, then the index, and locks only later) sees the old branch with the new
      // index — and its own move of HEAD then fails — but never the new branch with the old
      // index, which would commit Tack's change away.
      var staged = false
      let unstage = { () in
        guard staged, let worktree, let plan, let indexLock else { return }
        worktree.repository.unstageCheckout(
          request.changes, base: tree, tip: tip, plan: plan, workdir: worktree.folder,
          lock: indexLock)
        staged = false
      }
      let commit: OID
      do {
        // libgit2 reads sub-trees of the tip while it makes the commit: one may sit in a pack
        // another process has just folded away (see `retryingVanishedPacks`).
        commit = try retryingVanishedPacks { () throws(GitError) in
          try commitAndSwap(
            branch: branch, tip: tip, base: tree, request: request, pending: pending,
            notes: notes
          ) { (newCommit) throws(GitError) in
            guard let worktree, let plan, let indexLock else { return }
            unstage()
            staged = true
            try worktree.repository.syncWorktree(
              worktree.folder, with: request.changes, commit: newCommit, plan: plan,
              lock: indexLock, staging: true)
          }
        }
      } catch let error {
        unstage()
        guard error.isContention else { throw error }
        guard clock.now < deadline else {
          let message =
            error.kind == .locked
            ? "another git process kept \(branch) locked for \(policy.maxWaitMilliseconds) ms (\(error.message)); let it finish and run the command again. If no git process is running, one stopped mid-way: remove \(commonDirectory)\(branch).lock"
            : "gave up after \(attempts) attempts in \(policy.maxWaitMilliseconds) ms: other writers kept moving \(branch)"
          throw GitError(
            kind: .conflict, code: error.code, call: "update \(branch)", message: message)
        }
        indexLock?.release()  // not held while waiting: git may go first
        usleep(UInt32(Int.random(in: (backoff + 1) / 2...backoff) * 1000))
        backoff = min(backoff * 2, max(1, policy.maxBackoffMilliseconds))
        continue
      }
      // The commit has landed, with the checkout in step: let the index lock go.
      if let worktree, let indexLock {
        indexLock.commit()
        unlink(worktree.repository.journalPath)
      }
      return commit
    }
  }

  /// Runs `body`, which moves the ref whose lock is `refLock` through libgit2 (a fetch's
  /// update of a remote-tracking branch), as a Tack writer: under `tack.lock`, with the ref
  /// lock recorded there as a compare-and-swap's is, so that a process killed inside it
  /// leaves a lock the next Tack writer can prove its own and clear.
  @discardableResult
  func movingRef<T>(
    lockedAt refLock: String, policy: RetryPolicy = .standard, _ body: () throws(GitError) -> T
  ) throws(GitError) -> T {
    let clock = ContinuousClock()
    let lock = try FileLock.acquire(
      path: commonDirectory + "tack.lock",
      until: clock.now + .milliseconds(policy.maxWaitMilliseconds), clock: clock)
    defer {
      lock.record([])
      lock.release()
    }
    clearOwnDeadLocks(lock)
    let notes = LockNotes(turn: lock)
    var began = timespec()
    clock_gettime(CLOCK_REALTIME, &began)
    notes.swap = (refLock, began)
    defer { notes.swap = nil }
    return try body()
  }

  /// Removes the git locks that a Tack writer killed mid-write left behind, as its record in
  /// `tack.lock` names them (`LockRecord`): the `index.lock` it created, when the file there
  /// is still that one, and the ref lock of its compare-and-swap, when the lock was created
  /// during that swap. Only when that writer is certainly gone (`LockOwner.isGone`); every
  /// other lock belongs to a process that may be running, and is waited for. Runs with
  /// `tack.lock` held, so no other Tack writer is mid-write.
  private func clearOwnDeadLocks(_ turn: FileLock) {
    guard let record = LockRecord(bytes: turn.recorded()) else { return }
    // Cleared once its locks are gone: a writer killed while clearing them leaves the record
    // to the next. (This writer's own record replaces it at its first lock anyway.)
    defer { turn.record([]) }
    // Its hold on tack.lock ends as a killed process's files are closed, a moment before the
    // kernel marks it exited: give it that moment (a writer that finished cleared its record).
    var gone = record.owner.isGone
    for _ in 0..<Self.exitPolls where !gone {
      usleep(10_000)
      gone = record.owner.isGone
    }
    guard gone else { return }
    var cleared: [String] = []
    if let index = record.index, FileIdentity(path: index.path) == index.identity,
      unlink(index.path) == 0
    {
      cleared.append(index.path)
    } else if record.index == nil, let opening = record.opening,
      let lock = FileIdentity(path: opening.path),
      Self.seconds(lock.changed) >= Self.seconds(opening.began) - 0.1,
      Self.seconds(lock.changed) <= Self.seconds(opening.began) + Self.swapSeconds,
      unlink(opening.path) == 0
    {
      // Killed between creating the lock and recording it: a lock made in that moment.
      cleared.append(opening.path)
    }
    if let lock = record.index?.path ?? record.opening?.path {
      unlink(IndexLock.newIndexPath(lock: lock, pid: record.owner.pid))
      // The index it replaced, if it died before its branch moved: its journal makes this
      // write bring those paths back in line with the branch.
      unlink(IndexLock.oldIndexPath(lock: lock, pid: record.owner.pid))
    }
    if let swap = record.swap, let lock = FileIdentity(path: swap.lock),
      Self.seconds(lock.changed) >= Self.seconds(swap.began) - 0.1,
      Self.seconds(lock.changed) <= Self.seconds(swap.began) + Self.swapSeconds,
      unlink(swap.lock) == 0
    {
      cleared.append(swap.lock)
    }
    if record.keeps { cleared += removeWriteKeeps(of: record.owner.pid) }
    guard !cleared.isEmpty else { return }
    writeWarning =
      "removed \(cleared.joined(separator: " and ")), left by tack process \(record.owner.pid), which stopped mid-write"
  }

  /// How many times (10 ms apart) a writer checks whether the writer named by a record it
  /// found in tack.lock has exited.
  static let exitPolls = 200

  /// How long after its swap (or its opening of `index.lock`) began a dead writer's lock may
  /// have been created: both are taken at once, and held for milliseconds.
  static let swapSeconds = 2.0

  private static func seconds(_ time: timespec) -> Double {
    Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }

  /// Finishes a working tree update that a killed writer left half done (see the journal
  /// written before each ref update): for each path it names, when the file is the committed
  /// version or still the version the index had (nobody edited it since), the file and the
  /// index are brought to the tip. Anything else is somebody's edit and is left alone.
  private func recoverWorktree(
    _ worktree: (folder: String, repository: Repository), branch: String, notes: LockNotes,
    until deadline: ContinuousClock.Instant, clock: ContinuousClock
  )
    throws(GitError)
  {
    let journal = worktree.repository.journalPath
    guard let bytes = try LocalFile.read(journal) else { return }
    // "<blob or -> <path>" per line (a journal of an older tack: the path alone).
    var paths: [String] = []
    var written: [OID?] = []
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1)
      if parts.count == 2, parts[0] == "-" || OID(hex: String(parts[0])) != nil {
        paths.append(String(parts[1]))
        written.append(OID(hex: String(parts[0])))
      } else {
        paths.append(String(line))
        written.append(nil)
      }
    }
    // A write killed mid-update may also have left a file it had not renamed into place.
    for path in paths { LocalFile.removeTemporaries(of: worktree.folder + path) }
    guard let tip = try tip(of: branch), !paths.isEmpty else {
      unlink(journal)
      return
    }
    let lock = try IndexLock.acquire(
      indexPath: worktree.repository.indexPath, notes: notes, until: deadline, clock: clock)
    defer { lock.release() }
    let tree = try self.tree(ofCommit: tip)
    let stale = try worktree.repository.behindPaths(
      paths, written: written, commit: tip, tip: tree, workdir: worktree.folder)
    unlink(journal)
    guard !stale.isEmpty else { return }
    var changes: [FileChange] = []
    for path in stale {
      changes.append(
        FileChange(
          path: path,
          content: try tree.entryID(at: path).map { (id) throws(GitError) in try blob(id) }))
    }
    let plan = CheckoutPlan(skipWorktree: changes.map { _ in false })
    try worktree.repository.syncWorktree(
      worktree.folder, with: changes, commit: tip, plan: plan, lock: lock)
    writeWarning =
      "finished updating \(stale.count) checked-out file(s) that a stopped write had left behind"
  }

  /// The working tree that has `branch` checked out, if any: this repository's own, or a
  /// linked worktree of it (`git worktree add`), or the main one when this is a linked
  /// worktree. Git lets one branch be checked out in one worktree at a time.
  private func checkedOutWorktree(
    for branch: String
  ) throws(GitError) -> (
    folder: String, repository: Repository
  )? {
    if !isBare, let workdir, (try? headBranch()) == branch { return (workdir, self) }
    let main: Repository
    if git_repository_is_worktree(pointer) == 1 {
      var repo: OpaquePointer?
      try check("git_repository_open", git_repository_open(&repo, commonDirectory))
      main = Repository(pointer: repo!)
      if !main.isBare, let workdir = main.workdir, (try? main.headBranch()) == branch {
        return (workdir, main)
      }
    } else {
      main = self
    }
    var names = git_strarray()
    try check("git_worktree_list", git_worktree_list(&names, main.pointer))
    defer { git_strarray_dispose(&names) }
    for index in 0..<names.count {
      guard let name = names.strings[index] else { continue }
      var worktree: OpaquePointer?
      guard git_worktree_lookup(&worktree, main.pointer, name) == 0 else { continue }
      defer { git_worktree_free(worktree) }
      guard git_worktree_validate(worktree) == 0 else { continue }
      var repo: OpaquePointer?
      guard git_repository_open_from_worktree(&repo, worktree) == 0 else { continue }
      let linked = Repository(pointer: repo!)
      if linked.pointer != pointer, let workdir = linked.workdir,
        (try? linked.headBranch()) == branch
      {
        return (workdir, linked)
      }
    }
    return nil
  }

  /// The backend that holds a write's new objects (see CLibGit2/pending.c), attached to
  /// the object database on first use.
  private func pendingObjects() throws(GitError) -> OpaquePointer {
    if let pending { return pending }
    var attached: OpaquePointer?
    try check("tack_pending_attach", tack_pending_attach(pointer, &attached))
    pending = attached
    return attached!
  }

  /// Writes the attempt's new objects as one pack (the pack before its index), so that they
  /// are on disk before the branch points at them.
  private func flushPending(_ pending: OpaquePointer) throws(GitError) {
    var name = [CChar](repeating: 0, count: 41)
    try check(
      "write pack", tack_pending_flush(pending, String(packFolder.dropLast()), &name))
    packsSeen?.count += 1
  }

  /// Makes the commit `request` asks for (or takes its fast-forward target), runs
  /// `beforeSwap` with it once its objects are on disk, then moves `branch` by
  /// compare-and-swap.
  private func commitAndSwap(
    branch: String, tip: OID?, base: Tree?, request: CommitRequest, pending: OpaquePointer?,
    notes: LockNotes, beforeSwap: (OID) throws(GitError) -> Void
  )
    throws(GitError) -> OID
  {
    if let target = request.fastForwardTo {
      try beforeSwap(target)
      var raw = target.raw
      try swapReference(
        branch: branch, tip: tip, to: &raw, reason: "tack: fast-forward", notes: notes)
      return target
    }
    let baseTree: Tree
    if let base { baseTree = base } else { baseTree = try emptyTree() }
    var updates: [git_tree_update] = []
    updates.reserveCapacity(request.changes.count)
    defer { for update in updates { free(UnsafeMutablePointer(mutating: update.path)) } }
    for change in request.changes {
      var update = git_tree_update()
      update.path = UnsafePointer(strdup(change.path))
      if let content = change.content {
        update.action = GIT_TREE_UPDATE_UPSERT
        update.filemode = GIT_FILEMODE_BLOB
        update.id = try writeBlob(content).raw
      } else {
        update.action = GIT_TREE_UPDATE_REMOVE
      }
      updates.append(update)
    }

    var treeID = git_oid()
    try check(
      "git_tree_create_updated",
      git_tree_create_updated(&treeID, pointer, baseTree.pointer, updates.count, &updates))
    var newTree: OpaquePointer?
    try check("git_tree_lookup", git_tree_lookup(&newTree, pointer, &treeID))
    defer { git_tree_free(newTree) }

    var parent: OpaquePointer?
    if let tip {
      var raw = tip.raw
      try check("git_commit_lookup", git_commit_lookup(&parent, pointer, &raw))
    }
    defer { if let parent { git_commit_free(parent) } }

    let author = try makeSignature(request.author)
    defer { git_signature_free(author) }
    let committer = try makeSignature(request.committer)
    defer { git_signature_free(committer) }

    var commitID = git_oid()
    var parents: [OpaquePointer?] = parent.map { [$0] } ?? []
    defer { for other in parents.dropFirst(parent == nil ? 0 : 1) { git_commit_free(other) } }
    for other in request.otherParents {
      var raw = other.raw
      var commit: OpaquePointer?
      try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
      parents.append(commit)
    }
    try check(
      "git_commit_create",
      git_commit_create(
        &commitID, pointer, nil, author, committer, nil, request.message, newTree,
        parents.count, &parents))
    if let pending { try flushPending(pending) }
    try beforeSwap(OID(commitID))
    let subject = request.message.prefix { $0 != "\n" }
    try swapReference(
      branch: branch, tip: tip, to: &commitID, reason: "tack: \(subject)", notes: notes)
    if let pending { tack_pending_landed(pending) }
    return OID(commitID)
  }

  /// Moves `branch` from `tip` to `target` only if it is still at `tip` (compare-and-swap).
  private func swapReference(
    branch: String, tip: OID?, to target: inout git_oid, reason: String, notes: LockNotes
  )
    throws(GitError)
  {
    // libgit2 creates `<branch>.lock` in here: noted first, so that the next writer may
    // remove it if this process is killed while it holds it.
    var began = timespec()
    clock_gettime(CLOCK_REALTIME, &began)
    notes.swap = (commonDirectory + branch + ".lock", began)
    defer { notes.swap = nil }
    var ref: OpaquePointer?
    if let tip {
      var expected = tip.raw
      try check(
        "git_reference_create_matching",
        git_reference_create_matching(&ref, pointer, branch, &target, 1, &expected, reason))
    } else {
      try check(
        "git_reference_create",
        git_reference_create(&ref, pointer, branch, &target, 0, reason))
    }
    git_reference_free(ref)
  }

  /// Writes a blob through `git_odb_write`, like trees and commits: libgit2's blob call
  /// goes through a write stream, which re-reads the pack folder for every new blob.
  func writeBlob(_ content: [UInt8]) throws(GitError) -> OID {
    var odb: OpaquePointer?
    try check("git_repository_odb", git_repository_odb(&odb, pointer))
    defer { git_odb_free(odb) }
    var raw = git_oid()
    let code = content.withUnsafeBytes {
      git_odb_write(&raw, odb, $0.baseAddress, $0.count, GIT_OBJECT_BLOB)
    }
    try check("git_odb_write", code)
    return OID(raw)
  }

  private func emptyTree() throws(GitError) -> Tree {
    var builder: OpaquePointer?
    try check("git_treebuilder_new", git_treebuilder_new(&builder, pointer, nil))
    defer { git_treebuilder_free(builder) }
    var raw = git_oid()
    try check("git_treebuilder_write", git_treebuilder_write(&raw, builder))
    var tree: OpaquePointer?
    try check("git_tree_lookup", git_tree_lookup(&tree, pointer, &raw))
    return Tree(pointer: tree!, repository: self)
  }

  private func makeSignature(
    _ signature: Signature
  ) throws(GitError) -> UnsafeMutablePointer<
    git_signature
  > {
    var result: UnsafeMutablePointer<git_signature>?
    if let time = signature.time {
      try check(
        "git_signature_new",
        git_signature_new(
          &result, signature.name, signature.email, git_time_t(time),
          Int32(signature.offsetMinutes)))
    } else {
      try check("git_signature_now", git_signature_now(&result, signature.name, signature.email))
    }
    return result!
  }
}
