import Foundation

/// A Swift type read from PostgreSQL's text format.
public protocol PostgresDecodable {
    /// Parses the server's text; nil means the text does not fit the type.
    init?(postgresText: String)
    /// Parses the server's text straight from libpq's buffer; types that can skip making a String first override it.
    init?(postgresBytes: UnsafeBufferPointer<UInt8>)
    /// What a NULL becomes, or nil when NULL is not allowed.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) { self.init(postgresText: String(decoding: bytes, as: UTF8.self)) }
    public static var postgresNull: Self? { nil }
}

extension String: PostgresDecodable {
    public init?(postgresText: String) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }

    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes
        guard !digits.isEmpty, digits.count <= 18 else { self.init(postgresText: String(decoding: bytes, as: UTF8.self)); return }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self = negative ? -value : value
    }
}

extension Int32: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Int64: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Double: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default: self.init(postgresText)
        }
    }

    /// Without making a String first: scores are in every backlog row. Text `wholeNumber` cannot take goes the String way.
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = Self.wholeNumber(bytes) else { self.init(postgresText: String(decoding: bytes, as: UTF8.self)); return }
        self = value
    }

    /// strtod on a terminated copy on the stack, when it reads the text to its end; nil for text it stops short in (not a
    /// number, or a locale whose decimal point is not "."), a leading blank (which strtod would skip) or a long text.
    private static func wholeNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count < 64, let first = bytes.first, first != UInt8(ascii: " ") else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { text -> Double? in
            for (index, byte) in bytes.enumerated() { text[index] = CChar(bitPattern: byte) }
            text[bytes.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(text.baseAddress!, &end)
            guard let end, end - text.baseAddress! == bytes.count else { return nil }
            return value
        }
    }
}

extension Decimal: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Decimal(string: postgresText, locale: Self.posix) else { return nil }
        self = value
    }

    /// Digits with at most one point and 18 digits in all (every deal amount) are read as a whole number and a power of
    /// ten, the value `Decimal(string:)` makes, without it (half a microsecond, fifty times in a list of reports).
    /// Anything else (NaN, an exponent, more digits) goes the String way.
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        let negative = bytes.first == UInt8(ascii: "-")
        var significand: UInt64 = 0, digits = 0, decimals = 0, point = false
        for byte in negative ? UnsafeBufferPointer(rebasing: bytes.dropFirst()) : bytes {
            if byte == UInt8(ascii: "."), !point {
                point = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") && digits < 18 {
                significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
                digits += 1
                if point { decimals += 1 }
            } else {
                self.init(postgresText: String(decoding: bytes, as: UTF8.self))
                return
            }
        }
        guard digits > 0 else { self.init(postgresText: String(decoding: bytes, as: UTF8.self)); return }
        self.init(sign: negative && significand != 0 ? .minus : .plus, exponent: -decimals, significand: Decimal(significand))
    }

    /// Made once: a Locale per decoded amount was a fiftieth of filing a report.
    private static let posix = Locale(identifier: "en_US_POSIX")
}

extension Bool: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }

    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 1 else { return nil }
        switch bytes[0] {
        case UInt8(ascii: "t"): self = true
        case UInt8(ascii: "f"): self = false
        default: return nil
        }
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText: String) {
        var text = postgresText
        guard let value = text.withUTF8({ UUID(postgresBytes: $0) }) else { return nil }
        self = value
    }

    /// `8-4-4-4-12` hex digits, read without `UUID(uuidString:)`'s sscanf: ids are most of what a row holds.
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 36, bytes[8] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: "-"), bytes[18] == UInt8(ascii: "-"),
              bytes[23] == UInt8(ascii: "-") else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        // Every digit's value is ORed into `invalid`, which a byte that is no hex digit sets past 15.
        var invalid: UInt8 = 0
        withUnsafeMutableBytes(of: &raw) { out in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
                let high = Self.hexValue(bytes[position]), low = Self.hexValue(bytes[position + 1])
                invalid |= high | low
                out[index] = high << 4 | low & 0xF
                position += 2
            }
        }
        guard invalid < 16 else { return nil }
        self.init(uuid: raw)
    }

    /// A hex digit's value, or 0xFF for any other byte.
    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8 {
        let digit = byte &- UInt8(ascii: "0")
        if digit < 10 { return digit }
        let letter = (byte | 0x20) &- UInt8(ascii: "a")
        return letter < 6 ? letter + 10 : 0xFF
    }
}

/// `timestamptz` (the session runs in UTC) and `date` (midnight UTC).
extension Date: PostgresDecodable {
    public init?(postgresText: String) {
        guard let date = PostgresTime.parse(postgresText) else { return nil }
        self = date
    }

    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard let date = PostgresTime.parse(bytes) else { return nil }
        self = date
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Wrapped(postgresText: postgresText) else { return nil }
        self = .some(value)
    }
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = Wrapped(postgresBytes: bytes) else { return nil }
        self = .some(value)
    }
    public static var postgresNull: Self? { .some(.none) }
}

/// One-dimensional arrays of any decodable element.
extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init?(postgresText: String) {
        guard let items = PostgresArrayLiteral.parse(postgresText) else { return nil }
        var values: [Element] = []
        values.reserveCapacity(items.count)
        for item in items {
            if let text = item {
                guard let value = Element(postgresText: text) else { return nil }
                values.append(value)
            } else {
                guard let null = Element.postgresNull else { return nil }
                values.append(null)
            }
        }
        self = values
    }
}

/// A `json`/`jsonb` column decoded into a Decodable type.
public struct PostgresJSONValue<Value: Decodable>: PostgresDecodable {
    public let value: Value
    public init?(postgresText: String) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let value = try? decoder.decode(Value.self, from: Data(postgresText.utf8)) else { return nil }
        self.value = value
    }
}

/// Parser of PostgreSQL's one-dimensional array output: `{a,"b c",NULL}`.
enum PostgresArrayLiteral {
    static func parse(_ text: String) -> [String?]? {
        var scalars = Substring(text).unicodeScalars[...]
        // Arrays with non-default bounds print a "[1:3]=" prefix.
        if scalars.first == "[" {
            guard let equals = scalars.firstIndex(of: "=") else { return nil }
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }
        var items: [String?] = []
        var current = String.UnicodeScalarView()
        var quoted = false, wasQuoted = false, escaped = false
        for scalar in scalars {
            if escaped { current.append(scalar); escaped = false; continue }
            switch scalar {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle(); wasQuoted = true
            case "," where !quoted:
                items.append(item(current, wasQuoted)); current = .init(); wasQuoted = false
            default: current.append(scalar)
            }
        }
        items.append(item(current, wasQuoted))
        return items
    }

    private static func item(_ scalars: String.UnicodeScalarView, _ quoted: Bool) -> String? {
        let text = String(scalars)
        return (!quoted && text == "NULL") ? nil : text
    }
}
