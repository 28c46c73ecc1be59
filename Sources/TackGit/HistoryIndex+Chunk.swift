extension HistoryIndex {
  /// One chunk of the history index file: the commits one walk found and the paths they
  /// changed. A chunk refers to a commit by a number: below `baseCount`, the position of a
  /// commit the index already held when the chunk was made (those positions never change, as
  /// a file only grows); from `baseCount` on, its own commits in walk order.
  ///
  /// Layout: generation (8 bytes), folder, tip id, `extends` (a byte, then the id if 1),
  /// baseCount (4), count (4), id width (1), the ids, the graph (its length (4), the
  /// committer times as varint deltas, then the parents), then the path table.
  /// - The first chunk of a file keeps 6-byte id prefixes (it holds every commit, and the
  ///   file is read whole on every lookup); later chunks keep whole ids, as they are compared
  ///   to tell the same commit appended twice.
  /// - The graph is only needed to replay a walk or to extend the index, not to answer from
  ///   the stored order: a first chunk keeps it undecoded until asked (`decodedGraph`).
  /// - Parents: one varint per commit, 0 for the usual single parent that is the next commit,
  ///   else 1 + the number of parents, each then given as a varint offset from the commit.
  /// - Path table: one entry per path, sorted by `pathHash` (8 bytes), then a varint (number of
  ///   commits × 2, + 1 if the path was a folder), then the commit numbers, ascending, as
  ///   varint deltas (preceded by their length in bytes, so a scan can skip them). Paths are
  ///   kept as hashes: two paths with one hash share an entry, and the commits of the other
  ///   path are caught when the answer is checked against the commits' trees.
  struct Chunk {
    static let prefixWidth = 6

    var generation: UInt64
    var folder: String
    var tip: OID
    /// Set when the chunk's commits are a line of single-parent commits on top of this tip
    /// (the usual case: commits made one after the other): then a walk from `tip` returns
    /// them in stored order, followed by exactly what a walk from `extends` returns.
    var extends: OID?
    var baseCount: Int32
    /// 8 (prefixes) or 20 (whole ids).
    private(set) var idWidth: Int
    private(set) var ids: ArraySlice<UInt8> = []
    /// The commit count of a decoded chunk (`times` may be left undecoded).
    private(set) var count = 0
    private(set) var times: [Int64] = []
    private(set) var parentStart: [Int32] = [0]
    private(set) var parentReferences: [Int32] = []
    /// The encoded times and parents, when not decoded yet.
    private var graphBytes: ArraySlice<UInt8> = []
    /// What a new chunk will hold per path hash (not filled when decoding).
    var paths: [UInt64: PathRecord] = [:]
    /// The encoded path table (when decoded).
    private(set) var table: ArraySlice<UInt8> = []

    struct PathRecord {
      var references: [Int32] = []
      var wasFolder = false
    }

    init(generation: UInt64, folder: String, tip: OID, baseCount: Int32) {
      self.generation = generation
      self.folder = folder
      self.tip = tip
      self.baseCount = baseCount
      idWidth = baseCount == 0 ? Self.prefixWidth : 20
    }

    /// The stored id (or prefix) of the chunk's commit `local`.
    func storedID(_ local: Int) -> ArraySlice<UInt8> {
      let start = ids.startIndex + local * idWidth
      return ids[start..<start + idWidth]
    }

    func parents(_ local: Int) -> ArraySlice<Int32> {
      parentReferences[Int(parentStart[local])..<Int(parentStart[local + 1])]
    }

    mutating func add(id: OID, time: Int64, parents: [Int32]) {
      var bytes: [UInt8] = []
      id.appendBytes(to: &bytes)
      add(stored: bytes.prefix(idWidth), time: time, parents: parents)
    }

    /// Adds a commit by what the chunk stores of its id (`idWidth` bytes).
    mutating func add(stored: ArraySlice<UInt8>, time: Int64, parents: [Int32]) {
      precondition(stored.count == idWidth)
      ids += stored
      count += 1
      times.append(time)
      parentReferences += parents
      parentStart.append(Int32(parentReferences.count))
    }

    /// Records that the commit numbered `reference` changed `path`.
    mutating func record(_ path: [UInt8], changedBy reference: Int32) {
      paths[HistoryIndex.pathHash(path), default: PathRecord()].references.append(reference)
    }

    mutating func recordFolder(_ path: [UInt8]) {
      paths[HistoryIndex.pathHash(path), default: PathRecord()].wasFolder = true
    }

    func encoded() -> [UInt8] {
      var writer = ByteWriter()
      writer.int64(Int64(bitPattern: generation))
      writer.string(folder)
      writer.oid(tip)
      writer.uint8(extends == nil ? 0 : 1)
      if let extends { writer.oid(extends) }
      writer.uint32(UInt32(baseCount))
      writer.uint32(UInt32(count))
      writer.uint8(UInt8(idWidth))
      writer.bytes += ids
      var graph = ByteWriter()
      var previous: Int64 = 0
      for time in times {
        graph.signedVarint(time &- previous)
        previous = time
      }
      for local in 0..<count {
        let own = Int64(baseCount) + Int64(local)
        let parents = parents(local)
        if parents.count == 1 && Int64(parents.first!) == own + 1 {
          graph.varint(0)
          continue
        }
        graph.varint(UInt64(parents.count) + 1)
        for parent in parents { graph.signedVarint(Int64(parent) - own) }
      }
      writer.data(graph.bytes)
      var table = ByteWriter()
      for hash in paths.keys.sorted() {
        let record = paths[hash]!
        table.int64(Int64(bitPattern: hash))
        let references = Set(record.references).sorted()
        table.varint(UInt64(references.count) << 1 | (record.wasFolder ? 1 : 0))
        var numbers = ByteWriter()
        var last: Int32 = 0
        for reference in references {
          numbers.varint(UInt64(reference - last))
          last = reference
        }
        table.varint(UInt64(numbers.bytes.count))
        table.bytes += numbers.bytes
      }
      writer.data(table.bytes)
      return writer.bytes
    }

    /// Reads an encoded chunk (not its path table, which `find` scans); `nil` if malformed,
    /// including a parent number out of range.
    init?(decoding bytes: ArraySlice<UInt8>) {
      var reader = ByteReader(bytes)
      guard let generation = reader.int64(), let folder = reader.string(),
        let tip = reader.oid(), let hasExtends = reader.uint8(), hasExtends <= 1
      else { return nil }
      var extends: OID?
      if hasExtends == 1 {
        guard let id = reader.oid() else { return nil }
        extends = id
      }
      guard let baseCount = reader.uint32(), baseCount < Int32.max,
        let count = reader.uint32(), count < UInt32(Int32.max) - baseCount,
        let width = reader.uint8(), Int(width) == (baseCount == 0 ? Self.prefixWidth : 20),
        let ids = reader.bytes(Int(count) * Int(width))
      else { return nil }
      self.init(
        generation: UInt64(bitPattern: generation), folder: folder, tip: tip,
        baseCount: Int32(baseCount))
      self.extends = extends
      self.ids = ids
      self.count = Int(count)
      guard let graph = reader.data().map({ ArraySlice(reader.bytes[$0]) }) else { return nil }
      graphBytes = graph
      // A later chunk is small: its graph is checked and decoded now.
      if baseCount > 0 && !decodeGraph() { return nil }
      guard let table = reader.data().map({ ArraySlice(reader.bytes[$0]) }), reader.isAtEnd else {
        return nil
      }
      self.table = table
    }

    /// Decodes the times and parents if not done yet; `false` when they are malformed (they
    /// run past their end, or a parent number is out of range).
    mutating func decodeGraph() -> Bool {
      guard times.count < count else { return true }
      let decoded = graphBytes.withUnsafeBytes { raw in
        Self.decodeGraph(raw, count: count, baseCount: Int64(baseCount))
      }
      guard let (times, parentStart, parentReferences, used) = decoded, used == graphBytes.count
      else { return false }
      self.times = times
      self.parentStart = parentStart
      self.parentReferences = parentReferences
      graphBytes = []
      return true
    }

    /// Decodes `count` times, then `count` parent lists, from the start of `raw`; also
    /// returns how many bytes that took.
    private static func decodeGraph(
      _ raw: UnsafeRawBufferPointer, count: Int, baseCount: Int64
    )
      -> (times: [Int64], parentStart: [Int32], parentReferences: [Int32], used: Int)?
    {
      var offset = 0
      func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < raw.count, shift < 64 {
          let byte = raw[offset]
          offset += 1
          value |= UInt64(byte & 0x7F) << shift
          if byte < 0x80 { return value }
          shift += 7
        }
        return nil
      }
      func signed(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
      }
      var times: [Int64] = []
      times.reserveCapacity(count)
      var time: Int64 = 0
      for _ in 0..<count {
        guard let delta = varint() else { return nil }
        time &+= signed(delta)
        times.append(time)
      }
      var parentStart: [Int32] = [0]
      parentStart.reserveCapacity(count + 1)
      var parentReferences: [Int32] = []
      parentReferences.reserveCapacity(count)
      let end = baseCount + Int64(count)
      for own in baseCount..<end {
        guard let header = varint(), header <= UInt64(UInt16.max) + 1 else { return nil }
        if header == 0 {
          guard own + 1 < end else { return nil }
          parentReferences.append(Int32(own + 1))
        } else {
          for _ in 1..<header {
            guard let offset = varint() else { return nil }
            let reference = own &+ signed(offset)
            guard reference >= 0, reference < end else { return nil }
            parentReferences.append(Int32(reference))
          }
        }
        parentStart.append(Int32(parentReferences.count))
      }
      return (times, parentStart, parentReferences, offset)
    }

    /// The commit numbers that changed the path with hash `hash` and whether it was a folder,
    /// `.some(nil)` when the table does not have it, `nil` when the table is malformed.
    static func find(
      _ hash: UInt64, in table: ArraySlice<UInt8>
    ) -> (
      references: [Int32], wasFolder: Bool
    )?? {
      var reader = ByteReader(table)
      while !reader.isAtEnd {
        guard let raw = reader.int64(), let flags = reader.varint(), let length = reader.varint(),
          let numbers = reader.bytes(Int(clamping: length))
        else { return nil }
        let entry = UInt64(bitPattern: raw)
        if entry == hash {
          guard let references = decodeNumbers(numbers, count: flags >> 1) else { return nil }
          return .some((references, flags & 1 == 1))
        }
        // Sorted: once past `hash`, it is not there.
        if entry > hash { return .some(nil) }
      }
      return .some(nil)
    }

    /// Every entry of a table; `nil` when the table is malformed.
    static func entries(in table: ArraySlice<UInt8>) -> [(UInt64, PathRecord)]? {
      var reader = ByteReader(table)
      var result: [(UInt64, PathRecord)] = []
      while !reader.isAtEnd {
        guard let raw = reader.int64(), let flags = reader.varint(), let length = reader.varint(),
          let numbers = reader.bytes(Int(clamping: length)),
          let references = decodeNumbers(numbers, count: flags >> 1)
        else { return nil }
        result.append(
          (UInt64(bitPattern: raw), PathRecord(references: references, wasFolder: flags & 1 == 1)))
      }
      return result
    }

    private static func decodeNumbers(_ bytes: ArraySlice<UInt8>, count: UInt64) -> [Int32]? {
      guard count <= UInt64(bytes.count) else { return nil }
      var reader = ByteReader(bytes)
      var numbers: [Int32] = []
      numbers.reserveCapacity(Int(count))
      var last: UInt64 = 0
      for _ in 0..<count {
        guard let delta = reader.varint() else { return nil }
        last += delta
        guard last < UInt64(Int32.max) else { return nil }
        numbers.append(Int32(last))
      }
      return reader.isAtEnd ? numbers : nil
    }
  }

  /// The key of a path in the tables: FNV-1a, 64 bits, of its bytes.
  static func pathHash<C: Collection<UInt8>>(_ path: C) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in path { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }
}

extension ByteWriter {
  /// LEB128: 7 bits a byte, low bits first.
  mutating func varint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  /// Zigzag, so small negative numbers stay short.
  mutating func signedVarint(_ value: Int64) {
    varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }
}

extension ByteReader {
  mutating func varint() -> UInt64? {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while shift < 64 {
      guard let byte = uint8() else { return nil }
      value |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return value }
      shift += 7
    }
    return nil
  }

  mutating func signedVarint() -> Int64? {
    guard let raw = varint() else { return nil }
    return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
  }
}
