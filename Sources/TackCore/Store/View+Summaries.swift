import TackGit

extension View {
  /// Adds the summaries of `board`'s tasks that `filter` selects and the principal may see
  /// to `tasks`, and a problem for each file that is not a task in its right place (for a
  /// principal who sees the whole board). Through the read index, an unchanged board is one
  /// table (see `BoardTable`); a changed one is walked, and its table made for next time.
  func summaries(
    board: String, filter: TaskFilter, into tasks: inout [TaskSummary],
    problems: inout [Problem], stop: () -> Bool = { false }
  ) throws(TackError) {
    if stop() { throw .cancelled }
    guard let index, let tree else {
      for (number, file) in try taskFiles(board: board).enumerated() {
        if number % Store.stopCheckInterval == Store.stopCheckInterval - 1, stop() {
          throw .cancelled
        }
        do {
          guard let summary = try summary(at: file.path, blob: file.blob, board: board),
            try filter.matches(summary)
          else { continue }
          tasks.append(summary)
        } catch {
          problems.append(Problem(path: file.path, reason: error.reason))
        }
      }
      return
    }
    // A table only says which blobs are tasks in their place; should a record ever disagree
    // (a damaged cache), the board is walked again rather than a task left out.
    let statuses = filter.statuses.map { Array($0.utf8) }
    for attempt in 0..<2 {
      guard let current = try boardTable(board, tree: tree, index: index, walk: attempt > 0)
      else { return }
      var found: [TaskSummary] = []
      var failed: [Problem] = []
      var consistent = true
      for (number, task) in current.tasks.enumerated() {
        if number % Store.stopCheckInterval == Store.stopCheckInterval - 1, stop() {
          throw .cancelled
        }
        if !statuses.isEmpty,
          index.hintedStatus(task.blob, hint: task.hint, isIn: statuses) == false
        {
          continue
        }
        let record: ReadIndex.Record
        do { record = try index.record(task.blob, hint: task.hint, board: board) } catch {
          throw TackError(error)
        }
        guard case .success(let summary) = record.content else {
          consistent = false
          break
        }
        guard rules.canSee(board: board, labels: summary.labels) else { continue }
        do {
          if try filter.matches(summary) { found.append(summary) }
        } catch {
          failed.append(Problem(path: summary.path, reason: error.reason))
        }
      }
      guard consistent else { continue }
      for problem in current.problems {
        do { _ = try summary(at: problem.path, blob: problem.blob, board: board) } catch {
          failed.append(Problem(path: problem.path, reason: error.reason))
        }
      }
      tasks += found
      problems += failed
      return
    }
    // A walk reads each record it lists: it cannot disagree with itself.
    throw .corruptFile(
      path: Store.tasksFolder(board),
      reason: "the read index disagrees with itself; remove the tack folder in the git directory")
  }

  /// The ids of `board`'s tasks in scope, from its table: read from each task's record
  /// alone, and from the names of the problem files for a principal who sees the whole
  /// board (like a walk would). `nil` without a read index.
  func visibleTaskIDs(board: String) throws(TackError) -> [TaskID]? {
    guard let index, let tree else { return nil }
    guard let table = try boardTable(board, tree: tree, index: index, walk: false) else {
      return []
    }
    var ids: [TaskID] = []
    ids.reserveCapacity(table.tasks.count)
    let wholeBoard = rules.canSee(board: board, labels: nil)
    do {
      for task in table.tasks {
        if wholeBoard {
          if let id = try index.taskID(task.blob, hint: task.hint, board: board) { ids.append(id) }
        } else if case .success(let summary) = try index.record(
          task.blob, hint: task.hint, board: board
        ).content, rules.canSee(board: board, labels: summary.labels) {
          ids.append(summary.taskId)
        }
      }
    } catch { throw TackError(error) }
    if wholeBoard {
      ids += table.problems.compactMap { TaskFile(path: $0.path, blob: $0.blob).id }
    }
    return ids
  }

  /// The table of `board` as of this view's commit (`nil`: the board has no tasks folder):
  /// the last one made, brought up to date, or — with `walk`, or when there is none — made
  /// by walking the board.
  private func boardTable(
    _ board: String, tree: Tree, index: ReadIndex, walk: Bool
  ) throws(TackError) -> BoardTable? {
    let folder = Store.tasksFolder(board)
    let treeID: OID?
    do { treeID = try tree.treeID(at: folder) } catch { throw TackError(error) }
    guard let treeID else { return nil }
    if !walk, let table = try table(board: board, tree: treeID, index: index) { return table }
    return try self.walk(board: board, tree: treeID, folder: folder, index: index)
  }

  /// The table of this version of the board: the one the last list made when the tree is
  /// the same; else that one brought up to date with what changed between the two trees
  /// (after a write: the few trees above one file). `nil`: walk the board.
  private func table(board: String, tree: OID, index: ReadIndex) throws(TackError) -> BoardTable? {
    guard !index.rewriteDue, var table = index.table(board: board) else { return nil }
    if table.tree == tree { return table }
    let folder = Store.tasksFolder(board)
    do {
      let (removed, added) = try index.changes(from: table.tree, to: tree, prefix: folder + "/")
      // Past a few hundred files (a merge, an import), walking costs about the same.
      guard removed.count + added.count <= 512 else { return nil }
      for (path, blob) in removed {
        if let at = table.problems.firstIndex(where: { $0.path == path }) {
          table.problems.remove(at: at)
        } else if let at = table.tasks.firstIndex(where: { $0.blob == blob }) {
          table.tasks.remove(at: at)
        } else {
          return nil  // the table does not match its tree: walk
        }
      }
      table.tree = tree
      for (path, blob) in added {
        try add(path, blob, board: board, index: index, to: &table, fromFile: false)
      }
    } catch { throw TackError(error) }
    table.problems.sort { $0.path < $1.path }
    index.remember(table)
    return table
  }

  /// Walks the tasks tree through the read index: which files are tasks in their place.
  private func walk(
    board: String, tree: OID, folder: String, index: ReadIndex
  ) throws(TackError) -> BoardTable {
    var table = BoardTable(board: board, tree: tree)
    do {
      for (path, blob) in try index.blobs(under: tree, prefix: folder + "/") {
        try add(path, blob, board: board, index: index, to: &table)
      }
    } catch { throw TackError(error) }
    table.problems.sort { $0.path < $1.path }
    index.remember(table)
    return table
  }

  private func add(
    _ path: String, _ blob: OID, board: String, index: ReadIndex, to table: inout BoardTable,
    fromFile: Bool = true
  ) throws(GitError) {
    if case .success(let summary) = try index.record(blob, fromFile: fromFile).content,
      Store.misplacement(of: summary.taskId, taskBoard: summary.board, board: board, path: path)
        == nil
    {
      table.tasks.append(BoardTable.Task(blob: blob, hint: 0))
    } else {
      table.problems.append((path, blob))
    }
  }
}
