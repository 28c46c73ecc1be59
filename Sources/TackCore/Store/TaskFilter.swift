/// What `list` selects. Empty fields select everything.
public struct TaskFilter: Sendable, Equatable {
  /// Only this board (all boards when `nil`).
  public var board: String?
  /// Any of these statuses.
  public var statuses: [String]
  /// All of these labels.
  public var labels: [String]
  /// Assigned to exactly this id (`""` selects unassigned tasks).
  public var assignee: String?
  /// Case-insensitive text found in the title, description or notes.
  public var text: String?
  /// Also (or, with no `statuses`, only) every status that is not terminal on the task's
  /// board: the open work (`tack list` by default, `--status open`).
  public var open = false

  public init(
    board: String? = nil, statuses: [String] = [], labels: [String] = [], assignee: String? = nil,
    text: String? = nil
  ) {
    self.board = board
    self.statuses = statuses
    self.labels = labels
    self.assignee = assignee
    self.text = text
  }

  /// The filter as text, to bind a page cursor to the query it pages.
  public var query: String {
    [
      board ?? "*", statuses.joined(separator: ",") + (open ? "+open" : ""),
      labels.joined(separator: ","), assignee ?? "*", text ?? "",
    ].joined(separator: "\u{0}")
  }

  /// Throws when the search text is over `Limits.searchTextBytes`.
  public func validate() throws(TackError) {
    if let text, text.utf8.count > Limits.searchTextBytes {
      throw .invalidInput(
        "the search text is \(text.utf8.count) bytes; it may be at most \(Limits.searchTextBytes): search for a shorter phrase."
      )
    }
  }

  func matches(_ summary: TaskSummary) throws(TackError) -> Bool {
    if !statuses.isEmpty && !statuses.contains(summary.status) { return false }
    if !labels.allSatisfy(summary.labels.contains) { return false }
    if let assignee, (summary.assignee ?? "") != assignee { return false }
    if let text, !text.isEmpty { return matches(text: text, in: try summary.task()) }
    return true
  }

  private func matches(text: String, in task: BoardTask) -> Bool {
    let needle = text.lowercased()
    return task.title.lowercased().contains(needle)
      || task.description.lowercased().contains(needle)
      || task.notes.contains { $0.text.lowercased().contains(needle) }
  }
}

/// A file under `boards/` that Tack could not use, and why.
public struct Problem: Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var reason: String
  /// The board whose `board.json` this is, when it is one.
  var board: String? = nil

  public var description: String { "\(path): \(reason)" }
}
