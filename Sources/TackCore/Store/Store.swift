import Synchronization
import TackGit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The board repository: every read and write of boards and tasks. Each write is one commit
/// on the board branch (the branch HEAD points to), made through TackGit's compare-and-swap
/// update, so concurrent writers never lose each other's work.
public final class Store {
  let repository: Repository
  /// The board branch, `refs/heads/<name>`.
  public let branch: String
  /// The clock; tests replace it to reach lease expiry.
  public var now: @Sendable () -> Timestamp = { Timestamp.now() }
  /// How long a contended write keeps retrying.
  public var retryPolicy = RetryPolicy.standard
  /// Who may see and do what; every read and write attempt asks it, at the commit it reads.
  public var accessGuard: any AccessGuard = FullAccess()
  /// The local git identity as committer; `nil` when git has none (the acting principal,
  /// named by `--as`, then commits as well as authors).
  let committer: Signature?
  /// What lists read, kept in the git directory; loaded on first use.
  lazy var readIndex = ReadIndex(repository: repository)

  /// `branch`: the board branch (`refs/heads/...`); `nil` finds it (`discoverBoardBranch`).
  init(repository: Repository, branch: String? = nil) throws(TackError) {
    self.repository = repository
    if let branch {
      self.branch = branch
    } else {
      self.branch = try Self.discoverBoardBranch(in: repository)
    }
    committer = repository.committerSignature()
  }

  /// Opens the board repository that contains `path` (searching parents like git).
  public static func open(discoveringFrom path: String) throws(TackError) -> Store {
    do {
      return try Store(repository: Repository.discover(from: path))
    } catch let error as GitError {
      throw TackError(error)
    } catch {
      throw error as! TackError
    }
  }

  /// Registers `tack merge-driver` as git's `merge.tack` driver in this repository's config,
  /// so plain `git merge` and `git pull` merge task files field by field (the attribute is
  /// in `boards/.gitattributes`).
  public func installMergeDriver(command tack: String = "tack") throws(TackError) {
    do {
      try repository.setConfigValue("merge.tack.name", "Tack task files, merged field by field")
      try repository.setConfigValue("merge.tack.driver", "\(tack) merge-driver %O %A %B %P")
    } catch { throw TackError(error) }
  }

  /// The local git identity (`user.name`, `user.email`, or git's environment variables), if
  /// configured.
  public var gitIdentity: (name: String, email: String)? {
    repository.defaultSignature().map { ($0.name, $0.email) }
  }

  /// The folder of the working tree, or of the bare repository.
  public var location: String { repository.workdir ?? repository.gitDirectory }

  // MARK: Paths. Every path is built here from validated names only.

  static let boardsFolder = "boards"

  /// How many tasks a scan reads between two questions whether to stop (`summaries`'s
  /// `stop`): a few milliseconds of work with a text filter.
  static let stopCheckInterval = 128

  static func boardPath(_ board: String) -> String { "boards/\(board)/board.json" }

  static func tasksFolder(_ board: String) -> String { "boards/\(board)/tasks" }

  static func taskPath(_ id: TaskID, board: String) -> String {
    "boards/\(board)/tasks/\(id.shardPath)/\(id.rawValue).json"
  }

  /// Whether `path` is `taskPath(id, board:)`, compared without building it (lists check
  /// every file).
  static func isTaskPath(_ path: String, id: TaskID, board: String) -> Bool {
    var (path, name, board) = (path, id.rawValue, board)
    return path.withUTF8 { path in
      name.withUTF8 { name in
        board.withUTF8 { board in
          // boards/<board>/tasks/<c>/<c>/<id>.json
          let folder = 7 + board.count + 7
          let slash = UInt8(ascii: "/")
          guard path.count == folder + 4 + name.count + 5, name.count == 31, board.count > 0 else {
            return false
          }
          func equal(at offset: Int, _ part: UnsafeBufferPointer<UInt8>) -> Bool {
            memcmp(path.baseAddress! + offset, part.baseAddress!, part.count) == 0
          }
          func equal(at offset: Int, _ part: StaticString) -> Bool {
            memcmp(path.baseAddress! + offset, part.utf8Start, part.utf8CodeUnitCount) == 0
          }
          return equal(at: 0, "boards/") && equal(at: 7, board)
            && equal(at: 7 + board.count, "/tasks/") && path[folder] == name[30]
            && path[folder + 1] == slash && path[folder + 2] == name[29]
            && path[folder + 3] == slash && equal(at: folder + 4, name)
            && equal(at: folder + 35, ".json")
        }
      }
    }
  }

  /// A task file must sit where its id and board say; anything else is reported, not guessed.
  static func checkPlacement(_ task: BoardTask, board: String, path: String) throws(TackError) {
    if let reason = misplacement(of: task.taskId, taskBoard: task.board, board: board, path: path) {
      throw .corruptFile(path: path, reason: reason)
    }
  }

  /// Why a task with this id and `board` field cannot be at `path` on `board`, if it cannot.
  static func misplacement(
    of id: TaskID, taskBoard: String, board: String, path: String
  )
    -> String?
  {
    if taskBoard != board {
      return "field board is \(quoted(taskBoard)) but the file is on board \(board)"
    }
    if !isTaskPath(path, id: id, board: board) {
      return
        "field taskId \(id) does not match the file's name and folder (expected \(taskPath(id, board: board)))"
    }
    return nil
  }

  // MARK: Reading and writing

  /// The commit at the tip of the board branch — one ref read, the cheap way for a
  /// long-running server to notice that somebody (any process) wrote.
  public func revision() throws(TackError) -> String? {
    do { return try repository.tip(of: branch)?.hex } catch { throw TackError(error) }
  }

  /// A 32-byte secret of this repository, kept in its git directory (`tack/NAME`, mode 0600),
  /// made on first use: a key that outlives the process (see `Repository.secret`).
  public func secret(named name: String) throws(TackError) -> [UInt8] {
    do { return try repository.secret(named: name) } catch { throw TackError(error) }
  }

  /// `tack/NAME` in the git directory (outside every branch), or `nil` when there is none.
  public func privateFile(named name: String) throws(TackError) -> [UInt8]? {
    do { return try repository.readPrivateFile(named: name) } catch { throw TackError(error) }
  }

  /// Rewrites `tack/NAME` (mode 0600, atomically, under a lock; see
  /// `Repository.updatePrivateFile`). `change` gets the current bytes and returns the new ones.
  public func updatePrivateFile(
    named name: String, _ change: ([UInt8]?) throws(TackError) -> [UInt8]
  ) throws(TackError) {
    var failure: TackError?
    do throws(GitError) {
      try repository.updatePrivateFile(named: name) { (bytes: [UInt8]?) -> [UInt8]? in
        do throws(TackError) { return try change(bytes) } catch {
          failure = error
          return nil
        }
      }
    } catch { throw TackError(error) }
    if let failure { throw failure }
  }

  /// The path of `tack/NAME` in the git directory (for messages and tests).
  public func privateFilePath(named name: String) throws(TackError) -> String {
    do { return try repository.privateFilePath(named: name) } catch { throw TackError(error) }
  }

  /// SHA-256 of `bytes` (OpenSSL).
  public static func sha256(_ bytes: [UInt8]) -> [UInt8]? { SHA256.digest(bytes) }

  /// `count` bytes from OpenSSL's CSPRNG.
  public static func randomBytes(_ count: Int) -> [UInt8]? { SecureRandom.bytes(count) }

  /// HMAC-SHA256 of `bytes` under `key` (OpenSSL).
  public static func mac(key: [UInt8], _ bytes: [UInt8]) -> [UInt8]? {
    HMACSHA256.mac(key: key, bytes)
  }

  /// Whether two MACs are equal, compared in constant time.
  public static func macsEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool { HMACSHA256.equal(a, b) }

  /// Whether writes are fsynced when neither `TACK_FSYNC` nor the repository's config says.
  public var durableByDefault = false

  /// The fsync setting in force for this process: `TACK_FSYNC` (1 or 0) when set, else the
  /// repository's `.tack/config.json` `fsync`, else `fallback`. Applied before every write
  /// writes an object.
  static func applyDurability(config: RepositoryConfig?, fallback: Bool) throws(TackError) {
    var wanted = config?.fsync ?? fallback
    if let value = getenv("TACK_FSYNC") { wanted = String(cString: value) == "1" }
    guard
      durability.withLock({ current in
        defer { current = wanted }
        return current != wanted
      })
    else { return }
    do { try Repository.setFsync(wanted) } catch { throw TackError(error) }
  }

  private static let durability = Mutex<Bool>(false)

  /// `.tack/<name>` files other modules keep (e.g. `scopes.json`): plain names only.
  static func validateSettingsName(_ name: String) throws(TackError) {
    let base = name.hasSuffix(".json") ? String(name.dropLast(5)) : ""
    do { try Names.validate(base, as: "settings file") } catch {
      throw .invalidName(
        kind: "settings file", value: name, reason: "use a name like scopes.json under .tack/")
    }
  }

  public typealias PackReport = TackGit.PackReport

  /// `tack gc`: folds the loose objects Tack's writes leave into one pack (libgit2 never
  /// packs). Takes admin on the whole repository.
  public func pack() throws(TackError) -> PackReport {
    try authorize(.admin, board: "*")
    do { return try repository.pack() } catch { throw TackError(error) }
  }

  /// Above this many loose objects (git's `gc.auto` default), a write packs them;
  /// `TACK_AUTOPACK=0` turns it off, `TACK_AUTOPACK=N` sets another threshold.
  public var autoPackThreshold =
    getenv("TACK_AUTOPACK").flatMap { Int(String(cString: $0)) }.map { max($0, 0) } ?? 6700

  /// Above this many packs (each write leaves a small one), a write folds the smaller ones.
  static let packFoldThreshold = 16

  /// Whether a write that finds a fold due leaves it to a thread of its own (long-lived
  /// processes: the MCP server) instead of folding before it returns (a `tack` command,
  /// whose process would end before the thread).
  public var packsInBackground = false

  /// Lets a fold running on its own thread finish, for up to `limit` (none: as long as it
  /// takes); whether none runs any more. For a long-lived process about to end.
  @discardableResult
  public func finishBackgroundPacking(within limit: Duration? = nil) -> Bool {
    Repository.finishBackgroundFold(within: limit)
  }

  /// libgit2 never packs: after a write, Tack folds the small packs writes leave once there
  /// are more than `packFoldThreshold`, and packs loose objects once git's estimate says
  /// there are more than `autoPackThreshold`.
  private func packIfNeeded() {
    guard autoPackThreshold > 0,
      repository.packCountMayExceed(Self.packFoldThreshold)
        || repository.looseObjectEstimate() > autoPackThreshold
    else { return }
    if packsInBackground {
      repository.packLooseInBackground(
        whenLooseAbove: autoPackThreshold, whenPacksAbove: Self.packFoldThreshold
      ) { error in Warnings.emit("could not pack loose objects: \(error)") }
      return
    }
    do {
      _ = try repository.packLoose(
        whenLooseAbove: autoPackThreshold, whenPacksAbove: Self.packFoldThreshold)
    } catch {
      Warnings.emit("could not pack loose objects: \(error)")
    }
  }

  /// Loose objects in the repository.
  public var looseObjectCount: Int { repository.looseObjectCount() }

  /// The bytes of `.tack/<name>` at the tip, read without any access rule: for the access
  /// layer itself, which keeps its rules there.
  public func settingsFile(_ name: String) throws(TackError) -> [UInt8]? {
    try Store.validateSettingsName(name)
    do {
      guard let tip = try repository.tip(of: branch) else { return nil }
      return try repository.blob(at: ".tack/" + name, in: repository.tree(ofCommit: tip))
    } catch { throw TackError(error) }
  }

  /// Throws unless the acting principal may do `verb` on `board` (`"*"`: the repository).
  public func authorize(_ verb: Verb, board: String) throws(TackError) {
    try view().rules.authorize(verb, board: board)
  }

  /// Rewrites one `.tack/<name>` file in one commit. Only a principal with `admin` on the
  /// whole repository may. `transform` gets the current bytes (`nil` when absent) and returns
  /// the new ones, or `nil` for no change.
  @discardableResult
  public func updateSettingsFile(
    _ name: String, action: String, subject: String, body: String? = nil, actor: Actor,
    _ transform: ([UInt8]?) throws(TackError) -> [UInt8]?
  ) throws(TackError) -> Bool {
    try Store.validateSettingsName(name)
    let path = ".tack/" + name
    let commit = try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      try view.rules.authorize(.admin, board: "*")
      guard let bytes = try transform(view.file(path)) else { return nil }
      let message = CommitMessage(
        subject: subject, body: body,
        trailers: [("Tack-Action", action), ("Tack-Actor", actor.trailer)])
      return ([FileChange(path: path, content: bytes)], message)
    }
    return commit != nil
  }

  /// A consistent view of the branch tip.
  func view() throws(TackError) -> View {
    do {
      let tip = try repository.tip(of: branch)
      let tree = try tip.map { (tip) throws(GitError) in try repository.tree(ofCommit: tip) }
      return try View(
        repository: repository, snapshot: Snapshot(commit: tip, tree: tree), branch: branch,
        index: readIndex
      ).applying(accessGuard)
    } catch let error as GitError {
      throw TackError(error)
    } catch {
      throw error as! TackError
    }
  }

  /// One commit: `body` reads the tip through a view and returns the files to change and the
  /// message, or `nil` for nothing to do. On contention it runs again on the new tip.
  @discardableResult
  func write(
    actor: Actor,
    _ body: (View) throws(TackError) -> (changes: [FileChange], message: CommitMessage)?
  ) throws(TackError) -> OID? {
    try commit(actor: actor) { (view) throws(TackError) in
      try body(view).map { PendingCommit(changes: $0.changes, message: $0.message) }
    }
  }

  /// What one write commits; a merge names more parents, a fast-forward the commit to move to.
  struct PendingCommit {
    var changes: [FileChange]
    var message: CommitMessage
    var otherParents: [OID] = []
    var fastForwardTo: OID?
  }

  /// The one write path: `write`, and `sync`'s merges and fast-forwards.
  @discardableResult
  func commit(
    actor: Actor, _ body: (View) throws(TackError) -> PendingCommit?
  ) throws(TackError)
    -> OID?
  {
    defer { if let warning = repository.writeWarning { Warnings.emit(warning) } }
    defer { packIfNeeded() }
    defer { saveReadIndex(complete: false) }
    do {
      return try repository.update(branch: branch, policy: retryPolicy) { snapshot in
        let view = try View(
          repository: repository, snapshot: snapshot, branch: branch, index: readIndex
        ).applying(accessGuard)
        try Store.applyDurability(config: try? view.config(), fallback: durableByDefault)
        guard let pending = try body(view) else { return nil }
        // As git refuses a commit by nobody (a fast-forward makes none): a person writes under
        // their git identity, an agent under its principal (`--as`); without either, no email.
        if actor.email.isEmpty, pending.fastForwardTo == nil { throw TackError.noIdentity }
        var request = CommitRequest(
          changes: pending.changes, message: pending.message.text, author: actor.signature,
          committer: committer ?? actor.signature)
        request.otherParents = pending.otherParents
        request.fastForwardTo = pending.fastForwardTo
        return request
      }
    } catch let error as TackError {
      throw error
    } catch let error as GitError {
      throw TackError(error)
    } catch {
      throw .git("\(error)")
    }
  }
}
