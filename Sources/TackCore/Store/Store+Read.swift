import TackGit

extension Store {
  public func config() throws(TackError) -> RepositoryConfig { try view().config() }

  /// Every board in scope, sorted by name, and the board files that do not parse (which
  /// never hide the others).
  public func boards() throws(TackError) -> (boards: [Board], problems: [Problem]) {
    let view = try view()
    _ = try view.config()
    return try view.readBoards()
  }

  /// The board named, or the default board when `name` is `nil`.
  public func board(_ name: String?) throws(TackError) -> Board {
    try view().board(named: name)
  }

  /// The full id for a full or short id.
  public func resolve(_ text: String) throws(TackError) -> TaskID {
    let view = try view()
    _ = try view.config()
    return try view.resolve(text)
  }

  /// The task with this full or short id.
  public func task(_ text: String) throws(TackError) -> BoardTask {
    let view = try view()
    _ = try view.config()
    guard let found = try view.task(view.resolve(text)) else { throw .taskNotFound(text) }
    return found.task
  }

  /// The tasks `filter` selects, oldest first, and the files that could not be read (which
  /// never stop the others from listing).
  public func list(
    _ filter: TaskFilter = TaskFilter()
  ) throws(TackError) -> (
    tasks: [BoardTask], problems: [Problem]
  ) {
    let (summaries, problems) = try self.summaries(filter)
    var tasks: [BoardTask] = []
    tasks.reserveCapacity(summaries.count)
    for summary in summaries { tasks.append(try summary.task()) }
    return (tasks, problems)
  }

  /// What `list` selects, as summaries from the read index: the fields lists show and each
  /// task's JSON, without parsing the files again (only new versions of files are read).
  ///
  /// `stop` is asked now and then during the scan (every `Store.stopCheckInterval` tasks):
  /// when it says so, the scan ends with `TackError.cancelled`.
  public func summaries(
    _ filter: TaskFilter = TaskFilter(), stop: () -> Bool = { false }
  ) throws(TackError) -> (
    tasks: [TaskSummary], problems: [Problem]
  ) {
    try filter.validate()
    defer { saveReadIndex(complete: filter.board == nil) }
    let view = try view()
    _ = try view.config()
    var (boards, problems) = try view.readBoards()
    if let name = filter.board {
      let board = try view.board(name)
      for status in filter.statuses { _ = try board.requireStatus(status) }
      boards = [board]
      problems = []
    } else {
      // A status no board has is a typo, not an empty result.
      let known = Set(boards.flatMap(\.statusNames))
      for status in filter.statuses where !known.contains(status) {
        throw .unknownStatus(status, board: nil, known: known.sorted())
      }
    }
    var tasks: [TaskSummary] = []
    // With `open`, a task's status is checked after the scan, against its own board's rules.
    var scan = filter
    if filter.open { scan.statuses = [] }
    for board in boards.map(\.name) + problems.compactMap(\.board) {
      try view.summaries(
        board: board, filter: scan, into: &tasks, problems: &problems, stop: stop)
    }
    if filter.open {
      let terminal = Dictionary(
        boards.map { ($0.name, Set($0.statuses.filter(\.terminal).map(\.name))) },
        uniquingKeysWith: { first, _ in first })
      tasks.removeAll {
        terminal[$0.board]?.contains($0.status) == true && !filter.statuses.contains($0.status)
      }
    }
    // Oldest first, ties by id: sorted on integer keys computed once, moving positions
    // rather than summaries (each move a retain and a release).
    let keys = tasks.map { SortKey(createdAt: $0.createdAt, id: $0.taskId) }
    let order = keys.indices.sorted { keys[$0] < keys[$1] }
    return (order.map { tasks[$0] }, problems)
  }

  /// `(createdAt, taskId)` as integers (see `TaskID.orderKey`).
  private struct SortKey: Comparable {
    var createdAt: Int64
    var id: (UInt64, UInt64, UInt64, UInt64)

    init(createdAt: Timestamp, id: TaskID) {
      self.createdAt = createdAt.milliseconds
      self.id = id.orderKey
    }

    static func < (a: SortKey, b: SortKey) -> Bool {
      (a.createdAt, a.id.0, a.id.1, a.id.2, a.id.3) < (b.createdAt, b.id.0, b.id.1, b.id.2, b.id.3)
    }

    static func == (a: SortKey, b: SortKey) -> Bool {
      (a.createdAt, a.id.0, a.id.1, a.id.2, a.id.3) == (b.createdAt, b.id.0, b.id.1, b.id.2, b.id.3)
    }
  }

  /// Writes what the read index learned; a long-lived process then starts a fresh one once
  /// this one holds many versions it computed itself (old versions of busy tasks).
  func saveReadIndex(complete: Bool) {
    readIndex.save(complete: complete)
    if readIndex.computedCount > readIndex.maximumComputed {
      readIndex = ReadIndex(repository: repository)
    }
  }

  /// Each task's short id among the tasks in scope (`ShortID`).
  public func shortIDs(minimum: Int = ShortID.minimum) throws(TackError) -> [TaskID: String] {
    defer { saveReadIndex(complete: false) }
    return ShortID.of(try view().visibleTaskIDs(), minimum: minimum)
  }

  /// `tack check`: every file under `.tack/` and `boards/` that Tack cannot use, task ids
  /// found twice, and objects the board branch's history needs but the repository lacks.
  public func check() throws(TackError) -> [Problem] {
    defer { saveReadIndex(complete: false) }
    let view = try view()
    return try inspect(view).problems + historyProblems(view)
  }

  /// The objects missing from the history of the branch (`Repository.missingObjects`), one
  /// problem each, named after the branch.
  private func historyProblems(_ view: View) throws(TackError) -> [Problem] {
    guard let tip = view.commit else { return [] }
    let missing: [MissingObject]
    do { missing = try repository.missingObjects(from: tip) } catch { throw TackError(error) }
    return missing.map {
      Problem(
        path: branch,
        reason:
          "history is damaged: \($0); fetch it from a clone that has it (git fetch), and run git fsck --full for the whole picture"
      )
    }
  }

  /// `tack check --fix`: moves task files that sit in the wrong shard folder (the task parses
  /// and belongs to its board) to where their id says, in one commit. Everything else is
  /// only reported: a repair that needs judgement is a person's. Takes admin on every board.
  /// Returns the problems that remain.
  public func repair(actor: Actor) throws(TackError) -> (fixed: [Problem], remaining: [Problem]) {
    var fixed: [Problem] = []
    try write(actor: actor) { (view) throws(TackError) in
      try view.rules.authorize(.admin, board: "*")
      let moves = try inspect(view).moves
      fixed = moves.map { Problem(path: $0.from, reason: "moved to \($0.to)") }
      guard !moves.isEmpty else { return nil }
      var changes: [FileChange] = []
      for move in moves {
        changes.append(FileChange(path: move.from, content: nil))
        changes.append(FileChange(path: move.to, content: move.bytes))
      }
      let message = CommitMessage(
        subject: "check: move \(moves.count) misplaced task file\(moves.count == 1 ? "" : "s")",
        body: moves.map { "\($0.from) → \($0.to)" }.joined(separator: "\n"),
        trailers: [("Tack-Action", "repair"), ("Tack-Actor", actor.trailer)])
      return (changes, message)
    }
    return (fixed, try check())
  }

  private struct Move {
    var from: String
    var to: String
    var bytes: [UInt8]
  }

  private func inspect(_ view: View) throws(TackError) -> (problems: [Problem], moves: [Move]) {
    var problems: [Problem] = []
    var moves: [Move] = []
    do { _ = try view.config() } catch {
      if case .notInitialized = error { throw error }
      problems.append(Problem(path: RepositoryConfig.path, reason: error.reason))
    }
    var seen: [TaskID: String] = [:]
    for name in try view.boardNames() {
      do {
        try Names.validate(name, as: "board name")
        let board = try view.board(name)
        for file in try view.taskFiles(board: name) {
          do {
            guard let bytes = try view.file(file.path) else { continue }
            let task = try BoardTask(fileContents: bytes, path: file.path)
            if let first = seen[task.taskId] {
              throw TackError.corruptFile(
                path: file.path, reason: "task id \(task.taskId) is also in \(first)")
            }
            seen[task.taskId] = file.path
            let home = Store.taskPath(task.taskId, board: name)
            if task.board == name, file.path != home, try !view.exists(home) {
              moves.append(Move(from: file.path, to: home, bytes: bytes))
            }
            guard try view.readTask(at: file.path, board: name) != nil else { continue }
            _ = try board.requireStatus(task.status)
            if let conflict = task.extra["mergeConflict"] {
              throw TackError.corruptFile(
                path: file.path,
                reason:
                  "an unresolved merge: both sides changed \(conflict.objectValue?.keys.sorted().joined(separator: ", ") ?? "it") (\(conflict.serialized(pretty: false))); set the value you want (tack move / edit the file), remove mergeConflict, and commit"
              )
            }
          } catch let error as TackError {
            problems.append(Problem(path: file.path, reason: error.reason))
          } catch {
            problems.append(Problem(path: file.path, reason: "\(error)"))
          }
        }
      } catch {
        problems.append(Problem(path: Store.boardPath(name), reason: error.reason))
      }
    }
    return (problems, moves)
  }
}

extension TackError {
  /// The message without the path, for a list that already names the file.
  var reason: String {
    switch self {
    case .corruptFile(_, let reason): reason
    case .unsupportedFormat(_, let version):
      "format version \(version) is newer than this tack understands (1)"
    default: description
    }
  }
}
