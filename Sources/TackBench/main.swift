// In-process timings of Tack's repository layer, for scripts/bench.py. Not a test: it
// prints numbers. It folds packs on a thread of its own, as `tack mcp` does.
// Usage: tack-bench REPO OPERATION COUNT [--tasks ID,ID…] [--limit N]
//   write          — COUNT status changes (working ⇄ todo) on tasks picked across the board
//   read           — COUNT task reads by full id
//   sweep          — COUNT status changes on every todo/working task (the first N with
//                    --limit), a pass over the board per round
//   writers-child  — one of several concurrent writers: prints `ready`, waits for a line on
//                    stdin, then makes COUNT status changes round-robin on the --tasks given
//                    (each writer gets its own tasks, so no change is refused)
// Prints one JSON object, then lets a fold running on its own thread finish before it exits:
// {"operation", "count", "p50_ms", "p95_ms", "mean_ms", "seconds"};
// writers-child adds "samples_ms", "statuses" (each task's status after its last change) and
// "refused" (writes given up on contention, with the first "refusal" message).
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

let usage =
  "usage: tack-bench REPO write|read|sweep|writers-child COUNT [--tasks ID,ID…] [--limit N]"

func fail(_ message: String) -> Never {
  let line = Array("tack-bench: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  exit(2)
}

/// A line on stdout, unbuffered: bench.py waits for `ready` while this process waits for it.
func emit(_ text: String) {
  let line = Array((text + "\n").utf8)
  _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var taskIDs: [String] = []
var limit: Int?
while let index = arguments.firstIndex(where: { $0.hasPrefix("--") }) {
  guard index + 1 < arguments.count else { fail(usage) }
  switch arguments[index] {
  case "--tasks": taskIDs = arguments[index + 1].split(separator: ",").map(String.init)
  case "--limit":
    guard let value = Int(arguments[index + 1]), value > 0 else { fail(usage) }
    limit = value
  default: fail(usage)
  }
  arguments.removeSubrange(index...index + 1)
}
guard arguments.count == 3, let count = Int(arguments[2]), count > 0 else { fail(usage) }
let (repository, operation) = (arguments[0], arguments[1])

do {
  let access = try BoardAccess.open(at: repository)
  access.packInBackground()  // a long-lived process, as `tack mcp` is
  var result: [String: JSONValue]
  switch operation {
  case "write": result = try Operations.write(access, count: count).summary
  case "read": result = try Operations.read(access, count: count).summary
  case "sweep": result = try Operations.sweep(access, rounds: count, limit: limit).summary
  case "writers-child":
    guard !taskIDs.isEmpty else { fail("writers-child needs --tasks ID,ID…") }
    result = try Operations.writersChild(access, count: count, tasks: taskIDs)
  default: fail(usage)
  }
  result["operation"] = .string(operation)
  emit(JSONValue.object(result).serialized(pretty: false))
  // Untimed: the next run starts from folded packs, not from what this run piled up.
  access.finishBackgroundPacking()
} catch {
  fail(error.description)
}
