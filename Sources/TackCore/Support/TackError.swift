import TackGit

/// Everything a Tack operation can refuse or fail with. Each case says what was wrong and
/// what to do, and maps to a documented exit code (docs/user-guide.md, "Exit codes").
public enum TackError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The folder is not inside a git repository.
  case notARepository(String)
  /// The repository has no `.tack/config.json` on its board branch.
  case notInitialized(branch: String)
  /// HEAD is detached, so there is no board branch to write to.
  case noBranch
  /// No task with this id (or short id) exists.
  case taskNotFound(String)
  /// A short id matches more than one task.
  case ambiguousTaskID(String, candidates: [String])
  /// No board with this name exists.
  case boardNotFound(String)
  /// `board add` of a board that exists.
  case boardExists(String)
  /// A name (board, label, key, ...) that breaks its pattern.
  case invalidName(kind: String, value: String, reason: String)
  /// A value the user gave that cannot be used (empty title, bad duration, ...).
  case invalidInput(String)
  /// A status the task's board does not define.
  case unknownStatus(String, board: String?, known: [String])
  /// A status change the board does not allow.
  case illegalTransition(task: String, from: String, to: String, allowed: [String])
  /// A change (other than a note) to a task in a terminal status.
  case terminalTask(task: String, status: String)
  /// Somebody else holds a live lease on the task.
  case leaseHeld(task: String, holder: String, expiresAt: String)
  /// An answer for a request that is not pending.
  case noPendingRequest(task: String, key: String, pending: [String])
  /// A file that is not a valid Tack file.
  case corruptFile(path: String, reason: String)
  /// A file written by a newer Tack.
  case unsupportedFormat(path: String, version: Int64)
  /// A file in the working tree or index has uncommitted changes in the way of a write.
  case uncommittedChanges(String)
  /// The write kept losing races with other writers until the retry time ran out.
  case conflict(String)
  /// A principal that `.tack/scopes.json` does not name.
  case unknownPrincipal(String)
  /// A write with no identity: no git `user.email` (nor `GIT_AUTHOR_EMAIL`/`EMAIL`) and no
  /// `--as`/`TACK_PRINCIPAL`. Refused as git refuses such a commit; nothing is written.
  case noIdentity
  /// The principal may see the target but lacks the action's grant.
  case forbidden(String)
  /// A git failure that is none of the above.
  case git(String)
  /// The caller cancelled a long read before it finished (an MCP client's
  /// `notifications/cancelled`); nothing was written.
  case cancelled

  public var description: String {
    switch self {
    case .notARepository(let detail):
      "\(detail). Run 'tack init' here, or point --repo (or TACK_REPO) at a board repository."
    case .notInitialized(let branch):
      "no Tack board on branch \(branch.replacingPrefix("refs/heads/")): run 'tack init' first."
    case .noBranch:
      "HEAD is detached: check out the board branch (git switch BRANCH) and try again."
    case .taskNotFound(let id):
      "no task \(id). 'tack list' shows the tasks you can see."
    case .ambiguousTaskID(let id, let candidates):
      "short id \(id) matches \(candidates.count) tasks (\(candidates.prefix(5).joined(separator: ", "))\(candidates.count > 5 ? ", ..." : "")): give more characters."
    case .boardNotFound(let board):
      "no board \(board). 'tack board list' shows the boards; 'tack board add \(board)' creates it."
    case .boardExists(let board):
      "board \(board) already exists."
    case .invalidName(let kind, let value, let reason):
      "invalid \(kind) \(quoted(value)): \(reason)"
    case .invalidInput(let message):
      message
    case .unknownStatus(let status, let board?, let known):
      "board \(board) has no status \(quoted(status)); its statuses are: \(known.joined(separator: ", "))."
    case .unknownStatus(let status, nil, let known):
      "no board has a status \(quoted(status)); the statuses are: \(known.joined(separator: ", "))."
    case .illegalTransition(let task, let from, let to, let allowed):
      allowed.isEmpty
        ? "task \(task) cannot move from \(from) to \(to): \(from) allows no further moves."
        : "task \(task) cannot move from \(from) to \(to); from \(from) it can move to: \(allowed.joined(separator: ", "))."
    case .terminalTask(let task, let status):
      "task \(task) is \(status), a terminal status: it accepts notes only. To take the work up again, reopen it as a new task (tack reopen)."
    case .leaseHeld(let task, let holder, let expiresAt):
      "task \(task) is claimed by \(holder) until \(expiresAt); wait for the lease to expire or ask them to release it."
    case .noPendingRequest(let task, let key, let pending):
      pending.isEmpty
        ? "task \(task) has no pending input request \(quoted(key)); it is not waiting for input."
        : "task \(task) has no pending input request \(quoted(key)); pending: \(pending.joined(separator: ", "))."
    case .corruptFile(let path, let reason):
      "\(path) is not a valid Tack file: \(reason). Fix it by hand (tack check lists every such file)."
    case .unsupportedFormat(let path, let version):
      "\(path) has format version \(version), newer than this tack understands (1): upgrade tack."
    case .uncommittedChanges(let message):
      message
    case .conflict(let message):
      "conflict: \(message). Nothing was written; run the command again."
    case .unknownPrincipal(let id):
      "unknown principal \(quoted(id)): .tack/scopes.json does not name it. An admin adds it with 'tack scope add'."
    case .forbidden(let message):
      message
    case .noIdentity:
      """
      who are you? Every Tack write is a git commit, and git has no identity for you here. Run
        git config --global user.email "you@example.com"
        git config --global user.name "Your Name"
      (without --global for this repository only), or act as a principal with --as ID (or TACK_PRINCIPAL). Nothing was written.
      """
    case .cancelled:
      "cancelled before it finished; nothing was written"
    case .git(let message):
      "git: \(message)"
    }
  }

  /// The process exit code the CLI uses for this error.
  public var exitCode: Int32 {
    switch self {
    case .git, .cancelled: 1
    case .taskNotFound, .boardNotFound: 2
    case .ambiguousTaskID: 3
    case .invalidName, .invalidInput, .unknownStatus, .boardExists: 4
    case .illegalTransition, .terminalTask, .leaseHeld, .noPendingRequest: 5
    case .conflict, .uncommittedChanges: 6
    case .notARepository, .notInitialized, .noBranch: 7
    case .corruptFile, .unsupportedFormat: 8
    case .unknownPrincipal, .forbidden, .noIdentity: 9
    }
  }
}

extension TackError {
  init(_ error: GitError) {
    switch error.kind {
    case .notARepository: self = .notARepository(error.message)
    case .noBranch: self = .noBranch
    case .uncommittedChanges: self = .uncommittedChanges(error.message)
    case .conflict: self = .conflict(error.message)
    default: self = .git(error.description)
    }
  }
}

func quoted(_ value: String) -> String {
  var text = "\""
  for scalar in value.unicodeScalars.prefix(80) {
    if scalar.value < 0x20 || scalar.value == 0x7f {
      text += "\\u{\(String(scalar.value, radix: 16))}"
    } else if scalar == "\"" || scalar == "\\" {
      text += "\\\(scalar)"
    } else {
      text.unicodeScalars.append(scalar)
    }
  }
  return text + (value.unicodeScalars.count > 80 ? "...\"" : "\"")
}

extension String {
  func replacingPrefix(_ prefix: String) -> String {
    hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
  }
}
