import Foundation
import TestSupport
import Testing

@testable import TackGit

@Suite struct CacheFileTests {
  let folder: String
  init() throws { folder = try TestGit.temporaryFolder("cache-file") }

  @Test func appendedChunksReadBackInOrder() throws {
    let file = CacheFile(path: folder + "/c", format: "test 1")
    #expect(file.read().chunks.isEmpty)
    try file.append([1, 2, 3])
    try file.append([])
    try file.append(Array(repeating: 7, count: 70_000))
    let (bytes, chunks, damaged) = file.read()
    #expect(!damaged)
    #expect(chunks.map { bytes[$0] } == [[1, 2, 3], [], Array(repeating: 7, count: 70_000)])
  }

  @Test func aTornTailIsIgnoredAndReported() throws {
    let file = CacheFile(path: folder + "/c", format: "test 1")
    try file.append([1, 2, 3])
    try file.append([4, 5, 6, 7])
    var bytes = try #require(FileManager.default.contents(atPath: file.path))
    bytes.removeLast(2)
    try bytes.write(to: URL(fileURLWithPath: file.path))
    var (read, chunks, damaged) = file.read()
    #expect(damaged && chunks.map { read[$0] } == [[1, 2, 3]])

    // A flipped byte in a whole chunk fails its checksum the same way.
    try file.replace(with: [[1, 2, 3], [4, 5, 6, 7]])
    bytes = try #require(FileManager.default.contents(atPath: file.path))
    bytes[bytes.count - 6] ^= 0xFF
    try bytes.write(to: URL(fileURLWithPath: file.path))
    (read, chunks, damaged) = file.read()
    #expect(damaged && chunks.map { read[$0] } == [[1, 2, 3]])
  }

  @Test func anotherFormatIsNotRead() throws {
    try CacheFile(path: folder + "/c", format: "test 1").append([1])
    let (_, chunks, damaged) = CacheFile(path: folder + "/c", format: "test 2").read()
    #expect(chunks.isEmpty && damaged)
  }

  @Test func recordsRoundTripAndShortInputNeverTraps() throws {
    var writer = ByteWriter()
    let id = try #require(OID(hex: "0123456789abcdef0123456789abcdef01234567"))
    writer.uint8(9)
    writer.uint32(70_000)
    writer.int64(-5)
    writer.oid(id)
    writer.string("héllo")
    var reader = ByteReader(Bytes(copying: writer.bytes))
    #expect(reader.uint8() == 9 && reader.uint32() == 70_000 && reader.int64() == -5)
    #expect(reader.oid() == id && reader.string() == "héllo" && reader.isAtEnd)
    for length in 0..<writer.bytes.count {
      var short = ByteReader(Bytes(copying: writer.bytes[..<length]))
      _ = (short.uint8(), short.uint32(), short.int64(), short.oid(), short.string())
    }
  }
}
