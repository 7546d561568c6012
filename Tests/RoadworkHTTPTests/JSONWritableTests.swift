import Foundation
import Testing
@testable import RoadworkDomain
@testable import RoadworkHTTP

/// Each hand-written JSON writer against the same value written through its Encodable conformance: a field added to a
/// type but not to its writer, a misspelt name or a different order fails here.
@Suite("Hand-written JSON equals what Encodable writes")
struct JSONWritableTests {
    static let when = Date(timeIntervalSince1970: 1_764_000_123.75)
    static let id = UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!

    static let objection = Objection(id: id, statement: "No \"SSO\"\\n\tsupport / SAML", obstacleID: UUID(), status: .merged,
                                     mergedIntoID: UUID(), reportCount: 12, version: 3, createdAt: when, updatedAt: when.addingTimeInterval(86_400 * 400))
    static let bareObjection = Objection(id: id, statement: "", obstacleID: nil, status: .open, mergedIntoID: nil, reportCount: 0,
                                         version: 1, createdAt: when, updatedAt: when)
    static let breakdown = ScoreBreakdown(accounts: 4, reps: 2, reports: 9, demand: 6803.075404306852, strategic: 1.5, coverage: 0.25,
                                          valueAtStake: 595_367_000, lastReportedOn: Day("2026-02-28"))
    static let focus = FocusItem(id: id, kind: .obstacle, title: "Security reviews", description: "Line one\nline two", status: .top5,
                                 rank: 2, version: 4, createdAt: when, updatedAt: when)
    static let content = ContentItem(id: id, objectionID: UUID(), opportunityID: nil, title: "SSO one-pager", format: .onePager,
                                     status: .published, assigneeID: UUID(), effort: 3, url: "https://example.com/a/b?c=d",
                                     publishedAt: when, version: 2, createdAt: when, updatedAt: when)
    static let bareContent = ContentItem(id: id, objectionID: nil, opportunityID: UUID(), title: "t", format: .battlecard, status: .todo,
                                         assigneeID: nil, effort: nil, url: nil, publishedAt: nil, version: 1, createdAt: when, updatedAt: when)
    static let report = FieldReport(id: id, reporterID: UUID(), summary: "They asked — again — about \u{1}SSO", account: "Acme Ltd",
                                    dealAmount: Decimal(string: "12500.50"), stage: .negotiation, competitor: "Rival", persona: "CISO",
                                    industry: "Banking", product: "Core", occurredOn: Day("2026-01-05")!, objectionID: UUID(),
                                    triagedAt: when, createdAt: when)
    static let bareReport = FieldReport(id: id, reporterID: UUID(), summary: "s", account: "a", dealAmount: nil, stage: nil, competitor: nil,
                                        persona: nil, industry: nil, product: nil, occurredOn: Day("2026-01-05")!, objectionID: nil,
                                        triagedAt: nil, createdAt: when)

    private func same<T: JSONWritable>(_ value: T) throws {
        var json = JSONOutput()
        try value.writeJSON(to: &json)
        let containers = try JSONWriter.encodeThroughContainers(value, writables: false)
        #expect(String(decoding: json.bytes, as: UTF8.self) == String(decoding: containers, as: UTF8.self))
        #expect(try JSONWriter.encode(value) == containers)
    }

    @Test func domainTypes() throws {
        for value in [Self.objection, Self.bareObjection] { try same(value) }
        try same(Self.breakdown)
        try same(ScoreBreakdown(accounts: 0, reps: 0, reports: 0, demand: 0, strategic: 1, coverage: 1, valueAtStake: 0, lastReportedOn: nil))
        try same(Self.focus)
        try same(FocusItem(id: Self.id, kind: .opportunity, title: "x", description: "", status: .candidate, rank: nil, version: 1,
                           createdAt: Self.when, updatedAt: Self.when))
        for value in [Self.content, Self.bareContent] { try same(value) }
        for value in [Self.report, Self.bareReport] { try same(value) }
    }

    @Test func responses() throws {
        try same(BacklogController.Entry(objection: Self.objection, score: 12.5, rank: 1, breakdown: Self.breakdown, obstacle: Self.focus,
                                         activeContent: Self.content))
        try same(BacklogController.Entry(objection: Self.bareObjection, score: 0.1, rank: 20, breakdown: Self.breakdown, obstacle: nil,
                                         activeContent: nil))
        try same(FocusController.Focus(opportunities: [], obstacles: [Self.focus, Self.focus],
                                       progress: [.init(itemId: Self.id, bites: 3, published: 1)]))
        try same(ReportController.Filed(report: Self.report, similar: [.init(objection: Self.objection, similarity: 0.75)]))
        try same(ReportController.Filed(report: Self.bareReport, similar: []))
        try same(ListResponse(fetched: [Self.report, Self.bareReport], limit: 1) { $0.id.lowercasedText })
        try same(ListResponse(fetched: [Self.objection], limit: 5) { $0.id.lowercasedText })
    }

    @Test func timesAreWrittenInRFC3339AsFoundationWritesTheirWholeSeconds() {
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let samples = [-1.5, 0, 951_782_400, 1_709_164_799.999, 4_102_444_800] + (0..<2000).map { _ in Double.random(in: -2_208_988_800...7_258_118_400, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            var json = JSONOutput()
            json.date(date)
            // Whole seconds, the fraction cut off (Foundation rounds a fraction a hair below the next second up).
            let expected = formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.down)))
            #expect(String(decoding: json.bytes, as: UTF8.self) == "\"\(expected)\"", "\(seconds)")
        }
    }

    @Test func aNonFiniteNumberIsRefusedAsEncodableRefusesIt() throws {
        var json = JSONOutput()
        #expect(throws: EncodingError.self) { try Double.nan.writeJSON(to: &json) }
        #expect(throws: EncodingError.self) { try JSONWriter.encodeThroughContainers(["x": Double.infinity], writables: false) }
    }
}
