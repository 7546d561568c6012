import Foundation

// The API writes ids in lower case, as PostgreSQL and RFC 9562 do; Foundation would write upper case.
extension KeyedEncodingContainer {
    mutating func encode(_ value: UUID, forKey key: Key) throws {
        try encode(value.uuidString.lowercased(), forKey: key)
    }

    mutating func encodeIfPresent(_ value: UUID?, forKey key: Key) throws {
        try encodeIfPresent(value?.uuidString.lowercased(), forKey: key)
    }

    mutating func encode(_ value: UUID?, forKey key: Key) throws {
        try encode(value?.uuidString.lowercased(), forKey: key)
    }

    mutating func encode(_ values: [UUID], forKey key: Key) throws {
        try encode(values.map { $0.uuidString.lowercased() }, forKey: key)
    }
}
