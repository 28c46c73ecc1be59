import TackCore

/// The access rules of one principal, from its grants in `.tack/scopes.json`.
struct PrincipalRules: AccessRules {
  let entry: Scopes.Entry

  private var who: String { "\(entry.principal.kind.rawValue) \(entry.principal.id)" }

  func canSee(board: String) -> Bool { entry.grant(for: board) != nil }

  func canSee(board: String, labels: [String]?) -> Bool {
    entry.grant(for: board)?.covers(labels: labels) ?? false
  }

  func authorize(_ verb: Verb, board: String) throws(TackError) {
    if board == Grant.everyBoard {
      guard entry.grants.contains(where: { $0.board == Grant.everyBoard && $0.allows(verb) }) else {
        throw .forbidden(
          "\(who) may not \(verb.rawValue) this repository: that takes a grant of \(verb.rawValue) on every board (board \"*\")."
        )
      }
      return
    }
    guard let grant = entry.grant(for: board) else { throw .boardNotFound(board) }
    guard grant.allows(verb) else {
      throw .forbidden(
        "\(who) may not \(verb.rawValue) on board \(board); its grant there allows: \(grant.can.sorted().map(\.rawValue).joined(separator: ", "))."
      )
    }
  }

  func labels(forNewTaskOn board: String, given: [String]) throws(TackError) -> [String] {
    guard let grant = entry.grant(for: board), let scoped = grant.labels else { return given }
    if given.contains(where: scoped.contains) { return given }
    if scoped.count == 1 { return given + scoped }
    throw .forbidden(
      "\(who) creates tasks on board \(board) only with one of its labels: give one of \(scoped.joined(separator: ", "))."
    )
  }

  func admit(_ task: BoardTask, after verb: Verb) throws(TackError) {
    guard let grant = entry.grant(for: task.board) else { throw .boardNotFound(task.board) }
    guard grant.covers(labels: task.labels) else {
      throw .forbidden(
        "that would take task \(task.taskId) out of the scope of \(who): keep one of the labels \(grant.labels?.joined(separator: ", ") ?? "")."
      )
    }
  }
}
