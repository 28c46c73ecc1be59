import Foundation
import Testing

/// Several tack processes writing to one repository at once: every write lands, once.
@Suite struct ConcurrencyTests {
  static let workers = 4
  static let rounds = 15

  /// Each worker is a shell loop of `tack add` and `tack note` on one shared task, so the
  /// processes really overlap (threads in this process would be throttled by the pool).
  static let script = """
    i=1
    while [ "$i" -le "$E2E_ROUNDS" ]; do
      "$E2E_TACK" add "w$E2E_WORKER-$i" >/dev/null || echo "add w$E2E_WORKER-$i exit $?" >&2
      "$E2E_TACK" note "$E2E_SHARED" "w$E2E_WORKER-n$i" >/dev/null \
        || echo "note w$E2E_WORKER-n$i exit $?" >&2
      i=$((i + 1))
    done
    """

  @Test(arguments: [false, true])
  func concurrentWritersAllLand(bare: Bool) throws {
    let sandbox = try Sandbox(bare: bare)
    let shared = try sandbox.add("Shared")
    let before = try sandbox.commitCount()
    let tack = try Programs.tack.get()

    let running = try (1...Self.workers).map { worker in
      try sandbox.start(
        Programs.shell, ["-c", Self.script],
        env: [
          "E2E_TACK": tack, "E2E_SHARED": shared, "E2E_WORKER": "\(worker)",
          "E2E_ROUNDS": "\(Self.rounds)",
        ], in: sandbox.repo)
    }
    for (worker, process) in running.enumerated() {
      let output = try process.wait()
      #expect(output.status == 0 && output.stderr.isEmpty, "worker \(worker + 1):\n\(output)")
    }

    let writes = Self.workers * Self.rounds * 2
    #expect(try sandbox.commitCount() == before + writes)
    let tasks = try JSON.parse(sandbox.ok(["list", "--json"]))["tasks"]?.array ?? []
    let titles = tasks.compactMap { $0["title"]?.string }
    #expect(tasks.count == 1 + Self.workers * Self.rounds)
    let expectedTitles =
      ["Shared"]
      + (1...Self.workers).flatMap { w in (1...Self.rounds).map { "w\(w)-\($0)" } }
    #expect(titles.sorted() == expectedTitles.sorted())
    let notes = try sandbox.storedTask(shared)["notes"]?.array?.compactMap { $0["text"]?.string }
    let expectedNotes = (1...Self.workers).flatMap { w in (1...Self.rounds).map { "w\(w)-n\($0)" } }
    #expect(notes?.sorted() == expectedNotes.sorted())

    // One commit per write, each naming its task, and a linear history.
    let merges = try sandbox.git(["rev-list", "--merges", "--count", Sandbox.branch])
    #expect(merges == "0\n")
    let actions = try sandbox.git(
      ["log", "--format=%(trailers:key=Tack-Action,valueonly)", "-n", "\(writes)", Sandbox.branch]
    ).split(separator: "\n").map(String.init)
    #expect(actions.filter { $0 == "create" }.count == Self.workers * Self.rounds)
    #expect(actions.filter { $0 == "note" }.count == Self.workers * Self.rounds)

    try sandbox.expectFsckClean()
    if !bare {
      #expect(try sandbox.status() == "")
      for task in tasks {
        let id = try #require(task["taskId"]?.string)
        let path = Sandbox.taskPath(id)
        #expect(sandbox.onDisk(path) == (try sandbox.committed(path)), "\(path)")
      }
    }
    #expect(try sandbox.tack(["check"]).status == 0)
  }
}
