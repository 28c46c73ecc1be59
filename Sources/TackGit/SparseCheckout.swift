#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The patterns of a sparse checkout (`$GIT_DIR/info/sparse-checkout`), read as git reads
/// them to decide which paths are checked out.
///
/// Git walks the path from the top: each folder, then the file, takes the result of the
/// last pattern that matches it (included, or excluded by a `!` pattern) and otherwise
/// inherits its folder's; the top starts excluded. Patterns follow `.gitignore`'s syntax: a
/// trailing `/` matches folders only; a pattern with a `/` elsewhere is matched against the
/// whole path from the top, one without against the last name. Cone mode writes patterns of
/// the forms `/*`, `!/*/`, `/A/`, `!/A/*/`, for which this walk gives git's cone rules (the
/// files directly in the top folder and in each parent of a listed folder, and everything
/// below a listed folder). `**` is not read: such a file is refused rather than misread.
struct SparseCheckout: Sendable {
  struct Pattern: Sendable {
    var glob: String
    var negated: Bool
    var foldersOnly: Bool
    /// Matched against the whole path (the pattern has a `/`), else against the last name.
    var wholePath: Bool
  }

  var patterns: [Pattern]

  /// Reads the patterns in `text`; refuses a pattern this code does not interpret.
  init(text: String, file: String) throws(GitError) {
    patterns = []
    for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
      var line = Substring(raw)
      if line.last == "\r" { line = line.dropLast() }
      while line.last == " ", !line.hasSuffix("\\ ") { line = line.dropLast() }
      if line.isEmpty || line.first == "#" { continue }
      var pattern = Pattern(glob: "", negated: false, foldersOnly: false, wholePath: false)
      if line.first == "!" {
        pattern.negated = true
        line = line.dropFirst()
      } else if line.hasPrefix("\\!") || line.hasPrefix("\\#") {
        line = line.dropFirst()
      }
      if line.last == "/" {
        pattern.foldersOnly = true
        line = line.dropLast()
      }
      if line.contains("**") {
        throw GitError(
          kind: .other, call: "read \(file)",
          message:
            "the sparse-checkout pattern '\(raw)' in \(file) uses '**', which Tack does not interpret, so it cannot tell whether a new file belongs in this checkout; use cone mode (git sparse-checkout set --cone FOLDER...) or patterns without '**', or write from a checkout that is not sparse"
        )
      }
      if line.contains("/") {
        pattern.wholePath = true
        if line.first == "/" { line = line.dropFirst() }
      }
      if line.isEmpty { continue }
      pattern.glob = String(line)
      patterns.append(pattern)
    }
  }

  /// Whether git checks out the file at `path` (relative to the top, `/`-separated).
  func includes(_ path: String) -> Bool {
    let names = path.split(separator: "/")
    var included = false
    var prefix = ""
    for (n, name) in names.enumerated() {
      prefix += (n == 0 ? "" : "/") + name
      let isFolder = n < names.count - 1
      if let last = patterns.last(where: { matches($0, prefix, name: String(name), isFolder) }) {
        included = !last.negated
      }
    }
    return included
  }

  private func matches(_ pattern: Pattern, _ path: String, name: String, _ isFolder: Bool) -> Bool {
    if pattern.foldersOnly && !isFolder { return false }
    if pattern.wholePath { return fnmatch(pattern.glob, path, FNM_PATHNAME) == 0 }
    return fnmatch(pattern.glob, name, 0) == 0
  }
}
