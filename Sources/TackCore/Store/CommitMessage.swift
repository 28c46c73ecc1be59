/// A Tack commit message: `<board>: <short id> <title> — <what>` for a task (other writes:
/// `<board>: <what>`), an optional body, and trailers that make every write searchable with
/// `git log --grep` and readable by `tack log`.
struct CommitMessage {
  var subject: String
  var body: String?
  var trailers: [(String, String)]

  var text: String {
    var text = subject + "\n"
    if let body, !body.isEmpty { text += "\n" + body + "\n" }
    if !trailers.isEmpty {
      text += "\n" + trailers.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
    }
    return text
  }

  /// The value of a trailer in a commit message, if present.
  static func trailer(_ key: String, in message: String) -> String? {
    let prefix = key + ": "
    for line in message.split(separator: "\n").reversed() where line.hasPrefix(prefix) {
      return String(line.dropFirst(prefix.count))
    }
    return nil
  }

  /// Subjects stay within this many characters where they can (git's and most tools'
  /// convention), so `git log --oneline` shows them whole.
  static let subjectLimit = 72

  /// A task write's subject: `<board>: <short id> <title> — <what>`, the title (at least 16
  /// characters of it), then `what`, cut to what fits in `subjectLimit`, so `git log
  /// --oneline` tells tasks apart. The body and trailers keep everything cut here.
  static func subject(board: String, id: String, title: String, what: String) -> String {
    let head = "\(board): \(id) "
    let title = clip(title, max(16, subjectLimit - head.count - 3 - what.count))
    let what = clip(what, max(24, subjectLimit - head.count - 3 - title.count))
    return head + title + " — " + what
  }

  /// One line, at most `limit` characters, for a subject.
  static func clip(_ text: String, _ limit: Int = 60) -> String {
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
  }
}
