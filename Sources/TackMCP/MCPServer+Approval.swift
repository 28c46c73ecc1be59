import TackAccess
import TackCore

/// The `requestState` of an input round trip: opaque to the client, tamper-evident (HMAC-SHA256
/// under the repository's key, `tack/mcp-state-key` in the git directory, so a restarted server
/// accepts what an earlier one issued), bound to the request (tool, arguments, principal) and
/// to a lifetime. `s1.<payload hex>.<mac hex>`; the payload names the input key, the expiry
/// and a nonce.
struct RequestState {
  static let lifetimeSeconds: Int64 = 30 * 60

  var key: String
  var expires: Int64
  var nonce: String

  /// What the state is bound to: the tool, its arguments as given, the principal.
  static func binding(
    tool: String, arguments: [String: JSONValue], principal: Principal
  )
    -> [UInt8]
  {
    JSONValue.object([
      "tool": .string(tool), "arguments": .object(arguments),
      "principal": .string("\(principal.kind.rawValue):\(principal.id)"),
    ]).serializedBytes(pretty: false)
  }

  private var payload: [UInt8] {
    JSONValue.object([
      "key": .string(key), "exp": .int(expires), "nonce": .string(nonce),
    ]).serializedBytes(pretty: false)
  }

  private static func signed(_ payload: [UInt8], _ binding: [UInt8]) -> [UInt8] {
    Array("tack-mcp-request-state-v1".utf8) + [0] + payload + [0] + binding
  }

  func encoded(binding: [UInt8], access: BoardAccess) throws(TackError) -> String {
    let mac = try access.stateMAC(Self.signed(payload, binding))
    return "s1." + Hex.encode(payload) + "." + Hex.encode(mac)
  }

  enum Refusal: Error { case forged, expired }

  /// The state a client sent back, if this repository's key signed it for this binding.
  static func decode(
    _ text: String, binding: [UInt8], access: BoardAccess, now: Int64
  ) throws(RPCError) -> RequestState {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let forged = RPCError.invalidParams(
      "requestState was not issued by this server for this call (altered, or for other arguments or another principal): call request_approval again without requestState and inputResponses to be asked afresh"
    )
    guard text.utf8.count <= 4096, parts.count == 3, parts[0] == "s1",
      let payload = Hex.decode(parts[1]), let mac = Hex.decode(parts[2])
    else { throw forged }
    let expected: [UInt8]
    do { expected = try access.stateMAC(signed(payload, binding)) } catch {
      throw RPCError(code: RPCError.internalError, message: AgentMessage.text(error))
    }
    guard Store.macsEqual(mac, expected), case .object(let fields)? = try? JSONValue.parse(payload),
      let key = fields["key"]?.stringValue, let expires = fields["exp"]?.intValue,
      let nonce = fields["nonce"]?.stringValue
    else { throw forged }
    guard now <= expires else {
      throw .invalidParams(
        "requestState expired (it lasts \(lifetimeSeconds / 60) minutes): call request_approval again without requestState and inputResponses to be asked afresh"
      )
    }
    return RequestState(key: key, expires: expires, nonce: nonce)
  }
}

enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func decode(_ text: Substring) -> [UInt8]? {
    let bytes = Array(text.utf8)
    guard bytes.count % 2 == 0 else { return nil }
    func value(_ digit: UInt8) -> UInt8? {
      switch digit {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
      default: nil
      }
    }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count / 2)
    var index = 0
    while index < bytes.count {
      guard let high = value(bytes[index]), let low = value(bytes[index + 1]) else { return nil }
      out.append(high << 4 | low)
      index += 2
    }
    return out
  }
}

extension MCPServer {
  /// A plain `request_approval` from a 2026 client that elicits: the first call returns
  /// `input_required` with the question (nothing is written); the client asks its person and
  /// calls again with `inputResponses` and the `requestState`; then the board task is created
  /// and the answer recorded as the host's user's (two commits, attributed as for an elicited
  /// answer). Asked only when that answer can be recorded.
  func approvalRoundTrip(_ params: [String: JSONValue]) throws(RPCError) -> JSONValue {
    let tool = Tools.requestApproval
    var arguments: [String: JSONValue] = [:]
    switch params["arguments"] {
    case nil, .null?: break
    case .object(let object)?: arguments = object
    default: throw .invalidParams("tools/call: arguments must be an object")
    }
    let title: String
    let message: String
    let key: String
    let boardName: String?
    let description: String
    let labels: [String]
    do {
      let reader = try Arguments(arguments, allowed: tool.argumentNames, tool: tool.name)
      title = try reader.string("title")
      message = try reader.optionalString("message") ?? title
      key = try reader.optionalString("key") ?? "approve"
      boardName = try reader.optionalString("board") ?? defaultBoard
      description = try reader.optionalString("description") ?? ""
      labels = try reader.strings("labels") ?? []
    } catch {
      return toolError(tool.name, error.message)
    }
    let request = BoardTask.InputRequest.approval(message: message)
    do {
      // Everything the task needs is checked before anybody is asked.
      _ = try Store.checkNewTask(
        title: title, description: description, labels: labels, inputRequests: [key: request])
    } catch {
      return toolError(tool.name, AgentMessage.text(error))
    }
    let board: Board
    do {
      board = try access.board(boardName)
      try access.authorizeHostUserAnswers(board: board.name)
    } catch {
      let instead =
        readOnly
        ? ""
        : " Call it as a task (declare the \(TaskState.extensionName) extension) and a person with answer rights answers it."
      return toolError(
        tool.name,
        "request_approval: your host's user cannot answer here (\(AgentMessage.text(error))), so nobody is asked.\(instead)"
      )
    }
    let binding = RequestState.binding(
      tool: tool.name, arguments: arguments, principal: access.principal)
    let now = Timestamp.now().seconds

    func ask() throws(RPCError) -> JSONValue {
      let state = RequestState(
        key: key, expires: now + RequestState.lifetimeSeconds,
        nonce: Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255) }))
      let encoded: String
      do { encoded = try state.encoded(binding: binding, access: access) } catch {
        throw RPCError(code: RPCError.internalError, message: AgentMessage.text(error))
      }
      log(.info, "request_approval: asking the client's user on board \(board.name)")
      return [
        // The 2026 result type is spelled as the MCP status it mirrors.
        "resultType": .string(StatusName.inputRequired),
        "inputRequests": .object([
          key: [
            "method": "elicitation/create",
            "params": [
              "mode": "form", "message": .string(message),
              "requestedSchema": Self.answerSchema(request),
            ],
          ]
        ]),
        "requestState": .string(encoded),
      ]
    }

    guard let given = params["requestState"], given != .null else {
      return try ask()
    }
    guard let text = given.stringValue else {
      throw .invalidParams("requestState must be the string an earlier input_required result gave")
    }
    let state = try RequestState.decode(text, binding: binding, access: access, now: now)
    // A retry of a round trip already completed gets the same task, not a second one.
    if let done = tasks.roundTrips[state.nonce], let task = try? access.task(done) {
      return approvalResult(task)
    }
    var responses: [String: JSONValue] = [:]
    switch params["inputResponses"] {
    case nil, .null?: break
    case .object(let object)?: responses = object
    default: throw .invalidParams("inputResponses must be an object keyed like inputRequests")
    }
    guard let response = responses[state.key] else { return try ask() }
    if let action = response["action"], action != "accept" {
      return toolError(
        tool.name,
        "request_approval: the person \(action.stringValue == "decline" ? "declined to answer" : "dismissed the question"); nothing was recorded. Call request_approval again to ask again."
      )
    }
    guard let answer = Self.normalizedAnswer(response), Self.isConfirmation(answer) else {
      return try ask()
    }
    let answered: BoardTask
    do {
      let created = try access.create(
        title: title, board: board.name, description: description, labels: labels,
        inputRequests: [state.key: request])
      tasks.roundTrips[state.nonce] = created.taskId.rawValue
      answered = try access.answerAsHostUser(
        created.taskId.rawValue, responses: [state.key: answer])
    } catch {
      return toolError(tool.name, AgentMessage.text(error))
    }
    log(.info, "request_approval: task \(answered.taskId) answered by the client's user")
    return approvalResult(answered)
  }

  /// A yes/no as a confirmation stores it: `true`/`false` or `{"confirmed": bool}`.
  static func isConfirmation(_ answer: JSONValue) -> Bool {
    switch answer {
    case .bool: return true
    case .object(let fields):
      guard fields.count == 1, case .bool? = fields["confirmed"] else { return false }
      return true
    default: return false
    }
  }

  /// The answered approval as a tool result: the task as stored; an error result unless it
  /// completed (declined → failed).
  func approvalResult(_ task: BoardTask) -> JSONValue {
    let structured: JSONValue = ["task": task.json]
    var object: [String: JSONValue] = [
      "content": [["type": "text", "text": .string(structured.serialized(pretty: false))]],
      "structuredContent": structured,
    ]
    if protocolStatus(task) != StatusName.completed { object["isError"] = true }
    return .object(object)
  }
}
