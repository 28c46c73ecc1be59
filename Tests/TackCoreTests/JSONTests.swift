import Foundation
import TestSupport
import Testing

@testable import TackCore

@Suite("JSON")
struct JSONTests {
  // MARK: Parsing values

  @Test func parsesScalarsWithSurroundingWhitespace() throws {
    #expect(try JSONValue.parse(" \t\r\nnull \n") == .null)
    #expect(try JSONValue.parse("true") == .bool(true))
    #expect(try JSONValue.parse("false") == .bool(false))
    #expect(try JSONValue.parse("\"tack\"") == .string("tack"))
    #expect(try JSONValue.parse("0") == .int(0))
    #expect(try JSONValue.parse("-0") == .int(0))
    #expect(try JSONValue.parse("42") == .int(42))
    #expect(try JSONValue.parse("-17") == .int(-17))
    #expect(try JSONValue.parse("[]") == .array([]))
    #expect(try JSONValue.parse("{}") == .object([:]))
  }

  @Test func integersStayIntegersOnlyWithoutFractionOrExponent() throws {
    #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
    #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
    // Beyond Int64 an integer keeps its digits, and is written back exactly (like Python).
    #expect(try JSONValue.parse("9223372036854775808") == .bigInteger("9223372036854775808"))
    #expect(
      try JSONValue.parse("[12345678901234567890,-99999999999999999999]").serialized(pretty: false)
        == "[12345678901234567890,-99999999999999999999]")
    #expect(try JSONValue.parse("9223372036854775808.0") == .double(9_223_372_036_854_775_808))
    #expect(try JSONValue.parse("-9223372036854775809") == .bigInteger("-9223372036854775809"))
    #expect(try JSONValue.parse("1.0") == .double(1))
    #expect(try JSONValue.parse("1e2") == .double(100))
    #expect(try JSONValue.parse("-0.5E-3") == .double(-0.0005))
    #expect(try JSONValue.parse("2.5e+1") == .double(25))
    #expect(try JSONValue.parse("1e-400") == .double(0))
  }

  @Test func parsesNestedDocument() throws {
    let text = """
      {"id": "T-1", "done": false, "points": 3, "weight": 0.5, "labels": ["a", "b"],
       "owner": null, "meta": {"nested": [[], {}, [1, [2]]]}}
      """
    let expected: JSONValue = [
      "id": "T-1", "done": false, "points": 3, "weight": 0.5, "labels": ["a", "b"],
      "owner": .null, "meta": ["nested": [[], [:], [1, [2]]]],
    ]
    #expect(try JSONValue.parse(text) == expected)
  }

  @Test func parsesFromBytesStringsAndNonContiguousCollections() throws {
    let bytes: [UInt8] = Array("[1,\"é\"]".utf8)
    let expected: JSONValue = [1, "é"]
    #expect(try JSONValue.parse(bytes) == expected)
    #expect(try JSONValue.parse(bytes[...]) == expected)
    #expect(try JSONValue.parse(bytes.lazy.map { $0 }) == expected)
    #expect(try JSONValue.parse("[1,\"é\"]") == expected)
  }

  @Test func decodesEveryEscape() throws {
    let text = #""\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u00E9 \u20ac \u0000 \ud83d\ude00 end""#
    let expected = "\" \\ / \u{8} \u{c} \n \r \t A é é € \u{0} 😀 end"
    #expect(try JSONValue.parse(text) == .string(expected))
  }

  @Test func keepsRawUTF8AndAllowedCharacters() throws {
    // DEL, U+2028 and astral characters need no escape.
    let text = "\"a\u{7f}é\u{2028}😀中\""
    #expect(try JSONValue.parse(text) == .string("a\u{7f}é\u{2028}😀中"))
    #expect(try JSONValue.parse([0x22, 0xF4, 0x8F, 0xBF, 0xBF, 0x22]) == .string("\u{10FFFF}"))
  }

  @Test func allowsNestingUpTo512Levels() throws {
    let arrays = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
    #expect(throws: Never.self) { try JSONValue.parse(arrays) }
    let objects =
      String(repeating: "{\"a\":", count: 511) + "[]" + String(repeating: "}", count: 511)
    #expect(throws: Never.self) { try JSONValue.parse(objects) }
  }

  // MARK: Parse errors

  struct Failure: Sendable, CustomTestStringConvertible {
    let input: [UInt8]
    let message: String
    let offset: Int

    init(_ text: String, _ message: String, at offset: Int) {
      self.init(bytes: Array(text.utf8), message, at: offset)
    }

    init(bytes: [UInt8], _ message: String, at offset: Int) {
      self.input = bytes
      self.message = message
      self.offset = offset
    }

    var testDescription: String {
      let text = String(decoding: input, as: UTF8.self)
      return (text.count > 40 ? text.prefix(40) + "… (\(input.count) bytes)" : text)
        .debugDescription
    }
  }

  static let unexpectedEnd = "unexpected end of input"

  static let failures: [Failure] = [
    // Structure.
    Failure("", unexpectedEnd, at: 0),
    Failure("  \n", unexpectedEnd, at: 3),
    Failure("[1,2,]", "unexpected character ']'", at: 5),
    Failure("{\"a\":1,}", "unexpected character '}'", at: 7),
    Failure("[1 2]", "unexpected character '2'", at: 3),
    Failure("{\"a\" 1}", "unexpected character '1'", at: 5),
    Failure("{\"a\":}", "unexpected character '}'", at: 5),
    Failure("{a:1}", "unexpected character 'a'", at: 1),
    Failure("{1:2}", "unexpected character '1'", at: 1),
    Failure("{'a':1}", "unexpected character '''", at: 1),
    Failure("{\"a\":1 \"b\":2}", "unexpected character '\"'", at: 7),
    Failure("[1,,2]", "unexpected character ','", at: 3),
    Failure("[", unexpectedEnd, at: 1),
    Failure("[1", unexpectedEnd, at: 2),
    Failure("{\"a\":1", unexpectedEnd, at: 6),
    Failure("{\"a\"", unexpectedEnd, at: 4),
    Failure("]", "unexpected character ']'", at: 0),
    Failure("1 2", "unexpected character '2'", at: 2),
    Failure("{}}", "unexpected character '}'", at: 2),
    Failure("[] x", "unexpected character 'x'", at: 3),
    Failure("\u{0}", "unexpected character U+0000", at: 0),
    Failure("\u{FEFF}1", "unexpected character U+FEFF", at: 0),
    Failure("[é]", "unexpected character U+00E9", at: 1),
    Failure("\u{A0}1", "unexpected character U+00A0", at: 0),
    // Comments.
    Failure("// note\n1", "unexpected character '/'", at: 0),
    Failure("[1 /* note */]", "unexpected character '/'", at: 3),
    // Literals.
    Failure("tru", unexpectedEnd, at: 3),
    Failure("trux", "unexpected character 'x'", at: 3),
    Failure("True", "unexpected character 'T'", at: 0),
    Failure("nul", unexpectedEnd, at: 3),
    Failure("falsey", "unexpected character 'y'", at: 5),
    Failure("undefined", "unexpected character 'u'", at: 0),
    // Numbers.
    Failure("NaN", "unexpected character 'N'", at: 0),
    Failure("Infinity", "unexpected character 'I'", at: 0),
    Failure("-Infinity", "unexpected character 'I'", at: 1),
    Failure("[1, nan]", "unexpected character 'a'", at: 5),
    Failure("01", "leading zeros are not allowed in numbers", at: 0),
    Failure("[-012]", "leading zeros are not allowed in numbers", at: 1),
    Failure("00", "leading zeros are not allowed in numbers", at: 0),
    Failure("+1", "unexpected character '+'", at: 0),
    Failure("-", unexpectedEnd, at: 1),
    Failure("- 1", "unexpected character U+0020", at: 1),
    Failure(".5", "unexpected character '.'", at: 0),
    Failure("1.", unexpectedEnd, at: 2),
    Failure("1.e5", "unexpected character 'e'", at: 2),
    Failure("1e", unexpectedEnd, at: 2),
    Failure("1e+", unexpectedEnd, at: 3),
    Failure("1e+x", "unexpected character 'x'", at: 3),
    Failure("0x10", "unexpected character 'x'", at: 1),
    Failure("1e400", "number 1e400 is out of range", at: 0),
    Failure("[-1e400]", "number -1e400 is out of range", at: 1),
    // Strings.
    Failure("\"abc", "unterminated string", at: 0),
    Failure("[\"abc\\\"]", "unterminated string", at: 1),
    Failure("\"ab\\", unexpectedEnd, at: 4),
    Failure("\"a\nb\"", "control character U+000A in string", at: 2),
    Failure("\"a\tb\"", "control character U+0009 in string", at: 2),
    Failure("\"\u{0}\"", "control character U+0000 in string", at: 1),
    Failure("\"\u{1f}\"", "control character U+001F in string", at: 1),
    Failure("\"\\x\"", "invalid escape: backslash followed by 'x'", at: 1),
    Failure("\"\\'\"", "invalid escape: backslash followed by '''", at: 1),
    Failure("\"\\U0041\"", "invalid escape: backslash followed by 'U'", at: 1),
    Failure("\"\\\u{a}\"", "invalid escape: backslash followed by U+000A", at: 1),
    Failure("\"\\u12\"", "invalid \\u escape: expected 4 hex digits after \\u", at: 1),
    Failure("\"\\u12", "invalid \\u escape: expected 4 hex digits after \\u", at: 1),
    Failure("\"\\uZZZZ\"", "invalid \\u escape: expected 4 hex digits after \\u", at: 1),
    Failure("\"x\\ud800\"", "unpaired surrogate \\ud800", at: 2),
    Failure("\"\\uDBFFx\"", "unpaired surrogate \\uDBFF", at: 1),
    Failure("\"\\udc00\"", "unpaired surrogate \\udc00", at: 1),
    Failure("\"\\ud800\\u0041\"", "unpaired surrogate \\ud800", at: 1),
    Failure("\"\\ud800\\ud800\"", "unpaired surrogate \\ud800", at: 1),
    Failure("\"\\ud800\\n\"", "unpaired surrogate \\ud800", at: 1),
    Failure("\"\\ud800\\u12\"", "invalid \\u escape: expected 4 hex digits after \\u", at: 7),
    // Invalid UTF-8, in strings and out of them, with and without escapes before it.
    Failure(bytes: [0x22, 0xFF, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8", at: 3),
    Failure(bytes: [0x22, 0x80, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0x61, 0xC3, 0x22], "invalid UTF-8", at: 2),
    Failure(bytes: [0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xE2, 0x82, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8", at: 1),
    Failure(bytes: [0x22, 0xF0, 0x9F, 0x98], "invalid UTF-8", at: 1),
    Failure(bytes: [0xFF], "invalid UTF-8", at: 0),
    Failure(bytes: [0x5B, 0x31, 0x2C, 0xC3], "invalid UTF-8", at: 3),
    Failure(bytes: [0x22, 0x5C, 0xFF, 0x22], "invalid UTF-8", at: 2),
    // Duplicate keys, also when spelled differently.
    Failure("{\"a\":1,\"a\":2}", "duplicate key \"a\" in object", at: 7),
    Failure("{\"a\":1,\"b\":{},\"\\u0061\":2}", "duplicate key \"a\" in object", at: 14),
    Failure("[{\"k\\n\":1,\"k\\n\":1}]", "duplicate key \"k\\n\" in object", at: 10),
    Failure(
      "{\"\u{E9}\":1,\"e\u{301}\":2}",
      "duplicate key \"e\u{301}\" in object (canonically equivalent to an earlier key",
      at: 8),
    // Depth.
    Failure(
      String(repeating: "[", count: 513) + String(repeating: "]", count: 513),
      "arrays and objects nested deeper than 512 levels", at: 512),
    Failure(
      String(repeating: "{\"a\":", count: 512) + "[]" + String(repeating: "}", count: 512),
      "arrays and objects nested deeper than 512 levels", at: 512 * 5),
  ]

  @Test(arguments: failures)
  func refuses(_ failure: Failure) {
    let error = #expect(throws: JSONError.self) { try JSONValue.parse(failure.input) }
    #expect(error?.message.hasPrefix(failure.message) == true, "\(String(describing: error))")
    #expect(error?.offset == failure.offset, "\(String(describing: error))")
  }

  @Test func errorDescriptionGivesTheByteOffset() {
    let error = JSONError(message: "unexpected character '}'", offset: 17)
    #expect(error.description == "unexpected character '}' at byte 17")
    #expect(throws: JSONError(message: "unterminated string", offset: 4)) {
      try JSONValue.parse("[1, \"abc")
    }
  }

  @Test func deepNestingFailsWithoutExhaustingTheStack() {
    let text = String(repeating: "[", count: 100_000)
    #expect(throws: JSONError.self) { try JSONValue.parse(text) }
  }

  // MARK: Accessors and literals

  @Test func accessors() throws {
    let value: JSONValue = ["name": "tack", "count": 2, "ratio": 2.0, "half": 0.5, "on": true]
    #expect(value["name"]?.stringValue == "tack")
    #expect(value["count"]?.intValue == 2)
    #expect(value["ratio"]?.intValue == 2)
    #expect(value["half"]?.intValue == nil)
    #expect(value["on"]?.boolValue == true)
    #expect(value["missing"] == nil)
    #expect(value.objectValue?.count == 5)
    #expect(value.arrayValue == nil)
    #expect(value.isNull == false)
    #expect(JSONValue.null.isNull)
    #expect(JSONValue.string("x")["name"] == nil)
    #expect(JSONValue.array([1, 2]).arrayValue == [.int(1), .int(2)])
    #expect(JSONValue.int(1).stringValue == nil)
    #expect(JSONValue.double(1e19).intValue == nil)
    #expect(JSONValue.double(-0x1p63).intValue == .min)
    #expect(JSONValue.double(.nan).intValue == nil)
    #expect(JSONValue.double(.infinity).intValue == nil)
  }

  // MARK: Writing

  @Test func writesCompactWithoutWhitespace() {
    let value: JSONValue = ["b": [1, 2], "a": 1, "c": ["y": .null, "x": [:]], "d": []]
    #expect(value.serialized(pretty: false) == #"{"a":1,"b":[1,2],"c":{"x":{},"y":null},"d":[]}"#)
    #expect(JSONValue.string("x").serialized(pretty: false) == #""x""#)
    #expect(JSONValue.int(7).serializedBytes(pretty: false) == Array("7".utf8))
  }

  @Test func writesPrettyLikePython() {
    let value: JSONValue = [
      "title": "Write the parser",
      "labels": ["core", "json"],
      "done": false,
      "points": 3,
      "empty": [],
      "meta": ["z": [:], "a": [[], [1]]],
    ]
    let expected = """
      {
        "done": false,
        "empty": [],
        "labels": [
          "core",
          "json"
        ],
        "meta": {
          "a": [
            [],
            [
              1
            ]
          ],
          "z": {}
        },
        "points": 3,
        "title": "Write the parser"
      }

      """
    #expect(value.serialized() == expected)
    #expect(value.serializedBytes() == Array(expected.utf8))
    #expect(JSONValue.null.serialized() == "null\n")
    #expect(JSONValue.array([]).serialized() == "[]\n")
    #expect(JSONValue.object([:]).serialized() == "{}\n")
  }

  @Test func sortsKeysByUTF8Bytes() {
    // "e\u{301}" sorts before "f" by bytes; String's `<` compares it as "é" and puts it after.
    let value: JSONValue = [
      "b": 1, "a": 2, "B": 3, "aa": 4, "é": 5, "😀": 6, "\u{FFFF}": 7, "e\u{301}x": 8, "f": 9,
      "": 10,
    ]
    let expected =
      #"{"":10,"B":3,"a":2,"aa":4,"b":1,"e\#u{301}x":8,"f":9,"é":5,"\#u{FFFF}":7,"😀":6}"#
    #expect(value.serialized(pretty: false) == expected)
  }

  @Test func escapesStringsLikePython() {
    let value = JSONValue.string("\"\\/\n\r\t\u{8}\u{c}\u{0}\u{1}\u{1b}\u{1f} \u{7f}é\u{2028}😀")
    let expected = #""\"\\/\n\r\t\b\f\u0000\u0001\u001b\u001f "# + "\u{7f}é\u{2028}😀\""
    #expect(value.serialized(pretty: false) == expected)
    let key: JSONValue = ["a\"b": "c\nd"]
    #expect(key.serialized(pretty: false) == #"{"a\"b":"c\nd"}"#)
  }

  @Test func writesNumbers() {
    let cases: [(JSONValue, String)] = [
      (.int(0), "0"), (.int(-7), "-7"), (.int(.max), "9223372036854775807"),
      (.int(.min), "-9223372036854775808"), (.double(1), "1.0"), (.double(-0.0), "-0.0"),
      (.double(0.1), "0.1"), (.double(1e20), "1e+20"), (.double(1e-7), "1e-07"),
      (.double(1e15), "1000000000000000.0"), (.double(1e16), "1e+16"),
      (.double(9_007_199_254_740_994), "9007199254740994.0"),
      (.double(-9_999_999_999_999_998), "-9999999999999998.0"), (.double(1e-5), "1e-05"),
      (.double(123.456e-300), "1.23456e-298"), (.double(.leastNonzeroMagnitude), "5e-324"),
      (.double(0.0001), "0.0001"), (.double(.infinity), "null"), (.double(-.infinity), "null"),
      (.double(.nan), "null"),
    ]
    for (value, expected) in cases {
      #expect(value.serialized(pretty: false) == expected)
    }
  }

  static let roundTripValues: [JSONValue] = [
    .null, true, false, 0, -1, .int(.max), .int(.min), 0.5, -2.5e-300, 1e20, 1.0, "",
    "plain", "\"\\\n\u{0}\u{1f}/é😀\u{2028}", [], [:], [1, "two", [3.0], ["four": .null]],
    [
      "id": "T-42", "title": "Round trip", "tags": ["x", "y"], "estimate": 1.25,
      "nested": ["deeper": [[[[:]]]], "e\u{301}": "decomposed"],
    ],
  ]

  @Test(arguments: roundTripValues)
  func roundTrips(_ value: JSONValue) throws {
    #expect(try JSONValue.parse(value.serializedBytes()) == value)
    #expect(try JSONValue.parse(value.serialized(pretty: false)) == value)
  }

  @Test func reparsingPrettyOutputIsStable() throws {
    let text = #"{"z": [1, 2.50, 1E3, -0.0], "a": {"\u00e9\ud83d\ude00": "\/"}}"#
    let once = try JSONValue.parse(text).serialized()
    #expect(try JSONValue.parse(once).serialized() == once)
  }

  // MARK: Agreement with Python

  static let pythonValues: [JSONValue] = [
    [
      "id": "T-7", "title": "Ship it", "done": false, "points": 5, "owner": .null,
      "labels": ["release", "écriture", "日本"], "history": [[:], [], ["at": 1_700_000_000]],
    ],
    ["b": [1, [2, [3, []]]], "a": ["c": [:], "b": [], "a": [["x": "y"]]]],
    ["e\u{301}x": 1, "f": 2, "é": 3, "😀": 4, "\u{FFFF}": 5, "Z": 6, "": 7, "a b": 8],
    [
      "escapes": "\"\\/\n\r\t\u{8}\u{c}\u{0}\u{1}\u{1f}\u{7f}\u{2028}\u{2029}😀",
      "ke\ny\"": "value",
    ],
    [
      0.1, 1.0, -0.0, 1e20, 1e-7, 1e15, 1e16, 0.0001, 0.00001, 123_456_789.123,
      .double(.leastNonzeroMagnitude),
      1.7976931348623157e308, 9_007_199_254_740_993, .int(.max), .int(.min), 2.5e-8,
      1_234_567_890_123_456_789.0,
    ],
    "top-level string",
    42,
    [],
    [:],
  ]

  @Test(.enabled(if: Python.isAvailable, "python3 is not on PATH"), arguments: pythonValues)
  func prettyOutputMatchesPython(_ value: JSONValue) throws {
    let python = try Python.prettyPrint(value.serializedBytes(pretty: false))
    #expect(value.serialized() == python)
  }

  @Test(.enabled(if: Python.isAvailable, "python3 is not on PATH"))
  func doublesMatchPython() throws {
    // Random bit patterns cover every exponent; integral values near 2^53...1e16 are where
    // Swift's description and Python's repr choose different layouts.
    var generator = SplitMix64(seed: 2024)
    var doubles: [JSONValue] = []
    while doubles.count < 3000 {
      let random = Double(bitPattern: generator.next())
      if random.isFinite { doubles.append(.double(random)) }
      doubles.append(.double(Double(generator.next() % 20_000_000_000_000_000)))
      doubles.append(.double(Double(generator.next() % 1_000_000) / 1e9))
    }
    let value = JSONValue.array(doubles)
    #expect(value.serialized() == (try Python.prettyPrint(value.serializedBytes(pretty: false))))
  }

  /// Runs `json.dumps(indent=2, sort_keys=True, ensure_ascii=False)`, the format Tack matches.
  enum Python {
    static let script = """
      import json, sys
      value = json.load(sys.stdin)
      sys.stdout.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\\n")
      """

    static var isAvailable: Bool {
      let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
      return path.split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/python3")
      }
    }

    static func prettyPrint(_ json: [UInt8]) throws -> String {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["python3", "-c", script]
      process.environment = ProcessInfo.processInfo.environment.merging(
        ["PYTHONIOENCODING": "utf-8"], uniquingKeysWith: { $1 })
      let input = Pipe()
      let output = Pipe()
      process.standardInput = input
      process.standardOutput = output
      try process.run()
      input.fileHandleForWriting.write(Data(json))
      try input.fileHandleForWriting.close()
      let data = output.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
      return String(decoding: data, as: UTF8.self)
    }
  }
}
