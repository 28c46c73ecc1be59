import TackGit

extension Store {
  /// The git config key that names the board branch (short name, e.g. `tack`), in the
  /// repository's own config; `tack init --branch` sets it, discovery records what it found.
  public static let branchConfigKey = "tack.branch"

  /// The board branch's short name (`tack` for `refs/heads/tack`).
  public var branchName: String { branch.replacingPrefix("refs/heads/") }

  /// Whether the board lives on a branch of its own (`tack.branch`), not necessarily the
  /// checked-out one.
  public var hasOwnBranch: Bool { repository.configValue(Self.branchConfigKey) != nil }

  /// Which branch holds the board (docs/file-format.md, "The board branch"):
  /// 1. `tack.branch` in git config (set by `tack init --branch`, or by an earlier discovery);
  /// 2. else the checked-out branch, when its commit has `.tack/config.json` (a board
  ///    repository, as before boards had branches of their own) or when no branch has one;
  /// 3. else the one local branch whose commit has `.tack/config.json`;
  /// 4. else the one remote-tracking branch `refs/remotes/<remote>/<name>` whose commit has
  ///    it: the local branch `<name>` is made from it, tracking it, as `git switch` would.
  /// What 3 and 4 find is recorded as `tack.branch`, so that discovery runs once per clone.
  static func discoverBoardBranch(in repository: Repository) throws(TackError) -> String {
    if let name = repository.configValue(branchConfigKey), !name.isEmpty {
      guard Repository.isValidBranchName(name) else {
        throw .invalidInput(
          "git config \(branchConfigKey) is \(quoted(name)), not a branch name: set it to the board's branch (git config \(branchConfigKey) tack) or remove it (git config --unset \(branchConfigKey))."
        )
      }
      let local = "refs/heads/" + name
      if (try? repository.tip(of: local)) ?? nil == nil,
        let remote = try boardBranches(in: repository, remote: true).first(where: {
          branchName(ofRemoteTracking: $0) == name
        })
      {
        do { try repository.createTrackingBranch(name, from: remote) } catch {
          throw TackError(error)
        }
      }
      return local
    }
    let head = try? repository.headBranch()
    if let head, repository.commitHasFile(RepositoryConfig.path, at: head) { return head }
    // A detached checkout of a board (no `tack.branch`): no branch to write, as before.
    if head == nil, repository.commitHasFile(RepositoryConfig.path, at: "HEAD") {
      throw .noBranch
    }
    var found = try boardBranches(in: repository, remote: false)
    var remote = false
    if found.isEmpty {
      found = try boardBranches(in: repository, remote: true)
      remote = true
    }
    guard let chosen = found.first else {
      // No board anywhere yet: the checked-out branch, as before (`tack init` puts it there).
      guard let head else { throw .noBranch }
      return head
    }
    if remote, Set(found.map(branchName(ofRemoteTracking:))).count == 1 {
      // One board branch that several remotes have: take origin's, else the first.
      found = [found.first { $0.hasPrefix("refs/remotes/origin/") } ?? chosen]
    }
    guard found.count == 1 else {
      throw .invalidInput(
        "several branches hold a Tack board (\(found.map { $0.replacingPrefix("refs/") }.joined(separator: ", "))): choose the board's with 'git config \(branchConfigKey) NAME'."
      )
    }
    do {
      var name = chosen.replacingPrefix("refs/heads/")
      if remote {
        name = branchName(ofRemoteTracking: found[0])
        try repository.createTrackingBranch(name, from: found[0])
      }
      try? repository.setConfigValue(branchConfigKey, name)
      return "refs/heads/" + name
    } catch {
      throw TackError(error)
    }
  }

  /// `<name>` of `refs/remotes/<remote>/<name>` (Tack takes a remote's name to hold no '/').
  private static func branchName(ofRemoteTracking reference: String) -> String {
    String(reference.replacingPrefix("refs/remotes/").drop { $0 != "/" }.dropFirst())
  }

  /// The local or remote-tracking branches whose commit has `.tack/config.json`.
  private static func boardBranches(
    in repository: Repository, remote: Bool
  ) throws(TackError) -> [String] {
    do {
      return try repository.branches(remote: remote).filter {
        repository.commitHasFile(RepositoryConfig.path, at: $0)
      }
    } catch { throw TackError(error) }
  }

  /// The checked-out branch's commit, when it holds files other than a board's: `tack init`
  /// there would mix the board into the code's history.
  func checkedOutBranchHoldsOtherContent() -> Bool {
    guard let head = try? repository.headBranch(), head == branch,
      let tip = try? repository.tip(of: head), let tree = try? repository.tree(ofCommit: tip),
      let entries = try? tree.entries(at: "")
    else { return false }
    return entries.contains { ![".tack", Store.boardsFolder, ".gitattributes"].contains($0.name) }
  }
}
