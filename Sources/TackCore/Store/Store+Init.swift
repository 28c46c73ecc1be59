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
  /// With `branch` (a short name), the board goes on that branch (`tack init --branch`): it
  /// must be the one `tack.branch` names, if any. `identityNeeded`: the first commit will be
  /// the git user's, so without a git identity nothing is created (`TackError.noIdentity`).
  public static func openOrCreate(
    at path: String, branch: String? = nil, identityNeeded: Bool = false
  ) throws(TackError) -> (
    store: Store, created: Bool
  ) {
    if let branch, !Repository.isValidBranchName(branch) {
      throw .invalidName(
        kind: "branch name", value: branch,
        reason: "use a name git accepts for a branch, e.g. tack (see git check-ref-format)")
    }
    let repository: Repository
    var created = false
    do {
      repository = try Repository.discover(from: path)
    } catch {
      guard error.kind == .notARepository else { throw TackError(error) }
      // Its first commit would be refused for want of an identity: refuse before `git init`,
      // so that nothing at all is written.
      guard !identityNeeded || Repository.userSignature() != nil else { throw .noIdentity }
      do { repository = try Repository.initialize(at: path) } catch { throw TackError(error) }
      created = true
    }
    guard let branch else { return (try Store(repository: repository), created) }
    if let recorded = repository.configValue(branchConfigKey), !recorded.isEmpty, recorded != branch
    {
      throw .invalidInput(
        "this repository's board is on branch \(recorded) (git config \(branchConfigKey)), not \(branch): run 'tack init' without --branch, or move the board by hand (git config \(branchConfigKey) \(branch)) first."
      )
    }
    return (try Store(repository: repository, branch: "refs/heads/" + branch), created)
  }

  /// `tack init`: lays down the BoardTemplate files that are missing, in one commit. Running
  /// it again adds nothing; on an initialized repository, adding what is missing takes admin.
  ///
  /// On a checked-out branch that already holds other files (code), it refuses and suggests
  /// `--branch`, unless `here`: every task change would otherwise land in the code's history.
  /// With the store opened on a branch of its own (`openOrCreate(branch:)`), the commit goes
  /// there and `tack.branch` records it.
  public func initialize(
    board requested: String?, here: Bool = false, actor: Actor
  ) throws(TackError) -> InitOutcome {
    if let requested { try Names.validate(requested, as: "board name") }
    let ownBranch =
      repository.configValue(Self.branchConfigKey) != nil
      || (try? repository.headBranch()) != branch
    if !here, !ownBranch, try view().file(RepositoryConfig.path) == nil,
      checkedOutBranchHoldsOtherContent()
    {
      throw .invalidInput(
        "branch \(branchName) already holds other files: a board there would put every task change into its history (and its pull requests), and 'git switch' would take the board away. Keep the board on a branch of its own with 'tack init --branch tack' (the checked-out branch, index and files stay untouched), or put it on \(branchName) anyway with 'tack init --here'."
      )
    }
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
    if (try? repository.headBranch()) != branch
      || repository.configValue(Self.branchConfigKey) != nil
    {
      do { try repository.setConfigValue(Self.branchConfigKey, branchName) } catch {
        throw TackError(error)
      }
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
