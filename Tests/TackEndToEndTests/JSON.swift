/// A small JSON reader for checking what `tack` prints and stores, independent of the code
/// under test. Objects keep their members in file order (no dictionary, so nothing is merged
/// or reordered) and numbers keep their text, so a value can be written back exactly as
/// Python's `json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"` would.
enum JSON: Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  /// The number's text as it appears in the source.
  case number(String)
  case string(String)
  case array([JSON])
  case object([Member])

  struct Member: Equatable {
    var key: String
    var value: JSON
  }

  /// Objects are equal when they hold the same keys with equal values, in any order.
  static func == (lhs: JSON, rhs: JSON) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count
        && a.allSatisfy { member in b.contains { $0.key == member.key && $0.value == member.value }
        }
    default: return false
    }
  }

  struct ParseError: Error, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "invalid JSON at byte \(offset): \(message)" }
  }

  static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

  static func parse(_ bytes: [UInt8]) throws -> JSON {
    var parser = Parser(bytes: bytes)
    parser.skipSpace()
    let value = try parser.value()
    parser.skipSpace()
    guard parser.offset == bytes.count else { throw parser.error("trailing characters") }
    return value
  }

  subscript(key: String) -> JSON? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  subscript(index: Int) -> JSON? {
    guard case .array(let items) = self, items.indices.contains(index) else { return nil }
    return items[index]
  }

  var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  var array: [JSON]? {
    if case .array(let value) = self { return value }
    return nil
  }

  var keys: [String] {
    if case .object(let members) = self { return members.map(\.key) }
    return []
  }

  var isNull: Bool { self == .null }

  /// Exactly `json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"`.
  var pythonText: String {
    var output = ""
    Self.write(self, depth: 0, into: &output)
    return output + "\n"
  }

  var description: String { pythonText }

  private static func write(_ value: JSON, depth: Int, into output: inout String) {
    let indent = String(repeating: "  ", count: depth + 1)
    let closing = String(repeating: "  ", count: depth)
    switch value {
    case .null: output += "null"
    case .bool(let value): output += value ? "true" : "false"
    case .number(let text): output += text
    case .string(let text): writeString(text, into: &output)
    case .array(let items):
      guard !items.isEmpty else {
        output += "[]"
        return
      }
      output += "["
      for (position, item) in items.enumerated() {
        output += (position == 0 ? "\n" : ",\n") + indent
        write(item, depth: depth + 1, into: &output)
      }
      output += "\n" + closing + "]"
    case .object(let members):
      guard !members.isEmpty else {
        output += "{}"
        return
      }
      // Python sorts str keys by code point.
      let sorted = members.sorted {
        $0.key.unicodeScalars.map(\.value).lexicographicallyPrecedes(
          $1.key.unicodeScalars.map(\.value))
      }
      output += "{"
      for (position, member) in sorted.enumerated() {
        output += (position == 0 ? "\n" : ",\n") + indent
        writeString(member.key, into: &output)
        output += ": "
        write(member.value, depth: depth + 1, into: &output)
      }
      output += "\n" + closing + "}"
    }
  }

  private static func writeString(_ text: String, into output: inout String) {
    output += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case "\u{8}": output += "\\b"
      case "\u{C}": output += "\\f"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: output.unicodeScalars.append(scalar)
      }
    }
    output += "\""
  }

  private struct Parser {
    let bytes: [UInt8]
    var offset = 0

    func error(_ message: String) -> ParseError { ParseError(message: message, offset: offset) }

    mutating func skipSpace() {
      while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    mutating func value() throws -> JSON {
      guard offset < bytes.count else { throw error("unexpected end") }
      switch bytes[offset] {
      case UInt8(ascii: "{"): return try object()
      case UInt8(ascii: "["): return try array()
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): return try literal("true", .bool(true))
      case UInt8(ascii: "f"): return try literal("false", .bool(false))
      case UInt8(ascii: "n"): return try literal("null", .null)
      default: return try number()
      }
    }

    mutating func literal(_ word: String, _ value: JSON) throws -> JSON {
      let expected = Array(word.utf8)
      guard offset + expected.count <= bytes.count,
        Array(bytes[offset..<offset + expected.count]) == expected
      else { throw error("expected \(word)") }
      offset += expected.count
      return value
    }

    mutating func number() throws -> JSON {
      let start = offset
      while offset < bytes.count,
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset])
          || [
            UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"),
            UInt8(ascii: "E"),
          ].contains(bytes[offset])
      {
        offset += 1
      }
      guard offset > start else { throw error("unexpected character") }
      return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
    }

    mutating func array() throws -> JSON {
      offset += 1
      var items: [JSON] = []
      skipSpace()
      if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
        offset += 1
        return .array(items)
      }
      while true {
        skipSpace()
        items.append(try value())
        skipSpace()
        guard offset < bytes.count else { throw error("unterminated array") }
        if bytes[offset] == UInt8(ascii: ",") {
          offset += 1
          continue
        }
        guard bytes[offset] == UInt8(ascii: "]") else { throw error("expected , or ]") }
        offset += 1
        return .array(items)
      }
    }

    mutating func object() throws -> JSON {
      offset += 1
      var members: [Member] = []
      skipSpace()
      if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
        offset += 1
        return .object(members)
      }
      while true {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
          throw error("expected a key")
        }
        let key = try string()
        skipSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
          throw error("expected :")
        }
        offset += 1
        skipSpace()
        members.append(Member(key: key, value: try value()))
        skipSpace()
        guard offset < bytes.count else { throw error("unterminated object") }
        if bytes[offset] == UInt8(ascii: ",") {
          offset += 1
          continue
        }
        guard bytes[offset] == UInt8(ascii: "}") else { throw error("expected , or }") }
        offset += 1
        return .object(members)
      }
    }

    mutating func string() throws -> String {
      offset += 1
      var scalars = String.UnicodeScalarView()
      var run: [UInt8] = []
      func flush() {
        scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
        run.removeAll()
      }
      while offset < bytes.count {
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""):
          flush()
          return String(scalars)
        case UInt8(ascii: "\\"):
          flush()
          guard offset < bytes.count else { throw error("unterminated escape") }
          let escape = bytes[offset]
          offset += 1
          switch escape {
          case UInt8(ascii: "\""): scalars.append("\"")
          case UInt8(ascii: "\\"): scalars.append("\\")
          case UInt8(ascii: "/"): scalars.append("/")
          case UInt8(ascii: "b"): scalars.append("\u{8}")
          case UInt8(ascii: "f"): scalars.append("\u{C}")
          case UInt8(ascii: "n"): scalars.append("\n")
          case UInt8(ascii: "r"): scalars.append("\r")
          case UInt8(ascii: "t"): scalars.append("\t")
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code), offset + 1 < bytes.count,
              bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
            {
              offset += 2
              let low = try hex4()
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("lone surrogate") }
            scalars.append(scalar)
          default: throw error("bad escape")
          }
        default:
          run.append(byte)
        }
      }
      throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
      guard offset + 4 <= bytes.count,
        let value = UInt32(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16)
      else { throw error("bad \\u escape") }
      offset += 4
      return value
    }
  }
}
