internal import CLibGit2

/// A git object id (SHA-1), as a value.
public struct OID: Hashable, Sendable, CustomStringConvertible {
  // 20 bytes kept inline so OIDs hash and compare without allocation.
  private var a: UInt64
  private var b: UInt64
  private var c: UInt32

  init(_ raw: git_oid) {
    var raw = raw
    (a, b, c) = withUnsafeBytes(of: &raw.id) { bytes in
      (
        bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
        bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
        bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
      )
    }
  }

  init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

  /// The id from its 20 raw bytes (as `appendBytes` writes them).
  init(bytes raw: UnsafeRawBufferPointer) {
    precondition(raw.count == 20)
    (a, b, c) = (
      raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
      raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
      raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
    )
  }

  init(bytes: ArraySlice<UInt8>) { self = bytes.withUnsafeBytes { OID(bytes: $0) } }

  func appendBytes(to bytes: inout [UInt8]) {
    withUnsafeBytes(of: (a, b, c)) { bytes += $0.prefix(20) }
  }

  /// Parses 40 hexadecimal digits.
  public init?(hex: String) {
    guard hex.utf8.count == 40, hex.utf8.allSatisfy({ $0 < 128 && isHexDigit($0) }) else {
      return nil
    }
    var raw = git_oid()
    guard git_oid_fromstr(&raw, hex) == 0 else { return nil }
    self.init(raw)
  }

  var raw: git_oid {
    var raw = git_oid()
    withUnsafeMutableBytes(of: &raw.id) { bytes in
      bytes.storeBytes(of: a, toByteOffset: 0, as: UInt64.self)
      bytes.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
      bytes.storeBytes(of: c, toByteOffset: 16, as: UInt32.self)
    }
    return raw
  }

  public var hex: String {
    var raw = self.raw
    var buffer = [CChar](repeating: 0, count: 41)
    git_oid_tostr(&buffer, 41, &raw)
    return String(decoding: buffer[0..<40].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  public var description: String { hex }
}

private func isHexDigit(_ byte: UInt8) -> Bool {
  switch byte {
  case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
    UInt8(ascii: "A")...UInt8(ascii: "F"):
    return true
  default: return false
  }
}
