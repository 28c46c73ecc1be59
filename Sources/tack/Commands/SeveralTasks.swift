import ArgumentParser
import TackAccess
import TackCore

/// Commands that take several ids (`tack done A B C`): each task is checked and committed as
/// its own write, so one refusal stops nothing else; a summary line follows, and the exit
/// code is the first refusal's. With one id, the command behaves as it always did.
enum SeveralTasks {
  static func run(
    _ global: GlobalOptions, _ ids: [String], verb: String,
    _ body: (BoardAccess, String) throws(TackError) -> (BoardTask, String)
  ) throws {
    guard ids.count > 1 else {
      return try running(global) { () throws(TackError) in
        let (task, text) = try body(try global.open(), ids[0])
        report(task, text, json: global.json)
      }
    }
    var access: BoardAccess?
    try running(global) { () throws(TackError) in access = try global.open() }
    guard let access else { return }
    var done: [JSONValue] = []
    var failed: [(id: String, error: TackError)] = []
    for id in ids {
      do {
        let (task, text) = try body(access, id)
        if global.json { done.append(task.json) } else { report(task, text, json: false) }
      } catch {
        let hint = Suggestion.hint(for: error, global: global)
        // Every message names the id, unless it named the task by its full id.
        let message = error.description.contains(id) ? "" : "\(id): "
        Console.error(message + error.description + (hint.map { " " + $0 } ?? ""))
        failed.append((id, error))
      }
    }
    if global.json {
      Console.json([
        "tasks": .array(done),
        "refused": .array(
          failed.map {
            [
              "id": .string($0.id), "error": .string($0.error.description),
              "exitCode": .int(Int64($0.error.exitCode)),
            ]
          }),
      ])
    } else {
      let summary = "\(ids.count - failed.count) of \(ids.count) \(verb)"
      Console.info(
        failed.isEmpty
          ? summary + "." : summary + "; failed: \(failed.map(\.id).joined(separator: ", ")).")
    }
    if let first = failed.first { throw ExitCode(first.error.exitCode) }
  }
}
