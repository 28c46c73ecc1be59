import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a note's text comes from when it is not on the command line: standard input
/// (`tack note ID -`) or the person's editor (`tack note ID`).
enum NoteInput {
  /// All of standard input, without trailing newlines; empty is refused.
  static func fromStandardInput() throws(TackError) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else {
        throw .invalidInput(
          "could not read the note from standard input: \(String(cString: strerror(errno))).")
      }
      if count == 0 { break }
      bytes += buffer[0..<count]
      guard bytes.count <= Limits.noteBytes * 2 else { break }
    }
    let text = trimmed(String(decoding: bytes, as: UTF8.self))
    guard !text.isEmpty else {
      throw .invalidInput("standard input was empty: there is no note to add; nothing was written.")
    }
    return text
  }

  /// Opens the editor on a file explaining what to write; lines starting with `#` are
  /// dropped, and an empty note writes nothing. Like `tack edit`, it needs VISUAL, EDITOR or
  /// a terminal; the text stays in its file when it cannot be written.
  static func fromEditor(global: GlobalOptions, id: String) throws {
    var prepared: (access: BoardAccess, task: BoardTask, path: String)?
    try running(global) { () throws(TackError) in
      guard EditorSession.chosenEditor != nil || isatty(0) == 1 else {
        throw .invalidInput(
          "give the note's text (tack note ID some text), - to read it from standard input, or set VISUAL or EDITOR."
        )
      }
      let access = try global.open()
      let task = try access.task(id)
      let text = """

        # The note for \(task.taskId) (\(task.status)): \(task.title)
        # Lines starting with # are left out; an empty note writes nothing.

        """
      prepared = (
        access, task, try TemporaryFile.create(named: "tack-note-\(task.taskId.historyID)", text)
      )
    }
    guard let (access, task, path) = prepared else { return }
    do {
      try EditorSession.runEditor(on: path)
      let written = try TemporaryFile.read(path).split(
        separator: "\n", omittingEmptySubsequences: false
      ).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
      let text = trimmed(written)
      guard !text.isEmpty else {
        unlink(path)
        Console.info("The note is empty; nothing was written.")
        return
      }
      let result = try access.addNote(task.taskId.rawValue, text: text)
      unlink(path)
      report(result, "note added", json: global.json)
    } catch {
      Console.error(error.description)
      Console.info("Your text is kept in \(path).")
      throw ExitCode(error.exitCode)
    }
  }

  /// The text without leading blank lines and trailing whitespace.
  static func trimmed(_ text: String) -> String {
    var text = Substring(text)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    while let first = text.first, first == "\n" { text.removeFirst() }
    return String(text)
  }
}
