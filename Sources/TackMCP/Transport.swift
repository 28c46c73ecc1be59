#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

import TackCore

/// Newline-delimited frames on file descriptors: stdin in, stdout out. A frame longer than
/// `maxFrame` bytes is skipped up to its newline and reported, never buffered whole.
struct Transport {
  enum Frame {
    case message([UInt8])
    case oversize(Int)
    /// Nothing arrived within the timeout given to `next`.
    case timeout
  }

  static let maxFrame = 4 * 1024 * 1024

  private let input: Int32
  private let output: Int32
  private var buffer: [UInt8] = []
  private var start = 0
  /// Where the search for the next newline resumes: bytes before it hold none, so a long
  /// frame arriving in many reads is scanned once, not once per read.
  private var scanned = 0
  private var discarding = 0
  private var atEOF = false

  init(input: Int32 = 0, output: Int32 = 1) {
    self.input = input
    self.output = output
  }

  /// The next frame, or `nil` at end of input. A last line without a newline still counts.
  /// With `timeout` (milliseconds), gives up waiting for input after that long.
  mutating func next(timeout: Int32? = nil) -> Frame? {
    while true {
      if let newline = buffer[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
        let size = discarding + newline - start
        var end = newline
        if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = size > Self.maxFrame ? [] : Array(buffer[start..<end])
        start = newline + 1
        scanned = start
        discarding = 0
        compact()
        if size > Self.maxFrame { return .oversize(size) }
        if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
        return .message(line)
      }
      scanned = buffer.count
      if buffer.count - start > Self.maxFrame {
        // Too long already: drop what is buffered and only count the rest of the line.
        discarding += buffer.count - start
        buffer.removeAll(keepingCapacity: true)
        start = 0
        scanned = 0
      }
      if atEOF {
        defer {
          buffer.removeAll()
          start = 0
          scanned = 0
        }
        let size = discarding + buffer.count - start
        if size > Self.maxFrame {
          discarding = 0
          return .oversize(size)
        }
        let rest = Array(buffer[start...])
        return rest.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) ? nil : .message(rest)
      }
      if let timeout, !readable(within: timeout) { return .timeout }
      fill()
    }
  }

  private func readable(within milliseconds: Int32) -> Bool {
    var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
    while true {
      let ready = poll(&descriptor, 1, milliseconds)
      if ready < 0 && errno == EINTR { continue }
      return ready != 0
    }
  }

  private mutating func compact() {
    if start > 64 * 1024 && start * 2 > buffer.count {
      buffer.removeSubrange(0..<start)
      scanned -= start
      start = 0
    }
  }

  private mutating func fill() {
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 {
        atEOF = true
        return
      }
      buffer.append(contentsOf: chunk[0..<count])
      return
    }
  }

  /// Whether the client has sent `notifications/cancelled` for the request `id`, among the
  /// frames it has sent so far: reads what is waiting without blocking and looks at the
  /// complete frames buffered, leaving them to `next`. Only frames that mention the method are
  /// parsed.
  mutating func cancelRequested(_ id: JSONValue) -> Bool {
    if !atEOF, readable(within: 0) { fill() }
    let method = Array("notifications/cancelled".utf8)
    var lineStart = start
    while let newline = buffer[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
      let line = buffer[lineStart..<newline]
      lineStart = newline + 1
      guard line.count <= Self.maxFrame,
        line.firstRange(of: method) != nil,
        case .object(let fields)? = try? JSONValue.parse(Array(line)),
        fields["method"] == .string("notifications/cancelled"), fields["id"] == nil,
        case .object(let params)? = fields["params"]
      else { continue }
      if params["requestId"] == id { return true }
    }
    return false
  }

  /// Writes one frame and its newline, completely.
  func send(_ bytes: [UInt8]) {
    var frame = bytes
    frame.append(UInt8(ascii: "\n"))
    var offset = 0
    while offset < frame.count {
      let count = frame.withUnsafeBytes {
        write(output, $0.baseAddress! + offset, $0.count - offset)
      }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return }
      offset += count
    }
  }
}
