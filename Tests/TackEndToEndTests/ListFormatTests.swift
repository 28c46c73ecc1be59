import Foundation
import Testing

@Suite struct ListFormatTests {
  @Test func fieldsPrintTabSeparatedValuesForScripts() throws {
    let sandbox = try Sandbox(.board())
    let id = try sandbox.add("Ship it", ["--label", "ops"])
    let line = try sandbox.ok(["list", "--fields", "id,status,labels,title"])
    #expect(line == "\(id)\ttodo\tops\tShip it\n")
    try sandbox.expectRefused(["list", "--fields", "id,nope"], exit: 4, mentions: ["nope"])
  }

  @Test func tablesAndPagesShowRelativeTimes() throws {
    let sandbox = try Sandbox(.board())
    let id = try sandbox.add("Fresh")
    let table = try sandbox.ok(["list"])
    #expect(table.hasPrefix("ID") && table.contains("UPDATED") && table.contains("just now"))
    #expect(try sandbox.ok(["show", id]).contains("(just now)"))
  }
}

/// `tack list` as a table that fits: cells cut with "…", never wrapped; assignees compact.
@Suite struct ListLayoutTests {
  static let long = "Upgrade Postgres to 17 on the primary and both replicas before the freeze"

  func board() throws -> Sandbox {
    let sandbox = try Sandbox()
    let id = try sandbox.add(Self.long, ["--label", "ops", "--label", "database"])
    try sandbox.ok(["claim", id])
    _ = try sandbox.add("Docs")
    return sandbox
  }

  @Test(arguments: [80, 200])
  func linesFitAndTitlesAreCutNotWrapped(columns: Int) throws {
    let sandbox = try board()
    let text = try sandbox.ok(["list"], env: ["NO_COLOR": "1", "COLUMNS": String(columns)])
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.count == 3, "one line per task, no wrapped title:\n\(text)")
    #expect(lines.allSatisfy { $0.count <= columns }, "\(text)")
    #expect(!text.contains("\u{1B}"))
    #expect(lines[0].hasPrefix("ID") && lines[0].hasSuffix("TITLE"))
    let row = try #require(lines.first { $0.contains("Upgrade Postgres") })
    #expect(row.contains("  ada  "), "the assignee's local part: \(row)")
    #expect(!text.contains(Sandbox.email))
    if columns == 80 {
      #expect(row.hasSuffix("…") && !row.contains("freeze"), "\(row)")
      #expect(row.contains("Upgrade Postgres to 17 on"), "the title keeps its room: \(row)")
    } else {
      #expect(row.hasSuffix(Self.long) && row.contains("ops,database"), "\(row)")
    }
  }

  @Test func narrowTerminalsDropColumnsBeforeTheTitle() throws {
    let sandbox = try board()
    let text = try sandbox.ok(["list"], env: ["COLUMNS": "40"])
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.allSatisfy { $0.count <= 40 }, "\(text)")
    #expect(!lines[0].contains("UPDATED") && lines[0].hasSuffix("TITLE"), "\(text)")
    #expect(lines.contains { $0.contains("Upgrade Postgr") }, "\(text)")
  }
}
