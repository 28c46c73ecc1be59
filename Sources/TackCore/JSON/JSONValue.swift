/// A JSON document as a value: what `parse(_:)` returns and `serialized(pretty:)` writes.
///
/// Integers and other numbers are kept apart so that an integer read from disk is written back
/// exactly as it was, never as `1.0` or in exponent form.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  /// A number written without fraction or exponent that fits in `Int64`.
  case int(Int64)
  /// An integer beyond `Int64`, kept as its decimal digits so it is written back exactly
  /// (as Python's json module does), never rounded to a `Double`.
  case bigInteger(String)
  /// Any other number.
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])
}

extension JSONValue {
  public var stringValue: String? {
    if case .string(let value) = self { value } else { nil }
  }

  /// The integer, also for a `.double` that holds an integral value in `Int64`'s range.
  public var intValue: Int64? {
    switch self {
    case .int(let value): value
    // A range check and a truncating conversion, rather than Int64(exactly:), which needs libm.
    case .double(let value) where value >= -0x1p63 && value < 0x1p63:
      Double(Int64(value)) == value ? Int64(value) : nil
    default: nil
    }
  }

  public var boolValue: Bool? {
    if case .bool(let value) = self { value } else { nil }
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { value } else { nil }
  }

  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { value } else { nil }
  }

  public var isNull: Bool {
    if case .null = self { true } else { false }
  }

  /// The member named `key`; nil when this is not an object or has no such member.
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { members[key] } else { nil }
  }
}

extension JSONValue: ExpressibleByBooleanLiteral {
  public init(booleanLiteral value: Bool) {
    self = .bool(value)
  }
}

extension JSONValue: ExpressibleByIntegerLiteral {
  public init(integerLiteral value: Int64) {
    self = .int(value)
  }
}

extension JSONValue: ExpressibleByFloatLiteral {
  public init(floatLiteral value: Double) {
    self = .double(value)
  }
}

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) {
    self = .string(value)
  }
}

extension JSONValue: ExpressibleByArrayLiteral {
  public init(arrayLiteral elements: JSONValue...) {
    self = .array(elements)
  }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
  /// Like a `Dictionary` literal, a repeated key is a programming error and traps.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(uniqueKeysWithValues: elements))
  }
}
