import Foundation
import Testing

/// Short ids people can type: drawn from the random part of the ULID, so a burst of tasks
/// does not share them.
@Suite struct ShortIDTests {
  /// The short ids `tack list` shows, by title.
  static func listed(_ sandbox: Sandbox) throws -> [String: String] {
    var shorts: [String: String] = [:]
    for line in try sandbox.ok(["list"]).split(separator: "\n").dropFirst() {
      let columns = line.split(separator: " ", omittingEmptySubsequences: true)
      guard let id = columns.first, let title = line.range(of: "burst ") else { continue }
      shorts[String(line[title.lowerBound...])] = String(id)
    }
    return shorts
  }

  @Test func aBurstOf300TasksGetsShortIDsOf5Characters() throws {
    let sandbox = try Sandbox()
    let lines = (0..<300).map { "{\"title\": \"burst \($0)\"}" }.joined(separator: "\n")
    let imported = try sandbox.tack(["import", "-"], stdin: lines + "\n")
    try #require(imported.status == 0, "\(imported)")
    let shorts = try Self.listed(sandbox)
    try #require(shorts.count == 300)
    let lengths = shorts.values.map(\.count).sorted()
    #expect(lengths[150] <= 5, "median short id length \(lengths[150])")
    #expect(Set(shorts.values).count == 300)
    // Every one of them names its task; upper case and task_ work too.
    let exported = try sandbox.ok(["export"]).split(separator: "\n").map {
      try JSON.parse(String($0))
    }
    var ids: [String: String] = [:]
    for task in exported { ids[task["title"]!.string!] = task["taskId"]!.string! }
    for title in ["burst 0", "burst 150", "burst 299"] {
      let short = try #require(shorts[title])
      #expect(short == short.lowercased())
      for form in [short, short.uppercased(), "task_" + short] {
        let shown = try JSON.parse(sandbox.ok(["show", form, "--json"]))
        #expect(shown["taskId"]?.string == ids[title], "tack show \(form)")
      }
      // Today's prefixes of the whole id keep working.
      let ulid = String(ids[title]!.dropFirst(5))
      let shown = try JSON.parse(sandbox.ok(["show", String(ulid.prefix(20)), "--json"]))
      #expect(shown["taskId"]?.string == ids[title])
    }
    print("300-task burst: median short id \(lengths[150]), longest \(lengths.last!)")
  }
}

/// `git log --oneline` tells tasks apart: subjects carry the short id and the title.
@Suite struct HistorySubjectTests {
  @Test func gitLogOnelineShowsTitlesAndShortIDs() throws {
    let sandbox = try Sandbox()
    let long = String(repeating: "A very long title that goes on ", count: 4)
    let a = try sandbox.add("Fix the login bug")
    let b = try sandbox.add("Upgrade Postgres to 17")
    let c = try sandbox.add(long)
    try sandbox.ok(["start", a])
    try sandbox.ok(["note", b, "Needs a maintenance window"])
    try sandbox.ok(["done", a])
    let lines = try sandbox.git(["log", "--format=%s", Sandbox.branch]).split(separator: "\n")
    func short(_ id: String) -> String { id.dropFirst(15).prefix(5).lowercased() }
    #expect(
      Array(lines.prefix(6)) == [
        "main: \(short(a)) Fix the login bug — working → completed",
        "main: \(short(b)) Upgrade Postgres to 17 — note",
        "main: \(short(a)) Fix the login bug — todo → working",
        "main: \(short(c)) \(String(long.prefix(49)))… — created",
        "main: \(short(b)) Upgrade Postgres to 17 — created",
        "main: \(short(a)) Fix the login bug — created",
      ])
    for line in lines { #expect(line.count <= 72, "\(line)") }
    // tack log shows the note's text and the field changes.
    let log = try sandbox.ok(["log", b])
    #expect(log.contains("note: Needs a maintenance window"), "\(log)")
    let logA = try sandbox.ok(["log", a])
    #expect(logA.contains("status: working → completed"), "\(logA)")
  }
}
