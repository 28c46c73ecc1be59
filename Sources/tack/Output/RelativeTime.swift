import TackCore

extension Timestamp {
  /// How long ago (or how soon) this is, the way people say it: "just now", "5 min ago",
  /// "3 h ago", "2 days ago", "in 25 min".
  func relative(to now: Timestamp = .now()) -> String {
    let seconds = (now.milliseconds - milliseconds) / 1000
    let amount = abs(seconds)
    let text: String
    switch amount {
    case ..<10: return "just now"
    case ..<60: text = "\(amount) s"
    case ..<3600: text = "\(amount / 60) min"
    case ..<172_800: text = "\(amount / 3600) h"
    default: text = "\(amount / 86400) days"
    }
    return seconds >= 0 ? "\(text) ago" : "in \(text)"
  }
}
