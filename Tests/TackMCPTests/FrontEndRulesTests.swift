import Foundation
import TackCore
import Testing

/// Rules live in TackCore, once: a front end (the CLI, the MCP server) that spells a board
/// status or a limit of its own fails this test. They use `StatusName`, a board's own
/// statuses, and `Limits`.
@Suite struct FrontEndRulesTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
  static let statuses = [
    StatusName.todo, StatusName.working, StatusName.inputRequired, StatusName.completed,
    StatusName.failed, StatusName.cancelled,
  ]
  /// The limits distinctive enough to spot as numbers (32 or 1000 are everywhere).
  static let limits = [
    Limits.titleBytes, Limits.searchTextBytes, Limits.pageSize.upperBound,
    Int(Limits.leaseSeconds.upperBound), Int(Limits.defaultLeaseSeconds),
  ]

  /// The code lines (comments and help text left out) of every front-end source file.
  static func codeLines() throws -> [(file: String, line: String)] {
    var lines: [(String, String)] = []
    for folder in ["Sources/tack", "Sources/TackMCP"] {
      let base = root + "/" + folder
      let files = FileManager.default.enumerator(atPath: base)?.compactMap { $0 as? String } ?? []
      for file in files where file.hasSuffix(".swift") {
        let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
        for line in text.split(separator: "\n") {
          let code = line.trimmingCharacters(in: .whitespaces)
          if code.hasPrefix("//") || code.contains("help:") || code.contains("abstract:") {
            continue
          }
          lines.append((folder + "/" + file, String(line)))
        }
      }
    }
    return lines
  }

  @Test func frontEndsNameNoStatusLiteral() throws {
    let lines = try Self.codeLines()
    #expect(lines.count > 1000, "the front-end sources were not found under \(Self.root)")
    for (file, line) in lines {
      for status in Self.statuses {
        #expect(!line.contains("\"\(status)\""), "\(file): \(line)")
      }
    }
  }

  @Test func frontEndsNameNoLimitOfTheirOwn() throws {
    for (file, line) in try Self.codeLines() {
      // Decimal number tokens only (a hex literal such as 0x1F300 is not 300).
      let numbers = line.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" })
        .compactMap { Int($0.replacingOccurrences(of: "_", with: "")) }
      for limit in Self.limits {
        #expect(!numbers.contains(limit), "\(file) names the limit \(limit): \(line)")
      }
    }
  }
}
