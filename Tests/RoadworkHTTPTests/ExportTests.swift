import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import RoadworkStore
import Testing

@Suite("CSV downloads of the lists")
struct ExportTests {
    /// The lines of a CSV body (this test's fields hold no line breaks).
    func lines(_ response: TestResponse) -> [String] {
        String(buffer: response.body).components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    func csv(_ client: any TestClientProtocol, _ path: String, token: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: [.authorization: "Bearer \(token)"]) { $0 }
    }

    @Test func aRepDownloadsOnlyTheirOwnReportsAndAnotherOrganizationsNever() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let other = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let stranger = try await client.token(other.emails[.rep]!)
            _ = try await client.create("reports", token: rep, ["summary": "=HYPERLINK(\"http://evil.example\",\"win\")", "account": "Acme, Inc."])
            _ = try await client.create("reports", token: head, ["summary": "The head's own report", "account": "Globex"])
            _ = try await client.create("reports", token: stranger, ["summary": "Another organization's wall", "account": "Initech"])

            let mine = try await csv(client, "/api/v1/reports.csv", token: rep)
            #expect(mine.status == .ok)
            #expect(mine.headers[.contentType] == "text/csv; charset=utf-8")
            let rows = lines(mine)
            #expect(rows.first?.hasPrefix("id,filed_at,occurred_on,reporter,account,") == true)
            #expect(rows.count == 2)
            #expect(rows[1].contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"win\"\")\""))
            #expect(rows[1].contains("\"Acme, Inc.\""))

            let all = lines(try await csv(client, "/api/v1/reports.csv", token: head))
            #expect(all.count == 3)
            #expect(!all.joined().contains("Initech"))
        }
    }

    @Test func aLongListIsStreamedPageByPageWithEveryRowOnce() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let me = try await client.call(.get, "/api/v1/me", token: rep) { try $0.object() }
            let idText = try #require(me["id"] as? String)
            let repID = try #require(UUID(uuidString: idText))
            let count = CSVExport.pageSize + 137
            try await app.database.tenant(org.id, actor: repID) { store in
                for index in 0..<count {
                    _ = try store.fileReport(try NewFieldReport.validate(summary: "Wall number \(index)", account: "Account \(index % 40)", dealAmount: nil,
                                                                         stage: nil, competitor: nil, persona: nil, industry: nil, product: nil,
                                                                         occurredOn: nil, objectionID: nil, today: Day.today()))
                }
            }
            let response = try await csv(client, "/api/v1/reports.csv?bom=true", token: rep)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.hasPrefix(CSV.byteOrderMark + "id,"))
            let ids = lines(response).dropFirst().map { $0.prefix(36) }
            #expect(ids.count == count)
            #expect(Set(ids).count == count)
        }
    }

    @Test func filtersAndRightsAreTheListsOwn() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let admin = try await client.token(org.emails[.admin]!)
            let objection = try #require(try await client.create("objections", token: marketer, ["statement": "No audit trail"])["id"] as? String)
            _ = try await client.create("reports", token: rep, ["summary": "Wants an audit trail", "account": "A", "objection_id": objection])
            _ = try await client.create("reports", token: rep, ["summary": "Something else", "account": "B"])
            _ = try await client.create("content", token: marketer, ["objection_id": objection, "title": "Audit trail FAQ", "format": "one_pager"])

            let untriaged = lines(try await csv(client, "/api/v1/reports.csv?triaged=false", token: marketer))
            #expect(untriaged.count == 2 && untriaged[1].contains("Something else"))
            let bad = try await csv(client, "/api/v1/reports.csv?objection_id=nope", token: marketer)
            #expect(bad.status == .unprocessableContent)
            // A rep reads published content only: the planned bite is not theirs to download.
            #expect(lines(try await csv(client, "/api/v1/content.csv", token: rep)).count == 1)
            #expect(lines(try await csv(client, "/api/v1/content.csv", token: marketer)).count == 2)
            #expect(try await csv(client, "/api/v1/feedback.csv", token: rep).status == .forbidden)
            #expect(try await csv(client, "/api/v1/audit.csv", token: marketer).status == .forbidden)
            let audit = lines(try await csv(client, "/api/v1/audit.csv", token: admin))
            #expect(audit.contains { $0.contains("objection.created") })
            let backlog = lines(try await csv(client, "/api/v1/backlog.csv", token: rep))
            #expect(backlog.count == 2 && backlog[1].hasPrefix("1,\(objection),No audit trail,"))
            // The JSON list answers CSV when asked for it.
            let negotiated = try await client.execute(uri: "/api/v1/objections", method: .get,
                                                      headers: [.authorization: "Bearer \(marketer)", .accept: "text/csv"]) { $0 }
            #expect(negotiated.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(lines(negotiated).count == 2)
        }
    }

    @Test func thePagesDownloadLinkUsesTheBrowsersSession() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let head = try await client.token(org.emails[.salesHead]!)
            let cookie = "\(AuthenticationMiddleware.cookieName)=\(head)"
            let backlog = try await client.execute(uri: "/exports/backlog.csv?bom=true", method: .get, headers: [.cookie: cookie]) { $0 }
            #expect(backlog.status == .ok)
            #expect(String(buffer: backlog.body).hasPrefix(CSV.byteOrderMark + "rank,objection_id,"))
            #expect(try await client.execute(uri: "/exports/secrets.csv", method: .get, headers: [.cookie: cookie]) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/exports/backlog.csv", method: .get) { $0.status } == .seeOther)
        }
    }
}
