import TackAccess
import TackCore

/// MCP 2026-07-28, the stateless revision, beside the 2025 handshakes on the same server. A
/// request that carries `_meta["io.modelcontextprotocol/protocolVersion"]` is judged by its own
/// `_meta` alone (version, client capabilities); one without it is served as the 2025
/// revisions serve it. The client's first message decides the connection's era: `initialize`
/// makes it a 2025 session, a 2026 request a 2026 one — which then needs `_meta` on every
/// request and answers a late `initialize` with -32022 (as the SDKs expect from a server whose
/// era a probe already fixed).
struct Envelope {
  static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
  static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
  static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
  static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
  static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"

  let version: String
  /// What the client declares for this request (`{}` when it declares nothing).
  let capabilities: JSONValue
  let client: String

  /// Whether the request declares form elicitation (`{}` means form mode).
  var elicits: Bool {
    guard case .object(let modes)? = capabilities["elicitation"] else { return false }
    return modes.isEmpty || modes["form"] != nil
  }
}

/// Which revision family a connection speaks, fixed by its first request.
enum Era { case legacy, modern }

extension MCPServer {
  static let modernVersions = ["2026-07-28"]
  /// Every version this server speaks, newest first: the 2026 one per request, the others
  /// through `initialize`.
  static var allVersions: [String] { modernVersions + supportedVersions }

  static let unsupportedVersion = -32022

  /// How long a client may cache what does not change while this process runs (the tool
  /// list, the capabilities, the resource templates). The tool list is fixed at start (the
  /// principal's grants and `--read-only`); a cache that outlives a restart with other
  /// grants is stale for at most this long.
  static let processStableTTL: Int64 = 300_000

  // MARK: Routing

  /// The 2026 envelope of a request, `nil` for a request served the 2025 way, or the error
  /// that answers it (an unsupported version, a missing `_meta`).
  func envelope(_ method: String, _ params: [String: JSONValue]) throws(RPCError) -> Envelope? {
    let meta = params["_meta"]
    guard let declared = meta?[Envelope.protocolVersionKey] else {
      if method == "initialize" {
        if era == .modern { throw Self.lateInitialize(params["protocolVersion"]) }
        return nil
      }
      // The stdio probe: answered even without `_meta`, and it fixes no era.
      if method == "server/discover" {
        return Envelope(
          version: Self.modernVersions[0], capabilities: [:], client: "unknown client")
      }
      if era == .modern {
        throw .invalidParams(
          "\(method): _meta[\"\(Envelope.protocolVersionKey)\"] is missing. A 2026-07-28 request carries the protocol version and client capabilities in params._meta; this connection began as 2026-07-28, so every request must (a 2025 client opens a new connection with initialize)."
        )
      }
      return nil
    }
    guard case .string(let version) = declared else {
      throw .invalidParams(
        "_meta[\"\(Envelope.protocolVersionKey)\"] must be a string such as \"2026-07-28\"")
    }
    guard Self.modernVersions.contains(version) else {
      throw RPCError(
        code: Self.unsupportedVersion,
        message:
          "Unsupported protocol version \(version): per request this server speaks \(Self.modernVersions.joined(separator: ", ")); \(Self.supportedVersions.joined(separator: " and ")) through initialize",
        data: [
          "supported": .array(Self.allVersions.map { .string($0) }), "requested": .string(version),
        ])
    }
    // The probe is answered whatever the client declares (its result depends on nothing).
    let declaredCapabilities =
      meta?[Envelope.clientCapabilitiesKey] ?? (method == "server/discover" ? [:] : nil)
    guard let capabilities = declaredCapabilities, case .object = capabilities
    else {
      throw .invalidParams(
        "\(method): _meta[\"\(Envelope.clientCapabilitiesKey)\"] is missing or not an object: a 2026-07-28 request declares the client's capabilities ({} for none)"
      )
    }
    if method == "initialize" { throw Self.lateInitialize(.string(version)) }
    if era == nil {
      era = .modern
      log(.info, "first request is 2026-07-28 (\(method)): serving statelessly per request")
    }
    let client = meta?[Envelope.clientInfoKey]?["name"]?.stringValue ?? "unknown client"
    return Envelope(version: version, capabilities: capabilities, client: client)
  }

  static func lateInitialize(_ requested: JSONValue?) -> RPCError {
    RPCError(
      code: unsupportedVersion,
      message:
        "initialize: this connection already speaks 2026-07-28 (no handshake; send _meta on each request). Start a new server process for a 2025 session.",
      data: [
        "supported": .array(modernVersions.map { .string($0) }),
        "requested": requested ?? .null,
      ])
  }

  /// A 2026-07-28 request: its result (with `resultType` and the server's info in `_meta`), or
  /// `nil` when it is answered later (`subscriptions/listen`) or not at all (a cancelled call).
  func callModern(
    _ method: String, _ params: [String: JSONValue], id: JSONValue, envelope: Envelope
  ) throws(RPCError) -> JSONValue? {
    let extensionMode = Self.declaresTasksExtension(params)
    let result: JSONValue?
    switch method {
    case "server/discover": result = discover()
    case "tools/list":
      let (page, next) = try Self.page(tools, key: \.name, params, list: "tools/list")
      var list: [String: JSONValue] = [
        "tools": .array(page.map { $0.definition(modern: true) }),
        "ttlMs": .int(Self.processStableTTL), "cacheScope": "private",
      ]
      if let next { list["nextCursor"] = .string(next) }
      result = .object(list)
    case "tools/call": result = try callToolModern(params, id: id, envelope: envelope)
    case "resources/list":
      result = try Self.cacheable(Resources.list(access, params), ttl: 0)
    case "resources/templates/list":
      result = Self.cacheable(Resources.templates, ttl: Self.processStableTTL, scope: "public")
    case "resources/read":
      let cancelled = cancellation(of: id)
      do {
        // nil: the client cancelled while the board was scanned; no answer.
        result = try Resources.read(params, access, stop: cancelled.check).map {
          Self.cacheable($0, ttl: 0)
        }
      } catch {
        // 2026-07-28 retired -32002: an unknown resource is invalid params.
        guard error.code == RPCError.resourceNotFound else { throw error }
        throw RPCError(code: RPCError.invalidParams, message: error.message, data: error.data)
      }
    case "subscriptions/listen": result = try listen(params, id: id)
    case "tasks/get", "tasks/update", "tasks/cancel":
      guard extensionMode else { throw Self.missingTasksCapability }
      switch method {
      case "tasks/get": result = try getTask(params, extensionMode: true)
      case "tasks/update": result = try updateTask(params)
      default: result = try cancelTask(params, extensionMode: true)
      }
    default:
      // ping, logging/setLevel, resources/subscribe, tasks/list and tasks/result are gone
      // in 2026-07-28 (and its tasks extension).
      throw RPCError(
        code: RPCError.methodNotFound,
        message: "Method not found: \(method) (not part of protocol \(envelope.version))")
    }
    return result.map(stamped)
  }

  /// A 2026 result: `resultType` (`complete` unless it says otherwise) and the server's info
  /// in `_meta`, beside what `_meta` holds already.
  func stamped(_ result: JSONValue) -> JSONValue {
    guard case .object(var fields) = result else { return result }
    if fields["resultType"] == nil { fields["resultType"] = "complete" }
    var meta: [String: JSONValue] = [:]
    if case .object(let given)? = fields["_meta"] { meta = given }
    meta[Envelope.serverInfoKey] = Self.serverInfo
    fields["_meta"] = .object(meta)
    return .object(fields)
  }

  static func cacheable(_ result: JSONValue, ttl: Int64, scope: String = "private") -> JSONValue {
    guard case .object(var fields) = result else { return result }
    fields["ttlMs"] = .int(ttl)
    fields["cacheScope"] = .string(scope)
    return .object(fields)
  }

  static var serverInfo: JSONValue {
    ["name": "tack", "title": "Tack task board", "version": .string(serverVersion)]
  }

  /// `server/discover`: the versions, capabilities and instructions. They depend on the
  /// principal (the instructions name it) and are fixed while the process runs.
  func discover() -> JSONValue {
    [
      "supportedVersions": .array(Self.allVersions.map { .string($0) }),
      "capabilities": [
        "tools": ["listChanged": false],
        "resources": ["listChanged": false, "subscribe": true],
        "extensions": [TaskState.extensionName: [:]],
      ],
      "instructions": .string(instructions),
      "ttlMs": .int(Self.processStableTTL), "cacheScope": "private",
    ]
  }

  // MARK: Tool calls

  /// `tools/call` in 2026-07-28: the 2025 `params.task` does not exist (a task is the
  /// server's choice, under the tasks extension), and a plain `request_approval` from a client
  /// that elicits becomes an input round trip.
  func callToolModern(
    _ params: [String: JSONValue], id: JSONValue, envelope: Envelope
  ) throws(RPCError) -> JSONValue? {
    var params = params
    params["task"] = nil
    if params["name"] == .string(Tools.requestApproval.name),
      !Self.declaresTasksExtension(params)
    {
      guard envelope.elicits else {
        throw RPCError(
          code: -32021,
          message:
            "request_approval needs a person's answer: declare form elicitation (the answer comes back in an input round trip) or the \(TaskState.extensionName) extension (it runs as a task) in _meta[\"\(Envelope.clientCapabilitiesKey)\"]",
          data: ["requiredCapabilities": ["elicitation": ["form": [:]]]])
      }
      return try approvalRoundTrip(params)
    }
    return try callTool(params, id: id)
  }
}

extension Tool {
  /// The definition a 2026-07-28 client lists: no `execution.taskSupport` (tasks are the
  /// server's choice under the extension, never the client's).
  func definition(modern: Bool) -> JSONValue {
    guard modern, case .object(var fields) = definition else { return definition }
    fields["execution"] = nil
    return .object(fields)
  }
}
