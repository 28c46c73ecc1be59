import TackCore

/// `.tack/scopes.json`: the principals of a board repository and what each may do.
public struct Scopes: Sendable, Equatable {
  public static let fileName = "scopes.json"
  public static let path = ".tack/scopes.json"
  public static let schemaVersion: Int64 = 1

  public struct Entry: Sendable, Equatable {
    public var principal: Principal
    public var grants: [Grant]

    /// The entry as stored in the file.
    public var json: JSONValue {
      .object([
        "id": .string(principal.id), "kind": .string(principal.kind.rawValue),
        "name": .string(principal.name), "email": .string(principal.email),
        "grants": .array(grants.sorted { $0.board < $1.board }.map(\.json)),
      ])
    }

    /// The grant that applies on `board`: its own, else the `*` one.
    func grant(for board: String) -> Grant? {
      grants.first { $0.board == board } ?? grants.first { $0.board == Grant.everyBoard }
    }
  }

  /// By principal id.
  public var entries: [String: Entry] = [:]
  var extra: [String: JSONValue] = [:]

  public init() {}

  /// Whether anybody holds `admin` anywhere: from then on the repository is confined and the
  /// local git identity is only what its own principal is granted.
  public var isConfined: Bool {
    entries.values.contains { $0.grants.contains { $0.can.contains(.admin) } }
  }

  /// The person whose id or email is `email` (case-insensitive).
  func person(withEmail email: String) -> Entry? {
    let wanted = email.lowercased()
    return entries.values.sorted { $0.principal.id < $1.principal.id }.first {
      $0.principal.kind == .person
        && ($0.principal.email.lowercased() == wanted || $0.principal.id == wanted)
    }
  }

  // MARK: File format

  public var fileContents: [UInt8] {
    var object = extra
    object["schemaVersion"] = .int(Self.schemaVersion)
    object["principals"] = .array(entries.keys.sorted().map { entries[$0]!.json })
    return JSONValue.object(object).serializedBytes(pretty: true)
  }

  /// Reads and checks the file; every name in it must pass the same checks as typed input.
  public init(fileContents bytes: [UInt8]) throws(TackError) {
    func corrupt(_ reason: String) -> TackError { .corruptFile(path: Self.path, reason: reason) }
    guard case .object(let object)? = try? JSONValue.parse(bytes) else {
      throw corrupt("it is not a JSON object")
    }
    guard let version = object["schemaVersion"]?.intValue else {
      throw corrupt("field schemaVersion is missing")
    }
    guard version <= Self.schemaVersion else {
      throw .unsupportedFormat(path: Self.path, version: version)
    }
    guard case .array(let principals)? = object["principals"] else {
      throw corrupt("field principals must be an array")
    }
    for (index, item) in principals.enumerated() {
      let place = "principals[\(index)]"
      guard let id = item["id"]?.stringValue else { throw corrupt("\(place).id is missing") }
      do { try Principal.validateID(id) } catch { throw corrupt("\(place): \(error)") }
      guard let kind = item["kind"]?.stringValue.flatMap(Actor.Kind.init(rawValue:)) else {
        throw corrupt("\(place).kind must be person or agent")
      }
      guard entries[id] == nil else { throw corrupt("principal \(id) is listed twice") }
      var grants: [Grant] = []
      for (number, value) in (item["grants"]?.arrayValue ?? []).enumerated() {
        let where_ = "\(place).grants[\(number)]"
        guard let board = value["board"]?.stringValue,
          board == Grant.everyBoard || (try? Names.validate(board, as: "board")) != nil
        else { throw corrupt("\(where_).board must be a board name or *") }
        var labels: [String]?
        if let list = value["labels"], !list.isNull {
          guard let items = list.arrayValue?.compactMap(\.stringValue),
            items.count == list.arrayValue?.count, !items.isEmpty,
            items.allSatisfy({ (try? Names.validate($0, as: "label")) != nil })
          else { throw corrupt("\(where_).labels must be a non-empty array of labels") }
          labels = items
        }
        guard let words = value["can"]?.arrayValue?.compactMap(\.stringValue),
          let verbs = try? Grant.verbs(words.joined(separator: ",")), !verbs.isEmpty
        else {
          throw corrupt(
            "\(where_).can must list actions among \(Verb.allCases.map(\.rawValue).joined(separator: ", "))"
          )
        }
        grants.append(Grant(board: board, labels: labels, can: verbs))
      }
      let name = item["name"]?.stringValue ?? id
      let email = item["email"]?.stringValue ?? Principal.defaultEmail(for: id)
      entries[id] = Entry(
        principal: Principal(id: id, kind: kind, name: name, email: email), grants: grants)
    }
    extra = object.filter { $0.key != "schemaVersion" && $0.key != "principals" }
  }
}
