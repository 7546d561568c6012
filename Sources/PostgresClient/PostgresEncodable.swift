import Foundation
import UUIDText

/// A Swift value sent as a statement parameter, in PostgreSQL's text format (nil is NULL).
public protocol PostgresEncodable: Sendable {
    var postgresText: String? { get }
}

extension String: PostgresEncodable { public var postgresText: String? { self } }
extension Substring: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int32: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Int64: PostgresEncodable { public var postgresText: String? { String(self) } }
extension Bool: PostgresEncodable { public var postgresText: String? { self ? "t" : "f" } }
// Written without Foundation's formatter, which was 5% of the triage page's server CPU (an array of ids per page).
extension UUID: PostgresEncodable { public var postgresText: String? { lowercasedText } }
extension Decimal: PostgresEncodable { public var postgresText: String? { description } }

extension Double: PostgresEncodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Date: PostgresEncodable {
    public var postgresText: String? { PostgresTime.format(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// Arrays go as PostgreSQL array literals: `{"a","b",NULL}`.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// `{"a","b\"c",NULL}`, byte by byte: Foundation's replacingOccurrences was a twelfth of the triage page's CPU
    /// (its suggestions are looked up by an array of ids).
    public var postgresText: String? {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let text = element.postgresText else { bytes.append(contentsOf: "NULL".utf8); continue }
            bytes.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A value sent as JSON text, for `json`/`jsonb` parameters.
public struct PostgresJSON<Value: Encodable & Sendable>: PostgresEncodable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public var postgresText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
