import TackGit

extension Store {
  /// What `sync` did.
  public struct SyncReport: Sendable {
    public enum Merge: String, Sendable {
      case upToDate = "up to date"
      case fastForward = "fast-forward"
      case merged
    }

    public var remote: String
    public var merge: Merge
    /// Task files both sides had changed, merged field by field.
    public var mergedTasks: [String]
    public var pushed: Bool
    /// Tasks on which what came in decided against this side (a claim that lost, a status
    /// overridden by a terminal one), one per task.
    public var overruled: [OverruledTask] = []
  }

  /// `tack sync`: fetch the board branch from `remote` (default: the branch's upstream
  /// remote, else `origin`), bring it in — fast-forward, or a merge commit whose task files
  /// were merged field by field (`Tack-Action: sync`) — and push, never forced. A push that
  /// lost a race fetches and merges again. Anything that cannot be merged automatically stops
  /// the sync before anything is written.
  public func sync(remote requested: String?, actor: Actor) throws(TackError) -> SyncReport {
    // A sync brings in and sends out every board: it takes admin on the whole repository.
    try authorize(.admin, board: "*")
    let short = String(branch.dropFirst("refs/heads/".count))
    let remote = requested ?? repository.configValue("branch.\(short).remote") ?? "origin"
    var report = SyncReport(remote: remote, merge: .upToDate, mergedTasks: [], pushed: false)
    for _ in 0..<5 {
      let theirs: OID?
      do { theirs = try repository.fetch(remote: remote, branch: branch) } catch {
        if error.kind == .notFound, error.call == "git_remote_lookup" {
          throw .invalidInput(
            "this repository has no remote named \(remote): add one with `git remote add \(remote) URL` (or name another: tack sync REMOTE), then run tack sync again."
          )
        }
        throw TackError(error)
      }
      if let theirs {
        try bringIn(theirs, from: remote, actor: actor, report: &report)
      }
      let pushed: Bool
      do {
        // The remote already has exactly this tip: nothing to send, and no second connection
        // (over ssh each costs a login, ~0.3 s here).
        if try repository.tip(of: branch) == theirs {
          report.pushed = true
          return report
        }
        pushed = try repository.push(remote: remote, branch: branch, expected: theirs)
      } catch {
        throw TackError(error)
      }
      if pushed {
        report.pushed = true
        return report
      }
    }
    throw .conflict("\(remote) kept moving while syncing; run tack sync again")
  }

  private func bringIn(
    _ theirs: OID, from remote: String, actor: Actor, report: inout SyncReport
  )
    throws(TackError)
  {
    var outcome = report
    // What this round tells; a push that lost a race brings in more, and what an earlier
    // round decided is no longer visible by comparison then, so rounds add up.
    let earlier = report.overruled
    try commit(actor: actor) { (view) throws(TackError) in
      outcome.overruled = []
      guard let ours = view.commit else {
        outcome.merge = .fastForward
        return PendingCommit(
          changes: try mergeOf(nil, theirs).changes, message: syncMessage("fast-forward", remote),
          fastForwardTo: theirs)
      }
      do {
        if try repository.isAncestor(theirs, of: ours) { return nil }
        let merge = try repository.merge(ours: ours, theirs: theirs)
        // Files only the other side changed: compare what this side had with what comes in
        // (a merge made elsewhere may have overruled a claim this side pushed before).
        for change in merge.changes {
          if let told = try overruled(change, had: view, actor: actor) {
            outcome.overruled.append(told)
          }
        }
        if try repository.isAncestor(ours, of: theirs) {
          outcome.merge = .fastForward
          return PendingCommit(
            changes: merge.changes, message: syncMessage("fast-forward", remote),
            fastForwardTo: theirs)
        }
        var changes = merge.changes
        var merged: [String] = []
        for conflict in merge.conflicts {
          let (bytes, told, decisions) = try resolve(conflict, view, actor: actor)
          changes.append(FileChange(path: conflict.path, content: bytes))
          if let told { outcome.overruled.append(told) }
          merged.append(
            ([conflict.path] + decisions.map { "    " + $0.reason }).joined(separator: "\n"))
        }
        outcome.merge = .merged
        outcome.mergedTasks = merge.conflicts.map(\.path)
        var message = syncMessage(
          "merge \(remote)/\(branch.dropFirst("refs/heads/".count))", remote)
        if !merged.isEmpty {
          message.body =
            "Tasks merged field by field:\n" + merged.map { "  " + $0 }.joined(separator: "\n")
        }
        return PendingCommit(changes: changes, message: message, otherParents: [theirs])
      } catch let error as GitError {
        throw TackError(error)
      } catch {
        throw error as! TackError
      }
    }
    report = outcome
    report.overruled = earlier
    for told in outcome.overruled {
      guard let at = report.overruled.firstIndex(where: { $0.path == told.path }) else {
        report.overruled.append(told)
        continue
      }
      for decision in told.decisions where !report.overruled[at].decisions.contains(decision) {
        report.overruled[at].decisions.append(decision)
      }
    }
  }

  private func mergeOf(_ ours: OID?, _ theirs: OID) throws(TackError) -> TreeMerge {
    // An unborn branch takes every file of theirs.
    do {
      let tree = try repository.tree(ofCommit: theirs)
      return TreeMerge(
        changes: try tree.blobs(under: "").map { (file) throws(GitError) in
          FileChange(path: file.path, content: try repository.blob(file.id))
        }, conflicts: [])
    } catch { throw TackError(error) }
  }

  /// A file both sides changed: a task file is merged with `TaskMerge`; anything else, or a
  /// task whose fields clash, stops the sync.
  private func resolve(
    _ conflict: MergeConflict, _ view: View, actor: Actor
  ) throws(TackError) -> (
    [UInt8], OverruledTask?, [TaskMerge.Decision]
  ) {
    let parts = conflict.path.split(separator: "/")
    guard parts.count >= 4, parts[0] == "boards", parts[2] == "tasks",
      let ours = conflict.ours, let theirs = conflict.theirs,
      let o = try? JSONValue.parse(ours), let t = try? JSONValue.parse(theirs)
    else {
      throw .conflict(
        "\(conflict.path) was changed on both sides and is not a task file Tack can merge; nothing was written — merge it with git (git pull) and commit"
      )
    }
    let base = conflict.ancestor.flatMap { try? JSONValue.parse($0) } ?? .object([:])
    let board = try? view.board(String(parts[1]))
    let result = TaskMerge.merge(base: base, ours: o, theirs: t, board: board)
    guard result.conflicts.isEmpty else {
      throw .conflict(
        "\(conflict.path): both sides changed \(result.conflicts.joined(separator: ", ")) differently; nothing was written — decide with git pull (the merge driver records both) or change one side and sync again"
      )
    }
    return (
      result.merged.serializedBytes(pretty: true),
      OverruledTask.fromMerge(
        path: conflict.path, ours: o, result: result, holder: actor.id
      ) { TaskMerge.isTerminal($0, on: board) },
      result.decisions
    )
  }

  /// A task file that comes in changed by the other side only, compared with what this side
  /// had (`view`, this side's tip): told when this side's claim is gone.
  private func overruled(
    _ change: FileChange, had view: View, actor: Actor
  ) throws(TackError) -> OverruledTask? {
    let parts = change.path.split(separator: "/")
    guard parts.count >= 4, parts[0] == "boards", parts[2] == "tasks",
      change.path.hasSuffix(".json"), let content = change.content,
      let before = try view.file(change.path),
      let had = try? JSONValue.parse(before), let has = try? JSONValue.parse(content)
    else { return nil }
    let board = try? view.board(String(parts[1]))
    return OverruledTask.comparing(
      path: change.path, had: had, has: has, holder: actor.id
    ) { TaskMerge.isTerminal($0, on: board) }
  }

  private func syncMessage(_ what: String, _ remote: String) -> CommitMessage {
    CommitMessage(
      subject: "sync: \(what)", body: nil,
      trailers: [("Tack-Action", "sync"), ("Tack-Remote", remote)])
  }
}
