import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `tack serve`, the real binary over real loopback HTTP: sign-in, the checks in front of
/// the API, writes through the JSON API, live events, a taken port, shutdown.
@Suite struct ServeTests {
  /// A running `tack serve` and the session of the user who opened its URL.
  final class Server {
    let sandbox: Sandbox
    let running: Sandbox.Running
    let url: String
    let port: Int
    let token: String
    var cookie = ""
    var csrf = ""

    init(_ sandbox: Sandbox, _ arguments: [String] = []) throws {
      self.sandbox = sandbox
      running = try sandbox.start(
        Programs.tack.get(), ["serve", "--port", "0"] + arguments, in: sandbox.repo)
      var line = ""
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline {
        let text = (try? String(contentsOfFile: running.stem + ".out", encoding: .utf8)) ?? ""
        if let newline = text.firstIndex(of: "\n") {
          line = String(text[..<newline])
          break
        }
        if !running.process.isRunning { break }
        usleep(20_000)
      }
      let pattern = /^http:\/\/127\.0\.0\.1:(\d+)\/login\?token=([0-9a-f]{64})$/
      guard let match = line.wholeMatch(of: pattern) else {
        running.process.terminate()
        throw SandboxError(description: "tack serve's first line is \(line.debugDescription)")
      }
      url = line
      port = Int(match.1)!
      token = String(match.2)
    }

    /// Opens the printed URL: the session cookie, then the page's CSRF token.
    func signIn() throws {
      let login = try HTTP.request(port: port, "GET", "/login?token=\(token)")
      try #require(login.status == 303, "\(login)")
      let setCookie = try #require(login.header("Set-Cookie"))
      cookie = String(setCookie.split(separator: ";")[0])
      let page = try HTTP.request(port: port, "GET", "/", headers: ["Cookie": cookie])
      try #require(page.status == 200, "\(page)")
      let meta = try #require(
        page.body.firstMatch(of: /name="tack-csrf" content="([0-9a-f]+)"/))
      csrf = String(meta.1)
    }

    func get(_ path: String) throws -> HTTPReply {
      try HTTP.request(port: port, "GET", path, headers: ["Cookie": cookie])
    }

    func post(_ path: String, _ body: String, csrf: String? = nil) throws -> HTTPReply {
      try HTTP.request(
        port: port, "POST", path, headers: ["Cookie": cookie, "X-Tack-CSRF": csrf ?? self.csrf],
        body: body)
    }

    /// SIGTERM, then the exit status.
    func stop() throws -> Output {
      kill(running.process.processIdentifier, SIGTERM)
      return try running.wait()
    }

    deinit { if running.process.isRunning { running.process.terminate() } }
  }

  @Test func firstLineSignsInAndNothingIsAnonymous() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    let api = try HTTP.request(port: server.port, "GET", "/api/boards")
    #expect(api.status == 401)
    #expect((api.json?["error"] as? String)?.contains("not signed in") == true)
    let page = try HTTP.request(port: server.port, "GET", "/")
    #expect(page.status == 401)
    #expect(page.body.contains("Open the link"))
    #expect(!page.body.contains("tack-csrf"))

    let login = try HTTP.request(port: server.port, "GET", "/login?token=\(server.token)")
    #expect(login.status == 303)
    #expect(login.header("Location") == "/")
    let cookie = try #require(login.header("Set-Cookie"))
    #expect(cookie.contains("HttpOnly"))
    #expect(cookie.contains("SameSite=Strict"))
    // The token is one-time.
    let again = try HTTP.request(port: server.port, "GET", "/login?token=\(server.token)")
    #expect(again.status == 403)

    let session = String(cookie.split(separator: ";")[0])
    // The same link again, from the browser that used it, just shows the board.
    let reopened = try HTTP.request(
      port: server.port, "GET", "/login?token=\(server.token)", headers: ["Cookie": session])
    #expect(reopened.status == 303)
    #expect(reopened.header("Set-Cookie") == nil)
    let boards = try HTTP.request(
      port: server.port, "GET", "/api/boards", headers: ["Cookie": session])
    #expect(boards.status == 200, "\(boards)")
    #expect(boards.json?["principal"] as? String == Sandbox.email)
    let forged = try HTTP.request(
      port: server.port, "GET", "/api/boards", headers: ["Cookie": "tack_session=" + server.token])
    #expect(forged.status == 401)
    #expect(try server.stop().status == 0)
  }

  /// Requests are bounded in rate as well as size: a burst of anonymous requests (guessing
  /// at the sign-in link, say) runs into 429 with Retry-After, while the signed-in user's
  /// board keeps answering.
  @Test func anonymousRequestsAreRateLimited() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    var statuses: [Int] = []
    var retryAfter: String?
    for _ in 0..<60 {
      let reply = try HTTP.request(
        port: server.port, "GET", "/login?token=\(String(repeating: "0", count: 64))")
      statuses.append(reply.status)
      if reply.status == 429 { retryAfter = reply.header("Retry-After") }
    }
    #expect(statuses.prefix(20).allSatisfy { $0 == 403 }, "\(statuses)")
    #expect(statuses.contains(429), "\(statuses)")
    #expect(retryAfter == "1")
    let board = try HTTP.request(
      port: server.port, "GET", "/api/boards", headers: ["Cookie": server.cookie])
    #expect(board.status == 200, "\(board)")
    _ = try server.stop()
  }

  @Test func hostHeaderMustNameTheServer() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    for host in ["evil.example:\(server.port)", "127.0.0.1:1", "attacker.test"] {
      let reply = try HTTP.request(
        port: server.port, "GET", "/api/boards", host: host, headers: ["Cookie": server.cookie])
      #expect(reply.status == 421, "Host \(host): \(reply)")
    }
    let login = try HTTP.request(
      port: server.port, "GET", "/login?token=x", host: "rebind.example:\(server.port)")
    #expect(login.status == 421)
    let local = try HTTP.request(
      port: server.port, "GET", "/api/boards", host: "localhost:\(server.port)",
      headers: ["Cookie": server.cookie])
    #expect(local.status == 200)
    _ = try server.stop()
  }

  @Test func writesNeedTheCSRFTokenAndTheSameOrigin() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    let before = try sandbox.commitCount()
    let missing = try HTTP.request(
      port: server.port, "POST", "/api/tasks", headers: ["Cookie": server.cookie],
      body: #"{"title":"forged"}"#)
    #expect(missing.status == 403, "\(missing)")
    let wrong = try server.post(
      "/api/tasks", #"{"title":"forged"}"#, csrf: String(repeating: "0", count: 64))
    #expect(wrong.status == 403)
    let crossOrigin = try HTTP.request(
      port: server.port, "POST", "/api/tasks",
      headers: [
        "Cookie": server.cookie, "X-Tack-CSRF": server.csrf, "Origin": "http://evil.example",
      ],
      body: #"{"title":"forged"}"#)
    #expect(crossOrigin.status == 403)
    #expect(try sandbox.commitCount() == before)
    let big = try server.post(
      "/api/tasks", #"{"title":""# + String(repeating: "x", count: 300 * 1024) + #""}"#)
    #expect(big.status == 413, "\(big.status)")
    #expect(try sandbox.commitCount() == before)
    _ = try server.stop()
  }

  @Test func createMoveNoteClaimThroughTheAPI() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    let created = try server.post("/api/tasks", #"{"title":"Ship the web board","labels":["web"]}"#)
    #expect(created.status == 201, "\(created)")
    let task = try #require(created.json?["task"] as? [String: Any])
    let id = try #require(task["taskId"] as? String)
    #expect(try sandbox.lastCommit().trailers["Tack-Action"] == ["create"])

    let board = try server.get("/api/board/main")
    #expect(board.status == 200)
    let columns = try #require(board.json?["columns"] as? [[String: Any]])
    let first = try #require(columns.first)
    let cards = try #require(first["tasks"] as? [[String: Any]])
    #expect(cards.contains { $0["id"] as? String == id && $0["ready"] as? Bool == true })
    #expect(first["count"] as? Int == cards.count)

    // An illegal move is refused with the rule's message, and nothing is written.
    let before = try sandbox.commitCount()
    let illegal = try server.post("/api/task/\(id)/move", #"{"status":"failed"}"#)
    #expect(illegal.status == 409, "\(illegal)")
    let rule = try #require(illegal.json?["error"] as? String)
    #expect(rule.contains("cannot move from todo to failed"), "\(rule)")
    #expect(illegal.json?["exitCode"] as? Int == 5)
    #expect(try sandbox.commitCount() == before)
    let unknown = try server.post("/api/task/\(id)/move", #"{"status":"nowhere"}"#)
    #expect(unknown.status == 400, "\(unknown)")

    let moved = try server.post("/api/task/\(id)/move", #"{"status":"working"}"#)
    #expect(moved.status == 200, "\(moved)")
    #expect(try sandbox.ok(["show", id, "--json"]).contains("\"status\": \"working\""))
    #expect(try sandbox.lastCommit().trailers["Tack-Actor"] == [Sandbox.actor])
    let done = try server.post("/api/task/\(id)/move", #"{"status":"completed"}"#)
    #expect(done.status == 200, "\(done)")
    let back = try server.post("/api/task/\(id)/move", #"{"status":"todo"}"#)
    #expect(back.status == 409, "\(back)")
    #expect((back.json?["error"] as? String)?.contains("terminal status") == true, "\(back)")

    let noted = try server.post("/api/task/\(id)/note", #"{"text":"looks good"}"#)
    #expect(noted.status == 200)
    let other = try sandbox.add("Second")
    let claimed = try server.post("/api/task/\(other)/claim", "{}")
    #expect(claimed.status == 200, "\(claimed)")
    #expect(((claimed.json?["task"] as? [String: Any])?["assignee"] as? String) == Sandbox.email)

    // Edit: text fields and labels in one commit, priority alone, nothing at all refused.
    let beforeEdits = try sandbox.commitCount()
    let edited = try server.post(
      "/api/task/\(other)/edit", #"{"title":"Second, renamed","addLabels":["web"]}"#)
    #expect(edited.status == 200, "\(edited)")
    let prioritised = try server.post("/api/task/\(other)/edit", #"{"priority":0}"#)
    #expect(prioritised.status == 200, "\(prioritised)")
    #expect(try sandbox.commitCount() == beforeEdits + 2)
    let stored = try sandbox.storedTask(other)
    #expect(stored["title"]?.string == "Second, renamed" && stored["priority"] == .number("0"))
    #expect(try server.post("/api/task/\(other)/edit", "{}").status == 400)
    #expect(try sandbox.commitCount() == beforeEdits + 2)

    let detail = try server.get("/api/task/\(id)")
    let history = try #require(detail.json?["history"] as? [[String: Any]])
    #expect(history.count >= 4)
    let missing = try server.get("/api/task/01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    #expect(missing.status == 404)
    _ = try server.stop()
  }

  @Test func aChangeInAShellIsAnEventWithinASecond() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    let stream = try HTTPConnection(port: server.port)
    defer { stream.close() }
    stream.send(
      "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\nCookie: \(server.cookie)\r\n\r\n"
    )
    let hello = stream.read(for: 10) { $0.contains("event: hello") }
    try #require(hello.contains("event: hello"), "\(hello)")
    _ = try sandbox.add("Made in a shell")
    let start = Date()
    let change = stream.read(for: 5) { $0.contains("event: change") }
    let elapsed = Date().timeIntervalSince(start)
    #expect(change.contains("event: change"), "\(change)")
    #expect(elapsed < 1.0, "the event came after \(elapsed) s")
    // Shutdown ends the stream rather than waiting for it.
    let output = try server.stop()
    #expect(output.status == 0, "\(output)")
  }

  @Test func concurrentWritesAreAllKept() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    let before = try sandbox.commitCount()
    // 50 clients at once, each on a thread of its own (not a pool bounded by the cores).
    let count = 50
    let statuses = Statuses(count)
    let port = server.port
    let headers = ["Cookie": server.cookie, "X-Tack-CSRF": server.csrf]
    let group = DispatchGroup()
    for index in 0..<count {
      group.enter()
      Thread.detachNewThread {
        let reply = try? HTTP.request(
          port: port, "POST", "/api/tasks", headers: headers,
          body: #"{"title":"Parallel \#(index)"}"#)
        statuses.set(index, reply?.status ?? 0)
        group.leave()
      }
    }
    group.wait()
    #expect(statuses.all == Array(repeating: 201, count: count))
    #expect(try sandbox.commitCount() == before + count)
    let listed = try sandbox.ok(["list", "--json"])
    for index in 0..<count { #expect(listed.contains("Parallel \(index)\"")) }
    try sandbox.expectFsckClean()
    _ = try server.stop()
  }

  final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int]
    init(_ count: Int) { values = Array(repeating: 0, count: count) }
    func set(_ index: Int, _ value: Int) { lock.withLock { values[index] = value } }
    var all: [Int] { lock.withLock { values } }
  }

  @Test func aTakenPortIsNamed() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    let second = try sandbox.tack(["serve", "--port", String(server.port)])
    #expect(second.status != 0)
    #expect(second.stderr.contains("port \(server.port)"), "\(second)")
    #expect(second.stdout.isEmpty)
    _ = try server.stop()
  }

  @Test func ctrlCStopsTheServerToo() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    kill(server.running.process.processIdentifier, SIGINT)
    let output = try server.running.wait()
    #expect(output.status == 0, "\(output)")
  }

  @Test func serveActsAsTheLocalUserOnly() throws {
    let sandbox = try Sandbox()
    let output = try sandbox.tack(["serve", "--as", "someone", "--port", "0"])
    #expect(output.status == 4)
    #expect(output.stderr.contains("drop --as"), "\(output)")
    #expect(output.stdout.isEmpty)
  }

  @Test func sigtermStopsTheServer() throws {
    let sandbox = try Sandbox()
    let server = try Server(sandbox)
    try server.signIn()
    let start = Date()
    let output = try server.stop()
    #expect(output.status == 0, "\(output)")
    #expect(Date().timeIntervalSince(start) < 5)
    #expect(throws: (any Error).self) { try HTTPConnection(port: server.port) }
  }
}
