internal import CLibGit2

extension Repository {
  /// Whether `name` (short, e.g. `tack`) is a name git accepts for a branch.
  public static func isValidBranchName(_ name: String) -> Bool {
    _ = libgit2Ready
    guard !name.isEmpty, !name.hasPrefix("-"), name != "HEAD" else { return false }
    var valid: Int32 = 0
    guard git_reference_name_is_valid(&valid, "refs/heads/" + name) == 0 else { return false }
    return valid == 1
  }

  /// The full names of the local branches (`refs/heads/...`), or of the remote-tracking ones
  /// (`refs/remotes/<remote>/...`, without the symbolic `<remote>/HEAD`), sorted.
  public func branches(remote: Bool) throws(GitError) -> [String] {
    var iterator: OpaquePointer?
    try check(
      "git_branch_iterator_new",
      git_branch_iterator_new(&iterator, pointer, remote ? GIT_BRANCH_REMOTE : GIT_BRANCH_LOCAL))
    defer { git_branch_iterator_free(iterator) }
    var names: [String] = []
    while true {
      var ref: OpaquePointer?
      var type = GIT_BRANCH_LOCAL
      let code = git_branch_next(&ref, &type, iterator)
      if code == GIT_ITEROVER.rawValue { break }
      try check("git_branch_next", code)
      defer { git_reference_free(ref) }
      guard git_reference_type(ref) == GIT_REFERENCE_DIRECT,
        let name = git_reference_name(ref).map({ String(cString: $0) })
      else { continue }
      names.append(name)
    }
    return names.sorted()
  }

  /// Whether the commit `reference` points to has a file at `path`; `false` when the
  /// reference does not exist or points to no commit.
  public func commitHasFile(_ path: String, at reference: String) -> Bool {
    guard let tip = try? tip(of: reference), let tree = try? tree(ofCommit: tip) else {
      return false
    }
    return (try? tree.entryID(at: path)) != nil
  }

  /// Creates the local branch `refs/heads/<name>` at the commit `remoteBranch`
  /// (`refs/remotes/<remote>/<name>`) points to, with that as its upstream, as `git switch
  /// <name>` does for a branch only a remote has. Does nothing when the branch exists.
  public func createTrackingBranch(_ name: String, from remoteBranch: String) throws(GitError) {
    guard try tip(of: "refs/heads/" + name) == nil else { return }
    guard let target = try tip(of: remoteBranch) else {
      throw GitError(
        kind: .notFound, call: "create branch \(name)", message: "\(remoteBranch) does not exist")
    }
    var raw = target.raw
    var commit: OpaquePointer?
    try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
    defer { git_commit_free(commit) }
    var branch: OpaquePointer?
    try check("git_branch_create", git_branch_create(&branch, pointer, name, commit, 0))
    defer { git_reference_free(branch) }
    let upstream = String(remoteBranch.dropFirst("refs/remotes/".count))
    try check("git_branch_set_upstream", git_branch_set_upstream(branch, upstream))
  }
}
