import TackGit

extension Store {
  /// What `importForeign` did.
  public struct ForeignImportReport: Sendable {
    public var created: [BoardTask] = []
    public var updated: [BoardTask] = []
    public var unchanged = 0
    /// What was not kept, with how many tasks it concerned, e.g. `"urgency": 12`.
    public var dropped: [String: Int] = [:]
  }

  /// Places tasks read from another tool on `board` (default: the repository's default
  /// board), in one commit, all or nothing. A task whose `source` is already on the board
  /// repository (visible to the principal) is updated in place — title, description,
  /// status, labels, assignee, priority, due date and dependencies from the source; notes
  /// added that it lacks — so importing again never duplicates. Dependencies name other
  /// tasks of the same source, in this import or imported before.
  public func importForeign(
    _ tasks: [ForeignTask], board: String? = nil, actor: Actor
  ) throws(TackError) -> ForeignImportReport {
    var report = ForeignImportReport()
    guard !tasks.isEmpty else { return report }
    var sources = Set<String>()
    for task in tasks where !sources.insert(task.source).inserted {
      throw .invalidInput("\(task.source) appears twice in the import; nothing was imported.")
    }
    // Where each source already is, from the read index (only files naming a source are read).
    var known: [String: TaskID] = [:]
    for summary in try summaries(TaskFilter()).tasks
    where summary.json.firstRange(of: Array("\"source\": ".utf8)) != nil {
      if let source = try summary.task().source { known[source] = summary.taskId }
    }
    let tool = String(tasks[0].source.prefix { $0 != ":" })
    try write(actor: actor) { (view) throws(TackError) in
      report = ForeignImportReport()
      let target = try view.board(named: board)
      try view.rules.authorize(.create, board: target.name)
      let now = self.now()
      // Every task's id first, so dependencies can name tasks later in the file.
      var ids: [String: TaskID] = known
      var existing: [String: BoardTask] = [:]
      for (index, task) in tasks.enumerated() {
        if let id = known[task.source], let found = try view.task(id) {
          existing[task.source] = found.task
          ids[task.source] = id
        } else {
          let made = task.createdAt ?? now
          ids[task.source] = TaskID.generate(
            at: Timestamp(milliseconds: made.milliseconds + Int64(index)))
        }
      }
      var changes: [FileChange] = []
      for task in tasks {
        var dropped = task.dropped
        let before = existing[task.source]
        let boardForTask =
          try before.map { (task) throws(TackError) in try view.board(task.board) } ?? target
        var placed =
          before
          ?? BoardTask(
            taskId: ids[task.source]!, board: boardForTask.name, title: task.title,
            status: boardForTask.initialStatus, createdAt: task.createdAt ?? now)
        placed.source = task.source
        placed.title = task.title
        placed.description = Self.cut(task.description, to: Limits.descriptionBytes, &dropped)
        let status = try Self.status(for: task.stage, on: boardForTask)
        if let before, boardForTask.isTerminal(before.status), status != before.status {
          // Terminal is terminal: a finished task is not reopened by its source.
          dropped.append("a status change of a task finished here")
        } else {
          placed.status = status
        }
        if boardForTask.isTerminal(placed.status) || placed.status == boardForTask.initialStatus {
          placed.lease = nil
        }
        placed.labels = try Self.checkedLabels(
          view.rules.labels(
            forNewTaskOn: boardForTask.name, given: Array(task.labels.prefix(Limits.labelsPerTask)))
        )
        if task.labels.count > Limits.labelsPerTask { dropped.append("labels after the 32nd") }
        placed.assignee = task.assignee
        placed.priority = task.priority
        placed.due = task.due
        for note in task.notes
        where !placed.notes.contains(where: { $0.at == note.at && $0.text == note.text }) {
          var kept = note
          kept.text = Self.cut(note.text, to: Limits.noteBytes, &dropped)
          placed.notes.append(kept)
        }
        placed.notes.sort { $0.at < $1.at }
        placed.links.removeAll { $0.rel == BoardTask.Link.blockedBy }
        for blocker in task.blockers {
          guard let id = ids[blocker], id != placed.taskId else {
            dropped.append("a dependency on \(blocker), not imported")
            continue
          }
          if !placed.blockers.contains(id.rawValue) {
            placed.links.append(.init(rel: BoardTask.Link.blockedBy, taskId: id.rawValue))
          }
        }
        try Names.validateText(
          placed.title, as: "title", maxBytes: Limits.titleBytes, singleLine: true)
        if let before {
          try view.rules.authorize(.edit, board: before.board)
          guard placed != before else {
            report.unchanged += 1
            continue
          }
          placed.updatedAt = max(now, before.updatedAt)
        } else {
          placed.updatedAt = max(now, placed.createdAt)
        }
        try view.rules.admit(placed, after: .create)
        let contents = placed.fileContents
        guard contents.count <= Limits.taskFileBytes else {
          throw .invalidInput(
            "\(task.source) would be over the \(Limits.taskFileBytes)-byte limit; nothing was imported."
          )
        }
        changes.append(
          FileChange(path: Store.taskPath(placed.taskId, board: placed.board), content: contents))
        if before == nil { report.created.append(placed) } else { report.updated.append(placed) }
        for phrase in Set(dropped) { report.dropped[phrase, default: 0] += 1 }
      }
      guard !changes.isEmpty else { return nil }
      let counts = "\(report.created.count) new, \(report.updated.count) updated"
      let message = CommitMessage(
        subject: "\(target.name): import from \(tool) (\(counts))", body: nil,
        trailers: [
          ("Tack-Board", target.name), ("Tack-Action", "import"), ("Tack-Actor", actor.trailer),
        ])
      return (changes, message)
    }
    return report
  }

  /// The board status a stage lands on.
  static func status(for stage: ForeignTask.Stage, on board: Board) throws(TackError) -> String {
    let wanted: String
    switch stage {
    case .open: return board.initialStatus
    case .started: wanted = StatusName.working
    case .completed: wanted = StatusName.completed
    case .cancelled: wanted = StatusName.cancelled
    }
    guard board.status(wanted) != nil else {
      throw .invalidInput(
        "board \(board.name) has no status \(wanted) for imported \(stage.rawValue) tasks; nothing was imported."
      )
    }
    return wanted
  }

  static func cut(_ text: String, to limit: Int, _ dropped: inout [String]) -> String {
    guard text.utf8.count > limit else { return text }
    var kept = ""
    for character in text {
      if kept.utf8.count + String(character).utf8.count > limit { break }
      kept.append(character)
    }
    dropped.append("text past \(limit / 1024) KiB")
    return kept
  }
}
