import Foundation
// Ids as text (lower case), shared with the database client.
@_exported import UUIDText

// The API writes ids in lower case, as PostgreSQL and RFC 9562 do; Foundation would write upper case.
extension KeyedEncodingContainer {
    public mutating func encode(_ value: UUID, forKey key: Key) throws {
        try encode(value.lowercasedText, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: UUID?, forKey key: Key) throws {
        try encode(value?.lowercasedText, forKey: key)
    }

    public mutating func encode(_ value: UUID?, forKey key: Key) throws {
        try encode(value?.lowercasedText, forKey: key)
    }

    public mutating func encode(_ values: [UUID], forKey key: Key) throws {
        try encode(values.map(\.lowercasedText), forKey: key)
    }
}

/// A PATCH field that distinguishes "absent" (nil) from "null" (`.some(nil)`).
public struct Patch<Value: Decodable & Sendable>: Sendable {
    public let value: Value?
}

extension KeyedDecodingContainer {
    /// nil when the key is absent; `.some(nil)` when it is null.
    public func decodePatch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return .some(nil) }
        return .some(try decode(T.self, forKey: key))
    }
}

// Absent optional fields are written as `null`, so every field of API.md is always present. The concrete overloads repeat the
// generic one because the standard library's own concrete overloads for these types would otherwise be chosen.
extension KeyedEncodingContainer {
    public mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }

    public mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        guard let value else { return try encodeNil(forKey: key) }
        try encode(value, forKey: key)
    }
}
