internal import CLibGit2

import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Folding packs on a thread of its own, for long-lived processes (the MCP server): a write
/// that finds a fold due returns at once, and the fold (a copy takes a millisecond or two, a
/// pack with deltas up to a second) runs beside the next writes. A short-lived `tack`
/// command folds inline instead: its process would end before the thread did.
extension Repository {
  /// At most one background fold per process; other processes are kept out by the pack lock.
  private static let backgroundFold = Atomic<Bool>(false)
  /// At most this many folds, one after another, per background fold thread.
  static let roundsPerBackgroundFold = 8

  /// Background folds finished in this process: a handle that counted the packs before the
  /// last one finished counts them again (`packCountMayExceed`).
  static let finishedBackgroundFolds = Atomic<Int>(0)

  /// Whether a background fold is running in this process.
  static var backgroundFoldRunning: Bool { backgroundFold.load(ordering: .acquiring) }

  /// Starts `packLoose` with these settings on a new thread, through a handle of its own,
  /// unless one is already running in this process; `failed` hears of an error. Returns
  /// whether it started.
  @discardableResult
  public func packLooseInBackground(
    whenLooseAbove: Int, whenPacksAbove: Int,
    failed: @escaping @Sendable (GitError) -> Void
  ) -> Bool {
    guard
      Self.backgroundFold.compareExchange(expected: false, desired: true, ordering: .acquiring)
        .exchanged
    else { return false }
    let folder = commonDirectory
    let started = Self.detachThread {
      defer {
        Self.finishedBackgroundFolds.add(1, ordering: .releasing)
        Self.backgroundFold.store(false, ordering: .releasing)
      }
      do throws(GitError) {
        var pointer: OpaquePointer?
        try check("git_repository_open", git_repository_open(&pointer, folder))
        let repository = Repository(pointer: pointer!)
        // Writes go on while a fold runs (a fold with deltas takes up to a second): once it
        // is done, the packs they left are folded too, so the fold thread ends with the
        // folder tidy rather than leaving the pile to the next write, or to the next process.
        for _ in 0..<Self.roundsPerBackgroundFold {
          let report = try repository.packLoose(
            whenLooseAbove: whenLooseAbove, whenPacksAbove: whenPacksAbove)
          if report.skipped { break }
        }
      } catch {
        failed(error)
      }
    }
    if !started { Self.backgroundFold.store(false, ordering: .releasing) }
    return started
  }

  /// Waits until no background fold runs in this process, or `limit` (none: as long as it
  /// takes) has passed; whether none runs. A process that ends while a fold runs loses the
  /// fold's work (its half-written pack is removed later): a long-lived process about to end
  /// lets it finish.
  @discardableResult
  public static func finishBackgroundFold(within limit: Duration? = nil) -> Bool {
    let clock = ContinuousClock()
    let deadline = limit.map { clock.now + $0 }
    while backgroundFoldRunning {
      if let deadline, clock.now >= deadline { return false }
      usleep(2_000)
    }
    return true
  }

  /// Runs `body` on a new detached thread; false when none could be made.
  private static func detachThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let code = pthread_create(
      &thread, nil,
      { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
      }, box)
    guard code == 0 else {
      Unmanaged<ThreadBody>.fromOpaque(box).release()
      return false
    }
    pthread_detach(thread)
    return true
  }
}

private final class ThreadBody {
  let body: @Sendable () -> Void
  init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
