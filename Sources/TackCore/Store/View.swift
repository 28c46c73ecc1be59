import TackGit

/// A consistent read of the board branch at one commit. Every read of one operation goes
/// through one view, so it never mixes two states of the branch.
struct View {
  let repository: Repository
  let commit: OID?
  let tree: Tree?
  let branch: String

  init(repository: Repository, snapshot: Snapshot, branch: String) {
    self.repository = repository
    self.commit = snapshot.commit
    self.tree = snapshot.tree
    self.branch = branch
  }

  func file(_ path: String) throws(TackError) -> [UInt8]? {
    guard let tree else { return nil }
    do { return try repository.blob(at: path, in: tree) } catch { throw TackError(error) }
  }

  func exists(_ path: String) throws(TackError) -> Bool {
    guard let tree else { return false }
    do { return try tree.entryID(at: path) != nil } catch { throw TackError(error) }
  }

  func config() throws(TackError) -> RepositoryConfig {
    guard let bytes = try file(RepositoryConfig.path) else {
      throw .notInitialized(branch: branch)
    }
    return try RepositoryConfig(fileContents: bytes)
  }

  /// Names of the folders under `boards/` that hold a `board.json`, sorted.
  func boardNames() throws(TackError) -> [String] {
    guard let tree else { return [] }
    do {
      guard let entries = try tree.entries(at: Store.boardsFolder) else { return [] }
      var names: [String] = []
      for entry in entries where entry.kind == .tree {
        if try tree.entryID(at: Store.boardPath(entry.name)) != nil { names.append(entry.name) }
      }
      return names.sorted()
    } catch { throw TackError(error) }
  }

  func board(_ name: String) throws(TackError) -> Board {
    try Names.validate(name, as: "board name")
    let path = Store.boardPath(name)
    guard let bytes = try file(path) else { throw .boardNotFound(name) }
    return try Board(fileContents: bytes, name: name, path: path)
  }

  /// The board a command means: the one named, or the repository's default.
  func board(named name: String?) throws(TackError) -> Board {
    if let name { return try board(name) }
    return try board(config().defaultBoard)
  }

  /// Every task file of `board`: its path, blob id and the id its name claims (if any).
  func taskFiles(board: String) throws(TackError) -> [(path: String, blob: OID, id: TaskID?)] {
    guard let tree else { return [] }
    let files: [(path: String, id: OID)]
    do { files = try tree.blobs(under: Store.tasksFolder(board)) } catch { throw TackError(error) }
    return files.map { file in
      let name = file.path.split(separator: "/").last.map(String.init) ?? ""
      let id = name.hasSuffix(".json") ? TaskID(String(name.dropLast(5))) : nil
      return (file.path, file.id, id)
    }
  }

  /// Where a task lives: the first board whose tasks folder holds its file.
  func locate(_ id: TaskID) throws(TackError) -> (board: String, path: String)? {
    for board in try boardNames() {
      let path = Store.taskPath(id, board: board)
      if try exists(path) { return (board, path) }
    }
    return nil
  }

  /// Reads a task by its full id; `nil` when it does not exist.
  func task(_ id: TaskID) throws(TackError) -> (task: BoardTask, board: Board, path: String)? {
    guard let (boardName, path) = try locate(id), let bytes = try file(path) else { return nil }
    let task = try BoardTask(fileContents: bytes, path: path)
    try Store.checkPlacement(task, board: boardName, path: path)
    return (task, try board(boardName), path)
  }

  /// Every task id on every board (from file names; no file is read).
  func allTaskIDs() throws(TackError) -> [TaskID] {
    var ids: [TaskID] = []
    for board in try boardNames() {
      ids.append(contentsOf: try taskFiles(board: board).compactMap(\.id))
    }
    return ids
  }

  /// Resolves a full or short id (a unique prefix of the ULID, with or without `task_`).
  func resolve(_ text: String) throws(TackError) -> TaskID {
    guard let query = TaskID.normalizedQuery(text) else {
      throw .invalidName(
        kind: "task id", value: text,
        reason: "an id is task_ followed by up to 26 letters and digits (Crockford base32)")
    }
    if query.utf8.count == 26, let id = TaskID(TaskID.prefix + query) {
      if try locate(id) != nil { return id }
      throw .taskNotFound(text)
    }
    guard query.utf8.count >= 4 else {
      throw .invalidInput("short id \(quoted(text)) is too short: give at least 4 characters.")
    }
    let matches = try allTaskIDs().filter { $0.ulid.hasPrefix(query) }
    switch matches.count {
    case 0: throw .taskNotFound(text)
    case 1: return matches[0]
    default:
      throw .ambiguousTaskID(text, candidates: matches.sorted().map(\.rawValue))
    }
  }
}
