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
    // "2": chunks checksummed in four lanes. A file of the first kind has another header,
    // so it is rewritten rather than read as damaged chunk by chunk.
    self.header = Array("tack cache 2 \(format)\n".utf8)
  }

  /// The file's bytes (mapped, not copied) and where each chunk's payload is in them, in
  /// the order written; `damaged` when something after them could not be read (then
  /// `replace` should rewrite the file).
  public func read() -> (bytes: Bytes, chunks: [Range<Int>], damaged: Bool) {
    guard let bytes = Bytes(mapping: path) else { return (Bytes(copying: []), [], false) }
    // An empty file or a foreign header is damage: appending to it would not help.
    guard bytes.buffer.starts(with: header) else { return (bytes, [], true) }
    var chunks: [Range<Int>] = []
    var reader = ByteReader(bytes, from: header.count)
    while !reader.isAtEnd {
      guard let length = reader.uint32(), let payload = reader.range(Int(length)),
        let sum = reader.uint32(),
        sum == Self.checksum(UnsafeRawBufferPointer(rebasing: bytes.buffer[payload]))
      else { return (bytes, chunks, true) }
      chunks.append(payload)
    }
    return (bytes, chunks, false)
  }

  /// Adds one chunk at the end; creates the file when there is none. Returns where the
  /// payload starts in the file (as `read` will give it), even with other processes
  /// appending at the same time. Failures are reported but harmless: the next reader
  /// computes again what is missing.
  @discardableResult
  public func append(_ payload: [UInt8]) throws(GitError) -> Int {
    let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else {
      if errno == ENOENT { return try replace(with: [payload])[0] }
      throw LocalFile.posixError("open", path)
    }
    defer { close(fd) }
    let frame = Self.frame(payload)
    let count = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    if count != frame.count { throw LocalFile.posixError("write", path) }
    // O_APPEND leaves this descriptor's offset just past its own write.
    let end = Int(lseek(fd, 0, SEEK_CUR))
    return end - frame.count + Self.frameHead
  }

  /// Writes the file anew with these chunks (atomically: a reader sees the old or new file).
  /// Returns where each payload starts in the file.
  @discardableResult
  public func replace(with payloads: [[UInt8]]) throws(GitError) -> [Int] {
    var bytes = header
    var starts: [Int] = []
    for payload in payloads {
      starts.append(bytes.count + Self.frameHead)
      bytes += Self.frame(payload)
    }
    try LocalFile.writeAtomically(path, bytes)
    return starts
  }

  /// The length before each payload.
  private static let frameHead = 4

  private static func frame(_ payload: [UInt8]) -> [UInt8] {
    var writer = ByteWriter()
    writer.uint32(UInt32(payload.count))
    writer.bytes += payload
    writer.uint32(payload.withUnsafeBytes { checksum($0) })
    return writer.bytes
  }

  /// Enough to tell a torn or damaged chunk from a whole one (not cryptographic): FNV-1a
  /// over 8-byte words in four interleaved lanes, so that the multiplications overlap: the
  /// 60 MB read index of a 100k-task board in about 4 ms, where one lane took 15.
  static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt32 {
    let prime = fnvPrime
    var lanes = (fnvBasis, fnvBasis ^ 1, fnvBasis ^ 2, fnvBasis ^ 3)
    var offset = 0
    while offset + 32 <= raw.count {
      lanes.0 = (lanes.0 ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* prime
      lanes.1 = (lanes.1 ^ raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)) &* prime
      lanes.2 =
        (lanes.2 ^ raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)) &* prime
      lanes.3 =
        (lanes.3 ^ raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)) &* prime
      offset += 32
    }
    let hash = (((lanes.0 ^ lanes.1) &* prime ^ lanes.2) &* prime ^ lanes.3) &* prime
    return fnv(raw, from: offset, startingAt: hash)
  }

  /// A short name for `text` in the cache directory (FNV-1a, one lane: the names cache files
  /// already have).
  static func nameHash(_ text: String) -> UInt32 {
    Array(text.utf8).withUnsafeBytes { fnv($0, from: 0, startingAt: fnvBasis) }
  }

  private static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325
  private static let fnvPrime: UInt64 = 0x100_0000_01b3

  /// FNV-1a over `raw` from `offset`: 8-byte words, then the bytes left.
  private static func fnv(
    _ raw: UnsafeRawBufferPointer, from start: Int, startingAt basis: UInt64
  ) -> UInt32 {
    var hash = basis
    var offset = start
    while offset + 8 <= raw.count {
      hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* fnvPrime
      offset += 8
    }
    while offset < raw.count {
      hash = (hash ^ UInt64(raw[offset])) &* fnvPrime
      offset += 1
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

/// Bytes that never change while this object lives: a file mapped into memory (read straight
/// from the page cache, not copied), or a private copy. Readers hold on to it and read slices
/// of it in place.
public final class Bytes: @unchecked Sendable {
  public let buffer: UnsafeRawBufferPointer
  private let mapped: Bool

  public init(copying bytes: some Collection<UInt8>) {
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
    memory.copyBytes(from: bytes)
    buffer = UnsafeRawBufferPointer(memory)
    mapped = false
  }

  /// The file at `path` mapped read-only, or `nil` when it does not exist or cannot be read.
  /// Cache files are replaced by renaming, never truncated in place, so the mapping stays
  /// valid whatever other processes do to the file meanwhile.
  init?(mapping path: String) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    let size = Int(info.st_size)
    guard size > 0 else {
      (buffer, mapped) = (UnsafeRawBufferPointer(start: nil, count: 0), false)
      return
    }
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED
    else { return nil }
    (buffer, mapped) = (UnsafeRawBufferPointer(start: address, count: size), true)
  }

  deinit {
    guard let base = buffer.baseAddress else { return }
    if mapped {
      munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
    } else {
      UnsafeMutableRawPointer(mutating: base).deallocate()
    }
  }

  /// A copy of the bytes in `range`.
  public subscript(range: Range<Int>) -> [UInt8] { Array(buffer[range]) }
}

/// Reads what `ByteWriter` wrote, in place in `Bytes`; every read returns `nil` past the end,
/// never traps.
public struct ByteReader {
  public let bytes: Bytes
  private let end: Int
  public private(set) var offset: Int

  public init(_ bytes: Bytes, from start: Int = 0, to end: Int? = nil) {
    self.bytes = bytes
    self.end = end ?? bytes.buffer.count
    self.offset = start
  }

  /// A reader of a copy of `slice`.
  public init(_ slice: ArraySlice<UInt8>) { self.init(Bytes(copying: slice)) }

  public var isAtEnd: Bool { offset >= end }

  /// Bytes left to read.
  public var remaining: Int { max(0, end - offset) }

  public mutating func uint8() -> UInt8? {
    guard offset < end else { return nil }
    defer { offset += 1 }
    return bytes.buffer[offset]
  }

  public mutating func uint32() -> UInt32? {
    guard let range = range(4) else { return nil }
    return UInt32(
      littleEndian: bytes.buffer.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt32.self))
  }

  public mutating func int64() -> Int64? {
    guard let range = range(8) else { return nil }
    return Int64(
      littleEndian: bytes.buffer.loadUnaligned(fromByteOffset: range.lowerBound, as: Int64.self))
  }

  public mutating func oid() -> OID? {
    range(20).map { OID(bytes: UnsafeRawBufferPointer(rebasing: bytes.buffer[$0])) }
  }

  /// Where the next `count` bytes are, stepping over them.
  public mutating func range(_ count: Int) -> Range<Int>? {
    guard count >= 0, end - offset >= count else { return nil }
    defer { offset += count }
    return offset..<offset + count
  }

  /// A copy of the next `count` bytes.
  public mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
    range(count).map { ArraySlice(bytes[$0]) }
  }

  /// Where the next length-prefixed bytes are, stepping over them.
  public mutating func data() -> Range<Int>? {
    guard let count = uint32() else { return nil }
    return range(Int(count))
  }

  public mutating func string() -> String? {
    data().map {
      String(decoding: UnsafeRawBufferPointer(rebasing: bytes.buffer[$0]), as: UTF8.self)
    }
  }
}
