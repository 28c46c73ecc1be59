internal import CLibGit2

/// A failure reported by libgit2 (or by TackGit around it), carrying libgit2's own message
/// and the call that failed.
public struct GitError: Error, Sendable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The object, reference or path does not exist (GIT_ENOTFOUND).
    case notFound
    /// The reference moved since it was read (GIT_EMODIFIED) or already exists (GIT_EEXISTS).
    case modified
    /// Another process holds a lock (GIT_ELOCKED).
    case locked
    /// The path is not inside a git repository.
    case notARepository
    /// The repository's HEAD is detached or points to something that is not a branch.
    case noBranch
    /// A checked-out file or index entry differs from the committed version.
    case uncommittedChanges
    /// Gave up after retrying a contended write for the whole allowed time.
    case conflict
    /// Anything else libgit2 reports.
    case other
  }

  public var kind: Kind
  /// The libgit2 return code (0 when TackGit raised the error itself).
  public var code: Int32
  /// The libgit2 function (or TackGit step) that failed.
  public var call: String
  /// libgit2's message, or TackGit's.
  public var message: String

  public init(kind: Kind, code: Int32 = 0, call: String, message: String) {
    self.kind = kind
    self.code = code
    self.call = call
    self.message = message
  }

  public var description: String { "\(call): \(message)" }

  /// Whether a retry of the whole operation on a fresh tip may succeed.
  var isContention: Bool { kind == .modified || kind == .locked }
}

/// Turns a libgit2 return code into a `GitError`. `git_error_last` is per thread, so this must
/// run right after the call, on the same thread.
@discardableResult
func check(_ call: String, _ code: Int32) throws(GitError) -> Int32 {
  guard code < 0 else { return code }
  throw GitError.last(call: call, code: code)
}

extension GitError {
  static func last(call: String, code: Int32) -> GitError {
    var message = "libgit2 error \(code)"
    if let last = git_error_last(), let text = last.pointee.message {
      message = String(cString: text)
    }
    let kind: Kind
    switch code {
    case GIT_ENOTFOUND.rawValue: kind = .notFound
    case GIT_EMODIFIED.rawValue, GIT_EEXISTS.rawValue: kind = .modified
    case GIT_ELOCKED.rawValue: kind = .locked
    default: kind = .other
    }
    return GitError(kind: kind, code: code, call: call, message: message)
  }
}
