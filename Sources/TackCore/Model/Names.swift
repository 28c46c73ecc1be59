/// The patterns every user-given name is checked against before it is used anywhere,
/// in particular before it becomes part of a path.
public enum Names {
  public static let maxLength = 64

  /// Board names and labels: `[a-z0-9][a-z0-9_-]*`, at most 64 characters.
  public static func validate(_ value: String, as kind: String) throws(TackError) {
    let bytes = Array(value.utf8)
    guard !bytes.isEmpty else {
      throw .invalidName(kind: kind, value: value, reason: "it is empty")
    }
    guard bytes.count <= maxLength else {
      throw .invalidName(
        kind: kind, value: value, reason: "it is longer than \(maxLength) characters")
    }
    guard isLowerAlphanumeric(bytes[0]) else {
      throw .invalidName(
        kind: kind, value: value,
        reason: "it must start with a lowercase letter or a digit (pattern [a-z0-9][a-z0-9_-]*)")
    }
    guard
      bytes.allSatisfy({
        isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
      })
    else {
      throw .invalidName(
        kind: kind, value: value,
        reason: "use only lowercase letters, digits, '-' and '_' (pattern [a-z0-9][a-z0-9_-]*)")
    }
  }

  /// Input request keys: `[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 64 characters.
  public static func validateKey(_ value: String) throws(TackError) {
    let bytes = Array(value.utf8)
    let allowed = { (b: UInt8) in
      isLowerAlphanumeric(b) || (b >= 65 && b <= 90) || b == 45 || b == 46 || b == 95
    }
    guard !bytes.isEmpty, bytes.count <= maxLength, bytes[0] != 45, bytes[0] != 46,
      bytes[0] != 95, bytes.allSatisfy(allowed)
    else {
      throw .invalidName(
        kind: "request key", value: value,
        reason: "use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit")
    }
  }

  /// Free text (titles, descriptions, notes, messages): no NUL or control characters other
  /// than newline and tab (none at all in single-line text), and bounded in size.
  public static func validateText(
    _ value: String, as kind: String, maxBytes: Int, singleLine: Bool = false,
    allowEmpty: Bool = false
  ) throws(TackError) {
    if !allowEmpty && value.allSatisfy(\.isWhitespace) {
      throw .invalidInput("the \(kind) is empty; give some text.")
    }
    if value.utf8.count > maxBytes {
      throw .invalidInput(
        "the \(kind) is \(value.utf8.count) bytes; the limit is \(maxBytes) bytes.")
    }
    for scalar in value.unicodeScalars {
      let v = scalar.value
      if isControl(scalar) && (singleLine || (v != 0x0a && v != 0x09)) {
        throw .invalidInput(
          "the \(kind) contains a control character (U+\(String(v, radix: 16, uppercase: true))); \(singleLine ? "it must be a single line of text" : "only newlines and tabs are allowed")."
        )
      }
    }
  }

  /// C0 and C1 control characters and DEL: what text may not carry (but newlines and tabs)
  /// and what output escapes, so nothing reaches a terminal as a command.
  public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    return v < 0x20 || (0x7F..<0xA0).contains(v)
  }

  private static func isLowerAlphanumeric(_ b: UInt8) -> Bool {
    (b >= 97 && b <= 122) || (b >= 48 && b <= 57)
  }
}

/// Size limits for what a task holds.
public enum Limits {
  public static let titleBytes = 300
  public static let descriptionBytes = 64 * 1024
  public static let noteBytes = 64 * 1024
  public static let labelsPerTask = 32
  /// Links (dependencies among them) one task carries.
  public static let linksPerTask = 64
  /// A task file may not grow beyond this; notes are the usual way to get there.
  public static let taskFileBytes = 1024 * 1024
  /// A text search needle: longer ones find nothing a shorter one would not, and each costs
  /// a scan of every task's text.
  public static let searchTextBytes = 256
  /// Tasks a page of a list may hold, and how many it holds unless asked.
  public static let pageSize = 1...500
  public static let defaultPageSize = 50
  /// MCP sessions over HTTP a server keeps open at once (the least recently used is closed).
  public static let httpSessions = 100
  /// How long a claim's lease may run (up to a year of 366 days), and how long it runs
  /// unless asked.
  public static let leaseSeconds: ClosedRange<Int64> = 1...31_622_400
  public static let defaultLeaseSeconds: Int64 = 1800
  /// History entries one call may ask for.
  public static let historyEntries = 1...1000
}
