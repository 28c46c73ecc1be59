extension JSONValue {
  /// The JSON text of this value, with object keys sorted by their UTF-8 bytes.
  ///
  /// Pretty output is exactly Python's `json.dumps(value, indent=2, sort_keys=True,
  /// ensure_ascii=False) + "\n"`, so files stay stable and diff well. Compact output has no
  /// whitespace and no final newline, for one-line messages.
  public func serialized(pretty: Bool = true) -> String {
    String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
  }

  /// The UTF-8 of `serialized(pretty:)`.
  public func serializedBytes(pretty: Bool = true) -> [UInt8] {
    var writer = JSONWriter(pretty: pretty)
    writer.write(self)
    if pretty { writer.output.append(UInt8(ascii: "\n")) }
    return writer.output
  }
}

/// Appends JSON text to a byte buffer.
struct JSONWriter {
  let pretty: Bool
  var output: [UInt8] = []
  private var depth = 0

  init(pretty: Bool) {
    self.pretty = pretty
    output.reserveCapacity(256)
  }

  mutating func write(_ value: JSONValue) {
    switch value {
    case .null: output.append(contentsOf: "null".utf8)
    case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
    case .int(let value): writeInteger(value)
    case .double(let value): writeDouble(value)
    case .bigInteger(let digits): output.append(contentsOf: digits.utf8)
    case .string(let value): writeString(value)
    case .array(let elements):
      guard !elements.isEmpty else {
        output.append(contentsOf: "[]".utf8)
        return
      }
      output.append(UInt8(ascii: "["))
      depth += 1
      for (position, element) in elements.enumerated() {
        if position > 0 { output.append(UInt8(ascii: ",")) }
        writeLineBreak()
        write(element)
      }
      depth -= 1
      writeLineBreak()
      output.append(UInt8(ascii: "]"))
    case .object(let members):
      guard !members.isEmpty else {
        output.append(contentsOf: "{}".utf8)
        return
      }
      // UTF-8 byte order is code point order, which is what Python's sort_keys uses;
      // String's `<` would compare canonically equivalent forms instead.
      let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      output.append(UInt8(ascii: "{"))
      depth += 1
      for (position, member) in sorted.enumerated() {
        if position > 0 { output.append(UInt8(ascii: ",")) }
        writeLineBreak()
        writeString(member.key)
        output.append(UInt8(ascii: ":"))
        if pretty { output.append(UInt8(ascii: " ")) }
        write(member.value)
      }
      depth -= 1
      writeLineBreak()
      output.append(UInt8(ascii: "}"))
    }
  }

  /// A newline and the indentation for `depth`, in pretty mode only.
  private mutating func writeLineBreak() {
    guard pretty else { return }
    output.append(UInt8(ascii: "\n"))
    output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
  }

  private mutating func writeInteger(_ value: Int64) {
    if value < 0 { output.append(UInt8(ascii: "-")) }
    let start = output.count
    var magnitude = value.magnitude
    repeat {
      output.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
      magnitude /= 10
    } while magnitude > 0
    output[start...].reverse()
  }

  /// Writes the shortest digits that read back as `value`, laid out as Python's `repr` does:
  /// `1.0`, `0.0001`, `1e-05`, `9007199254740994.0`, `1e+16`.
  private mutating func writeDouble(_ value: Double) {
    // JSON has no NaN or infinity; Python would write invalid JSON here, we write null.
    guard value.isFinite else {
      output.append(contentsOf: "null".utf8)
      return
    }
    // Swift's description finds the same shortest digits as Python but switches to exponent
    // form at 2^53 rather than 1e16, so only its digits and exponent are kept.
    var digits: [UInt8] = []
    var pointPosition = 0  // value = 0.<digits> × 10^pointPosition
    var exponent = 0
    var seenPoint = false
    var exponentSign = 1
    var inExponent = false
    for byte in value.description.utf8 {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9") where inExponent:
        exponent = exponent * 10 + Int(byte &- UInt8(ascii: "0"))
      case UInt8(ascii: "0") where digits.isEmpty:
        if seenPoint { pointPosition -= 1 }
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        digits.append(byte)
        if !seenPoint { pointPosition += 1 }
      case UInt8(ascii: "."): seenPoint = true
      case UInt8(ascii: "e"): inExponent = true
      case UInt8(ascii: "-") where inExponent: exponentSign = -1
      default: break  // the sign, written below, and the exponent's "+"
      }
    }
    if value.sign == .minus { output.append(UInt8(ascii: "-")) }
    while digits.last == UInt8(ascii: "0") { digits.removeLast() }
    guard !digits.isEmpty else {
      output.append(contentsOf: "0.0".utf8)
      return
    }
    pointPosition += exponentSign * exponent
    if pointPosition > 16 || pointPosition < -3 {
      output.append(digits[0])
      if digits.count > 1 {
        output.append(UInt8(ascii: "."))
        output.append(contentsOf: digits[1...])
      }
      let printedExponent = pointPosition - 1
      output.append(contentsOf: (printedExponent < 0 ? "e-" : "e+").utf8)
      if abs(printedExponent) < 10 { output.append(UInt8(ascii: "0")) }
      writeInteger(Int64(abs(printedExponent)))
    } else if pointPosition <= 0 {
      output.append(contentsOf: "0.".utf8)
      output.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -pointPosition))
      output.append(contentsOf: digits)
    } else if pointPosition < digits.count {
      output.append(contentsOf: digits[..<pointPosition])
      output.append(UInt8(ascii: "."))
      output.append(contentsOf: digits[pointPosition...])
    } else {
      output.append(contentsOf: digits)
      output.append(
        contentsOf: repeatElement(UInt8(ascii: "0"), count: pointPosition - digits.count))
      output.append(contentsOf: ".0".utf8)
    }
  }

  private mutating func writeString(_ string: String) {
    output.append(UInt8(ascii: "\""))
    if string.utf8.withContiguousStorageIfAvailable({ writeEscaped($0) }) == nil {
      Array(string.utf8).withUnsafeBufferPointer { writeEscaped($0) }
    }
    output.append(UInt8(ascii: "\""))
  }

  /// Escapes as Python does with `ensure_ascii=False`: quote, backslash and control characters
  /// only; everything else, `/` and non-ASCII included, is copied as is.
  private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
    var runStart = 0
    for position in utf8.indices {
      let byte = utf8[position]
      guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
        continue
      }
      output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<position]))
      runStart = position + 1
      output.append(UInt8(ascii: "\\"))
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(byte)
      case 0x08: output.append(UInt8(ascii: "b"))
      case 0x0C: output.append(UInt8(ascii: "f"))
      case 0x0A: output.append(UInt8(ascii: "n"))
      case 0x0D: output.append(UInt8(ascii: "r"))
      case 0x09: output.append(UInt8(ascii: "t"))
      default:
        let hexDigits: StaticString = "0123456789abcdef"
        output.append(contentsOf: "u00".utf8)
        output.append(hexDigits.utf8Start[Int(byte >> 4)])
        output.append(hexDigits.utf8Start[Int(byte & 0xF)])
      }
    }
    output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
  }
}
