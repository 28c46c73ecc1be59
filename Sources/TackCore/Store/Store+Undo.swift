import TackGit

extension Store {
  /// Commits looked at for `tack undo` without an id.
  static let undoSearchDepth = 1000

  /// `tack undo [ID]`: reverts the actor's latest write to a task as a new commit, through
  /// the board's rules. Without an id, the task of the actor's newest write on the branch.
  ///
  /// What it reverts: the title, description, labels, assignee and lease, the notes that
  /// write added, and the status — moved back only where the board allows that move, and
  /// never out of a terminal status. It refuses, naming why: when the task changed after
  /// that write (by anyone: nobody's later write is lost), when the write created the task
  /// (cancel it instead), was an undo, or asked or answered questions.
  public func undo(
    _ idText: String?, actor: Actor
  ) throws(TackError) -> (
    task: BoardTask, undone: String
  ) {
    let view = try view()
    _ = try view.config()
    let id: TaskID
    if let idText {
      id = try view.resolve(idText)
    } else {
      guard let tip = view.commit,
        let message = try newestMessage(
          from: tip,
          where: {
            CommitMessage.trailer("Tack-Actor", in: $0) == actor.trailer
              && CommitMessage.trailer("Tack-Task", in: $0) != nil
          }),
        let text = CommitMessage.trailer("Tack-Task", in: message)
      else {
        throw .invalidInput(
          "you (\(actor.trailer)) made no change to a task in the last \(Self.undoSearchDepth) commits; there is nothing to undo."
        )
      }
      // A task out of scope (or gone) is no task, as everywhere.
      id = try view.resolve(text)
    }
    guard let (_, path) = try view.locate(id), let tip = view.commit else {
      throw .taskNotFound(idText ?? id.rawValue)
    }
    let latest: PathChange?
    do {
      let index = HistoryIndexKey(branch: branch, folder: Self.boardsFolder)
      latest = try repository.history(of: path, from: tip, limit: 1, index: index).first
    } catch { throw TackError(error) }
    guard let change = latest, let blob = change.blob else {
      throw .taskNotFound(idText ?? id.rawValue)
    }
    let before: [UInt8]?
    let after: [UInt8]
    do {
      after = try repository.blob(blob)
      before = try change.previousBlob.map { (blob) throws(GitError) in try repository.blob(blob) }
    } catch { throw TackError(error) }
    let subject = String(change.message.prefix { $0 != "\n" })
    let commit = String(change.commit.hex.prefix(10))
    let who = CommitMessage.trailer("Tack-Actor", in: change.message)
    guard who == actor.trailer else {
      throw .invalidInput(
        "the latest change to task \(id) is not yours: \(commit) \"\(subject)\" by \(who ?? "\(change.author.name) <\(change.author.email)> (plain git)"). Undo reverts only your own latest change to a task, so nobody's later work is lost."
      )
    }
    let action = CommitMessage.trailer("Tack-Action", in: change.message) ?? "?"
    guard action != "undo" else {
      throw .invalidInput(
        "your latest change to task \(id) is an undo (\(commit)); tack undo does not undo an undo: make the change again instead."
      )
    }
    guard let before else {
      throw .invalidInput(
        "your latest change to task \(id) created it (\(commit)); undo does not delete tasks: cancel it instead (tack cancel)."
      )
    }
    let was = try BoardTask(fileContents: before, path: path)
    let then = try BoardTask(fileContents: after, path: path)
    guard was.inputRequests == then.inputRequests, was.inputResponses == then.inputResponses
    else {
      throw .invalidInput(
        "your latest change to task \(id) (\(commit) \"\(subject)\") asked or answered questions, which undo does not take back: ask or answer again instead."
      )
    }
    var verb: Verb = .comment
    switch action {
    case "transition": verb = .transition
    case "edit": verb = .edit
    case "claim", "renew", "release": verb = .claim
    default: break
    }
    let task = try mutate(id.rawValue, verb, actor: actor) {
      (task, board, _, rules) throws(TackError) in
      // Whatever happened since that write (a concurrent writer, a hand edit) is kept.
      guard task.fileContents == then.fileContents else {
        throw .invalidInput(
          "task \(id) changed after your change \(commit) (\"\(subject)\"); undo would lose that later change, so nothing was written. See tack log \(id.historyID)."
        )
      }
      var fields: [String] = []
      if was.status != task.status {
        try rules.authorize(.transition, board: board.name)
        if board.isTerminal(task.status) {
          throw .terminalTask(task: task.taskId.rawValue, status: task.status)
        }
        guard board.allows(from: task.status, to: was.status) else {
          throw .illegalTransition(
            task: task.taskId.rawValue, from: task.status, to: was.status,
            allowed: board.status(task.status)?.next ?? [])
        }
        task.status = was.status
        fields.append("status \(then.status) → \(was.status)")
      }
      if was.title != task.title || was.description != task.description
        || was.labels != task.labels
      {
        try rules.authorize(.edit, board: board.name)
        if board.isTerminal(task.status) {
          throw .terminalTask(task: task.taskId.rawValue, status: task.status)
        }
        for (name, changed) in [
          ("title", was.title != task.title), ("description", was.description != task.description),
          ("labels", was.labels != task.labels),
        ] where changed { fields.append(name) }
        (task.title, task.description, task.labels) = (was.title, was.description, was.labels)
      }
      if was.assignee != task.assignee || was.lease != task.lease {
        try rules.authorize(.claim, board: board.name)
        (task.assignee, task.lease) = (was.assignee, was.lease)
        fields.append("assignee")
      }
      if was.notes != task.notes {
        guard task.notes.count > was.notes.count,
          Array(task.notes.prefix(was.notes.count)) == was.notes
        else {
          throw .invalidInput(
            "your change \(commit) to task \(id) rewrote notes; undo only takes back notes it added."
          )
        }
        try rules.authorize(.comment, board: board.name)
        let added = task.notes.count - was.notes.count
        task.notes = was.notes
        fields.append(added == 1 ? "note" : "\(added) notes")
      }
      guard !fields.isEmpty else {
        throw .invalidInput(
          "your change \(commit) to task \(id) changed nothing undo can take back (\(action)).")
      }
      return Outcome(
        what: "undo \(fields.joined(separator: ", "))",
        body: "Undoes \(change.commit.hex) (\(subject)).", action: "undo")
    }
    return (task, subject)
  }

  /// `Repository.newestMessage` within `undoSearchDepth` commits, as a `TackError`.
  private func newestMessage(
    from tip: OID, where matches: (String) -> Bool
  ) throws(TackError) -> String? {
    do {
      return try repository.newestMessage(from: tip, within: Self.undoSearchDepth, where: matches)
    } catch { throw TackError(error) }
  }
}
