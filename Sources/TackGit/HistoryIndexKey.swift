/// Which history index `Repository.history(of:from:limit:index:)` may keep and use: one cache
/// file per branch (so two lines of history do not make each other rebuild), covering the
/// paths below one folder (other paths are answered by walking every commit).
public struct HistoryIndexKey: Sendable, Hashable {
  /// The branch whose tips are looked up, `refs/heads/...`.
  public var branch: String
  /// The folder whose files are indexed, relative to the root (`""`: every path).
  public var folder: String

  public init(branch: String, folder: String) {
    self.branch = branch
    self.folder = folder
  }

  /// The folder's components (empty ones, from stray slashes, dropped).
  var folderComponents: [String] {
    folder.split(separator: "/").map(String.init)
  }

  /// The cache file's name in the cache directory.
  var fileName: String {
    let sum = CacheFile.nameHash("\(branch)\n\(folderComponents.joined(separator: "/"))")
    return "history-" + String(sum, radix: 16)
  }
}
