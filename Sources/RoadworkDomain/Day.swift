import CivilCalendar
import Foundation

/// A calendar day (UTC), as reports and the backlog count time: `YYYY-MM-DD`.
public struct Day: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let number: Int

    public init(number: Int) { self.number = number }

    /// The UTC day a moment falls on.
    public init(_ date: Date) { number = Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    /// Parses `YYYY-MM-DD`; nil when it is not a real date.
    public init?(_ text: String) {
        var text = text
        guard let day = text.withUTF8({ Day(utf8: $0) }) else { return nil }
        self = day
    }

    /// Parses `YYYY-MM-DD` from its bytes (a database column's, where they are).
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let number = CivilCalendar.days(year: year, month: month, day: day)
        guard Day(number: number).components == (year, month, day) else { return nil }
        self.number = number
    }

    public static func today(_ now: Date = Date()) -> Day { Day(now) }

    public func adding(days: Int) -> Day { Day(number: number + days) }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.number < rhs.number }

    public var description: String {
        String(unsafeUninitializedCapacity: 10) { buffer in
            var position = 0
            forEachByte { buffer[position] = $0; position += 1 }
            return position
        }
    }

    /// The 10 bytes of `YYYY-MM-DD`, one at a time: four + two + two digits written directly, for a String or straight
    /// into a JSON body (this runs for every date of every response).
    func forEachByte(_ body: (UInt8) -> Void) {
        let (year, month, day) = components
        for digit in [(year / 1000) % 10, (year / 100) % 10, (year / 10) % 10, year % 10, -1, month / 10, month % 10, -1, day / 10, day % 10] {
            body(digit < 0 ? UInt8(ascii: "-") : UInt8(48 + digit))
        }
    }

    /// Midnight UTC of this day.
    public var date: Date { Date(timeIntervalSince1970: Double(number) * 86_400) }

    /// Year, month and day in the proleptic Gregorian calendar, UTC.
    public var components: (Int, Int, Int) {
        let date = CivilCalendar.date(days: number)
        return (date.year, date.month, date.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let day = Day(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be a date YYYY-MM-DD"))
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
