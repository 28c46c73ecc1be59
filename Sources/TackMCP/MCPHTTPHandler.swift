#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

import TackAccess
import TackCore

/// One HTTP response of `MCPHTTPHandler`.
public struct MCPHTTPResponse: Sendable {
  public var status: Int
  /// Header names in their usual spelling (`Content-Type`, `Mcp-Session-Id`, ...).
  public var headers: [String: String]
  public var body: [UInt8]
}

/// MCP over Streamable HTTP (2025-11-25), independent of any HTTP library: the server in front
/// hands each request at the MCP endpoint to `handle` and writes back what it returns.
///
/// - Every request carries `Authorization: Bearer <token>` (`tack token create`); the token
///   names the principal, whose grants apply exactly as over stdio (a `BoardAccess` opened as
///   it; its writes are commits authored by it). None, or a bad, expired or revoked one: 401.
/// - `POST` a JSON-RPC message. `initialize` starts a session (`Mcp-Session-Id` in the
///   response); later messages carry that header (an unknown session is 404, as is one that
///   belongs to another principal). A request is answered with one `application/json` body;
///   a notification or response gets 202. `DELETE` ends a session; `GET` (a server-sent event
///   stream) is 405: this server sends nothing outside replies.
/// - A 2026-07-28 request (`_meta["io.modelcontextprotocol/protocolVersion"]`) needs no
///   session: it is judged by its own `_meta`, by the same code as over stdio.
/// - An `Origin` that is not loopback (or one of `allowedOrigins`) is 403 (DNS rebinding).
///
/// Requests are handled one at a time (a lock); each call blocks while git is read or written.
public final class MCPHTTPHandler: @unchecked Sendable {
  final class Session {
    let server: MCPServer
    let principal: String
    var lastUsed: UInt64

    init(server: MCPServer, principal: String, lastUsed: UInt64) {
      self.server = server
      self.principal = principal
      self.lastUsed = lastUsed
    }
  }

  let repositoryPath: String
  let defaultBoard: String?
  let log: ServerLog
  let tokens: TokenStore
  /// Origins (`scheme://host[:port]`) allowed besides loopback ones.
  let allowedOrigins: Set<String>
  let maxSessions: Int
  private var sessions: [String: Session] = [:]
  /// One stateless (2026-07-28) server per principal, made on its first request.
  private var stateless: [String: MCPServer] = [:]
  private var clock: UInt64 = 0
  private let lock: UnsafeMutablePointer<pthread_mutex_t>

  /// Serves the board repository containing `repositoryPath`; `defaultBoard` as
  /// `tack mcp --board`.
  public init(
    repositoryPath: String, defaultBoard: String? = nil, log: ServerLog,
    allowedOrigins: [String] = [], maxSessions: Int = Limits.httpSessions
  ) throws(TackError) {
    self.repositoryPath = repositoryPath
    self.defaultBoard = defaultBoard
    self.log = log
    self.tokens = try TokenStore.open(at: repositoryPath)
    self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
    self.maxSessions = max(1, maxSessions)
    lock = .allocate(capacity: 1)
    pthread_mutex_init(lock, nil)
  }

  deinit {
    pthread_mutex_destroy(lock)
    lock.deallocate()
  }

  /// How many sessions are open.
  public var sessionCount: Int {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return sessions.count
  }

  /// The response to one HTTP request at the MCP endpoint. Header names are matched without
  /// regard to case.
  public func handle(
    method: String, headers: [String: String], body: [UInt8]
  ) -> MCPHTTPResponse {
    var lowered: [String: String] = [:]
    for (name, value) in headers { lowered[name.lowercased()] = value }
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return respond(method: method.uppercased(), headers: lowered, body: body)
  }

  private func respond(
    method: String, headers: [String: String], body: [UInt8]
  ) -> MCPHTTPResponse {
    if let origin = headers["origin"], !originAllowed(origin) {
      log(.warning, "refused a request from origin \(origin)")
      return Self.failure(
        403,
        "Forbidden: origin \(origin) may not use this server. Browsers on other sites are refused (DNS rebinding); a local client sends no Origin or a loopback one."
      )
    }
    guard let principal = authenticate(headers["authorization"]) else {
      var response = Self.failure(
        401,
        headers["authorization"] == nil
          ? "Unauthorized: send Authorization: Bearer <token>. 'tack token create PRINCIPAL' makes a token."
          : "Unauthorized: the bearer token is unknown, revoked or expired. 'tack token create PRINCIPAL' makes a new one."
      )
      response.headers["WWW-Authenticate"] =
        headers["authorization"] == nil
        ? "Bearer realm=\"tack\"" : "Bearer realm=\"tack\", error=\"invalid_token\""
      return response
    }
    if let version = headers["mcp-protocol-version"],
      !MCPServer.allVersions.contains(version)
    {
      return Self.failure(
        400,
        "Bad Request: unsupported MCP-Protocol-Version \(version); this server speaks \(MCPServer.allVersions.joined(separator: ", "))."
      )
    }
    switch method {
    case "POST": return post(principal: principal, headers: headers, body: body)
    case "DELETE":
      guard let id = headers["mcp-session-id"] else {
        return Self.failure(
          400, "Bad Request: DELETE needs the Mcp-Session-Id header of the session to end.")
      }
      guard let session = sessions[id], session.principal == principal else {
        return Self.unknownSession(id)
      }
      sessions[id] = nil
      log(.info, "session \(id) of \(principal) ended by the client")
      return MCPHTTPResponse(status: 200, headers: [:], body: [])
    default:
      var response = Self.failure(
        405,
        "Method Not Allowed: \(method). POST JSON-RPC messages; DELETE ends a session. This server opens no event stream (GET): every request is answered in its response."
      )
      response.headers["Allow"] = "POST, DELETE"
      return response
    }
  }

  private func post(
    principal: String, headers: [String: String], body: [UInt8]
  ) -> MCPHTTPResponse {
    if let accept = headers["accept"]?.lowercased(),
      !["application/json", "text/event-stream", "*/*", "application/*"].contains(where: {
        accept.contains($0)
      })
    {
      return Self.failure(
        406, "Not Acceptable: Accept must include application/json (and text/event-stream).")
    }
    if let type = headers["content-type"]?.lowercased(), !type.hasPrefix("application/json") {
      return Self.failure(
        415, "Unsupported Media Type: POST a JSON-RPC message as application/json.")
    }
    guard body.count <= Transport.maxFrame else {
      return Self.failure(
        413, "Payload Too Large: \(body.count) bytes; a message may have \(Transport.maxFrame).")
    }
    let message = try? JSONValue.parse(body)
    let isRequest = message?["id"] != nil && message?["method"] != nil
    let server: MCPServer
    var newSession: String?
    if let id = headers["mcp-session-id"] {
      guard let session = sessions[id], session.principal == principal else {
        return Self.unknownSession(id)
      }
      clock += 1
      session.lastUsed = clock
      server = session.server
    } else if message?["method"] == .string("initialize") {
      do { server = try makeServer(principal) } catch { return Self.refused(error) }
      newSession = Self.sessionID()
    } else if message?["params"]?["_meta"]?[Envelope.protocolVersionKey] != nil
      || message?["method"] == .string("server/discover")
    {
      if let existing = stateless[principal] {
        server = existing
      } else {
        do { server = try makeServer(principal) } catch { return Self.refused(error) }
        stateless[principal] = server
      }
    } else if message == nil {
      // Unparseable: the server's own parse error, without a session.
      do { server = try makeServer(principal) } catch { return Self.refused(error) }
    } else {
      return Self.failure(
        400,
        "Bad Request: no Mcp-Session-Id header. Start a session with initialize (2025-11-25), or send a 2026-07-28 request with its _meta."
      )
    }
    let reply = server.reply(to: body)
    for dropped in server.takeOutbox() {
      log(.debug, "not delivered over HTTP: \(dropped.serialized(pretty: false))")
    }
    var responseHeaders: [String: String] = [:]
    if let newSession {
      // Only a successful initialize opens a session.
      if reply?["result"] != nil {
        openSession(newSession, server: server, principal: principal)
        responseHeaders["Mcp-Session-Id"] = newSession
      }
    }
    guard let reply else {
      guard isRequest, let id = message?["id"] else {
        return MCPHTTPResponse(status: 202, headers: responseHeaders, body: [])
      }
      // Parked (tasks/result on an unfinished task, subscriptions/listen) or cancelled: over
      // HTTP in single-response mode nothing can follow later.
      let later: JSONValue = [
        "jsonrpc": "2.0", "id": id,
        "error": [
          "code": .int(Int64(RPCError.internalError)),
          "message":
            "this request would be answered later, which MCP over HTTP here does not do (every request is answered in its response): poll tasks/get instead",
        ],
      ]
      responseHeaders["Content-Type"] = "application/json"
      return MCPHTTPResponse(
        status: 200, headers: responseHeaders, body: later.serializedBytes(pretty: false))
    }
    responseHeaders["Content-Type"] = "application/json"
    return MCPHTTPResponse(
      status: 200, headers: responseHeaders, body: reply.serializedBytes(pretty: false))
  }

  private func makeServer(_ principal: String) throws(TackError) -> MCPServer {
    let access = try BoardAccess.open(at: repositoryPath, as: principal)
    access.preferDurableWrites()
    return MCPServer(access: access, defaultBoard: defaultBoard, log: log, driven: ())
  }

  private func openSession(_ id: String, server: MCPServer, principal: String) {
    if sessions.count >= maxSessions,
      let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key
    {
      log(.info, "closing the least recently used session \(oldest): \(maxSessions) are open")
      sessions[oldest] = nil
    }
    clock += 1
    sessions[id] = Session(server: server, principal: principal, lastUsed: clock)
    log(.info, "session \(id) opened for \(principal)")
  }

  private func authenticate(_ header: String?) -> String? {
    guard let header else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    return tokens.verify(parts[1].trimmingSpaces)
  }

  /// Loopback origins (`localhost`, `127.0.0.1`, `[::1]`, any scheme and port) and the ones
  /// configured. `null` (a sandboxed or file page) is refused.
  func originAllowed(_ origin: String) -> Bool {
    let lowered = origin.lowercased()
    if allowedOrigins.contains(lowered) { return true }
    guard let schemeEnd = lowered.firstRange(of: "://") else { return false }
    var host = lowered[schemeEnd.upperBound...]
    if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
    if host.hasPrefix("[") {
      guard let close = host.firstIndex(of: "]") else { return false }
      return host[host.startIndex...close] == "[::1]"
    }
    if let colon = host.firstIndex(of: ":") { host = host[..<colon] }
    return host == "localhost" || host == "127.0.0.1" || host.hasSuffix(".localhost")
  }

  static func sessionID() -> String {
    let bytes = Store.randomBytes(16) ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
    return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }

  static func unknownSession(_ id: String) -> MCPHTTPResponse {
    failure(
      404,
      "Not Found: no session \(id.prefix(64)) (it ended, or the server restarted): start a new one with initialize."
    )
  }

  static func refused(_ error: TackError) -> MCPHTTPResponse {
    failure(403, "Forbidden: \(error.description)")
  }

  /// An HTTP error with a JSON-RPC error body saying what was wrong and what to do.
  static func failure(_ status: Int, _ message: String) -> MCPHTTPResponse {
    let body: JSONValue = [
      "jsonrpc": "2.0", "id": .null,
      "error": ["code": .int(Int64(-32000)), "message": .string(message)],
    ]
    return MCPHTTPResponse(
      status: status, headers: ["Content-Type": "application/json"],
      body: body.serializedBytes(pretty: false))
  }
}

extension Substring {
  fileprivate var trimmingSpaces: String {
    String(
      drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
        .reversed())
  }
}
