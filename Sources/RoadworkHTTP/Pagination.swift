import Foundation
import Hummingbird
import RoadworkDomain

/// `?limit=` (default 50, max 200) and `?cursor=`, as API.md sets for every list.
///
/// A cursor holds the sort key of the last item returned, written so that a pattern in openapi.yaml describes exactly
/// the cursors the server reads: `<microseconds>_<uuid>` for lists newest first, `<hex of UTF-8 text>_<uuid>` for lists
/// by name, `<event number>` for the audit log. Any text of that shape is a valid position; anything else is 422.
struct Page {
    static let defaultLimit = 50
    static let maxLimit = 200

    let limit: Int
    private let cursor: Substring?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else {
                throw Problem.invalid([.init(field: "limit", message: "must be a whole number from 1 to \(Self.maxLimit)")])
            }
            self.limit = limit
        } else {
            self.limit = Self.defaultLimit
        }
        self.cursor = query["cursor"]
    }

    private static func unreadable() -> Problem {
        Problem.invalid([.init(field: "cursor", message: "is not a cursor this list gave out (copy next_cursor)")])
    }

    /// Splits `<head>_<uuid>`.
    private func keyed() throws -> (head: Substring, id: UUID)? {
        guard let cursor else { return nil }
        guard let underscore = cursor.lastIndex(of: "_"), let id = UUID(uuidString: String(cursor[cursor.index(after: underscore)...])) else {
            throw Self.unreadable()
        }
        return (cursor[..<underscore], id)
    }

    /// A `(time, id)` keyset cursor as lists ordered newest first use.
    var timeCursor: (Date, UUID)? {
        get throws {
            guard let (head, id) = try keyed() else { return nil }
            guard let micros = head.wholeNumber(maxDigits: 16) else { throw Self.unreadable() }
            return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
        }
    }

    /// A `(text, id)` keyset cursor as lists ordered by name use.
    var textCursor: (String, UUID)? {
        get throws {
            guard let (head, id) = try keyed() else { return nil }
            guard head.count % 2 == 0, head.count <= Self.maxTextKeyBytes * 2, let bytes = Hex.bytes(head) else { throw Self.unreadable() }
            // Any bytes are a position: invalid UTF-8 reads as U+FFFD and NUL (which PostgreSQL text cannot hold) is dropped.
            return (String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self), id)
        }
    }

    /// A number cursor, as the audit log (newest first by event number) uses.
    var sequenceCursor: Int64? {
        get throws {
            guard let cursor else { return nil }
            guard let number = cursor.wholeNumber(maxDigits: 18) else { throw Self.unreadable() }
            return number
        }
    }

    static let maxTextKeyBytes = 4096

    static func timeKey(_ date: Date, _ id: UUID) -> String {
        "\(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))_\(id.lowercasedText)"
    }

    static func textKey(_ text: String, _ id: UUID) -> String {
        "\(text.utf8.prefix(maxTextKeyBytes).lowercaseHex)_\(id.lowercasedText)"
    }

    static func sequenceKey(_ number: Int64) -> String { String(number) }
}

/// A page of a list: `{"items":[...],"next_cursor":null|string}`.
struct ListResponse<Item: Encodable>: Encodable {
    let items: [Item]
    let nextCursor: String?

    /// Fetches one extra item to know whether a next page exists.
    init(fetched: [Item], limit: Int, key: (Item) -> String) {
        self.items = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? items.last.map(key) : nil
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    private enum CodingKeys: String, CodingKey { case items, nextCursor }
}

extension ListResponse: JSONWritable where Item: JSONWritable {
    func writeJSON(to json: inout JSONOutput) throws {
        try json.object { json in
            try json.field("items", items)
            try json.field("next_cursor", nextCursor)
        }
    }
}

extension Substring {
    /// 1 to `maxDigits` ASCII digits and nothing else (no sign, no blanks) as a number; cursors and ETags are written so.
    func wholeNumber(maxDigits: Int) -> Int64? {
        guard (1...maxDigits).contains(utf8.count), utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return Int64(self)
    }
}
