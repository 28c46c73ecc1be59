import TackCore

/// A tool call's arguments, read with -32602 errors that say which argument is wrong.
struct Arguments {
  let values: [String: JSONValue]
  let tool: String

  init(_ values: [String: JSONValue], allowed: Set<String>, tool: String) throws(RPCError) {
    self.values = values
    self.tool = tool
    if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw .invalidParams(
        "\(tool): unknown argument \(unknown); it takes \(allowed.sorted().joined(separator: ", "))"
      )
    }
  }

  private func wrong(_ key: String, _ expected: String) -> RPCError {
    .invalidParams("\(tool): argument \(key) must be \(expected)")
  }

  func string(_ key: String) throws(RPCError) -> String {
    guard let value = try optionalString(key) else {
      throw .invalidParams("\(tool): argument \(key) is required")
    }
    return value
  }

  func optionalString(_ key: String) throws(RPCError) -> String? {
    switch values[key] {
    case nil, .null?: return nil
    case .string(let text)?: return text
    default: throw wrong(key, "a string")
    }
  }

  func optionalInt(_ key: String, in range: ClosedRange<Int64>) throws(RPCError) -> Int64? {
    switch values[key] {
    case nil, .null?: return nil
    case let value?:
      guard let number = value.intValue, range.contains(number) else {
        throw wrong(key, "an integer from \(range.lowerBound) to \(range.upperBound)")
      }
      return number
    }
  }

  func optionalBool(_ key: String) throws(RPCError) -> Bool? {
    switch values[key] {
    case nil, .null?: return nil
    case .bool(let value)?: return value
    default: throw wrong(key, "true or false")
    }
  }

  func strings(_ key: String) throws(RPCError) -> [String]? {
    switch values[key] {
    case nil, .null?: return nil
    case .array(let items)?:
      var result: [String] = []
      for item in items {
        guard case .string(let text) = item else { throw wrong(key, "an array of strings") }
        result.append(text)
      }
      return result
    default: throw wrong(key, "an array of strings")
    }
  }

  func object(_ key: String) throws(RPCError) -> [String: JSONValue] {
    guard case .object(let object)? = values[key] else { throw wrong(key, "an object") }
    return object
  }
}

extension JSONValue {
  /// An answer as a board task stores it: `true`/`false` becomes `{"confirmed": …}`, a
  /// string `{"text": …}`; anything else is taken as already in that shape.
  var storedAnswer: JSONValue {
    switch self {
    case .bool(let confirmed): ["confirmed": .bool(confirmed)]
    case .string(let text): ["text": .string(text)]
    default: self
    }
  }
}
