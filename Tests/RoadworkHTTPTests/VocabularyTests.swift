import Foundation
import HummingbirdTesting
import RoadworkDomain
import Testing

@Suite("The vocabulary and triage suggestions through the API")
struct VocabularyTests {
    @Test func plannersKeepSynonymGroupsThatTheSearchAppliesAtOnce() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let starter = try await client.get("synonyms", token: rep)["items"] as! [[String: Any]]
            #expect(starter.count >= 30)
            let wall = try await client.create("objections", token: marketer, ["statement": "No gizmo dashboard"])["id"] as! String
            func similar() async throws -> [String] {
                (try await client.get("objections/similar?text=the%20thingamajig%20is%20missing", token: rep)["items"] as! [[String: Any]])
                    .map { ($0["objection"] as! [String: Any])["id"] as! String }
            }
            #expect(try await similar().isEmpty)
            let group = try await client.create("synonyms", token: marketer, ["terms": ["thingamajig", " gizmo dashboard ", "Thingamajig"]])
            #expect(group["terms"] as? [String] == ["thingamajig", "gizmo dashboard"])
            #expect(try await similar() == [wall])
            let id = group["id"] as! String
            try await client.call(.patch, "/api/v1/synonyms/\(id)", token: marketer, body: ["terms": ["a"]]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["terms"])
            }
            try await client.call(.patch, "/api/v1/synonyms/\(id)", token: marketer, body: ["terms": ["they said", "gizmo"]]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["terms"])
            }
            try await client.call(.patch, "/api/v1/synonyms/\(id)", token: marketer, body: ["terms": ["doohickey", "gizmo dashboard"]],
                                  headers: [.ifMatch: "\"7\""]) { _ = try $0.problemFields(status: .preconditionFailed) }
            try await client.call(.patch, "/api/v1/synonyms/\(id)", token: rep, body: ["terms": ["doohickey", "gizmo dashboard"]]) {
                #expect($0.status == .forbidden)
            }
            try await client.call(.patch, "/api/v1/synonyms/\(id)", token: marketer, body: ["terms": ["doohickey", "gizmo dashboard"]],
                                  headers: [.ifMatch: "\"1\""]) { #expect($0.status == .ok) }
            #expect(try await similar().isEmpty)
            try await client.call(.delete, "/api/v1/synonyms/\(id)", token: marketer) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/synonyms/\(id)", token: rep) { #expect($0.status == .notFound) }
        }
    }

    @Test func theInboxSuggestsAndAcceptsOnlyConfidentMatches() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let soc = try await client.create("objections", token: marketer, ["statement": "We have no SOC 2 report"])["id"] as! String
            _ = try await client.create("objections", token: marketer, ["statement": "Pricing is too high"])["id"] as! String
            _ = try await client.create("reports", token: rep, ["summary": "Their security team needs our SOC 2 report", "account": "Acme"])
            _ = try await client.create("reports", token: rep, ["summary": "the weather was lovely", "account": "Globex"])
            let inbox = try await client.get("triage/suggestions", token: marketer)["items"] as! [[String: Any]]
            #expect(inbox.count == 2)
            let confident = inbox.filter { $0["confident"] as? Bool == true }
            #expect(confident.count == 1)
            #expect(((confident.first?["suggestions"] as? [[String: Any]])?.first?["objection"] as? [String: Any])?["id"] as? String == soc)
            try await client.call(.post, "/api/v1/triage/accept-confident", token: rep) { #expect($0.status == .forbidden) }
            try await client.call(.post, "/api/v1/triage/accept-confident", token: marketer, body: ["limit": 0]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["limit"])
            }
            let accepted = try await client.call(.post, "/api/v1/triage/accept-confident", token: marketer) { response in
                #expect(response.status == .ok)
                return try response.object()["items"] as! [[String: Any]]
            }
            #expect(accepted.count == 1)
            #expect((accepted.first?["objection"] as? [String: Any])?["id"] as? String == soc)
            let left = try await client.get("triage/suggestions", token: marketer)["items"] as! [[String: Any]]
            #expect(left.count == 1)
        }
    }
}
