/// Reads the fields of one JSON object with messages that say which field is wrong, so a
/// hand-edited file is reported precisely.
struct FieldReader {
  struct Failure: Error { var message: String }

  let object: [String: JSONValue]
  /// Where in the file this object is, for messages ("", "notes[2]", ...).
  let location: String

  init(_ value: JSONValue, at location: String = "") throws(Failure) {
    guard case .object(let object) = value else {
      throw Failure(message: "\(location.isEmpty ? "the file" : location) must be a JSON object")
    }
    self.object = object
    self.location = location
  }

  private func name(_ key: String) -> String { location.isEmpty ? key : "\(location).\(key)" }

  private func fail(_ key: String, _ expected: String) -> Failure {
    Failure(message: "field \(name(key)) must be \(expected)")
  }

  func string(_ key: String) throws(Failure) -> String {
    guard let value = object[key] else { throw Failure(message: "field \(name(key)) is missing") }
    guard case .string(let text) = value else { throw fail(key, "a string") }
    return text
  }

  func optionalString(_ key: String) throws(Failure) -> String? {
    switch object[key] {
    case nil, .null?: return nil
    case .string(let text)?: return text
    default: throw fail(key, "a string or null")
    }
  }

  func strings(_ key: String) throws(Failure) -> [String] {
    switch object[key] {
    case nil, .null?: return []
    case .array(let items)?:
      var result: [String] = []
      for item in items {
        guard case .string(let text) = item else { throw fail(key, "an array of strings") }
        result.append(text)
      }
      return result
    default: throw fail(key, "an array of strings")
    }
  }

  func bool(_ key: String, default fallback: Bool) throws(Failure) -> Bool {
    switch object[key] {
    case nil, .null?: return fallback
    case .bool(let value)?: return value
    default: throw fail(key, "true or false")
    }
  }

  func int(_ key: String) throws(Failure) -> Int64 {
    guard let value = object[key] else { throw Failure(message: "field \(name(key)) is missing") }
    guard case .int(let number) = value else { throw fail(key, "an integer") }
    return number
  }

  func timestamp(_ key: String) throws(Failure) -> Timestamp {
    let text = try string(key)
    guard let time = Timestamp(rfc3339: text) else {
      throw Failure(message: "field \(name(key)) \(Timestamp.problem(with: text))")
    }
    return time
  }

  func optionalTimestamp(_ key: String) throws(Failure) -> Timestamp? {
    guard let text = try optionalString(key) else { return nil }
    guard let time = Timestamp(rfc3339: text) else {
      throw Failure(message: "field \(name(key)) \(Timestamp.problem(with: text))")
    }
    return time
  }

  func array(_ key: String) throws(Failure) -> [JSONValue] {
    switch object[key] {
    case nil, .null?: return []
    case .array(let items)?: return items
    default: throw fail(key, "an array")
    }
  }

  func objectValue(_ key: String) throws(Failure) -> [String: JSONValue] {
    switch object[key] {
    case nil, .null?: return [:]
    case .object(let fields)?: return fields
    default: throw fail(key, "an object")
    }
  }

  /// The fields not in `known`, kept so that a write never drops what a newer tool added.
  func extra(known: Set<String>) -> [String: JSONValue] {
    object.filter { !known.contains($0.key) }
  }
}

extension JSONValue {
  /// `.string` for a value, `.null` for `nil`.
  public init(_ text: String?) { self = text.map { .string($0) } ?? .null }
}
