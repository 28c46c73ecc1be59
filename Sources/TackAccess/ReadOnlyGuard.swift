import TackCore

/// Confines another guard to reading: every write is refused, whatever the grants say
/// (`tack mcp --read-only`).
struct ReadOnlyGuard: AccessGuard {
  let inner: any AccessGuard

  func rules(in snapshot: ScopeSnapshot) throws(TackError) -> any AccessRules {
    ReadOnlyRules(inner: try inner.rules(in: snapshot))
  }
}

struct ReadOnlyRules: AccessRules {
  let inner: any AccessRules

  func canSee(board: String) -> Bool { inner.canSee(board: board) }
  func canSee(board: String, labels: [String]?) -> Bool {
    inner.canSee(board: board, labels: labels)
  }
  func authorize(_ verb: Verb, board: String) throws(TackError) {
    try inner.authorize(verb, board: board)
    guard verb == .read else {
      throw .forbidden(
        "this server is read-only: it may not \(verb.rawValue) on board \(board); it reads only.")
    }
  }
  func labels(forNewTaskOn board: String, given: [String]) throws(TackError) -> [String] {
    try inner.labels(forNewTaskOn: board, given: given)
  }
  func admit(_ task: BoardTask, after verb: Verb) throws(TackError) {
    try inner.admit(task, after: verb)
  }
}
