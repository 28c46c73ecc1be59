import TackCore

/// `tack board show`: a board's tasks in one column per status, fitted to a terminal width.
struct BoardView {
  struct Column {
    var status: String
    var terminal: Bool
    /// Oldest first, like `tack list`.
    var tasks: [TaskSummary]
  }

  /// Narrower columns than this are unreadable: fewer columns are shown instead.
  static let minimumColumnWidth = 20
  /// Terminal columns get room only when every column can be this wide; the open work
  /// matters more than the finished.
  static let terminalColumnWidth = 30
  /// Wider columns only spread the text out.
  static let maximumColumnWidth = 48
  static let gap = 2
  /// A terminal column shows only its most recently updated tasks.
  static let terminalRows = 5

  let board: Board
  let columns: [Column]
  let shortIDs: [TaskID: String]

  /// One column per status of the board, in its order; a status a hand edit left on some task
  /// that the board does not define gets a column after them, so no task goes unseen.
  init(board: Board, tasks: [TaskSummary], shortIDs: [TaskID: String]) {
    self.board = board
    self.shortIDs = shortIDs
    var columns = board.statuses.map { Column(status: $0.name, terminal: $0.terminal, tasks: []) }
    for task in tasks where task.board == board.name {
      if let index = columns.firstIndex(where: { $0.status == task.status }) {
        columns[index].tasks.append(task)
      } else {
        columns.append(Column(status: task.status, terminal: false, tasks: [task]))
      }
    }
    self.columns = columns
  }

  var json: JSONValue {
    [
      "board": boardJSON(board, default: nil),
      "columns": .array(
        columns.map {
          [
            "status": .string($0.status), "count": .int(Int64($0.tasks.count)),
            // The stored JSON was written by Tack's own serializer: it always parses.
            "tasks": .array($0.tasks.map { (try? JSONValue.parse($0.json)) ?? .null }),
          ]
        }),
    ]
  }

  /// The view as text at most `width` columns wide: every status as a column when they fit;
  /// else the non-terminal ones as columns and a summary line for the terminal ones; else,
  /// on a very narrow terminal, one section per status, one under the other.
  func rendered(width: Int, color: Bool) -> String {
    let width = max(width, 20)
    var lines: [StyledLine] = [heading.truncated(to: width), StyledLine()]
    let open = columns.filter { !$0.terminal }
    let terminal = columns.filter(\.terminal)
    if let columnWidth = Self.columnWidth(count: columns.count, in: width),
      terminal.isEmpty || columnWidth >= Self.terminalColumnWidth
    {
      lines += sideBySide(columns, columnWidth: columnWidth)
    } else if let columnWidth = Self.columnWidth(count: open.count, in: width) {
      lines += sideBySide(open, columnWidth: columnWidth)
      lines += summary(terminal, width: width)
    } else {
      for (index, column) in open.enumerated() {
        if index > 0 { lines.append(StyledLine()) }
        lines += cells(column, width: width)
      }
      lines += summary(terminal, width: width)
    }
    return lines.map { $0.rendered(color: color) }.joined(separator: "\n")
  }

  private var heading: StyledLine {
    let count = columns.reduce(0) { $0 + $1.tasks.count }
    var pieces: [(text: String, style: Style)] = [("Board \(board.name)", .bold)]
    if !board.description.isEmpty { pieces.append((": " + board.description.printable, .plain)) }
    pieces.append(("  (\(count) task\(count == 1 ? "" : "s"))", .dim))
    return StyledLine(pieces)
  }

  /// The width of each of `count` columns side by side, or nil when they would be too narrow.
  static func columnWidth(count: Int, in width: Int) -> Int? {
    guard count > 0 else { return nil }
    let each = (width - gap * (count - 1)) / count
    return each >= minimumColumnWidth ? min(each, maximumColumnWidth) : nil
  }

  private func sideBySide(_ columns: [Column], columnWidth: Int) -> [StyledLine] {
    let blocks = columns.map { cells($0, width: columnWidth) }
    let height = blocks.map(\.count).max() ?? 0
    var lines: [StyledLine] = []
    for row in 0..<height {
      // Pad every cell up to the last one that has text, so no line ends in spaces.
      guard let last = blocks.lastIndex(where: { row < $0.count && $0[row].width > 0 }) else {
        lines.append(StyledLine())
        continue
      }
      var line = StyledLine()
      for index in 0...last {
        let cell = row < blocks[index].count ? blocks[index][row] : StyledLine()
        line.pieces += cell.pieces
        if index < last {
          let padding = columnWidth - cell.width + Self.gap
          line.pieces.append((String(repeating: " ", count: padding), .plain))
        }
      }
      lines.append(line)
    }
    return lines
  }

  /// A column's lines: its header, a rule, then two lines per task (the second, labels and
  /// assignee, only when the task has either).
  private func cells(_ column: Column, width: Int) -> [StyledLine] {
    var lines = [
      StyledLine([
        ("\(column.status) (\(column.tasks.count))", column.terminal ? .bold : .header)
      ]).truncated(to: width),
      StyledLine([(String(repeating: "─", count: width), .dim)]),
    ]
    var tasks = column.tasks
    var hidden = 0
    if column.terminal && tasks.count > Self.terminalRows {
      tasks = Array(tasks.sorted { $0.updatedAt > $1.updatedAt }.prefix(Self.terminalRows))
      hidden = column.tasks.count - tasks.count
    }
    for task in tasks {
      let id = shortIDs[task.taskId] ?? String(task.taskId.ulid)
      lines.append(
        StyledLine([(id, .id), (" ", .plain), (task.title.printable, .plain)]).truncated(to: width)
      )
      var details = task.labels.map { "#" + $0 }
      if let assignee = task.assignee {
        let expired = task.leaseExpiresAt.map { $0 <= Timestamp.now() } == true
        details.append("@" + assignee.printable + (expired ? " (lease expired)" : ""))
      }
      if !details.isEmpty {
        lines.append(
          StyledLine([("  " + details.joined(separator: " "), .dim)]).truncated(to: width))
      }
    }
    if hidden > 0 { lines.append(StyledLine([("+\(hidden) more", .dim)])) }
    return lines
  }

  /// One line, wrapped at `width`: "Also: completed (3), failed (0), cancelled (1)".
  private func summary(_ columns: [Column], width: Int) -> [StyledLine] {
    guard !columns.isEmpty else { return [] }
    var lines = [StyledLine(), StyledLine([("Also:", .dim)])]
    for (index, column) in columns.enumerated() {
      let item = "\(column.status) (\(column.tasks.count))" + (index < columns.count - 1 ? "," : "")
      if lines[lines.count - 1].width + 1 + item.terminalWidth > width {
        lines.append(StyledLine([(item, .plain)]).truncated(to: width))
      } else {
        lines[lines.count - 1].pieces.append((" " + item, .plain))
      }
    }
    return lines
  }
}

extension String {
  /// The text with control characters (escape sequences included) shown as spaces, so that
  /// nothing a task holds can move the cursor or change colours.
  var printable: String {
    String(
      String.UnicodeScalarView(
        unicodeScalars.map {
          Names.isControl($0) ? " " : $0
        }))
  }
}
