/// A board's configuration, from `boards/<name>/board.json`: its statuses, in display order,
/// and which moves between them are allowed.
public struct Board: Sendable, Equatable {
  public static let schemaVersion: Int64 = 1
  /// The task statuses of MCP's tasks utility; every board status maps to one of them.
  /// The status a cancelled task goes to: the first that maps to MCP `cancelled`.
  public var cancelStatus: String? {
    statuses.first { $0.mcpStatus == StatusName.cancelled && $0.terminal }?.name
  }

  public static let mcpStatuses = ["working", "input_required", "completed", "failed", "cancelled"]

  public struct Status: Sendable, Equatable {
    public var name: String
    /// A terminal status is final: the task accepts notes only.
    public var terminal: Bool
    /// The MCP task status a client sees for this status.
    public var mcpStatus: String
    /// The statuses a task may move to from this one.
    public var next: [String]
    public var extra: [String: JSONValue] = [:]
  }

  /// The folder name, which is the board's name.
  public var name: String
  public var description: String
  public var initialStatus: String
  public var statuses: [Status]
  /// Labels the board suggests (shown by `tack board show`); tasks may carry others.
  public var labels: [String]
  public var extra: [String: JSONValue] = [:]

  public func status(_ name: String) -> Status? { statuses.first { $0.name == name } }

  public var statusNames: [String] { statuses.map(\.name) }

  public func isTerminal(_ name: String) -> Bool { status(name)?.terminal ?? false }

  public func allows(from: String, to: String) -> Bool {
    status(from)?.next.contains(to) ?? false
  }

  /// Throws unless `name` is one of this board's statuses.
  public func requireStatus(_ name: String) throws(TackError) -> Status {
    guard let status = status(name) else {
      throw .unknownStatus(name, board: self.name, known: statusNames)
    }
    return status
  }
}

extension Board {
  private static let knownFields: Set<String> = [
    "schemaVersion", "description", "initialStatus", "statuses", "labels",
  ]
  private static let knownStatusFields: Set<String> = ["name", "terminal", "mcpStatus", "next"]

  public var json: JSONValue {
    var object = extra
    object["schemaVersion"] = .int(Self.schemaVersion)
    object["description"] = .string(description)
    object["initialStatus"] = .string(initialStatus)
    object["labels"] = .array(labels.map { .string($0) })
    object["statuses"] = .array(
      statuses.map { status in
        var fields = status.extra
        fields["name"] = .string(status.name)
        fields["terminal"] = .bool(status.terminal)
        fields["mcpStatus"] = .string(status.mcpStatus)
        fields["next"] = .array(status.next.map { .string($0) })
        return .object(fields)
      })
    return .object(object)
  }

  /// Reads and checks a board file: every status named once and well-formed, every move
  /// leads to a known status, terminal statuses lead nowhere, the initial one is not terminal.
  public init(fileContents bytes: [UInt8], name: String, path: String) throws(TackError) {
    func corrupt(_ reason: String) -> TackError { .corruptFile(path: path, reason: reason) }
    let value: JSONValue
    do { value = try JSONValue.parse(bytes) } catch {
      throw corrupt("invalid JSON (\(error.description))")
    }
    do {
      let fields = try FieldReader(value)
      let version = try fields.int("schemaVersion")
      guard version <= Self.schemaVersion else {
        throw TackError.unsupportedFormat(path: path, version: version)
      }
      self.name = name
      description = try fields.optionalString("description") ?? ""
      initialStatus = try fields.string("initialStatus")
      labels = try fields.strings("labels")
      statuses = try fields.array("statuses").enumerated().map { index, item in
        let status = try FieldReader(item, at: "statuses[\(index)]")
        return Status(
          name: try status.string("name"), terminal: try status.bool("terminal", default: false),
          mcpStatus: try status.string("mcpStatus"), next: try status.strings("next"),
          extra: status.extra(known: Self.knownStatusFields))
      }
      extra = fields.extra(known: Self.knownFields)
    } catch let failure as FieldReader.Failure {
      throw corrupt(failure.message)
    } catch let error as TackError {
      throw error
    } catch {
      throw corrupt("\(error)")
    }
    if let problem = validationProblem() { throw corrupt(problem) }
  }

  /// What is wrong with this board's status graph, if anything.
  func validationProblem() -> String? {
    guard !statuses.isEmpty else { return "it defines no statuses" }
    var seen = Set<String>()
    for status in statuses {
      do { try Names.validate(status.name, as: "status") } catch {
        return
          "status \(quoted(status.name)) is not a valid name (lowercase letters, digits, '-', '_')"
      }
      guard seen.insert(status.name).inserted else {
        return "status \(status.name) is defined twice"
      }
      guard Self.mcpStatuses.contains(status.mcpStatus) else {
        return
          "status \(status.name) maps to mcpStatus \(quoted(status.mcpStatus)); use one of \(Self.mcpStatuses.joined(separator: ", "))"
      }
      if status.terminal && !status.next.isEmpty {
        return "status \(status.name) is terminal, so it cannot list next statuses"
      }
      if status.terminal != ["completed", "failed", "cancelled"].contains(status.mcpStatus) {
        return
          "status \(status.name): terminal statuses map to completed, failed or cancelled, and only they do"
      }
    }
    for status in statuses {
      for next in status.next where !seen.contains(next) {
        return "status \(status.name) lists unknown next status \(quoted(next))"
      }
    }
    guard let initial = status(initialStatus) else {
      return "initialStatus \(quoted(initialStatus)) is not one of its statuses"
    }
    if initial.terminal { return "initialStatus \(initialStatus) is terminal" }
    return nil
  }
}
