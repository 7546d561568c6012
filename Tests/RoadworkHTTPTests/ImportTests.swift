import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RoadworkActions
import RoadworkDomain
@testable import RoadworkHTTP
import RoadworkStore
import Testing

@Suite("Importing field reports from a CRM's CSV")
struct ImportTests {
    func identity(_ app: TestApp, _ org: TestOrganization, _ role: Role = .marketer) async throws -> Identity {
        try #require(try await app.database.tenant(org.id) { try $0.actingIdentity(email: org.emails[role]!) })
    }

    func reportCount(_ app: TestApp, _ org: TestOrganization) async throws -> Int {
        try await app.database.tenant(org.id) { try $0.connection.query("SELECT count(*)::integer AS n FROM field_reports").first!.decode("n") }
    }

    func run(_ app: TestApp, _ who: Identity, _ csv: String, map: [String] = [], preset: String? = nil) async throws -> ImportSummary {
        try await Actions(database: app.database).importReports(by: who, from: .bytes(Array(csv.utf8), fileName: "deals.csv"),
                                                                mapping: try ImportMapping.parse(map), preset: preset)
    }

    static let today = Day.today()
    static func day(_ back: Int) -> String { today.adding(days: -back).description }

    @Test func aSalesforceExportImportsOnceWithBadRowsNamedAndTheBacklogAsAFreshRecomputation() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let other = try await app.organization()
        let who = try await identity(app, org)
        let stranger = try await identity(app, other)
        let actions = Actions(database: app.database)
        let wall = try await actions.createObjection(by: who, ObjectionDraft(statement: "No SOC 2 report", obstacleID: nil))
        // The same statement in another organization must never be matched.
        _ = try await actions.createObjection(by: stranger, ObjectionDraft(statement: "Price too high", obstacleID: nil))
        let csv = """
            Opportunity Name,Account Name,Amount,Stage,Close Date,Loss Reason,Competitor,Objection\r
            Acme renewal,Acme,"$12,500.00",Closed Lost,\(Self.day(3)),"Security asked for SOC 2, again",Vanta,no soc 2 report\r
            Globex new,Globex,8000,Negotiation/Review,\(Self.day(10)),Wants SOC 2 Type II,,No SOC 2 report\r
            Initech,Initech,lots,Closed Lost,\(Self.day(2)),Price,,\r
            Umbrella,,5000,Closed Lost,\(Self.day(2)),Price,,\r
            Hooli,Hooli,1000,Custom Stage,\(Self.day(1)),\"Too expensive, \"\"they said\"\"\",Competitor X,Price too high\r

            """
        let first = try await run(app, who, csv, map: ["Objection=objection"], preset: "salesforce")
        #expect(first.rows == 5)
        #expect(first.imported == 3)
        #expect(first.matchedObjections == 2)
        #expect(first.failed == 2)
        #expect(first.errors.map(\.line) == [4, 5])
        #expect(first.errors[0].reason.contains("deal_amount"))
        #expect(first.errors[1].reason.contains("account"))
        #expect(try await reportCount(app, org) == 3)

        // The same file again files nothing.
        let again = try await run(app, who, csv, map: ["Objection=objection"], preset: "salesforce")
        #expect(again.imported == 0)
        #expect(again.duplicates == 3)
        #expect(try await reportCount(app, org) == 3)
        #expect(try await reportCount(app, other) == 0)

        let (kept, recomputed) = try await app.database.tenant(org.id) { try $0.verifyAggregates(objectionID: wall.id) }
        #expect(kept?.accounts == 2)
        #expect(kept?.accounts == recomputed.accounts)
        #expect(kept?.reports == recomputed.reports)
        #expect(kept?.valueAtStake == recomputed.valueAtStake)
        #expect(abs((kept?.demand ?? 0) - recomputed.demand) < 1e-9)
        let stored: (String, String?, String?) = try await app.database.tenant(org.id) {
            let row = try $0.connection.query("SELECT summary, stage, competitor FROM field_reports WHERE account = 'Hooli'").first!
            return (try row.decode("summary"), try row.decode("stage"), try row.decode("competitor"))
        }
        #expect(stored.0 == "Too expensive, \"they said\"")
        #expect(stored.1 == nil, "a stage the importer does not know is left empty")
        // Imported reports get time-ordered ids (version 7, this millisecond's prefix), as filed ones do.
        let versions: [String] = try await app.database.tenant(org.id) {
            try $0.connection.query("""
                SELECT substr(id::text, 15, 1) || (abs(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint
                       - (extract(epoch FROM created_at) * 1000)::bigint) < 60000)::text AS v FROM field_reports
                """).rows.map { try $0.decode("v") }
        }
        #expect(versions == ["7true", "7true", "7true"])
        // One audited action with its summary; the mapping is remembered for the next import.
        let audits: [String] = try await app.database.tenant(org.id) {
            try $0.connection.query("SELECT after::text AS a FROM audit_events WHERE action = 'reports.imported' ORDER BY id").rows.map { try $0.decode("a") }
        }
        #expect(audits.count == 2)
        #expect(audits.first?.contains("\"imported\": 3") == true)
        let remembered = try await run(app, who, "Account Name,Loss Reason\r\nWayne,Needs on-prem\r\n")
        #expect(remembered.imported == 1)
    }

    @Test func aRowTwiceInOneFileIsFiledOnceAndTheRestOfItsChunkImports() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let who = try await identity(app, org)
        let csv = "summary,account\nNo SSO,Acme\nPrice,Globex\nNo SSO,Acme\nOn-prem only,Initech\n"
        let first = try await run(app, who, csv)
        #expect(first.imported == 3)
        #expect(first.duplicates == 1)
        #expect(try await reportCount(app, org) == 3)
        // A later file with one row imported before and one new row files only the new one.
        let second = try await run(app, who, "summary,account\nPrice,Globex\nSecurity review,Hooli\n")
        #expect(second.imported == 1)
        #expect(second.duplicates == 1)
        #expect(try await reportCount(app, org) == 4)
    }

    @Test(arguments: [
        ("", "file is empty"),
        ("summary,account\n", "file has a header but no rows"),
        ("summary,account\nok,Acme\nragged,Acme,extra\n", "ragged"),
        ("summary,account\n\"never closed,Acme\n", "never closes"),
        ("summary,account\nbad \"quote\",Acme\n", "quote inside"),
        ("summary,account\nab\u{0}c,Acme\n", "NUL"),
    ])
    func malformedInputIsRefusedWithAClearErrorAndChangesNothing(csv: String, expected: String) async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let who = try await identity(app, org)
        await #expect {
            _ = try await run(app, who, csv)
        } throws: { error in
            guard let error = error as? ValidationError else { return false }
            return error.errors.first?.field == "file" && error.description.contains(expected)
        }
        #expect(try await reportCount(app, org) == 0)
    }

    @Test func textThatIsNotUTF8OrAnEndlessLineIsRefused() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let who = try await identity(app, org)
        let latin1: [UInt8] = Array("summary,account\ncaf".utf8) + [0xE9] + Array(",Acme\n".utf8)
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("s\0u\0".utf8)
        let endless: [UInt8] = Array("summary,account\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        for (bytes, expected) in [(latin1, "not UTF-8"), (utf16, "UTF-16"), (endless, "longer than")] {
            await #expect {
                _ = try await Actions(database: app.database).importReports(by: who, from: .bytes(bytes, fileName: "x.csv"),
                                                                            mapping: ImportMapping(columns: [:]), preset: nil)
            } throws: { error in (error as? ValidationError)?.description.contains(expected) == true }
        }
        #expect(try await reportCount(app, org) == 0)
    }

    @Test func aMappingWithoutSummaryOrAccountOrNamingAMissingColumnIsRefused() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let who = try await identity(app, org)
        await #expect(throws: ValidationError.self) { _ = try await run(app, who, "Deal,Company\nx,y\n") }
        await #expect(throws: ValidationError.self) { _ = try await run(app, who, "Deal,Company\nx,y\n", map: ["Deal=summary", "Nope=account"]) }
        #expect(throws: ValidationError.self) { _ = try ImportMapping.parse(["Deal=nonsense"]) }
        let done = try await run(app, who, "Deal;Company\nx;y\n", map: ["Deal=summary", "company=account"])
        #expect(done.imported == 1, "a semicolon-separated file and a column named in another case")
    }

    @Test func theImportPageUploadsPreviewsWithRowErrorsAndImports() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let token = try await client.token(org.emails[.marketingHead]!)
            let cookies = "\(AuthenticationMiddleware.cookieName)=\(token); roadwork_csrf=t"
            let csv = "Deal Name,Associated Company,Amount,Deal Stage,Close Date,Closed Lost Reason\r\n"
                + "A,Acme,100,closedlost,\(Self.day(1)),No SSO\r\nB,,200,closedlost,\(Self.day(1)),No audit log\r\n"
            let refused = try await client.execute(uri: "/import?name=deals.csv&preset=hubspot", method: .post,
                                                   headers: [.cookie: cookies, .contentType: "text/csv"], body: ByteBuffer(string: csv)) { $0 }
            #expect(refused.status == .forbidden, "no CSRF header")
            let uploaded = try await client.execute(uri: "/import?name=deals.csv&preset=hubspot", method: .post,
                                                    headers: [.cookie: cookies, .contentType: "text/csv", HTTPField.Name("X-CSRF-Token")!: "t"],
                                                    body: ByteBuffer(string: csv)) { $0 }
            #expect(uploaded.status == .seeOther)
            let location = try #require(uploaded.headers[.location])
            let preview = try await client.execute(uri: location, method: .get, headers: [.cookie: cookies]) { String(buffer: $0.body) }
            #expect(preview.contains("account must not be blank") || preview.contains("account is required"))
            #expect(preview.contains("No SSO"))
            let path = String(location.split(separator: "?")[0])
            // The page's choice for each column: Closed Lost Reason (5) is the summary, Associated Company (1) the account.
            let form = "_csrf=t&action=import&map_1=account&map_2=deal_amount&map_3=stage&map_4=occurred_on&map_5=summary"
            let done = try await client.execute(uri: path, method: .post, headers: [.cookie: cookies, .contentType: "application/x-www-form-urlencoded"],
                                                body: ByteBuffer(string: form)) { $0 }
            #expect(done.status == .ok)
            #expect(String(buffer: done.body).contains("1 imported"))
            #expect(try await reportCount(app, org) == 1)
            let rep = try await client.token(org.emails[.rep]!)
            try await client.execute(uri: "/import", method: .get, headers: [.cookie: "\(AuthenticationMiddleware.cookieName)=\(rep)"]) {
                #expect($0.status == .forbidden)
            }
        }
    }
}
