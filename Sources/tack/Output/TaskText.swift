import TackCore

/// The human-readable forms of tasks: a table for lists, a page for one task.
enum TaskText {
  /// The title's room, below which the labels and assignee columns are cut (down to
  /// `cutColumnMinimum`, never into their header) before the title is.
  static let titleRoom = 30
  static let cutColumnMinimum = 6
  /// Below this, whole columns are left out (UPDATED, then LABELS, then ASSIGNEE).
  static let titleMinimum = 16

  /// `tack list` as a table at most `width` columns wide: one line per task, cells cut with
  /// "…" rather than wrapped, assignees shown by their compact name (`ada` for
  /// `ada@example.com`).
  static func table(
    _ tasks: [TaskSummary], shortIDs: [TaskID: String], showBoard: Bool, width: Int
  ) -> String {
    let now = Timestamp.now()
    var header =
      (showBoard ? ["ID", "BOARD"] : ["ID"]) + [
        "STATUS", "UPDATED", "ASSIGNEE", "LABELS", "TITLE",
      ]
    var rows: [[String]] = [header]
    for task in tasks {
      let id = shortIDs[task.taskId] ?? String(task.taskId.ulid)
      rows.append(
        ((showBoard ? [id, task.board] : [id])
          + [
            task.status, task.updatedAt.relative(to: now),
            task.assignee.map(compactName).map {
              $0 + (task.leaseExpiresAt.map { $0 <= now } == true ? " (lease expired)" : "")
            } ?? "-",
            task.labels.isEmpty ? "-" : task.labels.joined(separator: ","), task.title,
          ]).map { $0.terminalSafe() })
    }
    func measure() -> [Int] {
      (0..<header.count).map { column in rows.map { $0[column].terminalWidth }.max() ?? 0 }
    }
    var widths = measure()
    func titleWidth() -> Int {
      width - 2 * (header.count - 1) - widths.dropLast().reduce(0, +)
    }
    // Leave out whole columns rather than show a title of a few characters.
    for name in ["UPDATED", "LABELS", "ASSIGNEE"] where titleWidth() < titleMinimum {
      guard let column = header.firstIndex(of: name) else { continue }
      header.remove(at: column)
      for index in rows.indices { rows[index].remove(at: column) }
      widths = measure()
    }
    // Give the title its room by cutting the labels, then the assignees; what is still
    // missing comes out of the title.
    let title = header.count - 1
    for name in ["LABELS", "ASSIGNEE"] {
      let wanted = min(widths[title], titleRoom)
      guard titleWidth() < wanted, let column = header.firstIndex(of: name) else { continue }
      widths[column] = max(
        widths[column] - (wanted - titleWidth()),
        min(widths[column], max(cutColumnMinimum, header[column].count)))
    }
    widths[title] = max(min(widths[title], titleWidth()), 1)
    return rows.map { row in
      row.enumerated().map { column, cell in
        let cut = StyledLine([(cell, .plain)]).truncated(to: widths[column])
        return cut.rendered(color: false, padTo: column == title ? 0 : widths[column])
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }

  /// An assignee as people say it: the local part of an email (`ada` for `ada@example.com`),
  /// other ids (an agent's principal id) as they are.
  static func compactName(_ assignee: String) -> String {
    guard let at = assignee.firstIndex(of: "@"), at > assignee.startIndex else { return assignee }
    return String(assignee[..<at])
  }

  static func page(
    _ task: BoardTask, board: Board?, blockers: [Store.Dependency] = []
  ) -> String {
    var lines = ["\(task.taskId)", ""]
    func field(_ name: String, _ value: String) {
      lines.append(name.padding(10) + value)
    }
    field("Title:", task.title)
    field("Board:", task.board)
    let terminal = board?.isTerminal(task.status) == true ? " (terminal)" : ""
    field("Status:", task.status + terminal)
    if !task.labels.isEmpty { field("Labels:", task.labels.joined(separator: ", ")) }
    if let assignee = task.assignee {
      var text = assignee
      if let lease = task.lease, lease.expiresAt <= Timestamp.now() {
        text +=
          " (lease expired: \(lease.holder)'s lease ran out \(lease.expiresAt.relative()); anyone may claim it)"
      } else if let lease = task.lease {
        text +=
          " (lease held by \(lease.holder) until \(lease.expiresAt), \(lease.expiresAt.relative()))"
      }
      field("Assignee:", text)
    }
    field("Created:", "\(task.createdAt) (\(task.createdAt.relative()))")
    field("Updated:", "\(task.updatedAt) (\(task.updatedAt.relative()))")
    if let priority = task.priority { field("Priority:", Priority.label(priority)) }
    if let due = task.due { field("Due:", due) }
    for blocker in blockers {
      let state =
        blocker.task.map {
          "\($0.status)\(blocker.isOpen ? ", blocks this" : ", done"): \($0.title)"
        }
        ?? "not visible to you: counts as open"
      field("Waits for:", "\(blocker.taskId) (\(state))")
    }
    for link in task.links where blockers.isEmpty || link.rel != BoardTask.Link.blockedBy {
      field("Link:", "\(link.rel) \(link.taskId)")
    }
    if !task.description.isEmpty {
      lines.append("")
      lines.append(
        contentsOf: task.description.split(separator: "\n", omittingEmptySubsequences: false).map {
          "    " + $0
        })
    }
    if !task.inputRequests.isEmpty {
      lines.append("")
      lines.append("Input requests:")
      for key in task.inputRequests.keys.sorted() {
        let request = task.inputRequests[key]!
        let state: String
        if let response = task.inputResponses[key] {
          if let confirmed = response["confirmed"]?.boolValue {
            state = confirmed ? "answered: yes" : "answered: no"
          } else if let text = response["text"]?.stringValue {
            state = "answered: \(text)"
          } else {
            state = "answered: \(response.serialized(pretty: false))"
          }
        } else {
          state = "pending"
        }
        lines.append("  \(key) (\(request.type.rawValue), \(state)): \(request.message)")
      }
    }
    if let result = task.result { lines += ["", "Result: " + result.serialized(pretty: false)] }
    if let error = task.error { lines += ["", "Error: " + error.serialized(pretty: false)] }
    if !task.notes.isEmpty {
      lines.append("")
      lines.append("Notes:")
      for note in task.notes {
        lines.append("  \(note.at)  \(note.by)")
        lines.append(
          contentsOf: note.text.split(separator: "\n", omittingEmptySubsequences: false).map {
            "    " + $0
          })
      }
    }
    return lines.joined(separator: "\n").terminalSafe(keeping: ["\n", "\t"])
  }

  static func history(_ entries: [HistoryEntry]) -> String {
    entries.map { entry in
      let who = entry.actor ?? "\(entry.authorName) <\(entry.authorEmail)> (plain git)"
      var text = "\(entry.commit.prefix(10))  \(entry.at)  \(who)\n    \(entry.subject)"
      if !entry.changes.isEmpty {
        text += "\n    changed: " + entry.changes.joined(separator: "; ")
      }
      return text.terminalSafe(keeping: ["\n"])
    }.joined(separator: "\n")
  }
}

extension String {
  /// The text with control characters (other than those `keeping`) shown as `\u{1B}`
  /// escapes, so a hand-edited file can never move the cursor or recolour a terminal.
  func terminalSafe(keeping kept: Set<Unicode.Scalar> = []) -> String {
    // Most text has no control character at all (C1 controls start with byte 0xC2 in UTF-8):
    // checked on bytes, it is returned as it is.
    if !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) { return self }
    var result = String.UnicodeScalarView()
    for scalar in unicodeScalars {
      if Names.isControl(scalar) && !kept.contains(scalar) {
        result.append(
          contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
      } else {
        result.append(scalar)
      }
    }
    return String(result)
  }

  func padding(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}
