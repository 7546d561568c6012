import Foundation

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

extension UUID {
    /// `uuidString.lowercased()` without the formatting call and the second string: ids are in every response.
    public var lowercasedText: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            writeLowercased(into: UnsafeMutableRawBufferPointer(buffer))
            return 36
        }
    }

    /// The 36 bytes of `lowercasedText` (lower-case hex in 8-4-4-4-12 groups) written into `out`, which has room for
    /// them: for a String or straight into a JSON body.
    func writeLowercased(into out: UnsafeMutableRawBufferPointer) {
        withUnsafeBytes(of: uuid) { raw in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let high = raw[index] >> 4, low = raw[index] & 0xF
                out[position] = high < 10 ? 48 + high : 87 + high
                out[position + 1] = low < 10 ? 48 + low : 87 + low
                position += 2
            }
        }
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
