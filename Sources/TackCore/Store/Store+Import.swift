import TackGit

extension Store {
  /// One line of an import: a task as exported (every field, id kept), or the few fields a
  /// person writes by hand (`title`, and optionally `board`, `status`, `labels`,
  /// `description`; an id is minted).
  public enum ImportItem: Sendable {
    case task(BoardTask)
    case draft(
      title: String, board: String?, status: String?, labels: [String], description: String)

    /// Reads one JSON line; `line` numbers the messages.
    public init(json bytes: [UInt8], line: Int) throws(TackError) {
      let value: JSONValue
      do { value = try JSONValue.parse(bytes) } catch {
        throw .invalidInput("line \(line): invalid JSON (\(error.description)).")
      }
      guard case .object(let object) = value else {
        throw .invalidInput("line \(line): each line must be a JSON object.")
      }
      if object["taskId"] != nil {
        self = .task(try BoardTask(fileContents: bytes, path: "line \(line)"))
        return
      }
      guard case .string(let title)? = object["title"] else {
        throw .invalidInput("line \(line): a task needs a title (or a full exported task).")
      }
      let allowed: Set<String> = ["title", "board", "status", "labels", "description"]
      if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
        throw .invalidInput(
          "line \(line): unknown field \(unknown); a new task takes title, board, status, labels, description."
        )
      }
      func string(_ key: String) throws(TackError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .invalidInput("line \(line): \(key) must be a string.")
        }
      }
      var labels: [String] = []
      if let list = object["labels"], list != .null {
        guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
          throw .invalidInput("line \(line): labels must be an array of strings.")
        }
        labels = items.compactMap(\.stringValue)
      }
      self = .draft(
        title: title, board: try string("board"), status: try string("status"), labels: labels,
        description: try string("description") ?? "")
    }
  }

  /// Adds tasks in one commit: every one checked like a `create` (names, limits, the board's
  /// statuses, scope) and none may collide with an existing id — else nothing is written.
  @discardableResult
  public func importTasks(_ items: [ImportItem], actor: Actor) throws(TackError) -> [BoardTask] {
    guard !items.isEmpty else { return [] }
    var imported: [BoardTask] = []
    try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      imported = []
      var boards: [String: Board] = [:]
      func loadBoard(_ name: String) throws(TackError) -> Board {
        if let known = boards[name] { return known }
        let loaded = try view.board(name)
        boards[name] = loaded
        return loaded
      }
      var seen = Set<TaskID>()
      var changes: [FileChange] = []
      let now = self.now()
      for (index, item) in items.enumerated() {
        var task: BoardTask
        switch item {
        case .task(let given):
          task = given
        case .draft(let title, let board, let status, let labels, let description):
          try Names.validateText(title, as: "title", maxBytes: Limits.titleBytes, singleLine: true)
          try Names.validateText(
            description, as: "description", maxBytes: Limits.descriptionBytes, allowEmpty: true)
          let boardName: String
          if let board { boardName = board } else { boardName = try view.config().defaultBoard }
          let target = try loadBoard(boardName)
          task = BoardTask(
            taskId: TaskID.generate(at: Timestamp(milliseconds: now.milliseconds + Int64(index))),
            board: boardName, title: title, description: description,
            status: status ?? target.initialStatus, labels: try Self.checkedLabels(labels),
            createdAt: now)
        }
        let board = try loadBoard(task.board)
        _ = try board.requireStatus(task.status)
        try view.rules.authorize(.create, board: board.name)
        task.labels = try Self.checkedLabels(
          view.rules.labels(forNewTaskOn: board.name, given: task.labels))
        try view.rules.admit(task, after: .create)
        guard seen.insert(task.taskId).inserted, try view.locate(task.taskId) == nil else {
          throw .invalidInput(
            "task \(task.taskId) is imported twice or exists already; nothing was imported.")
        }
        let contents = task.fileContents
        guard contents.count <= Limits.taskFileBytes else {
          throw .invalidInput("task \(task.taskId) is over the \(Limits.taskFileBytes)-byte limit.")
        }
        changes.append(
          FileChange(path: Store.taskPath(task.taskId, board: board.name), content: contents))
        imported.append(task)
      }
      let boardList = boards.keys.sorted().joined(separator: ", ")
      let message = CommitMessage(
        subject: "\(boardList): import \(imported.count) task\(imported.count == 1 ? "" : "s")",
        body: nil,
        trailers: [
          ("Tack-Board", boardList), ("Tack-Action", "import"), ("Tack-Actor", actor.trailer),
        ])
      return (changes, message)
    }
    return imported
  }
}
