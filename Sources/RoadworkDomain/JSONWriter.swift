import Foundation
import Synchronization

/// Writes any Encodable value straight into JSON bytes with the API's conventions: snake_case keys, RFC 3339 UTC times,
/// unescaped slashes. Foundation's JSONEncoder first builds a tree of boxed values and a coding path per key, which
/// was half the server's CPU on a backlog read; the output here parses to the same JSON.
public enum JSONWriter {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = StreamingJSONEncoder()
        try encoder.write(value)
        return encoder.bytes
    }

    /// A Swift property name as an API field: camelCase humps become underscores ("dealAmount" → "deal_amount").
    public static func snakeCase(_ name: String) -> String {
        var result = ""
        for (index, character) in name.enumerated() {
            if character.isUppercase {
                let previous = index > 0 ? Array(name)[index - 1] : nil
                if index > 0, previous?.isUppercase == false { result.append("_") }
                result.append(contentsOf: character.lowercased())
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// Streams one value: containers are written as they are opened and closed when a sibling or the value's end comes.
final class StreamingJSONEncoder: Encoder {
    var bytes: [UInt8] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Open containers, innermost last: the byte that closes each, and whether it holds an element yet.
    private var open: [(closer: UInt8, hasElement: Bool)] = []
    /// For each value being written, how many containers were open when it started.
    private var valueStarts: [Int] = []

    init() { bytes.reserveCapacity(4096) }

    func write<T: Encodable>(_ value: T) throws {
        // Known leaf types by metatype identity first: cheaper than a dynamic cast for every value written.
        switch ObjectIdentifier(T.self) {
        case ObjectIdentifier(String.self): return writeString(unsafeBitCast(value, to: String.self))
        case ObjectIdentifier(Int.self): return writeInt(unsafeBitCast(value, to: Int.self))
        case ObjectIdentifier(Double.self): return try writeDouble(unsafeBitCast(value, to: Double.self))
        case ObjectIdentifier(Bool.self): return bytes.append(contentsOf: (unsafeBitCast(value, to: Bool.self) ? "true" : "false").utf8)
        case ObjectIdentifier(Date.self): return writeDate(unsafeBitCast(value, to: Date.self))
        default: break
        }
        switch value {
        case let url as URL: writeString(url.absoluteString)
        case let decimal as Decimal: bytes.append(contentsOf: decimal.description.utf8)
        case let dictionary as [String: any Encodable]:
            // Dictionary keys are data, not property names: written as they are, as JSONEncoder does.
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in dictionary.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(key)
                bytes.append(UInt8(ascii: ":"))
                try write(element)
            }
            bytes.append(UInt8(ascii: "}"))
        default:
            let start = open.count
            let written = bytes.count
            valueStarts.append(start)
            defer { valueStarts.removeLast() }
            try value.encode(to: self)
            close(above: start)
            if bytes.count == written { bytes.append(contentsOf: "{}".utf8) }  // as JSONEncoder writes a value that wrote nothing
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(encoder: self, level: openOrReuse(UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWriter(encoder: self, level: openOrReuse(UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueWriter(encoder: self) }

    /// Opens a container for the value being written, or returns the one it already opened (a second request for it).
    private func openOrReuse(_ opener: UInt8, _ closer: UInt8) -> Int {
        let start = valueStarts.last ?? 0
        if open.count > start { return start }
        bytes.append(opener)
        open.append((closer, false))
        return open.count - 1
    }

    func close(above level: Int) {
        while open.count > level { bytes.append(open.removeLast().closer) }
    }

    /// Starts an element of the container at `level`: closes nested containers left open and writes the comma.
    func beginElement(at level: Int) {
        close(above: level + 1)
        if open[level].hasElement { bytes.append(UInt8(ascii: ",")) }
        open[level].hasElement = true
    }

    /// `"snake_key":` for a Swift property name: camelCase humps become underscores as `snakeCase` does.
    func writeKey(_ name: String) {
        // Property names are few and repeat in every row: each is converted once, then copied in one go.
        let key = Self.snakeKeys.withLock { keys in
            if let key = keys[name] { return key }
            let key = Array("\"\(JSONWriter.snakeCase(name))\":".utf8)
            if keys.count < 4096 { keys[name] = key }
            return key
        }
        bytes.append(contentsOf: key)
    }

    /// Each property name as written: quoted, snake_case, with its colon.
    private static let snakeKeys = Mutex<[String: [UInt8]]>([:])

    func writeNull() { bytes.append(contentsOf: "null".utf8) }

    func writeDouble(_ number: Double) throws {
        guard number.isFinite else {
            throw EncodingError.invalidValue(number, .init(codingPath: [], debugDescription: "JSON has no \(number)"))
        }
        bytes.append(contentsOf: number.description.utf8)
    }

    func writeInt(_ number: Int) { bytes.append(contentsOf: String(number).utf8) }

    func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text needs no escaping: copy it in one go.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A time as a quoted RFC 3339 string, digits written in place.
    func writeDate(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        bytes.append(UInt8(ascii: "\""))
        for digit in [year / 1000 % 10, year / 100 % 10, year / 10 % 10, year % 10] { bytes.append(UInt8(48 + digit)) }
        for (separator, value) in [("-", parts.tm_mon + 1), ("-", parts.tm_mday), ("T", parts.tm_hour), (":", parts.tm_min), (":", parts.tm_sec)] {
            bytes.append(UInt8(ascii: separator.unicodeScalars.first!))
            bytes.append(UInt8(48 + value / 10))
            bytes.append(UInt8(48 + value % 10))
        }
        bytes.append(contentsOf: "Z\"".utf8)
    }
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamingJSONEncoder
    let level: Int
    var codingPath: [any CodingKey] { [] }

    private func key(_ key: Key) {
        encoder.beginElement(at: level)
        encoder.writeKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { self.key(key); encoder.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { self.key(key); try encoder.write(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.key(key); encoder.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { self.key(key); try encoder.writeDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { self.key(key); try encoder.writeDouble(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.key(key); try encoder.write(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.key(key); encoder.bytes.append(contentsOf: String(value).utf8) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.key(key); encoder.bytes.append(contentsOf: String(value).utf8) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { self.key(key); try encoder.write(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(encoder: encoder, level: encoder.openNested(UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return UnkeyedWriter(encoder: encoder, level: encoder.openNested(UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { self.key(key); return encoder }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let encoder: StreamingJSONEncoder
    let level: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(encoder: StreamingJSONEncoder, level: Int) {
        self.encoder = encoder
        self.level = level
    }

    private mutating func element() {
        encoder.beginElement(at: level)
        count += 1
    }

    mutating func encodeNil() throws { element(); encoder.writeNull() }
    mutating func encode<T: Encodable>(_ value: T) throws { element(); try encoder.write(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        return KeyedEncodingContainer(KeyedWriter<NestedKey>(encoder: encoder, level: encoder.openNested(UInt8(ascii: "{"), UInt8(ascii: "}"))))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        element()
        return UnkeyedWriter(encoder: encoder, level: encoder.openNested(UInt8(ascii: "["), UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder { element(); return encoder }
}

private struct SingleValueWriter: SingleValueEncodingContainer {
    let encoder: StreamingJSONEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.writeNull() }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.write(value) }
}

extension StreamingJSONEncoder {
    /// Opens a container nested as an element of the current one; it closes when its parent's next element begins.
    func openNested(_ opener: UInt8, _ closer: UInt8) -> Int {
        bytes.append(opener)
        open.append((closer, false))
        return open.count - 1
    }
}
