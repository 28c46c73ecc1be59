import TackCore

/// `tack board show`: a board's tasks in one column per status that holds any, fitted to a
/// terminal width.
struct BoardView {
  struct Column {
    var status: String
    var terminal: Bool
    /// Oldest first, like `tack list`.
    var tasks: [TaskSummary]
  }

  /// Columns are not cut narrower than this: fewer columns are shown instead.
  static let minimumColumnWidth = 16
  /// Terminal statuses get columns only when no column is then cut narrower than this: the
  /// open work matters more than the finished.
  static let terminalColumnWidth = 24
  /// Wider columns only spread the text out.
  static let maximumColumnWidth = 48
  static let gap = 2
  /// A terminal column shows only its most recently updated tasks.
  static let terminalRows = 5
  /// A card's title wraps onto at most this many lines, the last cut with "…".
  static let titleLines = 2

  let board: Board
  let columns: [Column]
  let shortIDs: [TaskID: String]
  /// Tasks that wait for an unfinished blocker: their cards say "blocked".
  let blocked: Set<TaskID>

  /// One column per status of the board, in its order; a status a hand edit left on some task
  /// that the board does not define gets a column after them, so no task goes unseen.
  init(
    board: Board, tasks: [TaskSummary], shortIDs: [TaskID: String], blocked: Set<TaskID> = []
  ) {
    self.board = board
    self.shortIDs = shortIDs
    self.blocked = blocked
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

  /// The view as text at most `width` columns wide (and, with `height`, at most that many
  /// lines: the heading and the columns' headers stay, the cards below are cut). Only
  /// statuses that hold tasks get a column, each as wide as its cards need; the others are
  /// counted on an "Also:" line. When the columns do not fit, the terminal statuses join
  /// that line; on a very narrow terminal, the columns are drawn one under the other.
  func rendered(width: Int, color: Bool, height: Int? = nil) -> String {
    let width = max(width, Self.minimumColumnWidth)
    var lines: [StyledLine] = [heading.truncated(to: width), StyledLine()]
    let filled = columns.filter { !$0.tasks.isEmpty }
    let open = filled.filter { !$0.terminal }
    var drawn: [Column]
    if let widths = Self.columnWidths(
      filled.map(natural), in: width,
      minimum: open.count < filled.count ? Self.terminalColumnWidth : Self.minimumColumnWidth)
    {
      drawn = filled
      lines += sideBySide(filled, widths: widths)
    } else if let widths = Self.columnWidths(
      open.map(natural), in: width, minimum: Self.minimumColumnWidth)
    {
      drawn = open
      lines += sideBySide(open, widths: widths)
    } else {
      drawn = open
      for (index, column) in open.enumerated() {
        if index > 0 { lines.append(StyledLine()) }
        lines += cells(column, width: width)
      }
    }
    if drawn.isEmpty { lines.append(StyledLine([("No tasks.", .dim)])) }
    lines += summary(
      columns.filter { column in !drawn.contains { $0.status == column.status } },
      width: width)
    if let height, lines.count > height {
      let cut = lines.count - max(height - 1, 1)
      lines = Array(lines.prefix(max(height - 1, 1)))
      lines.append(
        StyledLine([("… \(cut) more lines: a taller terminal shows them", .dim)]).truncated(
          to: width))
    }
    return lines.map { $0.rendered(color: color) }.joined(separator: "\n")
  }

  /// Several views, one under the other, together at most `height` lines.
  static func rendered(_ views: [BoardView], width: Int, color: Bool, height: Int?) -> String {
    var text = ""
    for view in views {
      let used =
        text.isEmpty ? 0 : text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
      if let height, used >= height { break }
      if !text.isEmpty { text += "\n\n" }
      text += view.rendered(width: width, color: color, height: height.map { $0 - used })
    }
    return text
  }

  private var heading: StyledLine {
    let count = columns.reduce(0) { $0 + $1.tasks.count }
    var pieces: [(text: String, style: Style)] = [("Board \(board.name)", .bold)]
    if !board.description.isEmpty { pieces.append((": " + board.description.printable, .plain)) }
    pieces.append(("  (\(count) task\(count == 1 ? "" : "s"))", .dim))
    return StyledLine(pieces)
  }

  /// The width a column would like: its widest header, card or details line, up to the
  /// maximum.
  private func natural(_ column: Column) -> Int {
    var widest = header(column).width
    for task in shown(column) where widest < Self.maximumColumnWidth {
      widest = max(widest, id(task).count + 1 + task.title.printable.terminalWidth)
      widest = max(widest, details(task).terminalWidth)
    }
    return min(widest, Self.maximumColumnWidth)
  }

  /// Widths for columns that would like `natural` widths, side by side in `width`: as they
  /// like when they fit, else the widest cut to one common limit; nil when that limit would be
  /// under `minimum`.
  static func columnWidths(_ natural: [Int], in width: Int, minimum: Int) -> [Int]? {
    guard !natural.isEmpty else { return [] }
    let room = width - gap * (natural.count - 1)
    if natural.reduce(0, +) <= room { return natural }
    var limit = (natural.max() ?? 0)
    while limit >= minimum {
      let widths = natural.map { min($0, limit) }
      if widths.reduce(0, +) <= room { return widths }
      limit -= 1
    }
    return nil
  }

  private func sideBySide(_ columns: [Column], widths: [Int]) -> [StyledLine] {
    let blocks = zip(columns, widths).map { cells($0, width: $1) }
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
          let padding = widths[index] - cell.width + Self.gap
          line.pieces.append((String(repeating: " ", count: padding), .plain))
        }
      }
      lines.append(line)
    }
    return lines
  }

  private func header(_ column: Column) -> StyledLine {
    StyledLine([("\(column.status) (\(column.tasks.count))", column.terminal ? .bold : .header)])
  }

  /// The tasks a column shows: all, or a terminal column's most recently updated.
  private func shown(_ column: Column) -> [TaskSummary] {
    guard column.terminal && column.tasks.count > Self.terminalRows else { return column.tasks }
    return Array(column.tasks.sorted { $0.updatedAt > $1.updatedAt }.prefix(Self.terminalRows))
  }

  private func id(_ task: TaskSummary) -> String {
    shortIDs[task.taskId] ?? String(task.taskId.ulid)
  }

  /// A card's second part: its labels and compact assignee, or "" when it has neither.
  private func details(_ task: TaskSummary) -> String {
    var details = blocked.contains(task.taskId) ? ["blocked"] : []
    details += task.labels.map { "#" + $0 }
    if let assignee = task.assignee {
      let expired = task.leaseExpiresAt.map { $0 <= Timestamp.now() } == true
      details.append(
        "@" + TaskText.compactName(assignee.printable) + (expired ? " (lease expired)" : ""))
    }
    return details.isEmpty ? "" : "  " + details.joined(separator: " ")
  }

  /// A column's lines: its header, a rule, then each task: its id and title (wrapped onto
  /// `titleLines` lines, under the title's first word) and, when it has any, its labels and
  /// assignee.
  private func cells(_ column: Column, width: Int) -> [StyledLine] {
    var lines = [
      header(column).truncated(to: width),
      StyledLine([(String(repeating: "─", count: width), .dim)]),
    ]
    let tasks = shown(column)
    for task in tasks {
      let id = id(task)
      let indent = id.terminalWidth + 1 <= width / 2 ? id.terminalWidth + 1 : 2
      let title = Self.wrap(
        task.title.printable, first: width - id.terminalWidth - 1, rest: width - indent,
        lines: Self.titleLines)
      for (index, text) in title.enumerated() {
        lines.append(
          index == 0
            ? StyledLine([(id, .id), (" ", .plain), (text, .plain)]).truncated(to: width)
            : StyledLine([(String(repeating: " ", count: indent) + text, .plain)]))
      }
      let details = details(task)
      if !details.isEmpty { lines.append(StyledLine([(details, .dim)]).truncated(to: width)) }
    }
    let hidden = column.tasks.count - tasks.count
    if hidden > 0 { lines.append(StyledLine([("+\(hidden) more", .dim)])) }
    return lines
  }

  /// `text` wrapped at spaces onto at most `lines` lines, the first `first` columns wide and
  /// the others `rest`; a word longer than a line is split, and what does not fit on the last
  /// line is cut with "…".
  static func wrap(_ text: String, first: Int, rest: Int, lines limit: Int) -> [String] {
    if text.terminalWidth <= first { return [text] }
    var lines: [String] = []
    var words: [(text: String, width: Int)] = text.split(separator: " ").map {
      (String($0), String($0).terminalWidth)
    }
    var next = 0
    while next < words.count {
      let room = max(lines.isEmpty ? first : rest, 1)
      if lines.count == limit - 1 {
        let remaining = words[next...].map(\.text).joined(separator: " ")
        lines.append(
          StyledLine([(remaining, .plain)]).truncated(to: room).pieces.map(\.text).joined())
        break
      }
      var line = ""
      var used = 0
      while next < words.count {
        let word = words[next]
        let needed = line.isEmpty ? word.width : used + 1 + word.width
        if needed <= room {
          line += line.isEmpty ? word.text : " " + word.text
          used = needed
          next += 1
        } else if line.isEmpty {
          // A word wider than the line: as much of it as fits, the rest on the next line.
          var head = ""
          var headWidth = 0
          for character in word.text {
            let width = String(character).terminalWidth
            if headWidth + width > room { break }
            head.append(character)
            headWidth += width
          }
          if head.isEmpty { head = String(word.text.prefix(1)) }
          line = head
          let tail = String(word.text.dropFirst(head.count))
          words[next] = (tail, tail.terminalWidth)
          break
        } else {
          break
        }
      }
      lines.append(line)
    }
    return lines.isEmpty ? [""] : lines
  }

  /// One line, wrapped at `width`: "Also: input_required (0), completed (3), failed (0)".
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
