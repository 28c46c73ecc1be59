/// The files `tack init` lays down, embedded from `BoardTemplate/` at build time so an
/// installed binary needs nothing beside it (see scripts/generate-template.py).
public enum BoardTemplate {
  /// The template file that becomes `boards/<name>/board.json` for every new board.
  static let boardFile = "board.json"

  /// The files for a repository whose default board is `board`, by repository path.
  static func repositoryFiles(defaultBoard board: String) -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for (path, text) in files {
      switch path {
      case boardFile:
        result[Store.boardPath(board)] = Array(text.utf8)
      case RepositoryConfig.path:
        // The template's config is checked by a test, so it always parses.
        var config = try! RepositoryConfig(fileContents: Array(text.utf8))
        config.defaultBoard = board
        result[path] = config.json.serializedBytes(pretty: true)
      default:
        result[path] = Array(text.utf8)
      }
    }
    return result
  }

  /// The `board.json` of a new board.
  static var boardContents: [UInt8] { Array(files[boardFile]!.utf8) }
}
