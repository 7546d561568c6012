import Foundation

/// A Swift type read from PostgreSQL's text format.
public protocol PostgresDecodable {
    /// Parses the server's text; nil means the text does not fit the type.
    init?(postgresText: String)
    /// What a NULL becomes, or nil when NULL is not allowed.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension String: PostgresDecodable {
    public init?(postgresText: String) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }
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
}

extension Decimal: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Decimal(string: postgresText, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init?(postgresText: String) {
        switch postgresText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText: String) { self.init(uuidString: postgresText) }
}

/// `timestamptz` (the session runs in UTC) and `date` (midnight UTC).
extension Date: PostgresDecodable {
    public init?(postgresText: String) {
        guard let date = PostgresTime.parse(postgresText) else { return nil }
        self = date
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText: String) {
        guard let value = Wrapped(postgresText: postgresText) else { return nil }
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
