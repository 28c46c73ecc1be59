/// Which commits changed which paths below one folder, for every commit reachable from the tips
/// it was brought up to — what `history(of:)` needs without reading every commit's trees.
///
/// Commits are numbered by position: the first chunk's commits in walk order from its tip, then
/// each later chunk's new commits. Per chunk, a table maps paths to the commits that changed
/// them; it is read only for the path asked about. The order of the answer is the walk order:
/// read off the stored order when the tip asked about is one it stands for (`orderedTip`: the
/// usual case), else replayed from each commit's committer time and parents (`walkOrder`).
struct HistoryIndex {
  /// The cache file's format; a file written by another version is rebuilt.
  static let format = "history 3"

  let folder: String
  /// Set by the chunk that starts a file; later chunks must carry the same value, so a chunk
  /// appended by a process that read an older, since-replaced file is ignored.
  let generation: UInt64
  /// The first chunk: its commits' 6-byte id prefixes, straight from the file, and its graph,
  /// decoded only when needed.
  private let base: BaseGraph
  private let basePrefixes: ArraySlice<UInt8>
  private let baseCount: Int
  /// The commits the later chunks added: whole ids, times and parents (by position).
  private var laterIDs: [OID] = []
  private var laterPositions: [OID: Int32] = [:]
  private var laterTimes: [Int64] = []
  private var laterParentStart: [Int32] = [0]
  private var laterParents: [Int32] = []
  /// The tip each chunk brought the index up to: every commit reachable from one is indexed.
  private(set) var tips: [(id: OID, position: Int32)] = []
  private var tables: [PathTable] = []
  /// A tip for which the stored order is the walk order: a walk from it returns the
  /// positions of `orderedRanges`, last range first, each in ascending order. True of the
  /// first chunk's tip (stored in walk order), and carried forward by each later chunk that
  /// `extends` it; lost for good (until the file is rewritten) by any other chunk.
  private(set) var orderedTip: (id: OID, position: Int32)?
  private var orderedRanges: [Range<Int32>] = []

  var count: Int { baseCount + laterIDs.count }
  var chunkCount: Int { tables.count }

  /// One chunk's path table and how its commit references map to positions.
  private struct PathTable {
    var bytes: ArraySlice<UInt8>
    /// References below this are positions; the others are the chunk's own commits.
    var baseCount: Int32
    /// The position of each of the chunk's own commits (`nil`: the same number, in the
    /// first chunk).
    var positions: [Int32]?

    func position(_ reference: Int32) -> Int32? {
      guard reference >= baseCount, let positions else { return reference }
      let local = Int(reference - baseCount)
      return local < positions.count ? positions[local] : nil
    }
  }

  /// The first chunk's graph, decoded on first use and then shared by every copy.
  private final class BaseGraph {
    private var chunk: Chunk
    private var state: Bool?

    init(_ chunk: Chunk) { self.chunk = chunk }

    /// The decoded chunk, or `nil` when its graph is malformed.
    var decoded: Chunk? {
      if state == nil { state = chunk.decodeGraph() }
      return state == true ? chunk : nil
    }
  }

  /// The index a file's first chunk starts (`nil` when it is not one for `folder`).
  init?(base chunk: ArraySlice<UInt8>, folder: String) {
    guard let content = Chunk(decoding: chunk), content.folder == folder,
      content.baseCount == 0, content.count > 0,
      content.storedID(0) == Self.prefix(of: content.tip)
    else { return nil }
    self.folder = folder
    generation = content.generation
    basePrefixes = content.ids
    baseCount = content.count
    base = BaseGraph(content)
    tips = [(content.tip, 0)]
    tables = [PathTable(bytes: content.table, baseCount: 0, positions: nil)]
    orderedTip = (content.tip, 0)
    orderedRanges = [0..<Int32(baseCount)]
  }

  /// Adds a later chunk; `false` (and nothing added) when it does not fit this index.
  mutating func apply(_ chunk: ArraySlice<UInt8>) -> Bool {
    guard let content = Chunk(decoding: chunk), content.generation == generation,
      content.folder == folder, content.baseCount > 0, content.baseCount <= count,
      content.count > 0, OID(bytes: content.storedID(0)) == content.tip
    else { return false }
    // Commits another process added meanwhile may come again: keep the first copy.
    var positions: [Int32] = []
    var fresh: [Int] = []
    var next = Int32(count)
    for local in 0..<content.count {
      let id = OID(bytes: content.storedID(local))
      if let known = laterPositions[id] {
        positions.append(known)
      } else {
        positions.append(next)
        next += 1
        fresh.append(local)
      }
    }
    let table = PathTable(bytes: content.table, baseCount: content.baseCount, positions: positions)
    var newTimes: [Int64] = []
    var newParents: [Int32] = []
    var newStarts: [Int32] = []
    for local in fresh {
      newTimes.append(content.times[local])
      for reference in content.parents(local) {
        guard let position = table.position(reference), position < next else { return false }
        newParents.append(position)
      }
      newStarts.append(Int32(laterParents.count + newParents.count))
    }
    if !fresh.isEmpty {
      if fresh.count == content.count, let ordered = orderedTip, content.extends == ordered.id {
        orderedTip = (content.tip, positions[0])
        orderedRanges.append(Int32(count)..<next)
      } else {
        orderedTip = nil
        orderedRanges = []
      }
    }
    for local in fresh {
      let id = OID(bytes: content.storedID(local))
      laterIDs.append(id)
      laterPositions[id] = positions[local]
    }
    laterTimes += newTimes
    laterParents += newParents
    laterParentStart += newStarts
    tips.append((content.tip, positions[0]))
    tables.append(table)
    return true
  }

  static func prefix(of id: OID) -> ArraySlice<UInt8> {
    var bytes: [UInt8] = []
    id.appendBytes(to: &bytes)
    return bytes.prefix(Chunk.prefixWidth)
  }

  /// The whole id of the commit at `position`, when the index has it (tips, later chunks);
  /// otherwise `prefix(at:)` is all there is.
  func fullID(at position: Int32) -> OID? {
    let index = Int(position)
    if index >= baseCount { return laterIDs[index - baseCount] }
    return tips.first { $0.position == position }?.id
  }

  /// The first bytes (`Chunk.prefixWidth`) of the id of the commit at `position`.
  func prefix(at position: Int32) -> ArraySlice<UInt8> {
    let index = Int(position)
    if index >= baseCount { return Self.prefix(of: laterIDs[index - baseCount]) }
    let start = basePrefixes.startIndex + index * Chunk.prefixWidth
    return basePrefixes[start..<start + Chunk.prefixWidth]
  }

  /// The position of the commit `id` when the index has its whole id (a tip, or a commit of a
  /// later chunk).
  func certainPosition(of id: OID) -> Int32? {
    if let tip = tips.last(where: { $0.id == id }) { return tip.position }
    return laterPositions[id]
  }

  /// The commits of the first chunk whose id prefix is `id`'s (the caller checks which, if
  /// any, it is).
  func baseCandidates(for id: OID) -> [Int32] {
    let wanted = Self.prefixKey(Self.prefix(of: id))
    var found: [Int32] = []
    basePrefixes.withUnsafeBytes { raw in
      for index in 0..<baseCount where Self.prefixKey(raw, at: index) == wanted {
        found.append(Int32(index))
      }
    }
    return found
  }

  /// The first chunk's commits by id prefix, for many lookups.
  func basePrefixTable() -> [UInt64: [Int32]] {
    var table: [UInt64: [Int32]] = [:]
    table.reserveCapacity(baseCount)
    basePrefixes.withUnsafeBytes { raw in
      for index in 0..<baseCount {
        table[Self.prefixKey(raw, at: index), default: []].append(Int32(index))
      }
    }
    return table
  }

  /// An id prefix as a number.
  static func prefixKey(_ prefix: ArraySlice<UInt8>) -> UInt64 {
    prefix.withUnsafeBytes { prefixKey($0, at: 0) }
  }

  /// The `index`-th prefix of a column of prefixes, as a number (6 bytes: 4 + 2; see
  /// `Chunk.prefixWidth`).
  private static func prefixKey(_ raw: UnsafeRawBufferPointer, at index: Int) -> UInt64 {
    let offset = index * Chunk.prefixWidth
    return UInt64(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) << 16
      | UInt64(raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self))
  }

  /// The commit graph: committer times and parents of every position; `nil` when the first
  /// chunk's graph is malformed.
  func graph() -> Graph? {
    guard let decoded = base.decoded else { return nil }
    let offset = Int32(decoded.parentReferences.count)
    return Graph(
      times: decoded.times + laterTimes,
      starts: decoded.parentStart + laterParentStart.dropFirst().map { $0 + offset },
      parents: decoded.parentReferences + laterParents)
  }

  /// The commits that may have changed `path` (positions, in no order: a superset when
  /// another path has the same hash) and whether it was a folder in any of them; `nil` if a
  /// table cannot be read.
  func lookup(_ path: [UInt8]) -> (positions: [Int32], wasFolder: Bool)? {
    let hash = Self.pathHash(path)
    var found: [Int32] = []
    var wasFolder = false
    for table in tables {
      guard let entry = Chunk.find(hash, in: table.bytes) else { return nil }
      guard let (references, folder) = entry else { continue }
      wasFolder = wasFolder || folder
      for reference in references {
        guard let position = table.position(reference), position < count else { return nil }
        found.append(position)
      }
    }
    return (Array(Set(found)), wasFolder)
  }

  /// Every path entry of every table, by hash, with positions.
  private func allPaths() -> [UInt64: Chunk.PathRecord]? {
    var all: [UInt64: Chunk.PathRecord] = [:]
    for table in tables {
      guard let entries = Chunk.entries(in: table.bytes) else { return nil }
      for (hash, record) in entries {
        var merged = all[hash] ?? Chunk.PathRecord()
        for reference in record.references {
          guard let position = table.position(reference), position < count else { return nil }
          merged.references.append(position)
        }
        merged.wasFolder = merged.wasFolder || record.wasFolder
        all[hash] = merged
      }
    }
    return all
  }

  /// The positions in the order a topological + time revwalk from `tip` returns them (only
  /// the `wanted` ones, if given, and at most `limit`); `nil` when the graph is malformed.
  func walkOrder(from tip: Int32, wanted: [Int32]? = nil, limit: Int? = nil) -> [Int32]? {
    if tip == orderedTip?.position {
      return storedOrder(wanted: wanted, limit: limit)
    }
    return graph()?.walkOrder(from: tip, wanted: wanted, limit: limit)
  }

  /// `walkOrder` from `orderedTip`, read off the stored order.
  private func storedOrder(wanted: [Int32]?, limit: Int?) -> [Int32] {
    var order: [Int32]
    if let wanted {
      // Newest range first, ascending within one.
      func range(_ position: Int32) -> Int {
        orderedRanges.lastIndex { $0.lowerBound <= position } ?? 0
      }
      order = Set(wanted).sorted { a, b in
        let (rangeA, rangeB) = (range(a), range(b))
        return rangeA != rangeB ? rangeA > rangeB : a < b
      }
    } else {
      order = orderedRanges.reversed().flatMap { Array($0) }
    }
    if let limit, order.count > max(limit, 1) { order.removeSubrange(max(limit, 1)...) }
    return order
  }

  /// A first chunk holding only the commits reachable from `tip` (whose id is `tipID`), in
  /// walk order from it.
  func compacted(from tip: Int32, tipID: OID, generation: UInt64) -> [UInt8]? {
    guard let paths = allPaths(), let graph = graph(), let order = walkOrder(from: tip) else {
      return nil
    }
    var rank = [Int32](repeating: -1, count: count)
    for (index, position) in order.enumerated() { rank[Int(position)] = Int32(index) }
    var chunk = Chunk(generation: generation, folder: folder, tip: tipID, baseCount: 0)
    for position in order {
      chunk.add(
        stored: prefix(at: position), time: graph.times[Int(position)],
        parents: graph.parents(of: position).map { rank[Int($0)] })
    }
    for (hash, record) in paths {
      let kept = record.references.map { rank[Int($0)] }.filter { $0 >= 0 }
      if !kept.isEmpty || record.wasFolder {
        chunk.paths[hash] = Chunk.PathRecord(references: kept, wasFolder: record.wasFolder)
      }
    }
    return chunk.encoded()
  }
}
