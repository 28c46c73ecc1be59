#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A task's durable id: `task_` followed by a ULID (26 Crockford base32 characters: 48 bits
/// of milliseconds, then 80 random bits). Unique across clones without coordination.
public struct TaskID: Sendable, Hashable, Comparable, CustomStringConvertible {
  public static let prefix = "task_"
  static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

  /// The full id, `task_` + 26 characters.
  public let rawValue: String

  /// Accepts exactly a full, well-formed id.
  public init?(_ text: String) {
    guard text.utf8.count == 31, text.utf8.starts(with: Self.prefix.utf8),
      text.utf8.dropFirst(5).allSatisfy(Self.isBase32)
    else { return nil }
    rawValue = text
  }

  /// Whether `byte` is one of Crockford base32's characters (the alphabet has no I, L, O, U).
  static func isBase32(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): true
    case UInt8(ascii: "I"), UInt8(ascii: "L"), UInt8(ascii: "O"), UInt8(ascii: "U"): false
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): true
    default: false
    }
  }

  /// A new id for a task created at `time`.
  public static func generate(at time: Timestamp) -> TaskID {
    var generator = SystemRandomNumberGenerator()
    return generate(at: time, using: &generator)
  }

  static func generate(
    at time: Timestamp, using generator: inout some RandomNumberGenerator
  )
    -> TaskID
  {
    var characters = Array(prefix.utf8)
    let millis = UInt64(max(0, time.milliseconds)) & 0xFFFF_FFFF_FFFF
    for shift in stride(from: 45, through: 0, by: -5) {
      characters.append(alphabet[Int((millis >> UInt64(shift)) & 31)])
    }
    for _ in 0..<16 { characters.append(alphabet[Int(generator.next(upperBound: UInt32(32)))]) }
    return TaskID(unchecked: String(decoding: characters, as: UTF8.self))
  }

  private init(unchecked: String) { rawValue = unchecked }

  /// An id read back from Tack's own cache, already checked when it was written (the cache
  /// is checksummed and tied to this version of Tack).
  init(checked text: String) { rawValue = text }

  /// The 26-character ULID without the `task_` prefix.
  public var ulid: Substring { rawValue.dropFirst(5) }

  /// The ULID's last 16 characters (its 80 random bits): where short ids come from.
  public var randomPart: Substring { rawValue.dropFirst(15) }

  /// The id in commit subjects: the first `ShortID.minimum` characters of the random part,
  /// lower case, which is the task's short id unless another task shares them.
  public var historyID: String { randomPart.prefix(ShortID.minimum).lowercased() }

  /// The two one-character shard folders, from the random end of the id, so tasks spread
  /// evenly over 32 × 32 folders and one write rewrites only small trees.
  public var shardPath: String {
    let bytes = Array(rawValue.utf8)
    return "\(Character(Unicode.Scalar(bytes[30])))/\(Character(Unicode.Scalar(bytes[29])))"
  }

  public var description: String { rawValue }

  /// The id's bytes as four big-endian integers (zero-padded): they compare as the id does,
  /// without touching strings, for sorting thousands of ids.
  var orderKey: (UInt64, UInt64, UInt64, UInt64) {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { raw in
      for (index, byte) in rawValue.utf8.prefix(32).enumerated() { raw[index] = byte }
    }
    return (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
  }

  // Ids are ASCII, so byte order is String order, without String's Unicode machinery.
  public static func < (lhs: TaskID, rhs: TaskID) -> Bool {
    var (a, b) = (lhs.rawValue, rhs.rawValue)
    return a.withUTF8 { a in
      b.withUTF8 { b in
        let order = memcmp(a.baseAddress!, b.baseAddress!, min(a.count, b.count))
        return order < 0 || (order == 0 && a.count < b.count)
      }
    }
  }

  /// Normalises what a user typed as an id or a short id: optional `task_` prefix, then
  /// Crockford base32 (case-insensitive; I and L read as 1, O as 0). Returns the ULID part,
  /// uppercased, or `nil` when it cannot be part of an id.
  public static func normalizedQuery(_ text: String) -> String? {
    var body = Substring(text)
    if body.lowercased().hasPrefix(prefix) { body = body.dropFirst(prefix.count) }
    guard !body.isEmpty, body.utf8.count <= 26 else { return nil }
    var result: [UInt8] = []
    for byte in body.utf8 {
      var upper = byte >= 97 && byte <= 122 ? byte - 32 : byte
      switch upper {
      case UInt8(ascii: "I"), UInt8(ascii: "L"): upper = UInt8(ascii: "1")
      case UInt8(ascii: "O"): upper = UInt8(ascii: "0")
      default: break
      }
      guard isBase32(upper) else { return nil }
      result.append(upper)
    }
    return String(decoding: result, as: UTF8.self)
  }
}
