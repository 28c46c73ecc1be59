import Synchronization

/// Where Tack reports a problem that does not fail the operation (say, a commit that landed
/// while the checked-out files could not follow). Front ends install a handler; without one
/// warnings are dropped.
public enum Warnings {
  private static let handler = Mutex<(@Sendable (String) -> Void)?>(nil)

  public static func install(_ handler: @escaping @Sendable (String) -> Void) {
    self.handler.withLock { $0 = handler }
  }

  static func emit(_ message: String) {
    let current = handler.withLock { $0 }
    current?(message)
  }
}
