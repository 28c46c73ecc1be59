extension JSONValue {
  /// Parses one JSON document (RFC 8259, strictly) from UTF-8 bytes.
  ///
  /// Refused: anything but whitespace around the value, trailing commas, comments, `NaN` and
  /// `Infinity`, leading zeros, numbers beyond `Double`'s range, raw control characters in
  /// strings, unpaired surrogate escapes, invalid UTF-8, duplicate keys in an object, and nesting
  /// deeper than 512 arrays and objects.
  public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
    if let result = bytes.withContiguousStorageIfAvailable(JSONParser.parse) {
      return try result.get()
    }
    return try Array(bytes).withUnsafeBufferPointer(JSONParser.parse).get()
  }

  /// Parses one JSON document from the UTF-8 of `text`; see `parse(_:)` for bytes.
  public static func parse(_ text: String) throws(JSONError) -> JSONValue {
    var text = text
    return try text.withUTF8(JSONParser.parse).get()
  }
}

/// A recursive-descent parser over a contiguous UTF-8 buffer, read with one moving index.
struct JSONParser {
  /// How many arrays and objects may enclose a value; bounds the recursion.
  static let maximumDepth = 512

  private let bytes: UnsafeBufferPointer<UInt8>
  private var index = 0
  private var depth = 0
  // Elements and members of the open containers, innermost last. Collecting them here first
  // lets each array and dictionary be allocated once at its final size.
  private var elementStack: [JSONValue] = []
  private var memberStack: [Member] = []

  private struct Member {
    var key: String
    var offset: Int
    var value: JSONValue
  }

  private init(bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  /// A `Result` rather than typed `throws`, because the buffer closures that call this rethrow
  /// as untyped errors.
  static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONError> {
    var parser = JSONParser(bytes: bytes)
    do {
      return .success(try parser.parseDocument())
    } catch {
      return .failure(error)
    }
  }

  private mutating func parseDocument() throws(JSONError) -> JSONValue {
    skipWhitespace()
    let value = try parseValue()
    skipWhitespace()
    guard index == bytes.count else { throw unexpectedCharacter(at: index) }
    return value
  }

  private mutating func parseValue() throws(JSONError) -> JSONValue {
    guard index < bytes.count else { throw unexpectedCharacter(at: index) }
    switch bytes[index] {
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "t"):
      try expectLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectLiteral("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw unexpectedCharacter(at: index)
    }
  }

  // MARK: Containers

  private mutating func parseArray() throws(JSONError) -> JSONValue {
    try enterContainer()
    defer { depth -= 1 }
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array([])
    }
    let base = elementStack.count
    while true {
      elementStack.append(try parseValue())
      skipWhitespace()
      guard index < bytes.count else { throw unexpectedCharacter(at: index) }
      switch bytes[index] {
      case UInt8(ascii: ","):
        index += 1
        skipWhitespace()
      case UInt8(ascii: "]"):
        index += 1
        let elements = Array(elementStack[base...])
        elementStack.removeSubrange(base...)
        return .array(elements)
      default:
        throw unexpectedCharacter(at: index)
      }
    }
  }

  private mutating func parseObject() throws(JSONError) -> JSONValue {
    try enterContainer()
    defer { depth -= 1 }
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object([:])
    }
    let base = memberStack.count
    while true {
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
        throw unexpectedCharacter(at: index)
      }
      let keyOffset = index
      let key = try parseString()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
        throw unexpectedCharacter(at: index)
      }
      index += 1
      skipWhitespace()
      memberStack.append(Member(key: key, offset: keyOffset, value: try parseValue()))
      skipWhitespace()
      guard index < bytes.count else { throw unexpectedCharacter(at: index) }
      switch bytes[index] {
      case UInt8(ascii: ","):
        index += 1
        skipWhitespace()
      case UInt8(ascii: "}"):
        index += 1
        return .object(try popMembers(from: base))
      default:
        throw unexpectedCharacter(at: index)
      }
    }
  }

  /// The members of the object just closed, as a dictionary; refuses a repeated key.
  private mutating func popMembers(from base: Int) throws(JSONError) -> [String: JSONValue] {
    var members: [String: JSONValue] = Dictionary(minimumCapacity: memberStack.count - base)
    for member in memberStack[base...]
    where members.updateValue(member.value, forKey: member.key) != nil {
      let quotedKey = JSONValue.string(member.key).serialized(pretty: false)
      var message = "duplicate key \(quotedKey) in object"
      // String equality is canonical equivalence, so "\u00e9" and "e\u0301" are one key.
      if let earlier = members.index(forKey: member.key).map({ members[$0].key }),
        !earlier.utf8.elementsEqual(member.key.utf8)
      {
        message += " (canonically equivalent to an earlier key spelled differently)"
      }
      throw JSONError(message: message, offset: member.offset)
    }
    memberStack.removeSubrange(base...)
    return members
  }

  /// Steps over the opening bracket or brace at `index`, counting the depth.
  private mutating func enterContainer() throws(JSONError) {
    guard depth < Self.maximumDepth else {
      throw JSONError(
        message: "arrays and objects nested deeper than \(Self.maximumDepth) levels",
        offset: index)
    }
    depth += 1
    index += 1
  }

  // MARK: Scalars

  private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
    let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    for byte in expected {
      guard index < bytes.count, bytes[index] == byte else { throw unexpectedCharacter(at: index) }
      index += 1
    }
  }

  private mutating func parseNumber() throws(JSONError) -> JSONValue {
    let start = index
    let negative = bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    guard index < bytes.count, bytes[index].isDigit else { throw unexpectedCharacter(at: index) }
    // Accumulated as a negative number so that Int64.min fits; overflow falls back to Double.
    var negated: Int64 = 0
    var fitsInt64 = true
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
      if index < bytes.count, bytes[index].isDigit {
        throw JSONError(message: "leading zeros are not allowed in numbers", offset: start)
      }
    } else {
      repeat {
        if fitsInt64 {
          let (product, overflow1) = negated.multipliedReportingOverflow(by: 10)
          let (sum, overflow2) = product.subtractingReportingOverflow(Int64(bytes[index] &- 0x30))
          if overflow1 || overflow2 { fitsInt64 = false } else { negated = sum }
        }
        index += 1
      } while index < bytes.count && bytes[index].isDigit
    }
    var isInteger = true
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      try skipDigits()
    }
    if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
      isInteger = false
      index += 1
      let sign = index < bytes.count ? bytes[index] : 0
      if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
      try skipDigits()
    }
    if isInteger && fitsInt64 {
      if negative { return .int(negated) }
      if negated != .min { return .int(-negated) }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    if isInteger { return .bigInteger(text) }
    guard let value = Double(text), value.isFinite else {
      throw JSONError(message: "number \(text) is out of range", offset: start)
    }
    return .double(value)
  }

  /// Steps over one or more digits.
  private mutating func skipDigits() throws(JSONError) {
    guard index < bytes.count, bytes[index].isDigit else { throw unexpectedCharacter(at: index) }
    repeat { index += 1 } while index < bytes.count && bytes[index].isDigit
  }

  // MARK: Strings

  /// Reads the string whose opening quote is at `index`.
  private mutating func parseString() throws(JSONError) -> String {
    let quoteOffset = index
    index += 1
    let contentStart = index
    // Fast path: no escapes, so the string is a slice of the input.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let content = UnsafeBufferPointer(rebasing: bytes[contentStart..<index])
        index += 1
        return String(decoding: content, as: UTF8.self)
      } else if byte == UInt8(ascii: "\\") {
        return try parseEscapedString(quoteOffset: quoteOffset, contentStart: contentStart)
      } else if byte < 0x20 {
        throw controlCharacterInString(at: index)
      } else if byte < 0x80 {
        index += 1
      } else {
        index += try utf8SequenceLength(at: index)
      }
    }
    throw JSONError(message: "unterminated string", offset: quoteOffset)
  }

  /// Continues `parseString()` from the first backslash, building the string in a byte buffer.
  private mutating func parseEscapedString(
    quoteOffset: Int, contentStart: Int
  ) throws(JSONError) -> String {
    var utf8: [UInt8] = []
    utf8.reserveCapacity(index - contentStart + 16)
    utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        return String(decoding: utf8, as: UTF8.self)
      } else if byte == UInt8(ascii: "\\") {
        try parseEscape(into: &utf8)
      } else if byte < 0x20 {
        throw controlCharacterInString(at: index)
      } else if byte < 0x80 {
        utf8.append(byte)
        index += 1
      } else {
        let length = try utf8SequenceLength(at: index)
        utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<index + length]))
        index += length
      }
    }
    throw JSONError(message: "unterminated string", offset: quoteOffset)
  }

  /// Reads the escape sequence whose backslash is at `index` and appends its UTF-8.
  private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONError) {
    let escapeOffset = index
    index += 1
    guard index < bytes.count else { throw unexpectedCharacter(at: index) }
    let escaped = bytes[index]
    index += 1
    switch escaped {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
    case UInt8(ascii: "b"): utf8.append(0x08)
    case UInt8(ascii: "f"): utf8.append(0x0C)
    case UInt8(ascii: "n"): utf8.append(0x0A)
    case UInt8(ascii: "r"): utf8.append(0x0D)
    case UInt8(ascii: "t"): utf8.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = try parseHex4(escapeOffset: escapeOffset)
      if (0xD800...0xDBFF).contains(scalar) {
        // A high surrogate must be followed at once by a \u escape of a low surrogate.
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
          bytes[index + 1] == UInt8(ascii: "u")
        else { throw unpairedSurrogate(at: escapeOffset) }
        let lowOffset = index
        index += 2
        let low = try parseHex4(escapeOffset: lowOffset)
        guard (0xDC00...0xDFFF).contains(low) else { throw unpairedSurrogate(at: escapeOffset) }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00...0xDFFF).contains(scalar) {
        throw unpairedSurrogate(at: escapeOffset)
      }
      Self.appendUTF8(of: scalar, to: &utf8)
    default:
      let character = try describeCharacter(at: index - 1)
      throw JSONError(
        message: "invalid escape: backslash followed by \(character)"
          + " (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
        offset: escapeOffset)
    }
  }

  /// Reads the four hex digits of a `\u` escape at `index`.
  private mutating func parseHex4(escapeOffset: Int) throws(JSONError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      let digit: UInt8
      switch index < bytes.count ? bytes[index] : 0 {
      case let byte where byte.isDigit: digit = byte &- UInt8(ascii: "0")
      case let byte where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20):
        digit = (byte | 0x20) &- UInt8(ascii: "a") &+ 10
      default:
        throw JSONError(
          message: "invalid \\u escape: expected 4 hex digits after \\u", offset: escapeOffset)
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  private static func appendUTF8(of scalar: UInt32, to utf8: inout [UInt8]) {
    switch scalar {
    case ..<0x80:
      utf8.append(UInt8(scalar))
    case ..<0x800:
      utf8.append(0xC0 | UInt8(scalar >> 6))
      utf8.append(0x80 | UInt8(scalar & 0x3F))
    case ..<0x1_0000:
      utf8.append(0xE0 | UInt8(scalar >> 12))
      utf8.append(0x80 | UInt8(scalar >> 6 & 0x3F))
      utf8.append(0x80 | UInt8(scalar & 0x3F))
    default:
      utf8.append(0xF0 | UInt8(scalar >> 18))
      utf8.append(0x80 | UInt8(scalar >> 12 & 0x3F))
      utf8.append(0x80 | UInt8(scalar >> 6 & 0x3F))
      utf8.append(0x80 | UInt8(scalar & 0x3F))
    }
  }

  // MARK: UTF-8 and whitespace

  /// The length of the well-formed multi-byte UTF-8 sequence at `offset` (Unicode table 3-7:
  /// no overlong forms, no surrogates, nothing above U+10FFFF).
  private func utf8SequenceLength(at offset: Int) throws(JSONError) -> Int {
    let length: Int
    var secondRange: ClosedRange<UInt8> = 0x80...0xBF
    switch bytes[offset] {
    case 0xC2...0xDF: length = 2
    case 0xE0:
      length = 3
      secondRange = 0xA0...0xBF
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED:
      length = 3
      secondRange = 0x80...0x9F
    case 0xF0:
      length = 4
      secondRange = 0x90...0xBF
    case 0xF1...0xF3: length = 4
    case 0xF4:
      length = 4
      secondRange = 0x80...0x8F
    default: throw JSONError(message: "invalid UTF-8", offset: offset)
    }
    guard offset + length <= bytes.count, secondRange.contains(bytes[offset + 1]) else {
      throw JSONError(message: "invalid UTF-8", offset: offset)
    }
    for continuation in offset + 2..<offset + length
    where !(0x80...0xBF).contains(bytes[continuation]) {
      throw JSONError(message: "invalid UTF-8", offset: offset)
    }
    return length
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
      default: return
      }
    }
  }

  // MARK: Errors

  private func unexpectedCharacter(at offset: Int) -> JSONError {
    guard offset < bytes.count else {
      return JSONError(message: "unexpected end of input", offset: offset)
    }
    do {
      return JSONError(
        message: "unexpected character \(try describeCharacter(at: offset))", offset: offset)
    } catch {
      return error
    }
  }

  private func controlCharacterInString(at offset: Int) -> JSONError {
    JSONError(
      message: "control character \(Self.codePoint(UInt32(bytes[offset]))) in string"
        + " (write it as an escape such as \\n or \\u001f)",
      offset: offset)
  }

  private func unpairedSurrogate(at offset: Int) -> JSONError {
    let escape = String(
      decoding: UnsafeBufferPointer(rebasing: bytes[offset..<offset + 6]), as: UTF8.self)
    return JSONError(
      message: "unpaired surrogate \(escape) (a \\uD800-\\uDBFF escape must be followed by a"
        + " \\uDC00-\\uDFFF escape)",
      offset: offset)
  }

  /// `'x'` for visible ASCII, `U+XXXX` for anything else, so that invisible input shows.
  private func describeCharacter(at offset: Int) throws(JSONError) -> String {
    let lead = bytes[offset]
    if lead > 0x20 && lead < 0x7F { return "'\(Character(Unicode.Scalar(lead)))'" }
    guard lead >= 0x80 else { return Self.codePoint(UInt32(lead)) }
    let length = try utf8SequenceLength(at: offset)
    var value = UInt32(lead & (0xFF >> (length + 1)))
    for continuation in offset + 1..<offset + length {
      value = value << 6 | UInt32(bytes[continuation] & 0x3F)
    }
    return Self.codePoint(value)
  }

  private static func codePoint(_ value: UInt32) -> String {
    let hex = String(value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
  }
}

extension UInt8 {
  fileprivate var isDigit: Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
  }
}
