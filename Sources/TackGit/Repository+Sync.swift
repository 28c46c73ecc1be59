internal import CLibGit2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A path both sides changed, with the three versions (`nil`: absent on that side).
public struct MergeConflict: Sendable {
  public var path: String
  public var ancestor: [UInt8]?
  public var ours: [UInt8]?
  public var theirs: [UInt8]?
}

/// A three-way merge of two commits: what the clean paths need changed on top of ours, and
/// the paths both sides changed.
public struct TreeMerge: Sendable {
  public var changes: [FileChange]
  public var conflicts: [MergeConflict]

  public init(changes: [FileChange], conflicts: [MergeConflict]) {
    self.changes = changes
    self.conflicts = conflicts
  }
}

extension Repository {
  /// Fetches `branch` (`refs/heads/NAME`) from `remote` into `refs/remotes/<remote>/NAME`
  /// and returns that commit (`nil` when the remote has no such branch). SSH remotes
  /// authenticate through the ssh agent.
  public func fetch(remote name: String, branch: String) throws(GitError) -> OID? {
    try waitingOutLocks { () throws(GitError) in try fetchOnce(remote: name, branch: branch) }
  }

  private func fetchOnce(remote name: String, branch: String) throws(GitError) -> OID? {
    let remote = try lookupRemote(name)
    defer { git_remote_free(remote) }
    var options = git_fetch_options()
    try check(
      "git_fetch_options_init", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
    options.callbacks.credentials = remoteCredentials
    options.callbacks.certificate_check = KnownHosts.check
    var state = TransportState(remote: remote)
    let short = String(branch.dropFirst("refs/heads/".count))
    let tracking = "refs/remotes/\(name)/\(short)"
    let refspec = strdup("+\(branch):\(tracking)")
    defer { free(refspec) }
    var strings: [UnsafeMutablePointer<CChar>?] = [refspec]
    let code = withUnsafeMutablePointer(to: &state) { pointer in
      options.callbacks.payload = UnsafeMutableRawPointer(pointer)
      return strings.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: 1)
        return git_remote_download(remote, &array, &options)
      }
    }
    git_remote_disconnect(remote)
    try checkTransport("git_remote_download", code, state, remote: remote)
    // The tracking branch moves as a Tack write (see `movingRef`); no FETCH_HEAD, which
    // Tack does not read and a killed fetch would leave locked.
    try movingRef(lockedAt: commonDirectory + tracking + ".lock") { () throws(GitError) in
      try check(
        "git_remote_update_tips",
        git_remote_update_tips(
          remote, nil, 0, GIT_REMOTE_DOWNLOAD_TAGS_UNSPECIFIED, "tack sync: fetch"))
    }
    return try tip(of: tracking)
  }

  /// Pushes `branch` to the same branch on `remote`, never forced: the remote branch moves
  /// only if it still points at `expected` (what the last fetch saw). Returns `false` when
  /// it moved on meanwhile (fetch, merge and try again).
  public func push(remote name: String, branch: String, expected: OID?) throws(GitError) -> Bool {
    try waitingOutLocks { () throws(GitError) in
      try pushOnce(remote: name, branch: branch, expected: expected)
    }
  }

  private func pushOnce(
    remote name: String, branch: String, expected: OID?
  ) throws(GitError) -> Bool {
    // An unborn branch has nothing to send.
    guard try tip(of: branch) != nil else { return true }
    let remote = try lookupRemote(name)
    defer { git_remote_free(remote) }
    if let path = git_remote_url(remote).flatMap({ Self.localPath(String(cString: $0)) }) {
      return try pushLocally(to: path, remote: remote, branch: branch, expected: expected)
    }
    return try pushOverTransport(remote, branch: branch)
  }

  /// libgit2's local transport updates the remote's refs without checking their old value,
  /// so for a remote on this machine the objects go through a temporary ref and the branch
  /// moves by compare-and-swap in the remote repository itself.
  private func pushLocally(
    to path: String, remote: OpaquePointer, branch: String, expected: OID?
  )
    throws(GitError) -> Bool
  {
    guard let ours = try tip(of: branch) else { return true }
    let staging = "refs/tack/sync-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = try pushOverTransport(remote, branch: branch, destination: staging)
    let target = try Repository.discover(from: path)
    defer {
      var ref: OpaquePointer?
      if git_reference_lookup(&ref, target.pointer, staging) == 0 {
        git_reference_delete(ref)
        git_reference_free(ref)
      }
    }
    // As a Tack write in the remote: under its tack.lock, with the swap recorded there, so
    // that a sync killed mid-push leaves a ref lock the next Tack writer there can prove its
    // own and clear (see `Repository.update`).
    var movedOn = false
    let nobody = Signature(name: "tack", email: "tack@localhost")
    do {
      try target.update(branch: branch) { snapshot in
        guard snapshot.commit == expected else {
          movedOn = true
          return nil
        }
        var request = CommitRequest(
          changes: [], message: "tack sync: push", author: nobody, committer: nobody)
        request.fastForwardTo = ours
        return request
      }
    } catch let error as GitError {
      throw error
    } catch {
      throw GitError(kind: .other, call: "push to \(path)", message: "\(error)")
    }
    return !movedOn
  }

  /// Like `check`, but an authentication failure says where credentials come from.
  private func checkTransport(
    _ call: String, _ code: Int32, _ state: TransportState, remote: OpaquePointer?
  )
    throws(GitError)
  {
    guard code < 0 else { return }
    let error = GitError.last(call: call, code: code)
    let lower = error.message.lowercased()
    if code == GIT_EAUTH.rawValue || code == GIT_EUSER.rawValue || lower.contains("authenticat")
      || (state.credentialAttempts > 1)
    {
      let url = git_remote_url(remote).map { String(cString: $0) } ?? "the remote"
      throw GitError(
        kind: .other, code: code, call: call,
        message:
          "\(url) did not accept the credentials offered (ssh: the keys in your ssh agent; http(s): what `git credential fill` gives for this URL — set up a credential helper, e.g. git config credential.helper store) (\(error.message))"
      )
    }
    throw error
  }

  /// Runs `body`; when a lock file is in the way (another git process fetching or pushing),
  /// waits up to 7.5 s for it to go and runs `body` again. A lock that stays is never
  /// removed: Tack cannot know that no live process holds it (git holds a ref lock for the
  /// length of a fetch), so the error names it and says what to do.
  private func waitingOutLocks<T>(_ body: () throws(GitError) -> T) throws(GitError) -> T {
    var waited = 0
    while true {
      do {
        return try body()
      } catch let error {
        guard error.kind == .locked || error.message.contains(".lock"),
          let path = Self.lockPath(in: error.message)
        else { throw error }
        guard waited < 15 else {
          throw GitError(
            kind: .conflict, code: error.code, call: error.call,
            message:
              "\(path) stayed locked: another git process is updating that reference (\(error.message)); let it finish and run tack sync again. If no git process is running, one stopped mid-way: remove \(path)"
          )
        }
        usleep(500_000)
        waited += 1
      }
    }
  }

  /// The `….lock` path libgit2 names in a "failed to lock file '…'" message.
  static func lockPath(in message: String) -> String? {
    let parts = message.split(separator: "'", omittingEmptySubsequences: false)
    return parts.first { $0.hasSuffix(".lock") }.map(String.init)
  }

  /// A remote URL that names a repository on this machine: a path or a file:// URL.
  static func localPath(_ url: String) -> String? {
    if url.hasPrefix("file://") { return String(url.dropFirst("file://".count)) }
    if url.hasPrefix("/") || url.hasPrefix("./") || url.hasPrefix("../") { return url }
    return url.contains(":") ? nil : url
  }

  private func pushOverTransport(
    _ remote: OpaquePointer?, branch: String, destination: String? = nil
  )
    throws(GitError) -> Bool
  {
    var options = git_push_options()
    try check(
      "git_push_options_init", git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)))
    options.callbacks.credentials = remoteCredentials
    options.callbacks.certificate_check = KnownHosts.check
    options.callbacks.push_update_reference = { _, status, payload in
      // A refused update arrives here with a message; remember it in the payload.
      if status != nil, let payload {
        payload.assumingMemoryBound(to: TransportState.self).pointee.rejected = true
      }
      return 0
    }
    var state = TransportState(remote: remote)
    let refspec = strdup("\(branch):\(destination ?? branch)")
    defer { free(refspec) }
    var strings: [UnsafeMutablePointer<CChar>?] = [refspec]
    let code = withUnsafeMutablePointer(to: &state) { flag in
      options.callbacks.payload = UnsafeMutableRawPointer(flag)
      return strings.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: 1)
        return git_remote_push(remote, &array, &options)
      }
    }
    if code == GIT_ENONFASTFORWARD.rawValue { return false }
    try checkTransport("git_remote_push", code, state, remote: remote)
    return !state.rejected
  }

  /// Whether `ancestor` is `descendant` or one of its ancestors.
  public func isAncestor(_ ancestor: OID, of descendant: OID) throws(GitError) -> Bool {
    if ancestor == descendant { return true }
    var a = ancestor.raw
    var d = descendant.raw
    let code = git_graph_descendant_of(pointer, &d, &a)
    try check("git_graph_descendant_of", code)
    return code == 1
  }

  /// Merges `theirs` into `ours` in memory (no working tree, no index file).
  public func merge(ours: OID, theirs: OID) throws(GitError) -> TreeMerge {
    var ourCommit: OpaquePointer?
    var theirCommit: OpaquePointer?
    var ourRaw = ours.raw
    var theirRaw = theirs.raw
    try check("git_commit_lookup", git_commit_lookup(&ourCommit, pointer, &ourRaw))
    defer { git_commit_free(ourCommit) }
    try check("git_commit_lookup", git_commit_lookup(&theirCommit, pointer, &theirRaw))
    defer { git_commit_free(theirCommit) }
    var index: OpaquePointer?
    try check("git_merge_commits", git_merge_commits(&index, pointer, ourCommit, theirCommit, nil))
    defer { git_index_free(index) }

    var conflicts: [MergeConflict] = []
    var iterator: OpaquePointer?
    try check("git_index_conflict_iterator_new", git_index_conflict_iterator_new(&iterator, index))
    defer { git_index_conflict_iterator_free(iterator) }
    var ancestor: UnsafePointer<git_index_entry>?
    var our: UnsafePointer<git_index_entry>?
    var their: UnsafePointer<git_index_entry>?
    while true {
      let code = git_index_conflict_next(&ancestor, &our, &their, iterator)
      if code == GIT_ITEROVER.rawValue { break }
      try check("git_index_conflict_next", code)
      guard let path = (our ?? their ?? ancestor).map({ String(cString: $0.pointee.path) }) else {
        continue
      }
      conflicts.append(
        MergeConflict(
          path: path,
          ancestor: try ancestor.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) },
          ours: try our.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) },
          theirs: try their.map { (e) throws(GitError) in try blob(OID(e.pointee.id)) }))
    }

    // Clean paths: every stage-0 entry that differs from our tree, and what ours has that
    // the merge dropped.
    let ourTree = try tree(ofCommit: ours)
    let conflicted = Set(conflicts.map(\.path))
    var changes: [FileChange] = []
    var merged = Set<String>()
    for position in 0..<git_index_entrycount(index) {
      guard let entry = git_index_get_byindex(index, position) else { continue }
      let path = String(cString: entry.pointee.path)
      guard !conflicted.contains(path) else { continue }
      merged.insert(path)
      let id = OID(entry.pointee.id)
      if try ourTree.entryID(at: path) != id {
        changes.append(FileChange(path: path, content: try blob(id)))
      }
    }
    for file in try ourTree.blobs(under: "")
    where !merged.contains(file.path) && !conflicted.contains(file.path) {
      changes.append(FileChange(path: file.path, content: nil))
    }
    return TreeMerge(changes: changes, conflicts: conflicts)
  }

  private func lookupRemote(_ name: String) throws(GitError) -> OpaquePointer {
    var remote: OpaquePointer?
    let code = git_remote_lookup(&remote, pointer, name)
    if code == GIT_ENOTFOUND.rawValue {
      throw GitError(
        kind: .notFound, code: code, call: "git_remote_lookup", message: "no remote named \(name)")
    }
    try check("git_remote_lookup", code)
    return remote!
  }
}

/// What a transport's callbacks keep between calls.
struct TransportState {
  var rejected = false
  var credentialAttempts = 0
  /// The remote's SSH port (known_hosts names a host on another port than 22 `[host]:port`).
  var port: Int32 = 22

  init(remote: OpaquePointer?) {
    if let url = git_remote_url(remote) { port = KnownHosts.port(ofURL: String(cString: url)) }
  }
}

/// Credentials for a remote, never from arguments or logs: SSH keys through the ssh agent;
/// a username and password for HTTP(S) from git's own credential helpers (`git credential
/// fill`, prompts disabled). Offered once per operation, so a refused one fails instead of
/// looping.
private let remoteCredentials: git_credential_acquire_cb = { out, url, username, allowed, payload in
  if let payload {
    let state = payload.assumingMemoryBound(to: TransportState.self)
    state.pointee.credentialAttempts += 1
    if state.pointee.credentialAttempts > 1 { return GIT_EUSER.rawValue }
  }
  if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
    if let username { return git_credential_ssh_key_from_agent(out, username) }
    return git_credential_ssh_key_from_agent(out, "git")
  }
  guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let url,
    let (user, password) = CredentialHelper.fill(url: String(cString: url))
  else { return GIT_PASSTHROUGH.rawValue }
  return git_credential_userpass_plaintext_new(out, user, password)
}

/// `git credential fill`, run with the URL on its input and prompts disabled.
enum CredentialHelper {
  static func fill(url: String) -> (String, String)? {
    var input: [Int32] = [0, 0]
    var output: [Int32] = [0, 0]
    guard pipe(&input) == 0, pipe(&output) == 0 else { return nil }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_addclose(&actions, input[1])
    posix_spawn_file_actions_addclose(&actions, output[0])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var environment: [UnsafeMutablePointer<CChar>?] = []
    if var entry = tack_environment() {
      while let variable = entry.pointee {
        if !String(cString: variable).hasPrefix("GIT_TERMINAL_PROMPT=") {
          environment.append(strdup(variable))
        }
        entry += 1
      }
    }
    environment.append(strdup("GIT_TERMINAL_PROMPT=0"))
    environment.append(nil)
    let words: [String] = ["git", "credential", "fill"]
    let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer {
      for pointer in environment { free(pointer) }
      for pointer in arguments { free(pointer) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, "git", &actions, nil, arguments, environment)
    close(input[0])
    close(output[1])
    guard spawned == 0 else {
      close(input[1])
      close(output[0])
      return nil
    }
    let request = Array("url=\(url)\n\n".utf8)
    _ = request.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
    close(input[1])
    var reply: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break }
      reply.append(contentsOf: chunk[0..<count])
    }
    close(output[0])
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    var user: String?
    var password: String?
    for line in String(decoding: reply, as: UTF8.self).split(separator: "\n") {
      if line.hasPrefix("username=") { user = String(line.dropFirst(9)) }
      if line.hasPrefix("password=") { password = String(line.dropFirst(9)) }
    }
    guard let user, let password else { return nil }
    return (user, password)
  }
}
