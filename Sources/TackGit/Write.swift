/// One file to write (or delete, when `content` is `nil`) in a commit.
public struct FileChange: Sendable, Hashable {
  public var path: String
  public var content: [UInt8]?

  public init(path: String, content: [UInt8]?) {
    self.path = path
    self.content = content
  }
}

/// What one logical write commits.
public struct CommitRequest: Sendable {
  public var changes: [FileChange]
  public var message: String
  public var author: Signature
  public var committer: Signature
  /// Parents after the tip, for a merge commit (`tack sync`).
  public var otherParents: [OID] = []
  /// Move the branch to this existing commit instead of making one (a fast-forward);
  /// `changes` then say what it changes in the tip's tree, for the working tree.
  public var fastForwardTo: OID?

  public init(changes: [FileChange], message: String, author: Signature, committer: Signature) {
    self.changes = changes
    self.message = message
    self.author = author
    self.committer = committer
  }
}

/// How long a contended write keeps retrying before it gives up with a conflict.
public struct RetryPolicy: Sendable {
  /// Total time allowed for all attempts, in milliseconds.
  public var maxWaitMilliseconds: Int
  /// First backoff; it doubles (with jitter) up to `maxBackoffMilliseconds`.
  public var initialBackoffMilliseconds: Int
  public var maxBackoffMilliseconds: Int

  public init(
    maxWaitMilliseconds: Int, initialBackoffMilliseconds: Int = 1,
    maxBackoffMilliseconds: Int = 50
  ) {
    self.maxWaitMilliseconds = maxWaitMilliseconds
    self.initialBackoffMilliseconds = initialBackoffMilliseconds
    self.maxBackoffMilliseconds = maxBackoffMilliseconds
  }

  public static let standard = RetryPolicy(maxWaitMilliseconds: 10_000)
}

/// The state of the branch an update starts from: its tip commit and tree (both `nil` while
/// the branch has no commit yet).
public struct Snapshot {
  public let commit: OID?
  public let tree: Tree?

  public init(commit: OID?, tree: Tree?) {
    self.commit = commit
    self.tree = tree
  }
}
