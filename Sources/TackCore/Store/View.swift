import TackGit

/// A consistent read of the board branch at one commit, as one principal sees it. Every read
/// of one operation goes through one view, so it never mixes two states of the branch, and
/// everything out of the principal's scope is simply absent from it.
struct View {
  let repository: Repository
  let commit: OID?
  let tree: Tree?
  let branch: String
  /// The read index lists go through (`nil`: read every file from git).
  let index: ReadIndex?
  /// What the acting principal may see and do in this commit.
  private(set) var rules: any AccessRules = FullAccess()

  init(repository: Repository, snapshot: Snapshot, branch: String, index: ReadIndex? = nil) {
    self.repository = repository
    self.commit = snapshot.commit
    self.tree = snapshot.tree
    self.branch = branch
    self.index = index
  }

  /// This view under the rules `accessGuard` sets for its commit.
  func applying(_ accessGuard: any AccessGuard) throws(TackError) -> View {
    var view = self
    view.rules = try accessGuard.rules(in: ScopeSnapshot(view: self))
    return view
  }

  func file(_ path: String) throws(TackError) -> [UInt8]? {
    guard let tree else { return nil }
    do { return try repository.blob(at: path, in: tree) } catch { throw TackError(error) }
  }

  func entryID(_ path: String) throws(TackError) -> String? {
    guard let tree else { return nil }
    return try entryID(path, in: tree)?.hex
  }

  private func entryID(_ path: String, in tree: Tree) throws(TackError) -> OID? {
    do { return try tree.entryID(at: path) } catch { throw TackError(error) }
  }

  func exists(_ path: String) throws(TackError) -> Bool { try entryID(path) != nil }

  func config() throws(TackError) -> RepositoryConfig {
    guard let bytes = try file(RepositoryConfig.path) else {
      throw .notInitialized(branch: branch)
    }
    return try RepositoryConfig(fileContents: bytes)
  }

  /// Names of the folders under `boards/` that hold a `board.json` and are in scope, sorted.
  func boardNames() throws(TackError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let entries = try tree.entries(at: Store.boardsFolder) else { return [] }
      var names: [String] = []
      for entry in entries where entry.kind == .tree && rules.canSee(board: entry.name) {
        if try tree.entryID(at: Store.boardPath(entry.name)) != nil { names.append(entry.name) }
      }
      return names.sorted()
    } catch { throw TackError(error) }
  }

  func board(_ name: String) throws(TackError) -> Board {
    try Names.validate(name, as: "board name")
    let path = Store.boardPath(name)
    guard rules.canSee(board: name), let tree, let id = try entryID(path, in: tree) else {
      throw .boardNotFound(name)
    }
    func parse() throws(TackError) -> Board {
      let bytes: [UInt8]
      do { bytes = try repository.blob(id) } catch { throw TackError(error) }
      return try Board(fileContents: bytes, name: name, path: path)
    }
    if let index { return try index.board(blob: id, name: name, parse: parse) }
    return try parse()
  }

  /// Every board in scope that parses, and a problem for each that does not.
  func readBoards() throws(TackError) -> (boards: [Board], problems: [Problem]) {
    var boards: [Board] = []
    var problems: [Problem] = []
    for name in try boardNames() {
      do { boards.append(try board(name)) } catch {
        problems.append(Problem(path: Store.boardPath(name), reason: error.reason, board: name))
      }
    }
    return (boards, problems)
  }

  /// The board a command means: the one named, or the repository's default.
  func board(named name: String?) throws(TackError) -> Board {
    if let name { return try board(name) }
    return try board(config().defaultBoard)
  }

  /// A file in a board's tasks folder.
  struct TaskFile {
    var path: String
    var blob: OID

    /// The id the file's name claims, if it is `<task id>.json` (checked on bytes: lists
    /// and short-id lookups ask this of every file).
    var id: TaskID? {
      let bytes = path.utf8
      guard bytes.count > 36, bytes.suffix(5).elementsEqual(".json".utf8),
        bytes.dropLast(36).last == UInt8(ascii: "/")
      else { return nil }
      return TaskID(String(Substring(bytes.dropLast(5).suffix(31))))
    }
  }

  /// Every task file of `board`.
  func taskFiles(board: String) throws(TackError) -> [TaskFile] {
    guard let tree else { return [] }
    do {
      let folder = Store.tasksFolder(board)
      if let index {
        guard let id = try tree.treeID(at: folder) else { return [] }
        return try index.blobs(under: id, prefix: folder + "/").map {
          TaskFile(path: $0.path, blob: $0.id)
        }
      }
      return try tree.blobs(under: folder).map { TaskFile(path: $0.path, blob: $0.id) }
    } catch { throw TackError(error) }
  }

  /// Where a task's file is: the first board in scope whose tasks folder holds it.
  func locate(_ id: TaskID) throws(TackError) -> (board: String, path: String)? {
    for board in try boardNames() {
      let path = Store.taskPath(id, board: board)
      if try exists(path) { return (board, path) }
    }
    return nil
  }

  /// Reads a task file; `nil` when the task is out of scope. A file that does not parse is
  /// reported only to a principal who sees every task of its board.
  func readTask(at path: String, board: String) throws(TackError) -> BoardTask? {
    guard let bytes = try file(path) else { return nil }
    let task: BoardTask
    do {
      task = try BoardTask(fileContents: bytes, path: path)
      try Store.checkPlacement(task, board: board, path: path)
    } catch {
      if rules.canSee(board: board, labels: nil) { throw error }
      return nil
    }
    return rules.canSee(board: board, labels: task.labels) ? task : nil
  }

  /// What lists need of a task file, through the read index (`readTask`'s rules: `nil` when
  /// out of scope; a broken file is an error only for whoever sees its whole board).
  func summary(at path: String, blob: OID, board: String) throws(TackError) -> TaskSummary? {
    guard let index else {
      return try readTask(at: path, board: board).map(TaskSummary.init)
    }
    let record: ReadIndex.Record
    do { record = try index.record(blob) } catch { throw TackError(error) }
    let failure: String
    switch record.content {
    case .failure(let broken): failure = broken.reason
    case .success(let summary):
      guard
        let reason = Store.misplacement(
          of: summary.taskId, taskBoard: summary.board, board: board, path: path)
      else { return rules.canSee(board: board, labels: summary.labels) ? summary : nil }
      failure = reason
    }
    if rules.canSee(board: board, labels: nil) {
      throw .corruptFile(path: path, reason: failure)
    }
    return nil
  }

  /// Reads a task by its full id; `nil` when it does not exist or is out of scope.
  func task(_ id: TaskID) throws(TackError) -> (task: BoardTask, board: Board, path: String)? {
    guard let (boardName, path) = try locate(id),
      let task = try readTask(at: path, board: boardName)
    else { return nil }
    return (task, try board(boardName), path)
  }

  /// The ids of every task in scope: from file names alone where the principal sees whole
  /// boards; a label-scoped principal has the files read, so no hidden id leaks.
  func visibleTaskIDs() throws(TackError) -> [TaskID] {
    var ids: [TaskID] = []
    for board in try boardNames() {
      if let fromTable = try visibleTaskIDs(board: board) {
        ids += fromTable
        continue
      }
      let files = try taskFiles(board: board)
      if rules.canSee(board: board, labels: nil) {
        ids.append(contentsOf: files.compactMap(\.id))
        continue
      }
      for file in files {
        guard let id = file.id,
          (try? summary(at: file.path, blob: file.blob, board: board)) != nil
        else { continue }
        ids.append(id)
      }
    }
    return ids
  }

  /// Resolves a full or short id among the tasks in scope: a unique prefix of the random
  /// part (`ShortID`) or of the whole ULID, with or without `task_`. Text that cannot be
  /// part of any id is simply no task (as an id out of scope is).
  func resolve(_ text: String) throws(TackError) -> TaskID {
    guard !text.isEmpty else { throw .invalidInput("give a task id (see tack list).") }
    guard let query = TaskID.normalizedQuery(text) else { throw .taskNotFound(text) }
    if query.utf8.count == 26, let id = TaskID(TaskID.prefix + query) {
      guard let (board, path) = try locate(id) else { throw .taskNotFound(text) }
      // Whoever sees the whole board gets the id even when the file is broken, so that
      // reading it reports the broken file.
      if rules.canSee(board: board, labels: nil) { return id }
      guard (try? readTask(at: path, board: board)) != nil else { throw .taskNotFound(text) }
      return id
    }
    guard query.utf8.count >= 4 else {
      throw .invalidInput("short id \(quoted(text)) is too short: give at least 4 characters.")
    }
    let matches = try visibleTaskIDs().filter { ShortID.matches(query, $0) }
    switch matches.count {
    case 0: throw .taskNotFound(text)
    case 1: return matches[0]
    default:
      throw .ambiguousTaskID(text, candidates: matches.sorted().map(\.rawValue))
    }
  }
}
