import TackAccess
import TackCore

/// What tack-bench measures; each returns its timings.
enum Operations {
  /// The todo and working tasks, oldest first: the ones a status change may toggle.
  static func movable(_ access: BoardAccess) throws(TackError) -> [BoardTask] {
    let tasks = try access.list(TaskFilter(statuses: ["todo", "working"])).tasks
    guard !tasks.isEmpty else { fail("the board has no todo or working tasks") }
    return tasks
  }

  static func toggled(_ status: String) -> String { status == "working" ? "todo" : "working" }

  /// `count` status changes on tasks picked across the board (each read first).
  static func write(_ access: BoardAccess, count: Int) throws(TackError) -> Samples {
    let ids = try movable(access).map(\.taskId.rawValue)
    var samples = Samples()
    for index in 0..<count {
      let id = ids[(index * 7919) % ids.count]
      try samples.time { () throws(TackError) in
        _ = try access.transition(id, to: toggled(try access.task(id).status))
      }
    }
    return samples
  }

  static func read(_ access: BoardAccess, count: Int) throws(TackError) -> Samples {
    let ids = try movable(access).map(\.taskId.rawValue)
    var samples = Samples()
    for index in 0..<count {
      let id = ids[(index * 7919) % ids.count]
      try samples.time { () throws(TackError) in _ = try access.task(id) }
    }
    return samples
  }

  /// `rounds` passes over the movable tasks (the first `limit`), one status change each.
  static func sweep(_ access: BoardAccess, rounds: Int, limit: Int?) throws(TackError) -> Samples {
    var statuses = try movable(access).prefix(limit ?? .max).map {
      ($0.taskId.rawValue, $0.status)
    }
    var samples = Samples()
    for _ in 0..<rounds {
      for index in statuses.indices {
        let (id, status) = statuses[index]
        try samples.time { () throws(TackError) in
          statuses[index].1 = try access.transition(id, to: toggled(status)).status
        }
      }
    }
    return samples
  }

  /// One of several processes writing at once: `count` status changes on its own `tasks`,
  /// started when bench.py says go, so that all writers overlap. A write refused because the
  /// others kept the branch busy too long (`conflict`: nothing was written) is counted, not
  /// fatal; `count` in the result is the writes acknowledged.
  static func writersChild(
    _ access: BoardAccess, count: Int, tasks: [String]
  ) throws(TackError) -> [String: JSONValue] {
    var statuses: [String] = []
    for id in tasks { statuses.append(try access.task(id).status) }
    emit("ready")
    _ = readLine()
    var samples = Samples()
    var refusals: [String] = []
    for index in 0..<count {
      let slot = index % tasks.count
      do {
        try samples.time { () throws(TackError) in
          statuses[slot] = try access.transition(tasks[slot], to: toggled(statuses[slot])).status
        }
      } catch {
        guard case .conflict = error else { throw error }
        refusals.append(error.description)
      }
    }
    var result = samples.summary
    result["refused"] = .int(Int64(refusals.count))
    if let first = refusals.first { result["refusal"] = .string(first) }
    result["samples_ms"] = .array(samples.milliseconds.map { .double($0) })
    result["statuses"] = .object(
      Dictionary(uniqueKeysWithValues: zip(tasks, statuses.map { .string($0) })))
    return result
  }
}
