import TackGit

extension View {
  /// Adds the summaries of `board`'s tasks that `filter` selects and the principal may see
  /// to `tasks`, and a problem for each file that is not a task in its right place (for a
  /// principal who sees the whole board). Through the read index, an unchanged board is one
  /// table (see `BoardTable`); a changed one is walked, and its table made for next time.
  func summaries(
    board: String, filter: TaskFilter, into tasks: inout [TaskSummary],
    problems: inout [Problem]
  ) throws(TackError) {
    guard let index, let tree else {
      for file in try taskFiles(board: board) {
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
    let folder = Store.tasksFolder(board)
    let treeID: OID?
    do { treeID = try tree.treeID(at: folder) } catch { throw TackError(error) }
    guard let treeID else { return }
    var table = index.table(board: board, tree: treeID)
    // A table only says which blobs are tasks in their place; should a record ever disagree
    // (a damaged cache), the board is walked again rather than a task left out.
    for attempt in 0..<2 {
      let current: BoardTable
      if let known = table, attempt == 0 {
        current = known
      } else {
        current = try makeTable(board: board, tree: treeID, folder: folder, index: index)
      }
      var found: [TaskSummary] = []
      var failed: [Problem] = []
      var consistent = true
      for task in current.tasks {
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
      guard consistent else {
        table = nil
        continue
      }
      for problem in current.problems {
        do { _ = try summary(at: problem.path, blob: problem.blob, board: board) } catch {
          failed.append(Problem(path: problem.path, reason: error.reason))
        }
      }
      tasks += found
      problems += failed
      return
    }
  }

  /// Walks the tasks tree through the read index: which files are tasks in their place.
  private func makeTable(
    board: String, tree: OID, folder: String, index: ReadIndex
  ) throws(TackError) -> BoardTable {
    var table = BoardTable(board: board, tree: tree)
    do {
      for (path, blob) in try index.blobs(under: tree, prefix: folder + "/") {
        if case .success(let summary) = try index.record(blob).content,
          Store.misplacement(
            of: summary.taskId, taskBoard: summary.board, board: board, path: path) == nil
        {
          table.tasks.append(BoardTable.Task(blob: blob, hint: 0))
        } else {
          table.problems.append((path, blob))
        }
      }
    } catch { throw TackError(error) }
    index.remember(table)
    return table
  }
}
