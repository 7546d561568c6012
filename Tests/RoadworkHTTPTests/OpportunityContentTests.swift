import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import Testing

@Suite("Opportunities get bites too")
struct OpportunityContentTests {
    @Test func aBiteAddressesAnOpportunityAndItsProgressShowsUnderTheTopFive() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let stranger = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let sales = try await client.token(org.emails[.salesHead]!)
            let marketing = try await client.token(org.emails[.marketingHead]!)
            let rep = try await client.token(org.emails[.rep]!)
            let opportunity = try #require(try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Healthcare schedulers"])["id"] as? String)
            let obstacle = try #require(try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Security reviews"])["id"] as? String)
            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No SOC 2 report", "obstacle_id": obstacle])["id"] as? String)
            let review = try #require(try await client.create("reviews", token: sales, [:])["id"] as? String)
            try await client.call(.put, "/api/v1/reviews/\(review)/lineup", token: sales, body: ["opportunities": [opportunity], "obstacles": [obstacle]]) {
                #expect($0.status == .ok)
            }
            for token in [sales, marketing] {
                try await client.call(.post, "/api/v1/reviews/\(review)/signoff", token: token, body: ["lineup_version": 2]) { #expect($0.status == .ok) }
            }

            // A bite for the opportunity: no objection, and reps are told nothing (no wall was reported).
            let bite = try await client.create("content", token: marketer, ["opportunity_id": opportunity, "title": "Hospital case study", "format": "case_study"])
            #expect(bite["opportunity_id"] as? String == opportunity)
            #expect(bite["objection_id"] is NSNull)
            let biteID = try #require(bite["id"] as? String)
            _ = try await client.create("content", token: marketer, ["objection_id": wall, "title": "SOC 2 bridge letter", "format": "one_pager"])

            // One bite at a time; exactly one target; the target must be a live opportunity of this organization.
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["opportunity_id": opportunity, "title": "Another"]) {
                _ = try $0.problemFields(status: .conflict)
            }
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["opportunity_id": opportunity, "objection_id": wall, "title": "Both"]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["opportunity_id"])
            }
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["title": "Neither"]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["objection_id"])
            }
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["opportunity_id": obstacle, "title": "An obstacle"]) {
                let fields = try $0.problemFields(status: .notFound)
                #expect(fields == ["opportunity_id"])
            }
            let retired = try #require(try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Old market"])["id"] as? String)
            try await client.call(.patch, "/api/v1/items/\(retired)", token: marketer, body: ["status": "retired"]) { #expect($0.status == .ok) }
            try await client.call(.post, "/api/v1/content", token: marketer, body: ["opportunity_id": retired, "title": "Too late"]) {
                _ = try $0.problemFields(status: .conflict)
            }
            let strangerMarketer = try await client.token(stranger.emails[.marketer]!)
            try await client.call(.post, "/api/v1/content", token: strangerMarketer, body: ["opportunity_id": opportunity, "title": "Not ours"]) {
                let fields = try $0.problemFields(status: .notFound)
                #expect(fields == ["opportunity_id"])
            }
            #expect((try await client.get("content?opportunity_id=\(opportunity)", token: strangerMarketer)["items"] as? [Any])?.isEmpty == true)

            // Progress: one bite, none published; then published, and the rep may judge it.
            func progress() async throws -> [String: [Int]] {
                let items = try #require(try await client.get("focus", token: rep)["progress"] as? [[String: Any]])
                return Dictionary(uniqueKeysWithValues: items.map { ($0["item_id"] as! String, [$0["bites"] as! Int, $0["published"] as! Int]) })
            }
            #expect(try await progress() == [opportunity: [1, 0], obstacle: [1, 0]])
            try await client.call(.patch, "/api/v1/content/\(biteID)", token: marketer, body: ["status": "published", "url": "https://example.com/hospital"]) {
                #expect($0.status == .ok)
            }
            #expect(try await progress() == [opportunity: [1, 1], obstacle: [1, 0]])
            _ = try await client.create("content/\(biteID)/feedback", token: rep, ["helpful": true])
            let listed = try #require(try await client.get("content?opportunity_id=\(opportunity)", token: rep)["items"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [biteID])

            // A next bite may start now that the first is out; retiring it takes it off the count.
            let next = try #require(try await client.create("content", token: marketer, ["opportunity_id": opportunity, "title": "Migration guide"])["id"] as? String)
            #expect(try await progress()[opportunity] == [2, 1])
            try await client.call(.patch, "/api/v1/content/\(next)", token: marketer, body: ["status": "retired"]) { #expect($0.status == .ok) }
            #expect(try await progress()[opportunity] == [1, 1])

            // The pages: the opportunity's page lists its bites and plans the next; the home page shows them under the Top 5.
            let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: "roadwork_session=\(rep)", .accept: "text/html"]) { String(buffer: $0.body) }
            #expect(home.contains("Hospital case study") && home.contains("1 of 1 bites published"))
            func itemPage() async throws -> String {
                try await client.execute(uri: "/items/\(opportunity)", method: .get, headers: [.cookie: "roadwork_session=\(marketer)", .accept: "text/html"]) {
                    String(buffer: $0.body)
                }
            }
            let before = try await itemPage()
            #expect(before.contains("<h1>Healthcare schedulers</h1>") && before.contains("Plan a bite"))
            let planned = try await client.postForm("/items/\(opportunity)/content", token: marketer, ["title": "ROI one-pager", "format": "one_pager"])
            #expect(planned.status == .seeOther)
            let page = try await itemPage()
            #expect(page.contains("ROI one-pager") && page.contains("1 of 2 bites published"))
            #expect(page.contains("One bite at a time") && !page.contains("Plan a bite"))
            let blank = try await client.postForm("/items/\(opportunity)/content", token: marketer, ["title": " ", "format": "one_pager"])
            #expect(blank.status == .unprocessableContent && String(buffer: blank.body).contains("title"))
            let repPage = try await client.postForm("/items/\(opportunity)/content", token: rep, ["title": "A rep's idea"])
            #expect(repPage.status == .forbidden)
            let board = try await client.execute(uri: "/content", method: .get, headers: [.cookie: "roadwork_session=\(marketer)", .accept: "text/html"]) {
                String(buffer: $0.body)
            }
            #expect(board.contains("Opportunity: Healthcare schedulers"))
        }
    }
}
