import TackCore

/// The text `tack edit ID` opens in an editor: a `Title:` line, a `Labels:` line, a blank
/// line, then the description. Lines starting with `#` are comments; a description line of
/// its own that starts with `#` is written with a `\` in front (`\#`), which reading removes.
struct TaskDocument: Equatable {
  var title: String
  var labels: [String]
  var description: String

  init(title: String, labels: [String], description: String) {
    self.title = title
    self.labels = labels
    self.description = Self.normalized(description)
  }

  init(_ task: BoardTask) {
    self.init(title: task.title, labels: task.labels, description: task.description)
  }

  /// The document, with comments naming the task.
  func text(id: TaskID, status: String, board: String) -> String {
    var lines = ["Title: \(title)", "Labels: \(labels.joined(separator: ", "))", ""]
    if !description.isEmpty {
      lines += description.split(separator: "\n", omittingEmptySubsequences: false).map {
        Self.isCommentOrEscaped($0) ? "\\" + $0 : String($0)
      }
      lines.append("")
    }
    lines += [
      "# \(id) (\(status)) on board \(board)",
      "# Edit the title, the labels (comma-separated) and, after the blank line, the",
      "# description. Lines starting with '#' are ignored; write \\# for a description line",
      "# that starts with #. Save and quit to apply; leave it unchanged to change nothing.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// Reads an edited document. Refuses (exit 4) a missing or empty title, a header line other
  /// than `Title:` or `Labels:`, and an invalid label.
  static func parse(_ text: String) throws(TackError) -> TaskDocument {
    var lines: [Substring] = text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
      .filter { !$0.hasPrefix("#") }
      .map { isCommentOrEscaped($0) ? $0.dropFirst() : $0 }
    while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
    var title: String?
    var labels: [String]?
    while let line = lines.first, !line.allSatisfy(\.isWhitespace) {
      lines.removeFirst()
      guard let colon = line.firstIndex(of: ":") else {
        throw .invalidInput(
          "the line \(quotedLine(line)) is not 'Title: ...' or 'Labels: ...'; put a blank line between them and the description."
        )
      }
      let value = line[line.index(after: colon)...].trimmingSpaces
      switch line[..<colon].trimmingSpaces.lowercased() {
      case "title" where title == nil: title = value
      case "labels" where labels == nil:
        labels = value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
          .map(String.init)
      default:
        throw .invalidInput(
          "the line \(quotedLine(line)) is not 'Title: ...' or 'Labels: ...' (each at most once); put a blank line between them and the description."
        )
      }
    }
    guard let title else { throw .invalidInput("the document has no 'Title: ...' line.") }
    guard !title.isEmpty else {
      throw .invalidInput("the title is empty: write it after 'Title:'.")
    }
    for label in labels ?? [] { try Names.validate(label, as: "label") }
    return TaskDocument(
      title: title, labels: labels ?? [], description: lines.joined(separator: "\n"))
  }

  /// A description without blank lines before it or white space after it: how it reads back.
  static func normalized(_ description: String) -> String {
    var lines = description.split(separator: "\n", omittingEmptySubsequences: false)
    while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
    var text = lines.joined(separator: "\n")
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }

  /// `#…`, `\#…`, `\\#…`: lines that get one more `\` when written and one less when read.
  private static func isCommentOrEscaped(_ line: Substring) -> Bool {
    line.drop { $0 == "\\" }.hasPrefix("#")
  }

  private static func quotedLine(_ line: Substring) -> String {
    "\"" + line.prefix(60) + (line.count > 60 ? "…" : "") + "\""
  }
}

extension Substring {
  var trimmingSpaces: String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }
}
