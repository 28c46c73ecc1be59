extension BoardTask {
  private static let knownFields: Set<String> = [
    "schemaVersion", "taskId", "board", "title", "description", "status", "labels", "assignee",
    "createdAt", "updatedAt", "notes", "inputRequests", "inputResponses", "result", "error",
    "lease", "links", "priority", "due", "source",
  ]

  /// The task as its JSON object, every field present (absent values are `null`) except the
  /// planning fields, written only when set so that a task that never used them stays as
  /// older versions wrote it.
  public var json: JSONValue {
    var object = extra
    object["schemaVersion"] = .int(Self.schemaVersion)
    object["taskId"] = .string(taskId.rawValue)
    object["board"] = .string(board)
    object["title"] = .string(title)
    object["description"] = .string(description)
    object["status"] = .string(status)
    object["labels"] = .array(labels.map { .string($0) })
    object["assignee"] = JSONValue(assignee)
    object["createdAt"] = .string(createdAt.description)
    object["updatedAt"] = .string(updatedAt.description)
    object["notes"] = .array(notes.map(\.json))
    object["inputRequests"] = .object(inputRequests.mapValues(\.json))
    object["inputResponses"] = .object(inputResponses)
    object["result"] = result ?? .null
    object["error"] = error ?? .null
    object["lease"] = lease?.json ?? .null
    object["links"] = .array(links.map(\.json))
    if let priority { object["priority"] = .int(Int64(priority)) }
    if let due { object["due"] = .string(due) }
    if let source { object["source"] = .string(source) }
    return .object(object)
  }

  /// The bytes of the task file: sorted keys, 2-space indent, trailing newline.
  public var fileContents: [UInt8] { json.serializedBytes(pretty: true) }

  /// Reads a task file. Throws `TackError.corruptFile` / `.unsupportedFormat` naming `path`.
  public init(fileContents bytes: [UInt8], path: String) throws(TackError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes)
    } catch {
      throw .corruptFile(path: path, reason: "invalid JSON (\(error.description))")
    }
    do {
      try self.init(json: value, path: path)
    } catch let failure as FieldReader.Failure {
      throw .corruptFile(path: path, reason: failure.message)
    } catch let error as TackError {
      throw error
    } catch {
      throw .corruptFile(path: path, reason: "\(error)")
    }
  }

  private init(json value: JSONValue, path: String) throws {
    let fields = try FieldReader(value)
    let version = try fields.int("schemaVersion")
    guard version <= Self.schemaVersion else {
      throw TackError.unsupportedFormat(path: path, version: version)
    }
    guard version >= 1 else {
      throw FieldReader.Failure(message: "field schemaVersion must be 1 or more")
    }
    let idText = try fields.string("taskId")
    guard let id = TaskID(idText) else {
      throw FieldReader.Failure(message: "field taskId is not a task id (task_ + 26 characters)")
    }
    taskId = id
    board = try fields.string("board")
    title = try fields.string("title")
    description = try fields.optionalString("description") ?? ""
    status = try fields.string("status")
    labels = try fields.strings("labels")
    assignee = try fields.optionalString("assignee")
    createdAt = try fields.timestamp("createdAt")
    updatedAt = try fields.timestamp("updatedAt")
    notes = try fields.array("notes").enumerated().map { index, item in
      let note = try FieldReader(item, at: "notes[\(index)]")
      var value = Note(
        at: try note.timestamp("at"), by: try note.string("by"), text: try note.string("text"))
      value.extra = note.extra(known: ["at", "by", "text"])
      return value
    }
    var requests: [String: InputRequest] = [:]
    for (key, item) in try fields.objectValue("inputRequests") {
      requests[key] = try InputRequest(json: item, at: "inputRequests.\(key)")
    }
    inputRequests = requests
    inputResponses = try fields.objectValue("inputResponses")
    result = fields.object["result"].flatMap { $0 == .null ? nil : $0 }
    error = fields.object["error"].flatMap { $0 == .null ? nil : $0 }
    switch fields.object["lease"] {
    case nil, .null?: lease = nil
    case let item?:
      let reader = try FieldReader(item, at: "lease")
      lease = Lease(
        holder: try reader.string("holder"), expiresAt: try reader.timestamp("expiresAt"))
      lease?.extra = reader.extra(known: ["holder", "expiresAt"])
    }
    links = try fields.array("links").enumerated().map { index, item in
      let link = try FieldReader(item, at: "links[\(index)]")
      var value = Link(rel: try link.string("rel"), taskId: try link.string("taskId"))
      value.extra = link.extra(known: ["rel", "taskId"])
      return value
    }
    switch fields.object["priority"] {
    case nil, .null?: priority = nil
    case let value?:
      guard let number = value.intValue, Priority.range.contains(Int(number)) else {
        throw FieldReader.Failure(message: "field priority must be a whole number from 0 to 4")
      }
      priority = Int(number)
    }
    due = try fields.optionalString("due")
    source = try fields.optionalString("source")
    if let due, DueDate.moment(due) == nil {
      throw FieldReader.Failure(
        message: "field due must be a day (YYYY-MM-DD) or an RFC 3339 moment")
    }
    extra = fields.extra(known: Self.knownFields)
  }
}

extension BoardTask.Note {
  public var json: JSONValue {
    var object = extra
    object["at"] = .string(at.description)
    object["by"] = .string(by)
    object["text"] = .string(text)
    return .object(object)
  }
}

extension BoardTask.Lease {
  public var json: JSONValue {
    var object = extra
    object["holder"] = .string(holder)
    object["expiresAt"] = .string(expiresAt.description)
    return .object(object)
  }
}

extension BoardTask.Link {
  public var json: JSONValue {
    var object = extra
    object["rel"] = .string(rel)
    object["taskId"] = .string(taskId)
    return .object(object)
  }
}

extension BoardTask.InputRequest {
  private static let knownFields: Set<String> = [
    "type", "message", "requestedAt", "requestedBy", "next", "onConfirm", "onDecline",
  ]

  public var json: JSONValue {
    var object = extra
    object["type"] = .string(type.rawValue)
    object["message"] = .string(message)
    if let requestedAt { object["requestedAt"] = .string(requestedAt.description) }
    if let requestedBy { object["requestedBy"] = .string(requestedBy) }
    if let next { object["next"] = .string(next) }
    if let onConfirm { object["onConfirm"] = .string(onConfirm) }
    if let onDecline { object["onDecline"] = .string(onDecline) }
    return .object(object)
  }

  init(json value: JSONValue, at location: String) throws(FieldReader.Failure) {
    let fields = try FieldReader(value, at: location)
    let typeName = try fields.string("type")
    guard let kind = Kind(rawValue: typeName) else {
      throw FieldReader.Failure(
        message: "field \(location).type must be one of: confirmation, text")
    }
    type = kind
    message = try fields.string("message")
    requestedAt = try fields.optionalTimestamp("requestedAt")
    requestedBy = try fields.optionalString("requestedBy")
    next = try fields.optionalString("next")
    onConfirm = try fields.optionalString("onConfirm")
    onDecline = try fields.optionalString("onDecline")
    extra = fields.extra(known: Self.knownFields)
  }
}
