/// Who made a commit, and when.
public struct Signature: Sendable, Hashable {
  public var name: String
  public var email: String
  /// Seconds since 1970; `nil` means "now".
  public var time: Int64?
  /// Offset from UTC in minutes.
  public var offsetMinutes: Int32

  public init(name: String, email: String, time: Int64? = nil, offsetMinutes: Int32 = 0) {
    self.name = name
    self.email = email
    self.time = time
    self.offsetMinutes = offsetMinutes
  }
}
