import TackCore

/// What a principal may do on one board (or on every board, `*`), optionally only with the
/// tasks that carry one of some labels. Every grant lets its holder read what it covers.
public struct Grant: Sendable, Equatable {
  /// A board name, or `*` for every board (and the repository itself: scopes, new boards).
  public var board: String
  /// When set, only tasks carrying at least one of these labels are in scope.
  public var labels: [String]?
  public var can: Set<Verb>

  public init(board: String, labels: [String]? = nil, can: Set<Verb>) {
    self.board = board
    self.labels = labels
    self.can = can
  }

  public static let everyBoard = "*"

  /// Whether the grant allows `verb` (`admin` allows everything on its board; `approve`
  /// answers confirmations as well as any other question).
  public func allows(_ verb: Verb) -> Bool {
    verb == .read || can.contains(verb) || can.contains(.admin)
      || (verb == .answer && can.contains(.approve))
  }

  /// Whether a task with these labels (`nil`: a file that does not parse) is in scope.
  public func covers(labels taskLabels: [String]?) -> Bool {
    guard let labels else { return true }
    guard let taskLabels else { return false }
    return taskLabels.contains(where: labels.contains)
  }

  public var json: JSONValue {
    var object: [String: JSONValue] = [
      "board": .string(board), "can": .array(can.sorted().map { .string($0.rawValue) }),
    ]
    if let labels { object["labels"] = .array(labels.map { .string($0) }) }
    return .object(object)
  }

  /// A readable summary: `ops [deploy] read,create`.
  public var summary: String {
    let scope = labels.map { " [\($0.joined(separator: ","))]" } ?? ""
    return "\(board)\(scope): \(can.sorted().map(\.rawValue).joined(separator: ","))"
  }

  /// Parses `read,create,...`.
  public static func verbs(_ text: String) throws(TackError) -> Set<Verb> {
    var verbs = Set<Verb>()
    for word in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = word.trimmingPrefixAndSuffixSpaces()
      guard let verb = Verb(rawValue: name) else {
        throw .invalidInput(
          "unknown action \(name.isEmpty ? "(empty)" : "'\(name)'"); use a comma-separated list of: \(Verb.allCases.map(\.rawValue).joined(separator: ", "))."
        )
      }
      verbs.insert(verb)
    }
    return verbs
  }
}

extension Substring {
  func trimmingPrefixAndSuffixSpaces() -> String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
