import TackCore

/// Timings of repeated operations, in milliseconds.
struct Samples {
  private(set) var milliseconds: [Double] = []
  private let clock = ContinuousClock()
  private let start: ContinuousClock.Instant

  init() { start = clock.now }

  /// Runs `body` and records how long it took.
  mutating func time<E: Error>(_ body: () throws(E) -> Void) throws(E) {
    let before = clock.now
    try body()
    milliseconds.append(Self.milliseconds(clock.now - before))
  }

  /// count, p50, p95, mean, and the seconds since these samples began.
  var summary: [String: JSONValue] {
    let sorted = milliseconds.sorted()
    guard !sorted.isEmpty else { return ["count": 0] }
    return [
      "count": .int(Int64(sorted.count)), "p50_ms": .double(sorted[sorted.count / 2]),
      "p95_ms": .double(sorted[min(sorted.count - 1, sorted.count * 95 / 100)]),
      "mean_ms": .double(sorted.reduce(0, +) / Double(sorted.count)),
      "seconds": .double(Self.milliseconds(clock.now - start) / 1000),
    ]
  }

  private static func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
  }
}
