#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A cache file in the git directory that many processes share: a header naming its format,
/// then checksummed chunks that writers only ever append (one `write` each, so concurrent
/// appends never interleave). Everything in it is derived from git objects and keyed by their
/// ids, so it can never be stale — only incomplete: a torn or damaged tail (a killed writer)
/// is ignored and the file rewritten. Losing the file loses nothing but time.
public struct CacheFile: Sendable {
  public let path: String
  /// Written first; a file with another header (an older format, another tack) is ignored.
  let header: [UInt8]

  public init(path: String, format: String) {
    self.path = path
    self.header = Array("tack cache \(format)\n".utf8)
  }

  /// The chunks in the file, in the order they were written, and whether anything after them
  /// could not be read (then `replace` should rewrite the file).
  public func read() -> (chunks: [ArraySlice<UInt8>], damaged: Bool) {
    // An empty file or a foreign header is damage: appending to it would not help.
    guard let bytes = try? LocalFile.read(path) else { return ([], false) }
    guard bytes.starts(with: header) else { return ([], true) }
    var chunks: [ArraySlice<UInt8>] = []
    var reader = ByteReader(bytes[header.count...])
    while !reader.isAtEnd {
      guard let length = reader.uint32(), let payload = reader.bytes(Int(length)),
        let sum = reader.uint32(), sum == Self.checksum(payload)
      else { return (chunks, true) }
      chunks.append(payload)
    }
    return (chunks, false)
  }

  /// Adds one chunk at the end; creates the file when there is none. Failures are reported
  /// but harmless: the next reader computes again what is missing.
  public func append(_ payload: [UInt8]) throws(GitError) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else {
      if errno == ENOENT { return try replace(with: [payload]) }
      throw LocalFile.posixError("open", path)
    }
    defer { close(fd) }
    let frame = Self.frame(payload)
    let count = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    if count != frame.count { throw LocalFile.posixError("write", path) }
  }

  /// Writes the file anew with these chunks (atomically: a reader sees the old or new file).
  public func replace(with payloads: [[UInt8]]) throws(GitError) {
    var bytes = header
    for payload in payloads { bytes += Self.frame(payload) }
    try LocalFile.writeAtomically(path, bytes)
  }

  private static func frame(_ payload: [UInt8]) -> [UInt8] {
    var writer = ByteWriter()
    writer.uint32(UInt32(payload.count))
    writer.bytes += payload
    writer.uint32(checksum(payload[...]))
    return writer.bytes
  }

  /// Enough to tell a torn or damaged chunk from a whole one (not cryptographic): FNV-1a
  /// over 8-byte words, so megabytes take well under a millisecond.
  static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset + 8 <= raw.count {
        hash =
          (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x100_0000_01b3
        offset += 8
      }
      while offset < raw.count {
        hash = (hash ^ UInt64(raw[offset])) &* 0x100_0000_01b3
        offset += 1
      }
    }
    return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
  }
}

/// Builds the binary records of a cache chunk (little-endian integers, length-prefixed bytes).
public struct ByteWriter: Sendable {
  public var bytes: [UInt8] = []

  public init() {}

  public mutating func uint8(_ value: UInt8) { bytes.append(value) }

  public mutating func uint32(_ value: UInt32) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  public mutating func int64(_ value: Int64) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  public mutating func oid(_ id: OID) { id.appendBytes(to: &bytes) }

  public mutating func data<C: Collection<UInt8>>(_ value: C) {
    uint32(UInt32(value.count))
    bytes += value
  }

  public mutating func string(_ value: String) { data(value.utf8) }
}

/// Reads what `ByteWriter` wrote; every read returns `nil` past the end, never traps.
public struct ByteReader: Sendable {
  let source: ArraySlice<UInt8>
  public private(set) var offset: Int

  public init(_ source: ArraySlice<UInt8>) {
    self.source = source
    self.offset = source.startIndex
  }

  public var isAtEnd: Bool { offset >= source.endIndex }

  public mutating func uint8() -> UInt8? {
    guard offset < source.endIndex else { return nil }
    defer { offset += 1 }
    return source[offset]
  }

  public mutating func uint32() -> UInt32? {
    guard let raw = bytes(4) else { return nil }
    return raw.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
  }

  public mutating func int64() -> Int64? {
    guard let raw = bytes(8) else { return nil }
    return raw.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
  }

  public mutating func oid() -> OID? { bytes(20).map(OID.init(bytes:)) }

  /// The next `count` bytes, without copying.
  public mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
    guard count >= 0, source.endIndex - offset >= count else { return nil }
    defer { offset += count }
    return source[offset..<offset + count]
  }

  public mutating func data() -> ArraySlice<UInt8>? {
    guard let count = uint32() else { return nil }
    return bytes(Int(count))
  }

  public mutating func string() -> String? {
    data().map { String(decoding: $0, as: UTF8.self) }
  }
}
