import TackCore

/// The one doorway front ends use to reach a board repository. Every operation runs as
/// `principal`, and the store consults this module's rules (`ScopeGuard`) on every read and
/// write, so no front end holds a rule of its own (docs/scoping.md).
public final class BoardAccess {
  let store: Store
  public let principal: Principal

  private init(store: Store, principal: Principal) {
    self.store = store
    self.principal = principal
  }

  var actor: Actor { principal.actor }

  /// Opens the board repository containing `path`. With `principalID` (`--as`), acts as that
  /// principal of `.tack/scopes.json` — an unknown one is refused. Without it, acts as the
  /// local git identity: full rights until somebody holds `admin`, then that person's grants.
  public static func open(
    at path: String, as principalID: String? = nil
  ) throws(TackError)
    -> BoardAccess
  {
    let store = try Store.open(discoveringFrom: path)
    return try BoardAccess(store: store, principal: resolve(principalID, in: store))
  }

  /// `tack init`: a git repository (created if needed) with the board template, one commit.
  /// Initializing is refused to an unknown principal, and adds nothing to a repository that
  /// has a board already.
  /// `branch`: the board's own branch (`tack init --branch`); `here`: on the checked-out
  /// branch even when it holds other files (see `Store.initialize`).
  public static func initialize(
    at path: String, board: String?, branch: String? = nil, here: Bool = false,
    as principalID: String? = nil
  )
    throws(TackError) -> (access: BoardAccess, outcome: Store.InitOutcome)
  {
    // A named principal must exist before anything is created for it.
    if let principalID, (try? Store.open(discoveringFrom: path)) == nil {
      try Principal.validateID(principalID)
      throw .unknownPrincipal(principalID)
    }
    if let board { try Names.validate(board, as: "board name") }
    let (store, created) = try Store.openOrCreate(
      at: path, branch: branch, identityNeeded: principalID == nil)
    let principal = try resolve(principalID, in: store)
    var outcome = try store.initialize(board: board, here: here, actor: principal.actor)
    outcome.createdRepository = created
    return (BoardAccess(store: store, principal: principal), outcome)
  }

  /// Who acts, with the guard that confines it installed on the store.
  private static func resolve(
    _ principalID: String?, in store: Store
  ) throws(TackError)
    -> Principal
  {
    let scopes =
      try store.settingsFile(Scopes.fileName).map { (bytes) throws(TackError) in
        try Scopes(fileContents: bytes)
      } ?? Scopes()
    if let principalID {
      try Principal.validateID(principalID)
      guard let entry = scopes.entries[principalID] else { throw .unknownPrincipal(principalID) }
      store.accessGuard = ScopeGuard(identity: .principal(principalID))
      return entry.principal
    }
    var local = Principal.localPerson(identity: store.gitIdentity)
    store.accessGuard = ScopeGuard(identity: .local(email: local.email))
    if let entry = scopes.person(withEmail: local.email) { local.id = entry.principal.id }
    return local
  }

  public var location: String { store.location }

  /// The board branch's short name (e.g. `tack`), wherever HEAD is.
  public var branchName: String { store.branchName }

  /// From now on every write is refused, whatever the grants say (`tack mcp --read-only`).
  public func restrictToReading() {
    store.accessGuard = ReadOnlyGuard(inner: store.accessGuard)
  }

  /// The verbs the principal may use on at least one board it sees, as the scopes stand
  /// now: what a front end offers it (an MCP server lists only the tools it can use).
  public func grantedVerbs() -> Set<Verb> {
    guard let boards = try? store.boards().boards else { return [] }
    var verbs: Set<Verb> = []
    for verb in Verb.allCases {
      for board in boards where (try? store.authorize(verb, board: board.name)) != nil {
        verbs.insert(verb)
        break
      }
    }
    return verbs
  }

  // MARK: Reads

  public func config() throws(TackError) -> RepositoryConfig { try store.config() }
  /// The board branch's commit; it changes whenever anybody writes (see `Store.revision`).
  public func revision() throws(TackError) -> String? { try store.revision() }
  public func boards() throws(TackError) -> (boards: [Board], problems: [Problem]) {
    try store.boards()
  }
  public func board(_ name: String?) throws(TackError) -> Board { try store.board(name) }
  public func task(_ id: String) throws(TackError) -> BoardTask { try store.task(id) }
  public func resolve(_ id: String) throws(TackError) -> TaskID { try store.resolve(id) }
  public func list(
    _ filter: TaskFilter
  ) throws(TackError) -> (
    tasks: [BoardTask], problems: [Problem]
  ) {
    try store.list(filter)
  }
  /// `list` as summaries from the read index (no task file parsed again).
  /// `stop`: see `Store.summaries`.
  public func summaries(
    _ filter: TaskFilter, stop: () -> Bool = { false }
  ) throws(TackError) -> (
    tasks: [TaskSummary], problems: [Problem]
  ) {
    try store.summaries(filter, stop: stop)
  }
  public func shortIDs() throws(TackError) -> [TaskID: String] { try store.shortIDs() }
  public func history(_ id: String, limit: Int? = nil) throws(TackError) -> [HistoryEntry] {
    try store.history(id, limit: limit)
  }
  public func check() throws(TackError) -> [Problem] { try store.check() }
  /// `tack check --fix` (admin on every board).
  public func repair() throws(TackError) -> (fixed: [Problem], remaining: [Problem]) {
    try store.repair(actor: actor)
  }

  // MARK: Writes

  public func addBoard(_ name: String) throws(TackError) -> Board {
    try store.addBoard(name, actor: actor)
  }

  /// A new task; with `inputRequests` it starts out waiting for them (see `Store.create`).
  public func create(
    title: String, board: String? = nil, description: String = "", labels: [String] = [],
    inputRequests: [String: BoardTask.InputRequest] = [:], plan: Store.PlanChange = .init()
  ) throws(TackError) -> BoardTask {
    try store.create(
      title: title, board: board, description: description, labels: labels,
      inputRequests: inputRequests, plan: plan, actor: actor)
  }

  /// A new task that takes up a finished one (which gets a note pointing to it).
  public func reopen(_ id: String, title: String? = nil) throws(TackError) -> BoardTask {
    try store.reopen(id, title: title, actor: actor)
  }

  /// Adds tasks in one commit (see `Store.importTasks`).
  @discardableResult
  public func importTasks(_ items: [Store.ImportItem]) throws(TackError) -> [BoardTask] {
    try store.importTasks(items, actor: actor)
  }

  /// fsync every write unless `TACK_FSYNC` or the repository's config says otherwise (the
  /// MCP server's default: agents' acknowledged writes must survive a crash).
  public func preferDurableWrites() { store.durableByDefault = true }

  /// Folds the packs writes leave on a thread of its own, so that a write returns without
  /// waiting for one (for long-lived processes: the MCP server).
  public func packInBackground() { store.packsInBackground = true }

  /// Lets a fold running on its own thread finish, for up to `limit` (none: as long as it
  /// takes); whether none runs any more. A process that ends mid-fold loses the fold's work.
  @discardableResult
  public func finishBackgroundPacking(within limit: Duration? = nil) -> Bool {
    store.finishBackgroundPacking(within: limit)
  }

  /// `tack install-merge-driver`: git merges task files with Tack's rules in this clone.
  /// `command` is how git should run tack (default: `tack` on the PATH).
  public func installMergeDriver(command: String = "tack") throws(TackError) {
    try store.installMergeDriver(command: command)
  }

  /// `tack sync`: fetch, merge (task files field by field) and push; admin on every board.
  public func sync(remote: String?) throws(TackError) -> Store.SyncReport {
    try store.sync(remote: remote, actor: actor)
  }

  /// Packs the loose objects (`tack gc`); admin on every board.
  public func pack() throws(TackError) -> Store.PackReport { try store.pack() }

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

  /// `tack undo`: reverts your latest write to a task (see `Store.undo`).
  public func undo(_ id: String?) throws(TackError) -> (task: BoardTask, undone: String) {
    try store.undo(id, actor: actor)
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
    _ id: String, requests: [String: BoardTask.InputRequest]
  )
    throws(TackError) -> BoardTask
  {
    try store.requestInput(id, requests: requests, actor: actor)
  }

  public func requestInput(
    _ id: String, key: String, request: BoardTask.InputRequest
  )
    throws(TackError) -> BoardTask
  {
    try requestInput(id, requests: [key: request])
  }

  public func answer(_ id: String, responses: [String: JSONValue]) throws(TackError) -> BoardTask {
    try store.answer(id, responses: responses, actor: actor)
  }

  /// The MAC that makes a token this repository's front ends hand out (an MCP input round
  /// trip's `requestState`) tamper-evident: HMAC-SHA256 under the key in the git directory
  /// (`tack/mcp-state-key`), so a restarted server verifies what an earlier one signed.
  public func stateMAC(_ bytes: [UInt8]) throws(TackError) -> [UInt8] {
    let key: [UInt8]
    if let stateKey {
      key = stateKey
    } else {
      key = try store.secret(named: "mcp-state-key")
      stateKey = key
    }
    guard let mac = Store.mac(key: key, bytes) else {
      throw .git("HMAC-SHA256: OpenSSL could not compute a MAC")
    }
    return mac
  }

  private var stateKey: [UInt8]?

  /// Answers given by the person using this principal's MCP host (elicitation, or a 2026
  /// input round trip): recorded as theirs, on behalf of the principal, whose grant must
  /// allow `answer` (see `Actor.hostUser(of:)`).
  public func answerAsHostUser(
    _ id: String, responses: [String: JSONValue]
  ) throws(TackError) -> BoardTask {
    try store.answer(id, responses: responses, actor: .hostUser(of: actor))
  }

  /// Throws unless an answer from the host's user could be recorded on `board`: the server
  /// asks its user only what it can record.
  public func authorizeHostUserAnswers(board: String) throws(TackError) {
    try store.authorize(.answer, board: board)
  }

  public func claim(_ id: String, leaseSeconds: Int64) throws(TackError) -> BoardTask {
    try store.claim(id, leaseSeconds: leaseSeconds, actor: actor)
  }

  public func release(_ id: String) throws(TackError) -> BoardTask {
    try store.release(id, actor: actor)
  }
}
