/// The statuses every default board has, and the MCP task statuses they map to, named once.
/// Front ends use these (or a board's own statuses), never string literals of their own.
public enum StatusName {
  public static let todo = "todo"
  public static let working = "working"
  public static let inputRequired = "input_required"
  public static let completed = "completed"
  public static let failed = "failed"
  public static let cancelled = "cancelled"
  /// The terminal statuses of the default board (and the terminal MCP task statuses).
  public static let terminal: Set<String> = [completed, failed, cancelled]
  /// Not a status: in a status filter (`tack list --status open`), every status that is not
  /// terminal on the task's own board (`TaskFilter.open`).
  public static let open = "open"
}

extension BoardTask.InputRequest {
  /// An approval: a confirmation that completes the task when confirmed and fails it when
  /// declined (`tack ask --approval`, MCP `request_approval`).
  public static func approval(message: String) -> Self {
    Self(
      type: .confirmation, message: message, onConfirm: StatusName.completed,
      onDecline: StatusName.failed)
  }
}
