import CivilCalendar
import Foundation

/// Fast conversion between `Date` and PostgreSQL's ISO text in UTC, without a Calendar.
enum PostgresTime {
    /// Formats as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let date = CivilCalendar.date(days: Int(days))
        guard (0...9999).contains(date.year) else {
            return String(format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld+00",
                          Int64(date.year), Int64(date.month), Int64(date.day), secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, fraction)
        }
        // Digits written in place: String(format:) cost more than the rest of sending the parameter.
        var text: [UInt8] = []
        text.reserveCapacity(29)
        func digits(_ value: Int64, _ width: Int, then separator: Character?) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(48 + value / divisor % 10))
                divisor /= 10
            }
            if let separator { text.append(separator.asciiValue!) }
        }
        digits(Int64(date.year), 4, then: "-")
        digits(Int64(date.month), 2, then: "-")
        digits(Int64(date.day), 2, then: " ")
        digits(secondOfDay / 3600, 2, then: ":")
        digits(secondOfDay / 60 % 60, 2, then: ":")
        digits(secondOfDay % 60, 2, then: ".")
        digits(fraction, 6, then: nil)
        text.append(contentsOf: "+00".utf8)
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM]]`; a bare date is midnight UTC.
    static func parse(_ text: String) -> Date? { parse(Array(text.utf8)) }

    /// Parses the text's bytes where they are (libpq's buffer for a column).
    static func parse<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Date? where Bytes.Index == Int {
        var index = bytes.startIndex
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.endIndex else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + width] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.endIndex, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2) else { return nil }
        var seconds = Int64(CivilCalendar.days(year: Int(year), month: Int(month), day: Int(day))) * 86_400
        var micros: Int64 = 0
        if index < bytes.endIndex {
            guard expect(32) || expect(84), let hour = number(2), expect(58), let minute = number(2), expect(58),
                  let second = number(2) else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if expect(46) {
                var scale: Int64 = 100_000
                while index < bytes.endIndex, bytes[index] >= 48 && bytes[index] <= 57 {
                    micros += Int64(bytes[index] - 48) * scale
                    scale /= 10
                    index += 1
                }
            }
            if index < bytes.endIndex {
                let sign: Int64
                if expect(43) { sign = 1 } else if expect(45) { sign = -1 } else if expect(90) { sign = 0 } else { return nil }
                if sign != 0 {
                    guard let offsetHours = number(2) else { return nil }
                    var offset = offsetHours * 3600
                    if expect(58) { guard let m = number(2) else { return nil }; offset += m * 60 }
                    if expect(58) { guard let s = number(2) else { return nil }; offset += s }
                    seconds -= sign * offset
                }
            }
            guard index == bytes.endIndex else { return nil }
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }
}
