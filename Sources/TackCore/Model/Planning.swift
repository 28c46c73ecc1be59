/// A task's priority: 0 (most urgent) to 4. A task without one has `normal` (2). The names
/// are accepted wherever a number is.
public enum Priority {
  public static let range: ClosedRange<Int> = 0...4
  public static let normal = 2
  /// By number: `names[0]` is `critical`.
  public static let names = ["critical", "high", "medium", "low", "backlog"]

  /// `0`…`4`, or a name (`critical`, `high`, `medium`, `low`, `backlog`), any case.
  public static func parse(_ text: String) throws(TackError) -> Int {
    let given = text.lowercased()
    if let number = Int(given), range.contains(number) { return number }
    if let index = names.firstIndex(of: given) { return index }
    throw .invalidInput(
      "priority \"\(text)\" is not one of 0-4 or \(names.joined(separator: ", ")) (0 and critical are the most urgent)."
    )
  }

  /// `2 (medium)`.
  public static func label(_ value: Int) -> String {
    range.contains(value) ? "\(value) (\(names[value]))" : "\(value)"
  }
}

/// A due date: a day (`2026-12-24`) or a moment (`2026-12-24T17:00:00Z`, RFC 3339). Stored
/// as given, once checked; a day is due at its start, UTC, for ordering.
public enum DueDate {
  /// The due date as stored, or a clear refusal (an impossible day such as `2026-02-31`
  /// included).
  public static func parse(_ text: String) throws(TackError) -> String {
    guard let moment = moment(text) else {
      throw .invalidInput(
        "due date \"\(text)\" is not a day (YYYY-MM-DD, e.g. 2026-12-24) or a moment (RFC 3339, e.g. 2026-12-24T17:00:00Z)."
      )
    }
    return text.count == 10 ? text : moment.description
  }

  /// When `text` is due; `nil` if it is not a due date.
  public static func moment(_ text: String) -> Timestamp? {
    if text.utf8.count == 10 {
      // A day that does not exist (the 31st of February) comes back as another day.
      guard let start = Timestamp(rfc3339: text + "T00:00:00Z"),
        start.description.hasPrefix(text)
      else { return nil }
      return start
    }
    guard let moment = Timestamp(rfc3339: text) else { return nil }
    return moment
  }
}

extension BoardTask.Link {
  /// The relation of a dependency: this task waits for `taskId` to finish.
  public static let blockedBy = "blocked-by"
}

extension BoardTask {
  /// The tasks this one waits for (full ids, in the order they were added).
  public var blockers: [String] {
    links.filter { $0.rel == Link.blockedBy }.map(\.taskId)
  }

  /// The priority that orders it: its own, or `Priority.normal`.
  public var effectivePriority: Int { priority ?? Priority.normal }

}

/// List filters on the planning fields: no more than a priority number (that urgency or more),
/// and due before a moment. A task without a priority has `Priority.normal`; one without a
/// due date is never "due before".
public struct PlanningFilter: Sendable, Equatable {
  public var atMostPriority: Int?
  public var dueBefore: Timestamp?

  public init(atMostPriority: Int? = nil, dueBefore: Timestamp? = nil) {
    self.atMostPriority = atMostPriority
    self.dueBefore = dueBefore
  }

  public var isEmpty: Bool { atMostPriority == nil && dueBefore == nil }

  /// The filter as text, to bind a page cursor to the query it pages.
  public var query: String {
    "\(atMostPriority.map(String.init) ?? "*")\u{0}\(dueBefore?.description ?? "*")"
  }

  public func matches(priority: Int, due: Timestamp?) -> Bool {
    if let atMostPriority, priority > atMostPriority { return false }
    if let dueBefore {
      guard let due, due < dueBefore else { return false }
    }
    return true
  }

  /// The summaries this filter keeps, in their order; only files that name a priority or a
  /// due date are parsed.
  public func apply(_ summaries: [TaskSummary]) throws(TackError) -> [TaskSummary] {
    guard !isEmpty else { return summaries }
    var kept: [TaskSummary] = []
    for summary in summaries {
      var (priority, due) = (Priority.normal, Timestamp?.none)
      if summary.mentionsPlanningOrLease {
        let task = try summary.task()
        priority = task.effectivePriority
        due = task.due.flatMap(DueDate.moment)
      }
      if matches(priority: priority, due: due) { kept.append(summary) }
    }
    return kept
  }
}
