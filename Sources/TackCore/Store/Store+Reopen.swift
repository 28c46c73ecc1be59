import TackGit

extension Store {
  /// Terminal is terminal: "reopening" a finished task creates a new task on the same board,
  /// with its title, description and labels and a `reopens` link back, and notes the old task
  /// (notes are what a terminal task accepts) — both in one commit.
  public func reopen(
    _ idText: String, title: String? = nil, actor: Actor
  ) throws(TackError)
    -> BoardTask
  {
    if let title {
      try Names.validateText(title, as: "title", maxBytes: Limits.titleBytes, singleLine: true)
    }
    let id = try view().resolve(idText)
    var created: BoardTask?
    try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      guard let found = try view.task(id) else { throw .taskNotFound(idText) }
      let board = found.board
      guard board.isTerminal(found.task.status) else {
        throw .invalidInput(
          "task \(id) is \(found.task.status), not finished: move it instead of reopening it.")
      }
      try view.rules.authorize(.create, board: board.name)
      try view.rules.authorize(.comment, board: board.name)
      let now = self.now()
      var task = BoardTask(
        taskId: TaskID.generate(at: now), board: board.name, title: title ?? found.task.title,
        description: found.task.description, status: board.initialStatus,
        labels: try view.rules.labels(forNewTaskOn: board.name, given: found.task.labels),
        createdAt: now)
      task.links = [BoardTask.Link(rel: "reopens", taskId: id.rawValue)]
      try view.rules.admit(task, after: .create)
      var old = found.task
      old.notes.append(.init(at: now, by: actor.id, text: "Reopened as \(task.taskId)."))
      old.updatedAt = max(now, old.updatedAt)
      created = task
      let message = Self.message(
        task,
        Outcome(
          what: "reopens \(id.historyID)",
          body: "Reopens \(id) (\(found.task.status)).", action: "reopen"),
        actor: actor)
      return (
        [
          FileChange(
            path: Store.taskPath(task.taskId, board: board.name), content: task.fileContents),
          FileChange(path: found.path, content: old.fileContents),
        ], message
      )
    }
    return created!
  }
}
