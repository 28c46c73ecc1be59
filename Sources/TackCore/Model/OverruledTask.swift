/// A task on which bringing in the other side decided against what this side had: a claim
/// that lost, a status overridden by a terminal one. `tack sync` and `tack merge-driver`
/// print one line per such task, so nobody keeps working on a task that is now someone
/// else's.
public struct OverruledTask: Sendable, Equatable {
  /// The task file's path in the repository.
  public var path: String
  /// The task's id and title as they are now (empty when the file does not say).
  public var taskId: String
  public var title: String
  /// What was decided against this side, in the merge rules' words.
  public var decisions: [TaskMerge.Decision]

  /// One line: `<id> "<title>": decided against this side: <reason>; <reason>`.
  public var line: String {
    let name = taskId.isEmpty ? path : taskId
    let what = title.isEmpty ? name : "\(name) \"\(title)\""
    return "\(what): decided against this side: "
      + decisions.map(\.reason).joined(separator: "; ")
  }

  /// What one merge (`TaskMerge.merge` of `ours` with the other side) decided against this
  /// side: the rules' decisions that kept the other side's change, and — when `holder` (this
  /// side's actor) is known — a claim of `holder`'s in `ours` that the merge does not keep
  /// although no rule had to decide (the other side had already overruled it in a merge of
  /// its own). Nil when nothing went against this side.
  public static func fromMerge(
    path: String, ours: JSONValue, result: TaskMerge.Result, holder: String?,
    isTerminal: (String) -> Bool
  ) -> OverruledTask? {
    var against = result.decisions.filter { $0.kept == .theirs }
    if let holder,
      let lost = comparing(
        path: path, had: ours, has: result.merged, holder: holder, isTerminal: isTerminal)
    {
      against += lost.decisions.filter { decision in
        !against.contains { $0.field == decision.field }
      }
    }
    guard !against.isEmpty else { return nil }
    return OverruledTask(
      path: path, taskId: result.merged["taskId"]?.stringValue ?? "",
      title: result.merged["title"]?.stringValue ?? "", decisions: against)
  }

  /// What this side last had of a task (`had`) against what it has now (`has`), when the
  /// change came in without a merge here (a fast-forward carrying a merge made elsewhere, or
  /// a change only the other side made): reported when `holder` (this side's actor) held the
  /// task's lease in `had` and no longer does — its claim lost, or the task ended under it.
  public static func comparing(
    path: String, had: JSONValue, has: JSONValue, holder: String,
    isTerminal: (String) -> Bool
  ) -> OverruledTask? {
    guard TaskMerge.holder(had["lease"]) == holder else { return nil }
    let winner = TaskMerge.holder(has["lease"])
    guard winner != holder else { return nil }
    var decisions: [TaskMerge.Decision] = []
    let (was, now) = (had["status"]?.stringValue ?? "", has["status"]?.stringValue ?? "")
    if was != now, isTerminal(now), !isTerminal(was) {
      decisions.append(
        .init(field: "status", kept: .theirs, reason: TaskMerge.terminalOver(now, was)))
    }
    if let winner {
      let longer =
        (has["lease"]?["expiresAt"]?.stringValue ?? "")
        >= (had["lease"]?["expiresAt"]?.stringValue ?? "")
      decisions.append(
        .init(
          field: "lease", kept: .theirs,
          reason: longer
            ? TaskMerge.longerClaim(winner) : "lease: the claim by \(winner) replaced yours"))
    } else if decisions.isEmpty {
      decisions.append(
        .init(field: "lease", kept: .theirs, reason: "lease: released on the other side"))
    }
    return OverruledTask(
      path: path, taskId: has["taskId"]?.stringValue ?? "",
      title: has["title"]?.stringValue ?? "", decisions: decisions)
  }

  /// The structured form for `--json`.
  public var json: JSONValue {
    .object([
      "task": .string(taskId), "title": .string(title), "path": .string(path),
      "decisions": .array(
        decisions.map {
          .object([
            "field": .string($0.field), "kept": .string($0.kept.rawValue),
            "reason": .string($0.reason),
          ])
        }),
    ])
  }
}
