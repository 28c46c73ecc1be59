import TackCore

/// The one doorway front ends use to reach a board repository. Every operation runs as
/// `principal` and passes through here, so rules about who may do what live in this module
/// and nowhere in the CLI or the MCP server. For now every principal has full rights; the
/// scoping layer (docs/scoping.md) narrows them.
public final class BoardAccess {
  let store: Store
  public let principal: Principal

  init(store: Store, principal: Principal?) {
    self.store = store
    self.principal = principal ?? .localPerson(identity: store.gitIdentity)
  }

  private var actor: Actor { principal.actor }

  /// Opens the board repository containing `path`, acting as `principal` (the local git
  /// identity when `nil`).
  public static func open(
    at path: String, as principal: Principal? = nil
  ) throws(TackError)
    -> BoardAccess
  {
    BoardAccess(store: try Store.open(discoveringFrom: path), principal: principal)
  }

  /// `tack init`: a git repository (created if needed) with the board template, one commit.
  public static func initialize(
    at path: String, board: String?, as principal: Principal? = nil
  )
    throws(TackError) -> (access: BoardAccess, outcome: Store.InitOutcome)
  {
    // The commit's author is decided before the store exists, from the repository's identity.
    let probe = try? Store.open(discoveringFrom: path)
    let who = principal ?? .localPerson(identity: probe?.gitIdentity)
    let (store, outcome) = try Store.initialize(at: path, board: board, actor: who.actor)
    return (BoardAccess(store: store, principal: who), outcome)
  }

  public var location: String { store.location }

  // MARK: Reads

  public func config() throws(TackError) -> RepositoryConfig { try store.config() }
  public func boards() throws(TackError) -> [Board] { try store.boards() }
  public func board(_ name: String?) throws(TackError) -> Board { try store.board(name) }
  public func task(_ id: String) throws(TackError) -> BoardTask { try store.task(id) }
  public func resolve(_ id: String) throws(TackError) -> TaskID { try store.resolve(id) }
  public func list(
    _ filter: TaskFilter
  ) throws(TackError) -> (tasks: [BoardTask], problems: [Problem]) {
    try store.list(filter)
  }
  public func shortIDs() throws(TackError) -> [TaskID: String] { try store.shortIDs() }
  public func history(_ id: String, limit: Int? = nil) throws(TackError) -> [HistoryEntry] {
    try store.history(id, limit: limit)
  }
  public func check() throws(TackError) -> [Problem] { try store.check() }

  // MARK: Writes

  public func addBoard(_ name: String) throws(TackError) -> Board {
    try store.addBoard(name, actor: actor)
  }

  public func create(
    title: String, board: String? = nil, description: String = "", labels: [String] = []
  ) throws(TackError) -> BoardTask {
    try store.create(
      title: title, board: board, description: description, labels: labels, actor: actor)
  }

  public func transition(
    _ id: String, to status: String, note: String? = nil
  ) throws(TackError)
    -> BoardTask
  {
    try store.transition(id, to: status, note: note, actor: actor)
  }

  public func addNote(_ id: String, text: String) throws(TackError) -> BoardTask {
    try store.addNote(id, text: text, actor: actor)
  }

  public func edit(
    _ id: String, title: String? = nil, description: String? = nil, addLabels: [String] = [],
    removeLabels: [String] = []
  ) throws(TackError) -> (task: BoardTask, changed: Bool) {
    try store.edit(
      id, title: title, description: description, addLabels: addLabels,
      removeLabels: removeLabels, actor: actor)
  }

  public func requestInput(
    _ id: String, key: String, request: BoardTask.InputRequest
  )
    throws(TackError) -> BoardTask
  {
    try store.requestInput(id, key: key, request: request, actor: actor)
  }

  public func answer(_ id: String, responses: [String: JSONValue]) throws(TackError) -> BoardTask {
    try store.answer(id, responses: responses, actor: actor)
  }

  public func claim(_ id: String, leaseSeconds: Int64) throws(TackError) -> BoardTask {
    try store.claim(id, leaseSeconds: leaseSeconds, actor: actor)
  }

  public func release(_ id: String) throws(TackError) -> BoardTask {
    try store.release(id, actor: actor)
  }
}
