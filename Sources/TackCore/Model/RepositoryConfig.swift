/// `.tack/config.json`: the format version of the whole repository and its defaults.
public struct RepositoryConfig: Sendable, Equatable {
  public static let schemaVersion: Int64 = 1
  public static let path = ".tack/config.json"

  /// The board used when a command names none.
  public var defaultBoard: String
  public var extra: [String: JSONValue] = [:]

  public var json: JSONValue {
    var object = extra
    object["schemaVersion"] = .int(Self.schemaVersion)
    object["defaultBoard"] = .string(defaultBoard)
    return .object(object)
  }

  public init(defaultBoard: String) { self.defaultBoard = defaultBoard }

  public init(fileContents bytes: [UInt8]) throws(TackError) {
    func corrupt(_ reason: String) -> TackError { .corruptFile(path: Self.path, reason: reason) }
    let value: JSONValue
    do { value = try JSONValue.parse(bytes) } catch {
      throw corrupt("invalid JSON (\(error.description))")
    }
    do {
      let fields = try FieldReader(value)
      let version = try fields.int("schemaVersion")
      guard version <= Self.schemaVersion else {
        throw TackError.unsupportedFormat(path: Self.path, version: version)
      }
      defaultBoard = try fields.string("defaultBoard")
      extra = fields.extra(known: ["schemaVersion", "defaultBoard"])
    } catch let failure as FieldReader.Failure {
      throw corrupt(failure.message)
    } catch let error as TackError {
      throw error
    } catch {
      throw corrupt("\(error)")
    }
  }
}
