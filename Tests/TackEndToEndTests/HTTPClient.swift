import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A tiny HTTP/1.1 client over a loopback socket, so a test controls every header (`Host`
/// included, which URLSession will not let it set) and reads a stream as it arrives.
struct HTTPReply: CustomStringConvertible {
  var status: Int
  var headers: [(String, String)]
  var body: String

  func header(_ name: String) -> String? {
    headers.first { $0.0.lowercased() == name.lowercased() }?.1
  }

  var json: [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
  }

  var description: String { "HTTP \(status)\n\(headers)\n\(body)" }
}

struct HTTPConnection {
  let fd: Int32

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard result == 0 else {
      Glibc.close(fd)
      throw SandboxError(description: "cannot connect to 127.0.0.1:\(port): errno \(errno)")
    }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  func send(_ text: String) {
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { return }
      sent += n
    }
  }

  /// Reads until `done` says the bytes so far are enough, the peer closes, or `seconds` pass.
  func read(for seconds: Double, until done: (String) -> Bool = { _ in false }) -> String {
    var data: [UInt8] = []
    let deadline = Date().addingTimeInterval(seconds)
    var buffer = [UInt8](repeating: 0, count: 65536)
    while Date() < deadline {
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let waitMs = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
      guard poll(&poller, 1, waitMs) > 0 else { break }
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      data += buffer[0..<n]
      if done(String(decoding: data, as: UTF8.self)) { break }
    }
    return String(decoding: data, as: UTF8.self)
  }

  func close() { Glibc.close(fd) }
}

enum HTTP {
  /// One request on its own connection (`Connection: close`); `host` is the Host header.
  static func request(
    port: Int, _ method: String, _ path: String, host: String? = nil,
    headers: [String: String] = [:], body: String? = nil
  ) throws -> HTTPReply {
    let connection = try HTTPConnection(port: port)
    defer { connection.close() }
    var text =
      "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if let body {
      text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
    }
    text += "\r\n" + (body ?? "")
    connection.send(text)
    return try parse(connection.read(for: 20))
  }

  static func parse(_ raw: String) throws -> HTTPReply {
    guard let split = raw.range(of: "\r\n\r\n") else {
      throw SandboxError(description: "no HTTP response: \(raw.debugDescription)")
    }
    let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
    let status = Int(lines[0].split(separator: " ")[1]) ?? 0
    let headers = lines.dropFirst().compactMap { line -> (String, String)? in
      guard let colon = line.firstIndex(of: ":") else { return nil }
      return (
        String(line[..<colon]),
        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      )
    }
    var body = String(raw[split.upperBound...])
    if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1 == "chunked" }) {
      body = dechunk(body)
    }
    return HTTPReply(status: status, headers: headers, body: body)
  }

  static func dechunk(_ text: String) -> String {
    var rest = Substring(text)
    var out = ""
    while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16),
      size > 0
    {
      let start = end.upperBound
      let bytes = Array(rest[start...].utf8)
      out += String(decoding: bytes.prefix(size), as: UTF8.self)
      rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
    }
    return out
  }
}
