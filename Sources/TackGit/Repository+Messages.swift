internal import CLibGit2

extension Repository {
  /// The message of the newest of the first `limit` commits reachable from `tip` (in `git
  /// log` order) for which `matches` holds, or `nil`.
  public func newestMessage(
    from tip: OID, within limit: Int, where matches: (String) -> Bool
  ) throws(GitError) -> String? {
    var found: String?
    var seen = 0
    try retryingVanishedPacks { () throws(GitError) in
      found = nil
      seen = 0
      try revwalk(from: tip) { (id) throws(GitError) in
        var raw = id.raw
        var commit: OpaquePointer?
        try check("git_commit_lookup", git_commit_lookup(&commit, pointer, &raw))
        defer { git_commit_free(commit) }
        let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        if matches(message) {
          found = message
          return false
        }
        seen += 1
        return seen < limit
      }
    }
    return found
  }
}
