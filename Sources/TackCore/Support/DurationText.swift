/// Parses durations such as `90s`, `30m`, `1h30m`, `2d` (a bare number means seconds).
public enum DurationText {
  public static func seconds(_ text: String) throws(TackError) -> Int64 {
    let invalid = TackError.invalidInput(
      "invalid duration \(quoted(text)): use a number with s, m, h or d, e.g. 90s, 30m, 1h30m.")
    var total: Int64 = 0
    var number: Int64? = nil
    var sawUnit = false
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        let (value, overflow) = (number ?? 0).multipliedReportingOverflow(by: 10)
        guard !overflow, value < 10_000_000_000 else { throw invalid }
        number = value + Int64(byte - 48)
      case UInt8(ascii: "s"), UInt8(ascii: "m"), UInt8(ascii: "h"), UInt8(ascii: "d"):
        guard let value = number else { throw invalid }
        let unit: Int64 =
          switch byte {
          case UInt8(ascii: "s"): 1
          case UInt8(ascii: "m"): 60
          case UInt8(ascii: "h"): 3600
          default: 86400
          }
        total += value * unit
        number = nil
        sawUnit = true
      default:
        throw invalid
      }
    }
    if let number {
      guard !sawUnit else { throw invalid }
      total += number
    }
    if number != nil || sawUnit, total == 0 {
      throw .invalidInput(
        "a duration of \(quoted(text)) is no time at all: give at least 1s, e.g. 30m or 2h (to give a claimed task back, use tack release)."
      )
    }
    guard (number != nil || sawUnit), total > 0, total <= 366 * 86400 else {
      throw total > 366 * 86400
        ? .invalidInput("duration \(quoted(text)) is too long; the most is 366 days.") : invalid
    }
    return total
  }
}
