import TackGit

extension Store {
  public func config() throws(TackError) -> RepositoryConfig { try view().config() }

  /// The commit the board branch points to (hex), or `nil` before the first commit: cheap to
  /// poll, so a watcher reads the board again only when this changes.
  public func revision() throws(TackError) -> String? {
    do { return try repository.tip(of: branch)?.hex } catch { throw TackError(error) }
  }

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
    var tasks: [BoardTask] = []
    for board in boards.map(\.name) + problems.compactMap(\.board) {
      for file in try view.taskFiles(board: board) {
        do {
          guard let task = try view.readTask(at: file.path, board: board) else { continue }
          if filter.matches(task) { tasks.append(task) }
        } catch {
          problems.append(Problem(path: file.path, reason: error.reason))
        }
      }
    }
    tasks.sort { ($0.createdAt, $0.taskId) < ($1.createdAt, $1.taskId) }
    return (tasks, problems)
  }

  /// The shortest prefix of each id's ULID that no other task shares, at least `minimum`
  /// characters (like git's abbreviated hashes).
  public func shortIDs(minimum: Int = 8) throws(TackError) -> [TaskID: String] {
    let ids = try view().visibleTaskIDs().sorted()
    var result: [TaskID: String] = [:]
    func common(_ a: TaskID, _ b: TaskID) -> Int {
      zip(a.ulid.utf8, b.ulid.utf8).prefix { $0 == $1 }.count
    }
    for (index, id) in ids.enumerated() {
      var length = minimum
      if index > 0 { length = max(length, common(id, ids[index - 1]) + 1) }
      if index + 1 < ids.count { length = max(length, common(id, ids[index + 1]) + 1) }
      result[id] = String(id.ulid.prefix(length))
    }
    return result
  }

  /// `tack check`: every file under `.tack/` and `boards/` that Tack cannot use.
  public func check() throws(TackError) -> [Problem] {
    let view = try view()
    var problems: [Problem] = []
    do { _ = try view.config() } catch {
      if case .notInitialized = error { throw error }
      problems.append(Problem(path: RepositoryConfig.path, reason: error.reason))
    }
    for name in try view.boardNames() {
      do {
        try Names.validate(name, as: "board name")
        let board = try view.board(name)
        for file in try view.taskFiles(board: name) {
          do {
            guard let task = try view.readTask(at: file.path, board: name) else { continue }
            _ = try board.requireStatus(task.status)
          } catch {
            problems.append(Problem(path: file.path, reason: error.reason))
          }
        }
      } catch {
        problems.append(Problem(path: Store.boardPath(name), reason: error.reason))
      }
    }
    return problems
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
