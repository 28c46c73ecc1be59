// In-process timings of Tack's repository layer, for scripts/bench.py. Not a test: it
// prints numbers. Usage: tack-bench REPO OPERATION COUNT
//   write  — COUNT status changes (working ⇄ todo) on tasks picked across the board
//   read   — COUNT task reads by full id
// Prints one JSON object: {"operation", "count", "p50_ms", "p95_ms", "mean_ms"}.
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

func fail(_ message: String) -> Never {
  let line = Array("tack-bench: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
  fail("usage: tack-bench REPO write|read COUNT")
}
let (repository, operation) = (arguments[1], arguments[2])

func run() throws(TackError) -> [Double] {
  let access = try BoardAccess.open(at: repository)
  let ids = try access.list(TaskFilter(statuses: ["todo", "working"])).tasks.map(\.taskId.rawValue)
  guard !ids.isEmpty else { fail("the board has no tasks") }
  let clock = ContinuousClock()
  var samples: [Double] = []
  for index in 0..<count {
    let id = ids[(index * 7919) % ids.count]
    let start = clock.now
    switch operation {
    case "write":
      let task = try access.task(id)
      _ = try access.transition(id, to: task.status == "working" ? "todo" : "working")
    case "read":
      _ = try access.task(id)
    default:
      fail("unknown operation \(operation)")
    }
    let elapsed = clock.now - start
    samples.append(
      Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
  }
  return samples
}

do {
  let samples = try run().sorted()
  let p50 = samples[samples.count / 2]
  let p95 = samples[min(samples.count - 1, samples.count * 95 / 100)]
  let mean = samples.reduce(0, +) / Double(samples.count)
  let result: JSONValue = [
    "operation": .string(operation), "count": .int(Int64(count)), "p50_ms": .double(p50),
    "p95_ms": .double(p95), "mean_ms": .double(mean),
  ]
  print(result.serialized(pretty: false))
} catch {
  fail(error.description)
}
