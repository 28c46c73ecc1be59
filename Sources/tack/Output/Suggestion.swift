import TackAccess
import TackCore

/// "Did you mean …?" for a mistyped board or status, chosen only among the names the acting
/// principal can see, so a suggestion never reveals a hidden board.
enum Suggestion {
  /// Names further than this (in edits) from what was typed are not suggested.
  static let maximumDistance = 2

  /// The hint to add to `error`'s message, if a visible name is close to what was typed.
  static func hint(for error: TackError, global: GlobalOptions?) -> String? {
    let typed: String
    let candidates: [String]
    switch error {
    case .boardNotFound(let name):
      guard let global, let access = try? global.open(), let boards = try? access.boards() else {
        return nil
      }
      (typed, candidates) = (name, boards.boards.map(\.name))
    case .unknownStatus(let status, _, let known):
      (typed, candidates) = (status, known)
    default:
      return nil
    }
    return closest(to: typed, among: candidates).map { "Did you mean \($0)?" }
  }

  /// The candidate fewest edits away from `typed` (the first of equals), within the limit.
  static func closest(to typed: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != typed {
      let distance = editDistance(typed, candidate)
      if distance <= maximumDistance, distance < (best?.distance ?? .max) {
        best = (candidate, distance)
      }
    }
    return best?.name
  }

  /// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
  /// (optimal string alignment), so `lsit` is one edit from `list`.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        d[i][j] = min(
          d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        }
      }
    }
    return d[a.count][b.count]
  }
}
