import Foundation
import HTTPTypes
import Hummingbird
import TackCore
import TackMCP

/// Every request passes here, in this order: the `Host` check (DNS rebinding), `/mcp`
/// (bearer tokens, not cookies), the login exchange, then the session cookie; writes also
/// need the page's CSRF token and, when the browser sends one, a same-origin `Origin`.
struct ServeResponder: HTTPResponder {
  typealias Context = BasicRequestContext
  let state: ServeState

  static let sessionCookie = "tack_session"
  static let csrfHeader = HTTPField.Name("X-Tack-CSRF")!

  func respond(to request: Request, context: Context) async throws -> Response {
    let host = request.head.authority
    guard state.hostAllowed(host) else {
      return Self.text(
        421,
        "This server answers only to the address it printed (127.0.0.1 or localhost and its port); the Host header named another.\n"
      )
    }
    let path = request.uri.path
    let method = request.method.rawValue

    // MCP over Streamable HTTP: bearer tokens (`tack token create`), not the browser's
    // cookie, so it is answered before and apart from the session checks.
    if path == "/mcp" {
      guard state.allowMCP() else { return Self.tooMany() }
      guard let mcp = state.mcp else {
        return Self.json(
          501, BoardAPI.failure(501, "MCP over HTTP is not available in this server.").json)
      }
      let body: [UInt8]
      do {
        var buffer = try await request.body.collect(upTo: ServeState.maxMCPBody)
        body = buffer.readBytes(length: buffer.readableBytes) ?? []
      } catch {
        return Self.json(
          413,
          BoardAPI.failure(413, "the request body is over \(ServeState.maxMCPBody >> 20) MiB.")
            .json)
      }
      var headers: [String: String] = [:]
      for field in request.headers {
        let name = field.name.canonicalName
        headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
      }
      let fields = headers
      let answer = await state.onMCP {
        mcp.handle(method: method, headers: fields, body: body)
      }
      var response = Response(
        status: HTTPResponse.Status(code: answer.status),
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
      for (name, value) in answer.headers {
        if let field = HTTPField.Name(name) { response.headers[field] = value }
      }
      return response
    }

    switch (method, path) {
    case ("GET", "/login"):
      let token = request.uri.queryParameters["token"].map(String.init) ?? ""
      let signedIn = state.session(request.cookies[Self.sessionCookie]?.value) != nil
      guard state.allowAnonymous() || signedIn else { return Self.tooMany() }
      guard let session = state.logIn(token: token) else {
        // Opening the link again from a browser already signed in just shows the board.
        if signedIn {
          var response = Response(status: .seeOther)
          response.headers[.location] = "/"
          return Self.secured(response)
        }
        return Self.html(403, WebPage.login(reason: .usedOrWrong))
      }
      var response = Response(status: .seeOther)
      response.headers[.location] = "/"
      response.headers[.setCookie] =
        "\(Self.sessionCookie)=\(session); Path=/; HttpOnly; SameSite=Strict"
      return Self.secured(response)
    case ("GET", "/app.js"):
      return Self.asset(WebPage.script, type: "text/javascript; charset=utf-8")
    case ("GET", "/app.css"):
      return Self.asset(WebPage.style, type: "text/css; charset=utf-8")
    default: break
    }

    let sessionID = request.cookies[Self.sessionCookie]?.value
    let session = state.session(sessionID)
    let isAPI = path.hasPrefix("/api/")
    guard let session, let sessionID else {
      guard state.allowAnonymous() else { return Self.tooMany() }
      if isAPI {
        return Self.json(
          401,
          BoardAPI.failure(
            401, "not signed in: open the URL 'tack serve' printed to sign in."
          ).json)
      }
      return Self.html(401, WebPage.login(reason: .signedOut))
    }
    if path == "/" || path == "/index.html" {
      guard method == "GET" else { return Self.text(405, "Only GET here.\n") }
      return Self.html(200, WebPage.board(csrf: session.csrf))
    }
    guard isAPI else { return Self.text(404, "Nothing at \(path).\n") }

    if method != "GET" {
      guard let sent = request.headers[Self.csrfHeader], ServeState.same(sent, session.csrf)
      else {
        return Self.json(
          403,
          BoardAPI.failure(
            403,
            "refused: a write needs the X-Tack-CSRF header the board page carries (cross-site requests are refused)."
          ).json)
      }
      if let origin = request.headers[.origin], !state.hostAllowed(Self.authority(of: origin)) {
        return Self.json(
          403,
          BoardAPI.failure(403, "refused: the request came from another origin (\(origin)).").json
        )
      }
      guard state.allowWrite(session: sessionID) else { return Self.tooMany() }
    }
    if method == "GET", path == "/api/events" { return events() }

    var body: JSONValue?
    if method == "POST" {
      var request = request
      let bytes: ByteBuffer
      do {
        bytes = try await request.collectBody(upTo: state.maxBody)
      } catch {
        return Self.json(
          413,
          BoardAPI.failure(413, "the request body is over \(state.maxBody / 1024) KiB.").json)
      }
      if bytes.readableBytes > 0 {
        do {
          body = try JSONValue.parse(Array(bytes.readableBytesView))
        } catch {
          return Self.json(
            400, BoardAPI.failure(400, "the request body is not JSON: \(error)").json)
        }
      }
    }
    let parts = path.dropFirst("/api/".count).split(
      separator: "/", omittingEmptySubsequences: false
    )
    .map { String($0).removingPercentEncoding ?? String($0) }
    let api = BoardAPI(state: state)
    let reply = await state.onBoard { [body] in api.handle(method: method, path: parts, body: body)
    }
    return Self.json(reply.status, reply.json)
  }

  /// Server-sent events: `change` whenever the board branch's tip moves (`ServeState.watch`
  /// reads it every 250 ms), a comment every 15 s to keep proxies awake; the stream ends
  /// when the server shuts down.
  private func events() -> Response {
    let state = state
    var response = Response(
      status: .ok,
      body: ResponseBody { writer in
        var last = state.lastRevision
        try await writer.write(Self.buffer("retry: 1000\nevent: hello\ndata: {}\n\n"))
        var quiet = 0
        while !state.isStopping {
          try await Task.sleep(for: .milliseconds(100))
          let now = state.lastRevision
          if last == nil {
            last = now
          } else if let now, now != last {
            last = now
            quiet = 0
            let revision = now.map { "\"\($0)\"" } ?? "null"
            try await writer.write(
              Self.buffer("event: change\ndata: {\"revision\":\(revision)}\n\n"))
          } else {
            quiet += 1
            if quiet >= 150 {
              quiet = 0
              try await writer.write(Self.buffer(": still here\n\n"))
            }
          }
        }
        try await writer.finish(nil)
      })
    response.headers[.contentType] = "text/event-stream"
    response.headers[.cacheControl] = "no-store"
    return Self.secured(response)
  }

  // MARK: Responses

  static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

  /// 429: over a rate limit (ServeState's `RateLimit`s); nothing was done.
  static func tooMany() -> Response {
    var response = json(
      429, BoardAPI.failure(429, "too many requests: slow down and try again in a second.").json)
    response.headers[.retryAfter] = "1"
    return response
  }

  static func json(_ status: Int, _ value: JSONValue) -> Response {
    var response = Response(
      status: HTTPResponse.Status(code: status),
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes(pretty: false))))
    response.headers[.contentType] = "application/json"
    response.headers[.cacheControl] = "no-store"
    return secured(response)
  }

  static func html(_ status: Int, _ page: String) -> Response {
    var response = Response(
      status: HTTPResponse.Status(code: status), body: ResponseBody(byteBuffer: buffer(page)))
    response.headers[.contentType] = "text/html; charset=utf-8"
    response.headers[.cacheControl] = "no-store"
    return secured(response)
  }

  static func text(_ status: Int, _ message: String) -> Response {
    var response = Response(
      status: HTTPResponse.Status(code: status), body: ResponseBody(byteBuffer: buffer(message)))
    response.headers[.contentType] = "text/plain; charset=utf-8"
    return secured(response)
  }

  static func asset(_ text: String, type: String) -> Response {
    var response = Response(status: .ok, body: ResponseBody(byteBuffer: buffer(text)))
    response.headers[.contentType] = type
    return secured(response)
  }

  /// No framing, no scripts or styles from elsewhere, no referrer (the login URL carries a
  /// token).
  static func secured(_ response: Response) -> Response {
    var response = response
    response.headers[.contentSecurityPolicy] =
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    return response
  }

  /// `http://127.0.0.1:8080` → `127.0.0.1:8080`.
  static func authority(of origin: String) -> String? {
    guard let range = origin.range(of: "://") else { return nil }
    return String(origin[range.upperBound...])
  }
}
