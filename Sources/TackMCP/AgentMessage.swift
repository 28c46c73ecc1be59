import TackCore

/// What an agent reads when a tool, or a `tasks/*` request, is refused: the store's reason,
/// with the next step named as a tool and its arguments, never a shell command the agent
/// cannot run. A hidden task or board reads exactly like a missing one.
enum AgentMessage {
  static func text(_ error: TackError) -> String {
    switch error {
    case .taskNotFound(let id):
      "no task \(id): it does not exist or is not in your scope. list_tasks lists the tasks you can see."
    case .boardNotFound(let board):
      "no board \(board): it does not exist or is not in your scope. list_boards lists the boards you can see."
    case .terminalTask(let task, let status):
      "task \(task) is \(status), a terminal status: it accepts notes only (add_note). To take the work up again, create_task a new task."
    case .leaseHeld(let task, let holder, let expiresAt):
      "task \(task) is claimed by \(holder) until \(expiresAt): work on another task (list_tasks with assignee \"\"), or call claim_task again after the lease expires."
    case .noPendingRequest(let task, let key, let pending):
      pending.isEmpty
        ? "task \(task) has no pending input request \(key): it is not waiting for input (get_task shows its status)."
        : "task \(task) has no pending input request \(key); answer one of: \(pending.joined(separator: ", "))."
    case .conflict(let message):
      "conflict: \(message). Nothing was written; call the tool again."
    case .cancelled:
      "the call was cancelled before it finished; nothing was written."
    case .corruptFile(let path, let reason):
      "\(path) is not a valid Tack file (\(reason)): a person must repair it; other tasks keep working."
    case .unknownPrincipal(let id):
      "this server's principal \(id) is no longer in the board's scopes: a person with admin rights must restore it."
    case .notARepository, .notInitialized, .noBranch, .unsupportedFormat, .uncommittedChanges, .git,
      .noIdentity:
      "the board repository cannot be used right now (\(error.description)): tell the person who runs this server."
    case .ambiguousTaskID, .boardExists, .invalidName, .invalidInput, .unknownStatus,
      .illegalTransition, .forbidden:
      error.description
    }
  }
}
