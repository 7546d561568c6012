import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import Testing

@Suite("Pages make their changes through the same functions as the API")
struct PageChangeTests {
    @Test func aRepCannotJudgeUnpublishedContentFromThePageAsTheAPIAlreadyRefused() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let objection = try #require(try await client.create("objections", token: marketer, ["statement": "No offline mode"])["id"] as? String)
            let content = try #require(try await client.create("content", token: marketer, ["objection_id": objection, "title": "Offline FAQ",
                                                                                             "format": "one_pager"])["id"] as? String)
            let refused = try await client.postForm("/content/\(content)/feedback", token: rep, ["helpful": "true"])
            #expect(refused.status == .notFound)
            try await client.call(.patch, "/api/v1/content/\(content)", token: marketer, body: ["status": "published", "url": "https://example.com/o"]) {
                #expect($0.status == .ok)
            }
            let accepted = try await client.postForm("/content/\(content)/feedback", token: rep, ["helpful": "true"])
            #expect(accepted.status == .seeOther)
            let verdicts: Int = try await app.database.tenant(org.id) {
                try $0.connection.query("SELECT count(*)::integer AS n FROM content_feedback").first!.decode("n")
            }
            #expect(verdicts == 1)
        }
    }

    @Test func thePageAndTheAPIRefuseTheSameBadSettingsWithTheSameMessage() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let page = try await client.postForm("/admin/settings", token: admin, ["half_life_days": "0", "reference_deal_size": "50000"])
            #expect(page.status == .unprocessableContent)
            let message = "must be from 1 to 3650 days"
            #expect(String(buffer: page.body).contains("This \(message)."))
            try await client.call(.patch, "/api/v1/settings", token: admin, body: ["half_life_days": 0]) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(message))
            }
            let version: Int = try await app.database.tenant(org.id) { try $0.organization().version }
            #expect(version == 1)
        }
    }

    @Test func triagingFromThePageByATypedNameThatMatchesNothingChangesNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let report = try #require(try await client.create("reports", token: rep, ["summary": "They need SCIM provisioning", "account": "Acme"])["report"]
                                      as? [String: Any])
            let id = try #require(report["id"] as? String)
            let response = try await client.postForm("/triage/\(id)", token: marketer, ["objection_statement": "No such wall"])
            // The inbox again, with the reason at its top and a 422: nothing was triaged.
            #expect(response.status == .unprocessableContent)
            let page = String(buffer: response.body)
            #expect(page.contains("role=\"alert\">Not triaged: names no open objection"))
            #expect(page.contains("They need SCIM provisioning"), "the inbox is shown again")
            let triaged: Bool = try await app.database.tenant(org.id) {
                try $0.connection.query("SELECT objection_id IS NOT NULL AS t FROM field_reports").first!.decode("t")
            }
            #expect(!triaged)
        }
    }
}

@Suite("A review page's edit of a lineup that changed meanwhile")
struct StaleReviewEditTests {
    @Test func isRefusedWith412AndThePageShowsTheCurrentLineup() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let sales = try await client.token(org.emails[.salesHead]!)
            let marketing = try await client.token(org.emails[.marketingHead]!)
            var obstacles: [String] = []
            for title in ["Security reviews", "Pricing in euros"] {
                obstacles.append(try #require(try await client.create("items", token: marketer, ["kind": "obstacle", "title": title])["id"] as? String))
            }
            let review = try await client.create("reviews", token: sales, [:])
            let id = try #require(review["id"] as? String)
            let shown = try #require(review["version"] as? Int)
            try await client.call(.put, "/api/v1/reviews/\(id)/lineup", token: sales, body: ["opportunities": [String](), "obstacles": obstacles]) {
                #expect($0.status == .ok)
            }
            // The marketing head's page still shows the version before the sales head's edit.
            let stale = try await client.postForm("/review/move", token: marketing,
                                                  ["kind": "obstacle", "id": obstacles[1], "by": "-1", "version": String(shown)])
            #expect(stale.status == .preconditionFailed)
            let page = String(buffer: stale.body)
            #expect(page.contains("The other head changed the review meanwhile") && page.contains("Pricing in euros"))
            let lineup = try await client.get("reviews/\(id)", token: marketing)["lineup"] as? [String: Any]
            #expect(lineup?["obstacles"] as? [String] == obstacles, "nothing moved")
            let current = try #require(try await client.get("reviews/\(id)", token: marketing)["version"] as? Int)
            let fresh = try await client.postForm("/review/move", token: marketing,
                                                  ["kind": "obstacle", "id": obstacles[1], "by": "-1", "version": String(current)])
            #expect(fresh.status == .seeOther)
        }
    }
}
