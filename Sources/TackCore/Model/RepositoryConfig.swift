/// `.tack/config.json`: the format version of the whole repository and its defaults.
public struct RepositoryConfig: Sendable, Equatable {
  public static let schemaVersion: Int64 = 1
  public static let path = ".tack/config.json"

  /// The board used when a command names none.
  public var defaultBoard: String
  /// Whether writes are fsynced (objects, refs, packs): an acknowledged write then survives
  /// a power loss, at about 4 ms per write (docs/reliability.md). `nil`: the front end's
  /// default (off for the CLI, on for the MCP server). `TACK_FSYNC=1|0` overrides both.
  public var fsync: Bool?
  public var extra: [String: JSONValue] = [:]

  public var json: JSONValue {
    var object = extra
    object["schemaVersion"] = .int(Self.schemaVersion)
    object["defaultBoard"] = .string(defaultBoard)
    if let fsync { object["fsync"] = .bool(fsync) }
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
      fsync = fields.object["fsync"] == nil ? nil : try fields.bool("fsync", default: false)
      extra = fields.extra(known: ["schemaVersion", "defaultBoard", "fsync"])
    } catch let failure as FieldReader.Failure {
      throw corrupt(failure.message)
    } catch let error as TackError {
      throw error
    } catch {
      throw corrupt("\(error)")
    }
  }
}
