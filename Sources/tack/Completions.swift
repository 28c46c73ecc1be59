import ArgumentParser
import TackAccess
import TackCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Shell completions that read the board: the shell runs `tack` itself to get them, with the
/// words typed so far, so `--repo` and `--as` given on the line count. Failures complete
/// nothing rather than print an error into the shell.
extension CompletionKind {
  static var boardNames: CompletionKind {
    .custom { (words: [String], _: Int, prefix: String) -> [String] in
      Completions.matching(prefix) { (access) throws(TackError) in
        try access.boards().boards.map(\.name)
      }(words)
    }
  }

  /// The statuses of the board named by `--board` on the line, else of every visible board.
  static var statuses: CompletionKind {
    .custom { (words: [String], _: Int, prefix: String) -> [String] in
      let board = Completions.value(of: "--board", in: words)
      return Completions.matching(prefix) { (access) throws(TackError) in
        if let board { return try access.board(board).statusNames }
        var names: [String] = []
        for board in try access.boards().boards {
          for name in board.statusNames where !names.contains(name) { names.append(name) }
        }
        return names
      }(words)
    }
  }

  /// The short ids `tack list` shows, for every visible task.
  static var taskIDs: CompletionKind {
    .custom { (words: [String], _: Int, prefix: String) -> [String] in
      Completions.matching(prefix) { (access) throws(TackError) in
        try access.shortIDs().values.sorted()
      }(words)
    }
  }
}

enum Completions {
  /// Opens the repository the typed words point to and returns the names from `names` that
  /// start with `prefix`.
  static func matching(
    _ prefix: String, _ names: @escaping (BoardAccess) throws(TackError) -> [String]
  ) -> ([String]) -> [String] {
    { words in
      let repository =
        value(of: "--repo", in: words) ?? getenv("TACK_REPO").map { String(cString: $0) } ?? "."
      let principal =
        value(of: "--as", in: words) ?? getenv("TACK_PRINCIPAL").map { String(cString: $0) }
      guard let access = try? BoardAccess.open(at: repository, as: principal),
        let all = try? names(access)
      else { return [] }
      return all.filter { $0.uppercased().hasPrefix(prefix.uppercased()) }
    }
  }

  /// The value of an option in the words typed (`--repo X` or `--repo=X`).
  static func value(of option: String, in words: [String]) -> String? {
    for (index, word) in words.enumerated() {
      if word == option, index + 1 < words.count { return words[index + 1] }
      if word.hasPrefix(option + "=") { return String(word.dropFirst(option.count + 1)) }
    }
    return nil
  }
}
