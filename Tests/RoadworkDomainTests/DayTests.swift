import Foundation
import Testing
@testable import RoadworkDomain

@Suite("Day")
struct DayTests {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    @Test("Days map to the same year, month and day as Foundation's Gregorian calendar, and back")
    func matchesFoundationCalendar() {
        // Every day from 1601 to 2399 (leap centuries and ordinary ones), checked both ways.
        var mismatches: [Int] = []
        for number in -134_774...156_216 {
            let day = Day(number: number)
            let parts = Self.calendar.dateComponents([.year, .month, .day], from: day.date)
            if day.components != (parts.year!, parts.month!, parts.day!) || Day(day.description) != day { mismatches.append(number) }
        }
        #expect(mismatches.isEmpty, "first differing day numbers: \(mismatches.prefix(5))")
    }

    @Test("Text is YYYY-MM-DD; impossible dates are refused")
    func parsesAndPrints() {
        #expect(Day(number: 0).description == "1970-01-01")
        #expect(Day("2026-11-23")?.description == "2026-11-23")
        #expect(Day("2024-02-29") != nil)
        #expect(Day("2023-02-29") == nil)
        #expect(Day("1900-02-29") == nil)
        #expect(Day("2000-02-29") != nil)
        #expect(Day("2026-04-31") == nil)
        #expect(Day("2026-13-01") == nil)
        #expect(Day("0999-12-31")?.description == "0999-12-31")
        #expect(Day("2026-1-01") == nil)
    }
}
