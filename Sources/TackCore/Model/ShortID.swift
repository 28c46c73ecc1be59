/// Short ids: what people type and read instead of a 26-character ULID.
///
/// A short id is the shortest prefix of the id's *random* part (its last 16 characters),
/// at least `ShortID.minimum` characters, in lower case, that no other task in view shares
/// — neither as a prefix of its random part nor as a prefix of its whole ULID (the older
/// way to shorten an id, still accepted). Tasks created in the same millisecond share their
/// time prefix but not their random part, so a short id is 5 characters even for a burst
/// of hundreds of tasks (at 10k tasks, 1 in 500 needs 6), and grows only where two tasks
/// would collide. Commit subjects carry the first 5 (`TaskID.historyID`), the same text
/// `tack list` shows unless a collision lengthened it; a write never reads every id.
/// Typing any unique prefix of at least 4 characters works.
public enum ShortID {
  /// Characters a short id has at least: with 5, commit subjects and lists agree.
  public static let minimum = 5

  /// The short id of each of `ids` among `ids` (see the type's comment). Sorted on integer
  /// keys computed once: at 10k ids, String comparisons dominated.
  public static func of(_ ids: [TaskID], minimum: Int = ShortID.minimum) -> [TaskID: String] {
    // Two keys per task: its random part and its whole ULID. A random part's short id must
    // differ from every other task's keys; its nearest neighbours of another task in sorted
    // order share the longest prefix with it.
    var keys: [(key: Key, owner: Int, random: Bool)] = []
    keys.reserveCapacity(ids.count * 2)
    for (owner, id) in ids.enumerated() {
      keys.append((Key(id.randomPart.utf8), owner, true))
      keys.append((Key(id.ulid.utf8), owner, false))
    }
    keys.sort { $0.key < $1.key }
    var result: [TaskID: String] = [:]
    result.reserveCapacity(ids.count)
    for (rank, entry) in keys.enumerated() where entry.random {
      var length = minimum
      var left = rank - 1
      while left >= 0, keys[left].owner == entry.owner { left -= 1 }
      if left >= 0 { length = max(length, entry.key.common(keys[left].key) + 1) }
      var right = rank + 1
      while right < keys.count, keys[right].owner == entry.owner { right += 1 }
      if right < keys.count { length = max(length, entry.key.common(keys[right].key) + 1) }
      let id = ids[entry.owner]
      // A random part that is all of another id's prefix (never seen in practice): the
      // whole ULID, which always resolves.
      result[id] = length > 16 ? String(id.ulid) : id.randomPart.prefix(length).lowercased()
    }
    return result
  }

  /// Whether the normalised query (`TaskID.normalizedQuery`) names `id`: a prefix of its
  /// random part (a short id) or of its whole ULID.
  static func matches(_ query: String, _ id: TaskID) -> Bool {
    let bytes = id.rawValue.utf8
    return bytes.dropFirst(15).starts(with: query.utf8)
      || bytes.dropFirst(TaskID.prefix.utf8.count).starts(with: query.utf8)
  }

  /// Up to 32 ASCII bytes as four big-endian words, zero-padded: they compare as the
  /// strings do.
  struct Key: Comparable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init(_ bytes: some Sequence<UInt8>) {
      withUnsafeMutableBytes(of: &words) { raw in
        for (index, byte) in bytes.prefix(32).enumerated() { raw[index] = byte }
      }
      words = (words.0.bigEndian, words.1.bigEndian, words.2.bigEndian, words.3.bigEndian)
    }

    /// Bytes two keys share from the start.
    func common(_ other: Key) -> Int {
      let pairs = [
        (words.0, other.words.0), (words.1, other.words.1), (words.2, other.words.2),
        (words.3, other.words.3),
      ]
      for (index, pair) in pairs.enumerated() where pair.0 != pair.1 {
        return index * 8 + (pair.0 ^ pair.1).leadingZeroBitCount / 8
      }
      return 32
    }

    static func < (a: Key, b: Key) -> Bool { a.words < b.words }
    static func == (a: Key, b: Key) -> Bool { a.words == b.words }
  }
}
