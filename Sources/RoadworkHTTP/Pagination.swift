import Foundation
import Hummingbird

/// `?limit=` (default 50, max 200) and an opaque `?cursor=`, as API.md sets for every list.
struct Page {
    static let defaultLimit = 50
    static let maxLimit = 200

    let limit: Int
    let cursor: [String]?

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
        if let text = query["cursor"].map(String.init) {
            guard let cursor = Self.decode(text) else {
                throw Problem.invalid([.init(field: "cursor", message: "is not a cursor this server gave out")])
            }
            self.cursor = cursor
        } else {
            self.cursor = nil
        }
    }

    /// A cursor holding the sort key of the last item returned.
    static func encode(_ key: [String]) -> String {
        let data = (try? JSONEncoder().encode(key)) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [String]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONDecoder().decode([String].self, from: data)
    }
}

/// A page of a list: `{"items":[...],"next_cursor":null|string}`.
struct ListResponse<Item: Encodable>: Encodable {
    let items: [Item]
    let nextCursor: String?

    /// Fetches one extra item to know whether a next page exists.
    init(fetched: [Item], limit: Int, key: (Item) -> [String]) {
        self.items = Array(fetched.prefix(limit))
        self.nextCursor = fetched.count > limit ? items.last.map { Page.encode(key($0)) } : nil
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    private enum CodingKeys: String, CodingKey { case items, nextCursor }
}
