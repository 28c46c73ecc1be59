/// What a command leaves for the operating system to reclaim when the process ends, as
/// clang's `-disable-free` does: a list of 50 000 tasks is written by then, and freeing its
/// summaries one by one took a fifth of the command (30 ms at 100k tasks). Swift runs no
/// destructors for globals at exit, so what is kept here is never freed one by one.
enum LeftAtExit {
  /// Only the main thread runs commands.
  nonisolated(unsafe) private static var kept: [Any] = []

  static func keep(_ value: Any) { kept.append(value) }
}
