import TackAccess
import TackCore

/// Tack's MCP server: JSON-RPC 2.0 over newline-delimited stdio, exact about error codes,
/// with the board tools. Every tool runs through `BoardAccess` as the server's principal,
/// so an agent sees and changes only what its scope allows. Frames are handled one at a
/// time, in order; every request gets exactly one reply, notifications none.
public final class MCPServer {
  static let supportedVersions = ["2025-11-25", "2025-06-18"]
  static let serverVersion = TackVersion.current

  let access: BoardAccess
  /// `tack mcp --read-only`: only read tools, and every write refused below them.
  let readOnly: Bool
  /// The board tools use when a call names none (`tack mcp --board`).
  let defaultBoard: String?
  let log: ServerLog
  /// stdin/stdout; `nil` for a server driven message by message (`MCPHTTPHandler`).
  private var transport: Transport?
  /// What a server without a transport was asked to send outside a reply (notifications,
  /// requests to the client), oldest first; its driver takes them (`takeOutbox`).
  private var outbox: [JSONValue] = []
  private(set) var protocolVersion: String?
  /// What the client declared in `initialize`.
  private(set) var clientCapabilities: JSONValue = .object([:])
  /// The connection's era, fixed by its first request (`nil` until then).
  var era: Era?
  /// MCP tasks this session follows: watched handles, parked `tasks/result` calls,
  /// elicitations in flight.
  var tasks = TaskState()
  /// `tools`, once computed.
  private var offered: [Tool]?

  public init(
    access: BoardAccess, defaultBoard: String?, log: ServerLog, readOnly: Bool = false,
    input: Int32 = 0, output: Int32 = 1
  ) {
    self.access = access
    self.readOnly = readOnly
    if readOnly { access.restrictToReading() }
    self.defaultBoard = defaultBoard
    self.log = log
    self.transport = Transport(input: input, output: output)
  }

  /// A server driven by another transport (`MCPHTTPHandler`): one message at a time through
  /// `reply(to:)`, nothing read from or written to a file descriptor.
  init(access: BoardAccess, defaultBoard: String?, log: ServerLog, driven: Void) {
    self.access = access
    self.readOnly = false
    self.defaultBoard = defaultBoard
    self.log = log
    self.transport = nil
  }

  /// The reply to one message from a driver other than stdio (`nil` for a notification or a
  /// response), as `run` answers a frame.
  func reply(to message: [UInt8]) -> JSONValue? {
    if tasks.begun {
      tasks.begun = false
      tasks.lastRevision = nil
    }
    return handle(message)
  }

  /// The messages sent outside replies since the last call.
  func takeOutbox() -> [JSONValue] {
    defer { outbox.removeAll() }
    return outbox
  }

  /// Serves until end of input.
  public func run() {
    log(
      .info,
      "serving as \(access.principal.kind.rawValue) \(access.principal.id) on \(access.location)")
    guard transport != nil else { return }
    while let frame = transport!.next(timeout: tasks.isWatching ? TaskState.watchInterval : nil) {
      defer { if tasks.isWatching { watchTasks() } }
      switch frame {
      case .timeout: continue
      case .oversize(let size):
        log(.warning, "refused a frame of \(size) bytes")
        reply(
          id: .null,
          error: RPCError(
            code: RPCError.parseError,
            message:
              "Parse error: frame of \(size) bytes exceeds the \(Transport.maxFrame)-byte limit"))
      case .message(let bytes):
        // A task reported `working` at creation is re-read after the client's next message,
        // so its move to `input_required` is notified while the client is listening (an
        // unsolicited message to a client that is closing breaks some SDKs' teardown).
        if tasks.begun {
          tasks.begun = false
          tasks.lastRevision = nil
        }
        if let response = handle(bytes) { send(response) }
      }
    }
    log(.info, "end of input; stopping")
    // A fold on its own thread (a second or two at most here) would lose its work with the
    // process; a client gives a server about two seconds to exit before it terminates it.
    if !access.finishBackgroundPacking(within: Self.foldGrace) {
      log(.info, "a fold is still running; it is dropped, and the next one does its work")
    }
  }

  /// How long a server at end of input waits for a fold running on its own thread.
  static let foldGrace: Duration = .milliseconds(1500)

  /// The reply to one frame, or `nil` for a notification or a response.
  func handle(_ bytes: [UInt8]) -> JSONValue? {
    let message: JSONValue
    do {
      message = try JSONValue.parse(bytes)
    } catch {
      log(.debug, "unparseable frame: \(error)")
      return response(
        id: .null,
        error: RPCError(code: RPCError.parseError, message: "Parse error: \(error.description)"))
    }
    guard case .object(let fields) = message else {
      if case .array = message {
        return response(
          id: .null,
          error: RPCError(
            code: RPCError.invalidRequest,
            message: "Invalid Request: batches are not supported in protocol 2025-06-18 and later"))
      }
      return response(
        id: .null,
        error: RPCError(
          code: RPCError.invalidRequest, message: "Invalid Request: a message must be a JSON object"
        ))
    }
    let id = fields["id"]
    if let id {
      switch id {
      case .string, .int, .bigInteger, .double: break
      default:
        return response(
          id: .null,
          error: RPCError(
            code: RPCError.invalidRequest,
            message: "Invalid Request: id must be a string or a number"))
      }
    }
    guard fields["jsonrpc"] == .string("2.0") else {
      return response(
        id: id ?? .null,
        error: RPCError(
          code: RPCError.invalidRequest, message: "Invalid Request: jsonrpc must be \"2.0\""))
    }
    guard let methodValue = fields["method"] else {
      if let id, fields["result"] != nil || fields["error"] != nil {
        clientResponded(id: id, result: fields["result"], error: fields["error"])
        return nil
      }
      return response(
        id: id ?? .null,
        error: RPCError(
          code: RPCError.invalidRequest, message: "Invalid Request: method is missing"))
    }
    guard case .string(let method) = methodValue else {
      return response(
        id: id ?? .null,
        error: RPCError(
          code: RPCError.invalidRequest, message: "Invalid Request: method must be a string"))
    }
    var params: [String: JSONValue] = [:]
    switch fields["params"] {
    case nil, .null?: break
    case .object(let object)?: params = object
    default:
      guard let id else { return nil }
      return response(id: id, error: .invalidParams("params must be an object"))
    }
    guard let id else {
      notification(method, params)
      return nil
    }
    log(.debug, "request \(id.serialized(pretty: false)) \(method)")
    do {
      if let envelope = try envelope(method, params) {
        guard let result = try callModern(method, params, id: id, envelope: envelope) else {
          return nil
        }
        return response(id: id, result: result)
      }
      guard let result = try call(method, params, id: id) else { return nil }  // answered later
      return response(id: id, result: result)
    } catch {
      return response(id: id, error: error)
    }
  }

  /// The result of a request, or `nil` when it will be answered later (`tasks/result` on a
  /// task that is not finished).
  private func call(
    _ method: String, _ params: [String: JSONValue], id: JSONValue
  )
    throws(RPCError) -> JSONValue?
  {
    let extensionMode = Self.declaresTasksExtension(params)
    switch method {
    case "tasks/get": return try getTask(params, extensionMode: extensionMode)
    case "tasks/cancel": return try cancelTask(params, extensionMode: extensionMode)
    case "tasks/list" where !extensionMode:
      return try listTasks(params, cancelled: cancellation(of: id))
    case "tasks/result" where !extensionMode: return try taskResult(params, id: id)
    case "tasks/update":
      guard extensionMode else { throw Self.missingTasksCapability }
      return try updateTask(params)
    default: break
    }
    switch method {
    case "initialize": return try initialize(params)
    case "ping": return .object([:])
    case "tools/list":
      let (page, next) = try Self.page(tools, key: \.name, params, list: "tools/list")
      var result: [String: JSONValue] = ["tools": .array(page.map(\.definition))]
      if let next { result["nextCursor"] = .string(next) }
      return .object(result)
    case "tools/call": return try callTool(params, id: id)
    case "resources/list": return try Resources.list(access, params)
    case "resources/templates/list": return Resources.templates
    case "resources/read":
      let cancelled = cancellation(of: id)
      let result = try Resources.read(params, access, stop: cancelled.check)
      if result == nil { log(.info, "resources/read cancelled by the client; no answer") }
      return result
    default:
      throw RPCError(code: RPCError.methodNotFound, message: "Method not found: \(method)")
    }
  }

  private func notification(_ method: String, _ params: [String: JSONValue]) {
    switch method {
    case "notifications/initialized": log(.info, "client initialized")
    case "notifications/cancelled":
      // Requests are answered in order, so only a parked `tasks/result` can still be open.
      if let requestID = params["requestId"] {
        forgetWaiter(requestID)
        forgetSubscription(requestID)
      }
    default: log(.debug, "ignored notification \(method)")
    }
  }

  private func initialize(_ params: [String: JSONValue]) throws(RPCError) -> JSONValue {
    guard case .string(let requested)? = params["protocolVersion"] else {
      throw .invalidParams("initialize needs protocolVersion (a string)")
    }
    let version = Self.supportedVersions.contains(requested) ? requested : Self.supportedVersions[0]
    protocolVersion = version
    era = .legacy
    clientCapabilities = params["capabilities"] ?? .object([:])
    let client = params["clientInfo"]?["name"]?.stringValue ?? "unknown client"
    log(.info, "initialize from \(client), protocol \(requested) → \(version)")
    return [
      "protocolVersion": .string(version),
      "capabilities": [
        "tools": ["listChanged": false],
        "resources": ["listChanged": false, "subscribe": false],
        "tasks": ["list": [:], "cancel": [:], "requests": ["tools": ["call": [:]]]],
        "extensions": [TaskState.extensionName: [:]],
      ],
      "serverInfo": [
        "name": "tack", "title": "Tack task board", "version": .string(Self.serverVersion),
      ],
      "instructions": .string(instructions),
    ]
  }

  var instructions: String {
    "A task board kept in git: every change is a commit. You act as \(access.principal.kind.rawValue) \(access.principal.id) and see only the boards and labels you are granted. Find work with list_tasks, claim_task before you start, transition_task as it moves, request_input to ask a person, add_note to report progress."
  }

  /// `tools/call`. Only a malformed request (no name, arguments not an object, bad `task`)
  /// or an unknown tool is a protocol error; every other failure — a bad argument, a missing
  /// task, a refused move — is a tool result with `isError: true` the model can read and act on.
  /// A call the client cancels while a long scan runs stops there and gets no answer (as the
  /// protocol asks of a cancelled request): `nil`.
  func callTool(
    _ params: [String: JSONValue], id: JSONValue
  ) throws(RPCError) -> JSONValue? {
    guard case .string(let name)? = params["name"] else {
      throw .invalidParams("tools/call needs name (a string)")
    }
    // A tool left out of this principal's list still answers, with the rule that refuses it.
    guard let tool = Tools.byName[name] else {
      throw .invalidParams(
        "Unknown tool: \(name). tools/list lists the tools this server offers you.")
    }
    var arguments: [String: JSONValue] = [:]
    switch params["arguments"] {
    case nil, .null?: break
    case .object(let object)?: arguments = object
    default: throw .invalidParams("tools/call: arguments must be an object")
    }
    let mode = try taskMode(for: tool, params)
    let reader: Arguments
    do { reader = try Arguments(arguments, allowed: tool.argumentNames, tool: name) } catch {
      if let mode { return failedCall(name, error.message, mode: mode) }
      return toolError(name, error.message)
    }
    if let mode { return try callToolAsTask(tool, reader, mode: mode) }
    let cancelled = cancellation(of: id)
    let context = ToolContext(
      access: access, defaultBoard: defaultBoard, isCancelled: cancelled.check)
    do {
      let structured = try tool.run(context, reader)
      return [
        "content": [["type": "text", "text": .string(structured.serialized(pretty: false))]],
        "structuredContent": structured,
      ]
    } catch let failure {
      if cancelled.seen {
        log(.info, "\(name) cancelled by the client; no answer")
        return nil
      }
      return toolError(name, failure.message)
    }
  }

  /// Whether the client has cancelled request `id` (`notifications/cancelled`), asked of the
  /// transport now and then by a long scan; once seen, it stays seen.
  func cancellation(of id: JSONValue) -> Cancellation {
    let cancellation = Cancellation()
    cancellation.ask = { [unowned self] in transport?.cancelRequested(id) ?? false }
    return cancellation
  }

  /// A refused tool call: `isError: true` and the reason as text. Nothing was written.
  func toolError(_ tool: String, _ message: String) -> JSONValue {
    log(.info, "\(tool) refused: \(message)")
    return ["content": [["type": "text", "text": .string(message)]], "isError": true]
  }

  private func response(id: JSONValue, result: JSONValue) -> JSONValue {
    ["jsonrpc": "2.0", "id": id, "result": result]
  }

  private func response(id: JSONValue, error: RPCError) -> JSONValue {
    ["jsonrpc": "2.0", "id": id, "error": error.json]
  }

  private func reply(id: JSONValue, error: RPCError) {
    send(response(id: id, error: error))
  }

  func reply(id: JSONValue, result: JSONValue) {
    send(response(id: id, result: result))
  }

  /// Writes one message to the client.
  func send(_ message: JSONValue) {
    guard let transport else {
      outbox.append(message)
      return
    }
    transport.send(message.serializedBytes(pretty: false))
  }

  /// A page of a list ordered by a unique name (`tools/list`, `resources/list`); a cursor
  /// this server did not give for that list is invalid params.
  static func page<T>(
    _ items: [T], key: (T) -> String, _ params: [String: JSONValue], list: String
  ) throws(RPCError) -> (ArraySlice<T>, String?) {
    var cursor: String?
    if let given = params["cursor"], given != .null {
      guard let text = given.stringValue else {
        throw .invalidParams("\(list): cursor must be a string from an earlier nextCursor")
      }
      cursor = text
    }
    guard
      let (page, next) = PageCursor.page(
        items, key: key, list: list, cursor: cursor, limit: Limits.defaultPageSize)
    else {
      throw .invalidParams(
        "\(list): cursor is not one this server gave: pass an earlier nextCursor, or none for the first page"
      )
    }
    return (page, next)
  }

  /// The tools this server offers its principal, by name: those its grants (as they stood
  /// when it was first asked) let it use; on a read-only server, the read tools. Fixed for the
  /// process, which is what the 2026 list's cache hint says.
  var tools: [Tool] {
    if let offered { return offered }
    let verbs = readOnly ? [.read] : access.grantedVerbs()
    let list = Tools.all.filter { $0.needs.isSubset(of: verbs) }.sorted { $0.name < $1.name }
    offered = list
    return list
  }

  /// Whether the client declared form elicitation in `initialize` (`{}` means form mode).
  var clientElicits: Bool {
    guard case .object(let modes)? = clientCapabilities["elicitation"] else { return false }
    return modes.isEmpty || modes["form"] != nil
  }
}
