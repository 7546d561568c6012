import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import Testing

@Suite("Won and lost by wall")
struct DealTests {
    @Test func repsRecordHowTheirDealsEndedAndEachWallAndObstacleCountsItsDeals() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let stranger = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let obstacle = try #require(try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Security reviews"])["id"] as? String)
            let opportunity = try #require(try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Healthcare"])["id"] as? String)
            func wall(_ statement: String, obstacle: String?) async throws -> String {
                var body: [String: Any] = ["statement": statement]
                if let obstacle { body["obstacle_id"] = obstacle }
                return try #require(try await client.create("objections", token: marketer, body)["id"] as? String)
            }
            let soc2 = try await wall("No SOC 2 report", obstacle: obstacle)
            let sso = try await wall("No SSO", obstacle: obstacle)
            let euros = try await wall("No pricing in euros", obstacle: nil)
            func file(_ token: String, _ objection: String, _ account: String, amount: Double? = nil, stage: String? = nil) async throws {
                var body: [String: Any] = ["summary": "Raised in the deal", "account": account, "objection_id": objection]
                if let amount { body["deal_amount"] = amount }
                if let stage { body["stage"] = stage }
                _ = try await client.create("reports", token: token, body)
            }
            try await file(rep, soc2, "Acme", amount: 50_000)
            try await file(rep, soc2, "acme ", amount: 20_000)
            try await file(rep, soc2, "Globex", amount: 10_000)
            try await file(head, sso, "Initech", amount: 30_000, stage: "closed_lost")
            try await file(rep, sso, "Acme")
            try await file(rep, euros, "Hooli", amount: 5_000)
            func tally(_ path: String, token: String = marketer) async throws -> [String: Double] {
                try await client.get(path, token: token).compactMapValues { ($0 as? NSNumber)?.doubleValue }
            }

            // Nothing recorded yet: only Initech's closed report ends a deal.
            #expect(try await tally("objections/\(soc2)/deals") == ["deals": 2, "won": 0, "lost": 0, "open": 2, "won_value": 0, "lost_value": 0,
                                                                     "open_value": 60_000])
            try await client.call(.post, "/api/v1/deals", token: rep, body: ["account": "ACME", "outcome": "closed_won"]) { response in
                #expect(response.status == .ok)
                let recorded = try response.object()
                #expect(recorded["account"] as? String == "ACME" && recorded["outcome"] as? String == "closed_won" && recorded["version"] as? Int == 1)
            }
            let page = try await client.postForm("/deals", token: rep, ["account": "Globex", "outcome": "closed_lost"])
            #expect(page.status == .seeOther)
            #expect(page.headers[.location]?.hasSuffix("#deals") == true)
            #expect(try await tally("objections/\(soc2)/deals") == ["deals": 2, "won": 1, "lost": 1, "open": 0, "won_value": 50_000,
                                                                     "lost_value": 10_000, "open_value": 0])
            // Acme's SSO reports gave no amount: a won deal worth nothing recorded; Initech lost by its closed report.
            #expect(try await tally("objections/\(sso)/deals", token: rep) == ["deals": 2, "won": 1, "lost": 1, "open": 0, "won_value": 0,
                                                                               "lost_value": 30_000, "open_value": 0])
            // The obstacle counts each deal once across its walls, at its largest amount.
            #expect(try await tally("items/\(obstacle)/deals") == ["deals": 3, "won": 1, "lost": 2, "open": 0, "won_value": 50_000,
                                                                    "lost_value": 40_000, "open_value": 0])
            #expect(try await tally("objections/\(euros)/deals") == ["deals": 1, "won": 0, "lost": 0, "open": 1, "won_value": 0, "lost_value": 0,
                                                                      "open_value": 5_000])
            // A head corrects Acme: lost after all, for 70,000. The recorded amount is the deal's value.
            try await client.call(.post, "/api/v1/deals", token: head, body: ["account": " acme", "outcome": "closed_lost", "amount": 70_000]) {
                let version = try $0.object()["version"] as? Int
                #expect($0.status == .ok && version == 2)
            }
            #expect(try await tally("items/\(obstacle)/deals") == ["deals": 3, "won": 0, "lost": 3, "open": 0, "won_value": 0,
                                                                    "lost_value": 110_000, "open_value": 0])

            // A rep records only deals they reported; bad input names its field; nothing else answers.
            try await client.call(.post, "/api/v1/deals", token: rep, body: ["account": "Initech", "outcome": "closed_won"]) { #expect($0.status == .notFound) }
            try await client.call(.post, "/api/v1/deals", token: rep, body: ["account": "Hooli", "outcome": "won"]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["outcome"])
            }
            try await client.call(.post, "/api/v1/deals", token: rep, body: ["account": " ", "outcome": "closed_won", "amount": -1]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields.sorted() == ["account", "amount"])
            }
            try await client.call(.get, "/api/v1/items/\(opportunity)/deals", token: rep) { #expect($0.status == .notFound) }

            let mine = try #require(try await client.get("deals", token: rep)["items"] as? [[String: Any]])
            #expect(Set(mine.compactMap { ($0["account"] as? String)?.lowercased().trimmingCharacters(in: .whitespaces) }) == ["acme", "globex", "hooli"])
            #expect(mine.first { ($0["account"] as? String)?.lowercased().hasPrefix("acme") == true }?["outcome"] as? String == "closed_lost")
            let home = try await client.execute(uri: "/", method: .get, headers: [.cookie: "roadwork_session=\(rep); roadwork_csrf=c"]) { String(buffer: $0.body) }
            #expect(home.contains("Your deals") && home.contains("Hooli was won"), "\(home)")
            let objectionPage = try await client.execute(uri: "/objections/\(soc2)", method: .get, headers: [.cookie: "roadwork_session=\(rep)"]) {
                String(buffer: $0.body)
            }
            #expect(objectionPage.contains("Won and lost") && objectionPage.contains("not the CRM"))

            // Another organization sees none of it and cannot record it.
            let outsider = try await client.token(stranger.emails[.salesHead]!)
            try await client.call(.get, "/api/v1/objections/\(soc2)/deals", token: outsider) { #expect($0.status == .notFound) }
            try await client.call(.get, "/api/v1/items/\(obstacle)/deals", token: outsider) { #expect($0.status == .notFound) }
            try await client.call(.post, "/api/v1/deals", token: outsider, body: ["account": "Acme", "outcome": "closed_won"]) { #expect($0.status == .notFound) }
            #expect((try await client.get("deals", token: outsider)["items"] as? [Any])?.isEmpty == true)
        }
    }
}
