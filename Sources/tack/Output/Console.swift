import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the CLI writes: results to stdout, messages to stderr (unbuffered, in order).
enum Console {
  static func out(_ text: String) { write(1, text + "\n") }

  static func json(_ value: JSONValue) { write(1, value.serialized(pretty: true)) }

  /// One compact JSON value per line (JSON lines).
  static func line(_ value: JSONValue) { write(1, value.serialized(pretty: false) + "\n") }

  static func error(_ text: String) { write(2, "tack: error: \(text)\n") }

  static func warning(_ text: String) { write(2, "tack: warning: \(text)\n") }

  static func info(_ text: String) { write(2, text + "\n") }

  /// Clears a terminal and puts the cursor top left, for a view drawn again in place.
  static func clearScreen() { write(1, "\u{1B}[H\u{1B}[2J") }

  /// Bytes as they are, to stdout (documents built without a `JSONValue`).
  static func write(_ bytes: [UInt8]) { write(1, bytes) }

  private static func write(_ fd: Int32, _ text: String) { write(fd, Array(text.utf8)) }

  private static func write(_ fd: Int32, _ bytes: [UInt8]) { _ = writeAll(fd, bytes) }

  /// Writes all of `bytes` to `fd`, through short writes and interruptions; `false` (with
  /// `errno` set) when the descriptor stops taking them (a full disk, a closed pipe).
  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let count = bytes.withUnsafeBytes {
        Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return false }
      offset += count
    }
    return true
  }
}
