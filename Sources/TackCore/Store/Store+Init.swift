import TackGit

extension Store {
  /// What `initialize` did.
  public struct InitOutcome: Sendable {
    /// A git repository was created (it did not exist).
    public var createdRepository: Bool
    /// The files laid down in this commit (empty when everything was already there).
    public var addedFiles: [String]
    /// The default board of the repository.
    public var defaultBoard: String
  }

  /// Opens the repository containing `path`, or makes `path` one (`git init`) when it is not
  /// inside any. `created` says which.
  public static func openOrCreate(
    at path: String
  ) throws(TackError) -> (
    store: Store, created: Bool
  ) {
    let repository: Repository
    var created = false
    do {
      repository = try Repository.discover(from: path)
    } catch {
      guard error.kind == .notARepository else { throw TackError(error) }
      do { repository = try Repository.initialize(at: path) } catch { throw TackError(error) }
      created = true
    }
    return (try Store(repository: repository), created)
  }

  /// `tack init`: lays down the BoardTemplate files that are missing, in one commit. Running
  /// it again adds nothing; on an initialized repository, adding what is missing takes admin.
  public func initialize(board requested: String?, actor: Actor) throws(TackError) -> InitOutcome {
    if let requested { try Names.validate(requested, as: "board name") }
    var added: [String] = []
    var defaultBoard = requested ?? "main"
    try write(actor: actor) { (view) throws(TackError) in
      var files = BoardTemplate.repositoryFiles(defaultBoard: defaultBoard)
      let initialized = try view.file(RepositoryConfig.path)
      if let existing = initialized {
        // Initialized already: keep its default board and add only what is missing.
        defaultBoard = try RepositoryConfig(fileContents: existing).defaultBoard
        files = BoardTemplate.repositoryFiles(defaultBoard: defaultBoard)
        if try !view.boardNames().isEmpty {
          files = files.filter {
            !$0.key.hasPrefix(Store.boardsFolder + "/") || $0.key.hasSuffix(".gitattributes")
          }
        }
      }
      var changes: [FileChange] = []
      for (path, content) in files.sorted(by: { $0.key < $1.key }) where try !view.exists(path) {
        changes.append(FileChange(path: path, content: content))
      }
      added = changes.map(\.path)
      guard !changes.isEmpty else { return nil }
      if initialized != nil { try view.rules.authorize(.admin, board: "*") }
      let message = CommitMessage(
        subject: "\(defaultBoard): initialize Tack board",
        body: "Files:\n" + added.map { "  " + $0 }.joined(separator: "\n"),
        trailers: [
          ("Tack-Board", defaultBoard), ("Tack-Action", "init"), ("Tack-Actor", actor.trailer),
        ])
      return (changes, message)
    }
    return InitOutcome(createdRepository: false, addedFiles: added, defaultBoard: defaultBoard)
  }

  /// `tack board add`: a new board with the template's statuses.
  public func addBoard(_ name: String, actor: Actor) throws(TackError) -> Board {
    try Names.validate(name, as: "board name")
    try write(actor: actor) { (view) throws(TackError) in
      _ = try view.config()
      try view.rules.authorize(.admin, board: "*")
      if try view.exists(Store.boardPath(name)) { throw .boardExists(name) }
      let message = CommitMessage(
        subject: "\(name): add board", body: nil,
        trailers: [
          ("Tack-Board", name), ("Tack-Action", "board-add"), ("Tack-Actor", actor.trailer),
        ])
      return (
        [FileChange(path: Store.boardPath(name), content: BoardTemplate.boardContents)], message
      )
    }
    return try view().board(name)
  }
}
