import Foundation
import RoadworkDomain
import Testing
@testable import RoadworkHTTP

@Suite("JSONWriter writes the same JSON as Foundation's encoder with the API's conventions")
struct JSONWriterTests {
    /// The encoder the API used before JSONWriter: the reference every output is compared with.
    static let reference: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in Key(stringValue: JSONWriter.snakeCase(path.last!.stringValue)) }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Everything: Encodable {
        enum Mood: String, Encodable { case calm, tense }
        struct Inner: Encodable {
            let lastSeenAt: Date
            let tags: [String]
        }

        let someID: UUID
        let missingID: UUID?
        let text: String
        let count: Int
        let ratio: Double
        let wholeRatio: Double
        let tiny: Double
        let amount: Decimal
        let flag: Bool
        let mood: Mood
        let day: Day
        let inner: Inner
        let inners: [Inner]
        let matrix: [[Int]]
        let byName: [String: Int]
        let nothing: String?
        let url: URL

        enum CodingKeys: String, CodingKey {
            case someID, missingID, text, count, ratio, wholeRatio, tiny, amount, flag, mood, day, inner, inners, matrix, byName, nothing, url
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(someID, forKey: .someID)
            try container.encodeIfPresent(missingID, forKey: .missingID)
            try container.encode(text, forKey: .text)
            try container.encode(count, forKey: .count)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(wholeRatio, forKey: .wholeRatio)
            try container.encode(tiny, forKey: .tiny)
            try container.encode(amount, forKey: .amount)
            try container.encode(flag, forKey: .flag)
            try container.encode(mood, forKey: .mood)
            try container.encode(day, forKey: .day)
            var nested = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .inner)
            try nested.encode(count + 1, forKey: .count)
            try container.encode(inners, forKey: .inners)
            try container.encode(matrix, forKey: .matrix)
            try container.encode(byName, forKey: .byName)
            try container.encodeIfPresent(nothing, forKey: .nothing)
            try container.encode(url, forKey: .url)
        }
    }

    private func same<T: Encodable>(_ value: T) throws {
        let written = try JSONWriter.encode(value)
        let expected = try Self.reference.encode(value)
        let parsedWritten = try JSONSerialization.jsonObject(with: Data(written), options: [.fragmentsAllowed]) as? NSObject
        let parsedExpected = try JSONSerialization.jsonObject(with: expected, options: [.fragmentsAllowed]) as? NSObject
        #expect(parsedWritten == parsedExpected, "\(String(decoding: written, as: UTF8.self))\n≠ \(String(decoding: expected, as: UTF8.self))")
    }

    @Test func nestedContainersOptionalsAndSpecialValues() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.75)
        try same(Everything(
            someID: UUID(), missingID: nil, text: "quote \" backslash \\ slash / newline \n tab \t bell \u{7} é 🚧", count: -42,
            ratio: 0.1, wholeRatio: 3, tiny: 1e-7, amount: Decimal(string: "12345.67")!, flag: true, mood: .tense,
            day: Day("2026-02-09")!, inner: .init(lastSeenAt: date, tags: []),
            inners: [.init(lastSeenAt: date, tags: ["a", "b/c"]), .init(lastSeenAt: Date(timeIntervalSince1970: 0), tags: ["\"x\""])],
            matrix: [[], [1], [2, 3]], byName: ["camelCase": 1, "plain": 2], nothing: nil, url: URL(string: "https://example.com/a?b=c")!))
    }

    @Test func theBacklogEntryAsServed() throws {
        let objection = Objection(id: UUID(), statement: "Too expensive", obstacleID: nil, status: .open, mergedIntoID: UUID(), reportCount: 3,
                                  version: 2, createdAt: Date(timeIntervalSince1970: 1_790_000_000), updatedAt: Date())
        let breakdown = ScoreBreakdown(accounts: 2, reps: 1, reports: 3, demand: 1.75, strategic: 1.4, coverage: 1, valueAtStake: 120_000,
                                       lastReportedOn: nil)
        try same(["items": [BacklogController.Entry(objection: objection, score: breakdown.score, rank: 1, breakdown: breakdown,
                                                    obstacle: nil, activeContent: nil)]])
        try same([String: [Int]]())
        try same([Objection]())
    }

    @Test func notANumberIsRefused() {
        #expect(throws: EncodingError.self) { try JSONWriter.encode(["x": Double.nan]) }
    }
}
