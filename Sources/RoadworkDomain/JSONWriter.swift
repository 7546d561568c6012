import Foundation
import Synchronization

/// Writes any Encodable value straight into JSON bytes with the API's conventions: snake_case keys, RFC 3339 UTC times,
/// unescaped slashes. Foundation's JSONEncoder first builds a tree of boxed values and a coding path per key, which
/// was half the server's CPU on a backlog read; the output here parses to the same JSON.
public enum JSONWriter {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var json = JSONOutput()
            try writable.writeJSON(to: &json)
            return json.bytes
        }
        return try encodeThroughContainers(value)
    }

    /// The value written through its Encodable conformance alone, as every value without a JSONWritable one is.
    static func encodeThroughContainers<T: Encodable>(_ value: T, writables: Bool = true) throws -> [UInt8] {
        let encoder = StreamingJSONEncoder(writables: writables)
        try encoder.write(value)
        return encoder.json.bytes
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
    var json = JSONOutput()
    /// Whether a nested JSONWritable value writes itself (always, but where a test compares the two ways).
    private let writables: Bool
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Open containers, innermost last: the byte that closes each, and whether it holds an element yet.
    private var open: [(closer: UInt8, hasElement: Bool)] = []
    /// For each value being written, how many containers were open when it started.
    private var valueStarts: [Int] = []

    init(writables: Bool = true) { self.writables = writables }

    func write<T: Encodable>(_ value: T) throws {
        // Known leaf types by metatype identity first: cheaper than a dynamic cast for every value written.
        switch ObjectIdentifier(T.self) {
        case ObjectIdentifier(String.self): return json.string(unsafeBitCast(value, to: String.self))
        case ObjectIdentifier(Int.self): return json.int(unsafeBitCast(value, to: Int.self))
        case ObjectIdentifier(Double.self): return try json.double(unsafeBitCast(value, to: Double.self))
        case ObjectIdentifier(Bool.self): return unsafeBitCast(value, to: Bool.self).writeJSON(to: &json)
        case ObjectIdentifier(Date.self): return json.date(unsafeBitCast(value, to: Date.self))
        default: break
        }
        if writables, let writable = value as? any JSONWritable { return try writable.writeJSON(to: &json) }
        switch value {
        case let url as URL: json.string(url.absoluteString)
        case let decimal as Decimal: decimal.writeJSON(to: &json)
        case let dictionary as [String: any Encodable]:
            // Dictionary keys are data, not property names: written as they are, as JSONEncoder does.
            json.bytes.append(UInt8(ascii: "{"))
            for (index, (key, element)) in dictionary.enumerated() {
                if index > 0 { json.bytes.append(UInt8(ascii: ",")) }
                json.string(key)
                json.bytes.append(UInt8(ascii: ":"))
                try write(element)
            }
            json.bytes.append(UInt8(ascii: "}"))
        default:
            let start = open.count
            let written = json.bytes.count
            valueStarts.append(start)
            defer { valueStarts.removeLast() }
            try value.encode(to: self)
            close(above: start)
            if json.bytes.count == written { json.bytes.append(contentsOf: "{}".utf8) }  // as JSONEncoder writes a value that wrote nothing
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
        json.bytes.append(opener)
        open.append((closer, false))
        return open.count - 1
    }

    func close(above level: Int) {
        while open.count > level { json.bytes.append(open.removeLast().closer) }
    }

    /// Starts an element of the container at `level`: closes nested containers left open and writes the comma.
    func beginElement(at level: Int) {
        close(above: level + 1)
        if open[level].hasElement { json.bytes.append(UInt8(ascii: ",")) }
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
        json.bytes.append(contentsOf: key)
    }

    /// Each property name as written: quoted, snake_case, with its colon.
    private static let snakeKeys = Mutex<[String: [UInt8]]>([:])
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamingJSONEncoder
    let level: Int
    var codingPath: [any CodingKey] { [] }

    private func key(_ key: Key) {
        encoder.beginElement(at: level)
        encoder.writeKey(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { self.key(key); encoder.json.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { self.key(key); try encoder.write(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.key(key); encoder.json.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { self.key(key); try encoder.json.double(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { self.key(key); try encoder.json.double(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.key(key); try encoder.write(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.key(key); encoder.json.bytes.append(contentsOf: String(value).utf8) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.key(key); try encoder.write(Int(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.key(key); encoder.json.bytes.append(contentsOf: String(value).utf8) }
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

    mutating func encodeNil() throws { element(); encoder.json.null() }
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

    mutating func encodeNil() throws { encoder.json.null() }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.write(value) }
}

extension StreamingJSONEncoder {
    /// Opens a container nested as an element of the current one; it closes when its parent's next element begins.
    func openNested(_ opener: UInt8, _ closer: UInt8) -> Int {
        json.bytes.append(opener)
        open.append((closer, false))
        return open.count - 1
    }
}
