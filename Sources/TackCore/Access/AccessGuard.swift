/// What a principal may do with a board. TackCore asks; TackAccess decides.
/// `approve` lets an agent answer a confirmation somebody else asked (people need only
/// `answer`); nobody's agent answers its own (see `Store.answer`).
public enum Verb: String, Sendable, CaseIterable, Comparable {
  case read, create, edit, transition, comment, claim, answer, approve, admin

  public static func < (lhs: Verb, rhs: Verb) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}

/// The hook through which the store applies access rules. The store calls it on every read
/// and every write attempt, against the same commit the operation reads, so a rule is
/// always judged on the state it acts on (and again when a write is retried).
public protocol AccessGuard: Sendable {
  /// The rules as they stand in one commit of the board branch.
  func rules(in snapshot: ScopeSnapshot) throws(TackError) -> any AccessRules
}

/// Rules for one principal at one commit.
public protocol AccessRules {
  /// Whether the board exists for this principal at all.
  func canSee(board: String) -> Bool
  /// Whether a task on `board` with these labels exists for this principal; `nil` labels
  /// means a file that does not parse.
  func canSee(board: String, labels: [String]?) -> Bool
  /// Throws unless the principal may do `verb` on `board` (`"*"`: the whole repository).
  func authorize(_ verb: Verb, board: String) throws(TackError)
  /// The labels a new task gets, from those given; throws when they leave the principal's scope.
  func labels(forNewTaskOn board: String, given: [String]) throws(TackError) -> [String]
  /// Throws when a task, as a write would leave it, falls out of the principal's scope.
  func admit(_ task: BoardTask, after verb: Verb) throws(TackError)
}

/// Everything allowed: the store's default, and a repository nobody has confined.
public struct FullAccess: AccessGuard, AccessRules {
  public init() {}
  public func rules(in snapshot: ScopeSnapshot) throws(TackError) -> any AccessRules { self }
  public func canSee(board: String) -> Bool { true }
  public func canSee(board: String, labels: [String]?) -> Bool { true }
  public func authorize(_ verb: Verb, board: String) throws(TackError) {}
  public func labels(forNewTaskOn board: String, given: [String]) throws(TackError) -> [String] {
    given
  }
  public func admit(_ task: BoardTask, after verb: Verb) throws(TackError) {}
}

/// Read access to one commit of the board branch, for a guard that keeps its rules in it.
public struct ScopeSnapshot {
  let view: View

  /// The commit (`nil` while the branch has none).
  public var commit: String? { view.commit?.hex }

  /// The bytes of a file under `.tack/`, or `nil` when it is absent.
  public func settingsFile(_ name: String) throws(TackError) -> [UInt8]? {
    try Store.validateSettingsName(name)
    return try view.file(".tack/" + name)
  }

  /// The blob id of a file under `.tack/`, to cache what was parsed from it.
  public func settingsFileID(_ name: String) throws(TackError) -> String? {
    try Store.validateSettingsName(name)
    return try view.entryID(".tack/" + name)
  }
}
