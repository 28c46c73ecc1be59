import TackCore

extension BoardAccess {
  /// Priority, due date and dependencies of a task (the `edit` verb).
  public func plan(
    _ id: String, _ change: Store.PlanChange
  ) throws(TackError) -> (task: BoardTask, changed: Bool) {
    try store.plan(id, change, actor: actor)
  }

  /// What a task waits for and what waits for it, as this principal sees them.
  public func dependencies(
    _ id: String
  ) throws(TackError) -> (
    task: BoardTask, blockers: [Store.Dependency], blocks: [BoardTask]
  ) {
    try store.dependencies(id)
  }

  /// Which of `tasks` wait for an open blocker (and for which).
  public func blocked(_ tasks: [TaskSummary]) throws(TackError) -> [TaskID: [String]] {
    try store.blocked(tasks)
  }

  /// The tasks this principal could start now, most urgent first.
  public func ready(_ filter: TaskFilter = TaskFilter()) throws(TackError) -> [Store.ReadyTask] {
    try store.ready(filter, actor: actor)
  }

  /// Claims the first ready task (see `Store.claimNext`); `nil` when nothing is ready.
  public func claimNext(
    _ filter: TaskFilter = TaskFilter(), leaseSeconds: Int64 = Limits.defaultLeaseSeconds
  ) throws(TackError) -> BoardTask? {
    try store.claimNext(filter, leaseSeconds: leaseSeconds, actor: actor)
  }

  /// Tasks from another tool (`tack import --from`): one commit, all or nothing; a source
  /// imported before is updated.
  public func importForeign(
    _ tasks: [ForeignTask], board: String? = nil
  ) throws(TackError) -> Store.ForeignImportReport {
    try store.importForeign(tasks, board: board, actor: actor)
  }
}
