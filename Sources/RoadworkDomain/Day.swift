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
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let number = Self.days(year: year, month: month, day: day)
        guard Day(number: number).components == (year, month, day) else { return nil }
        self.number = number
    }

    public static func today(_ now: Date = Date()) -> Day { Day(now) }

    public func adding(days: Int) -> Day { Day(number: number + days) }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.number < rhs.number }

    public var description: String {
        let (y, m, d) = components
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// Midnight UTC of this day.
    public var date: Date { Date(timeIntervalSince1970: Double(number) * 86_400) }

    /// Year, month and day in the proleptic Gregorian calendar, UTC.
    public var components: (Int, Int, Int) {
        let parts = Self.calendar.dateComponents([.year, .month, .day], from: date)
        return (parts.year!, parts.month!, parts.day!)
    }

    static func days(year: Int, month: Int, day: Int) -> Int {
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        return Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

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
