#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The server's log, on stderr: stdout carries protocol only.
public struct ServerLog: Sendable {
  public enum Level: Int, Sendable, Comparable, CaseIterable {
    case error, warning, info, debug

    public init?(name: String) {
      switch name {
      case "error": self = .error
      case "warning", "warn": self = .warning
      case "info": self = .info
      case "debug": self = .debug
      default: return nil
      }
    }

    public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  public var level: Level

  public init(level: Level) { self.level = level }

  func callAsFunction(_ level: Level, _ message: @autoclosure () -> String) {
    guard level <= self.level else { return }
    let line = "tack mcp: \(level): \(message())\n"
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
  }
}
