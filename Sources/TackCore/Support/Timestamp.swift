#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A point in time with millisecond precision, written as RFC 3339 UTC
/// (`2026-11-25T17:48:59.123Z`). Implemented on integers: no calendar, no Foundation.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Milliseconds since 1970-01-01T00:00:00Z.
  public var milliseconds: Int64

  public init(milliseconds: Int64) { self.milliseconds = milliseconds }

  public static func now() -> Timestamp {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
  }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
    lhs.milliseconds < rhs.milliseconds
  }

  public func adding(seconds: Int64) -> Timestamp {
    Timestamp(milliseconds: milliseconds + seconds * 1000)
  }

  /// Seconds since 1970, rounded down.
  public var seconds: Int64 { milliseconds.floorDivided(by: 1000) }

  public var description: String {
    let days = milliseconds.floorDivided(by: 86_400_000)
    let rest = milliseconds - days * 86_400_000
    let (year, month, day) = civil(fromDays: days)
    let hour = rest / 3_600_000
    let minute = rest / 60_000 % 60
    let second = rest / 1000 % 60
    let milli = rest % 1000
    return
      "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(milli, 3))Z"
  }

  /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)`).
  public init?(rfc3339 text: String) {
    let b = Array(text.utf8)
    func number(_ start: Int, _ count: Int) -> Int64? {
      guard start + count <= b.count else { return nil }
      var value: Int64 = 0
      for byte in b[start..<start + count] {
        guard byte >= 48 && byte <= 57 else { return nil }
        value = value * 10 + Int64(byte - 48)
      }
      return value
    }
    guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116, b[13] == 58,
      b[16] == 58, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
      let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
      (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
      hour < 24, minute < 60, second < 61
    else { return nil }
    var index = 19
    var millis: Int64 = 0
    if b[index] == 46 {
      index += 1
      var digits = 0
      while index < b.count, b[index] >= 48, b[index] <= 57 {
        if digits < 3 { millis = millis * 10 + Int64(b[index] - 48) }
        digits += 1
        index += 1
      }
      guard digits > 0 else { return nil }
      for _ in digits..<max(digits, 3) { millis *= 10 }
    }
    guard index < b.count else { return nil }
    var offset: Int64 = 0
    if b[index] == 90 || b[index] == 122 {
      index += 1
    } else if b[index] == 43 || b[index] == 45, index + 6 == b.count, b[index + 3] == 58,
      let oh = number(index + 1, 2), let om = number(index + 4, 2)
    {
      offset = (oh * 60 + om) * (b[index] == 43 ? 1 : -1)
      index += 6
    } else {
      return nil
    }
    guard index == b.count else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    milliseconds =
      ((days * 24 + hour) * 60 + minute - offset) * 60_000 + min(second, 59) * 1000 + millis
  }
}

extension Timestamp {
  /// Why `text` is not a time `init(rfc3339:)` accepts, as the end of "field createdAt …": a
  /// day the month does not have is named as such ("… February 2026 has 28 days").
  public static func problem(with text: String) -> String {
    let b = Array(text.utf8)
    if b.count >= 10, b[4] == 45, b[7] == 45,
      let year = Int64(String(decoding: b[0..<4], as: UTF8.self)),
      let month = Int64(String(decoding: b[5..<7], as: UTF8.self)),
      let day = Int64(String(decoding: b[8..<10], as: UTF8.self)), (1...12).contains(month),
      day > daysInMonth(year: year, month: month)
    {
      let name = monthNames[Int(month) - 1]
      return
        "names a day that does not exist (\(String(decoding: b[0..<10], as: UTF8.self))): \(name) \(year) has \(daysInMonth(year: year, month: month)) days"
    }
    return "must be an RFC 3339 time such as 2026-01-31T09:30:00Z"
  }
}

private let monthNames = [
  "January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December",
]

/// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar: leap years are those
/// divisible by 4, except centuries not divisible by 400.
func daysInMonth(year: Int64, month: Int64) -> Int64 {
  switch month {
  case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
  case 4, 6, 9, 11: 30
  default: 31
  }
}

private func pad(_ value: Int64, _ width: Int) -> String {
  let text = String(value)
  return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
private func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
  let y = month <= 2 ? year - 1 : year
  let era = y.floorDivided(by: 400)
  let yoe = y - era * 400
  let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
  return era * 146_097 + doe - 719_468
}

private func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
  let z = days + 719_468
  let era = z.floorDivided(by: 146_097)
  let doe = z - era * 146_097
  let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
  let mp = (5 * doy + 2) / 153
  let day = doy - (153 * mp + 2) / 5 + 1
  let month = mp < 10 ? mp + 3 : mp - 9
  return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

extension Int64 {
  func floorDivided(by divisor: Int64) -> Int64 {
    let quotient = self / divisor
    return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
  }
}
