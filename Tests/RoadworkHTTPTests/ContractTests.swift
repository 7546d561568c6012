import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import RoadworkHTTP
import Testing

@Suite("The API keeps its contract: spec, roles, errors")
struct ContractTests {
    /// "METHOD /path/{param}" for every operation in openapi.yaml.
    static func specOperations(_ yaml: String) -> Set<String> {
        var operations = Set<String>()
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if !line.hasPrefix("  ") { path = nil; continue }
            for method in ["get", "post", "put", "patch", "delete"] where line == "    \(method):" {
                if let path { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func theRoutesTheServerRegistersAreExactlyThePathsOfTheSpec() async throws {
        let app = try TestApp()
        let router = buildRouter(config: app.config, database: app.database)
        let registered = Set(router.routes.map { route -> String in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        }).filter { $0.contains(" /api/") || ["GET /healthz", "GET /readyz", "GET /metrics"].contains($0) }  // HTML pages are not API
        try await app.test { client in
            let yaml = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(yaml.hasPrefix("openapi: 3.1"))
            let spec = Self.specOperations(yaml)
            #expect(spec.count > 40)
            #expect(registered.subtracting(spec).sorted() == [], "routes missing from openapi.yaml")
            #expect(spec.subtracting(registered).sorted() == [], "paths in openapi.yaml the server does not serve")
        }
    }

    /// (method, path, roles allowed) per API.md's "who" column; every other role gets 403.
    static let restricted: [(HTTPRequest.Method, String, Set<Role>)] = [
        (.get, "users", [.admin]), (.post, "users", [.admin]), (.get, "users/{id}", [.admin]), (.patch, "users/{id}", [.admin]),
        (.get, "settings", [.admin]), (.patch, "settings", [.admin]),
        (.get, "audit", [.admin, .salesHead, .marketingHead]),
        (.post, "items", [.salesHead, .marketingHead, .marketer]), (.patch, "items/{id}", [.salesHead, .marketingHead, .marketer]),
        (.post, "reviews", [.salesHead, .marketingHead]), (.put, "reviews/{id}/lineup", [.salesHead, .marketingHead]),
        (.post, "reviews/{id}/signoff", [.salesHead, .marketingHead]),
        (.post, "objections", [.salesHead, .marketingHead, .marketer]), (.patch, "objections/{id}", [.salesHead, .marketingHead, .marketer]),
        (.post, "objections/{id}/merge", [.salesHead, .marketingHead, .marketer]),
        (.post, "reports/{id}/triage", [.salesHead, .marketingHead, .marketer]),
        (.post, "content", [.salesHead, .marketingHead, .marketer]), (.patch, "content/{id}", [.salesHead, .marketingHead, .marketer]),
        (.post, "backlog/next", [.salesHead, .marketingHead, .marketer]),
        (.get, "triage/suggestions", [.salesHead, .marketingHead, .marketer]), (.post, "triage/accept-confident", [.salesHead, .marketingHead, .marketer]),
        (.get, "objections/duplicates", [.salesHead, .marketingHead, .marketer]),
        (.post, "synonyms", [.salesHead, .marketingHead, .marketer]), (.patch, "synonyms/{id}", [.salesHead, .marketingHead, .marketer]),
        (.delete, "synonyms/{id}", [.salesHead, .marketingHead, .marketer]),
        (.get, "synonyms", Set(Role.allCases)), (.get, "synonyms/{id}", Set(Role.allCases)),
        (.get, "focus", Set(Role.allCases)), (.get, "items", Set(Role.allCases)), (.get, "items/{id}", Set(Role.allCases)),
        (.get, "reviews", Set(Role.allCases)), (.get, "reviews/{id}", Set(Role.allCases)), (.get, "reviews/{id}/summary.md", Set(Role.allCases)),
        (.get, "objections", Set(Role.allCases)), (.get, "objections/{id}", Set(Role.allCases)), (.get, "objections/{id}/impact", Set(Role.allCases)),
        (.get, "objections/{id}/deals", Set(Role.allCases)), (.get, "items/{id}/deals", Set(Role.allCases)),
        (.get, "deals", Set(Role.allCases)), (.post, "deals", Set(Role.allCases)),
        (.get, "objections/similar?text=sso", Set(Role.allCases)), (.get, "reports", Set(Role.allCases)),
        (.post, "reports", Set(Role.allCases)), (.get, "reports/{id}", Set(Role.allCases)),
        (.get, "content", Set(Role.allCases)), (.get, "content/{id}", Set(Role.allCases)), (.post, "content/{id}/feedback", Set(Role.allCases)),
        (.get, "backlog", Set(Role.allCases)), (.get, "walls/emerging", Set(Role.allCases)), (.get, "trends", Set(Role.allCases)),
        (.get, "notifications", Set(Role.allCases)), (.post, "notifications/{id}/read", Set(Role.allCases)), (.get, "me", Set(Role.allCases)), (.get, "me/sessions", Set(Role.allCases)),
        (.delete, "me/sessions/{id}", Set(Role.allCases)),
        (.get, "tokens", Set(Role.allCases)), (.post, "tokens", Set(Role.allCases)), (.delete, "tokens/{id}", Set(Role.allCases)),
        (.get, "service-accounts", [.admin]), (.post, "service-accounts", [.admin]),
        (.get, "service-accounts/{id}/tokens", [.admin]), (.post, "service-accounts/{id}/tokens", [.admin]),
        (.get, "webhooks", [.admin]), (.post, "webhooks", [.admin]), (.get, "webhooks/event-types", [.admin]),
        (.get, "webhooks/{id}", [.admin]), (.patch, "webhooks/{id}", [.admin]), (.delete, "webhooks/{id}", [.admin]),
        (.post, "webhooks/{id}/test", [.admin]), (.get, "webhooks/{id}/deliveries", [.admin]),
        (.post, "webhooks/{id}/deliveries/{id}/redeliver", [.admin]),
        (.get, "reports.csv", Set(Role.allCases)), (.get, "objections.csv", Set(Role.allCases)), (.get, "backlog.csv", Set(Role.allCases)),
        (.get, "content.csv", Set(Role.allCases)), (.get, "feedback.csv", Set(Role.allCases).subtracting([.rep])),
        (.get, "audit.csv", [.admin, .salesHead, .marketingHead]),
    ]

    @Test func everyRoleGetsExactlyWhatTheWhoColumnSays() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            var tokens: [Role: String] = [:]
            for role in Role.allCases { tokens[role] = try await client.token(org.emails[role]!) }
            for (method, path, allowed) in Self.restricted {
                for role in Role.allCases {
                    let uri = "/api/v1/" + path.replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
                    let body: [String: Any]? = method == .get ? nil : [:]
                    try await client.call(method, uri, token: tokens[role]!, body: body) { response in
                        #expect(response.status.code < 500, "\(method) \(path) as \(role): \(response.status)")
                        if allowed.contains(role) {
                            #expect(response.status != .forbidden && response.status != .unauthorized, "\(method) \(path) as \(role)")
                        } else {
                            #expect(response.status == .forbidden, "\(method) \(path) as \(role): \(response.status)")
                        }
                    }
                }
                try await client.call(method, "/api/v1/" + path.replacingOccurrences(of: "{id}", with: UUID().uuidString), token: nil,
                                      body: method == .get ? nil : [:]) { #expect($0.status == .unauthorized, "\(method) \(path) signed out") }
            }
        }
    }

    @Test func everyMutationLeavesAnAuditEventWrittenWithIt() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "Needs SAML"])["id"] as! String
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["status": "dismissed"]) { #expect($0.status == .ok) }
            let events = try await client.get("audit?object_id=\(objection)", token: head)["items"] as! [[String: Any]]
            #expect(events.map { $0["action"] as! String } == ["objection.updated", "objection.created"])
            #expect((events[0]["before"] as? [String: Any])?["status"] as? String == "open")
            #expect((events[0]["after"] as? [String: Any])?["status"] as? String == "dismissed")
            // A write that fails leaves no event behind.
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["statement": ""]) {
                #expect($0.status == .unprocessableContent)
            }
            let after = try await client.get("audit?object_id=\(objection)", token: head)["items"] as! [Any]
            #expect(after.count == 2)
        }
    }

    @Test func settingsChangeTheHalfLifeAndTheBacklogFollows() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "Old wall"])["id"] as! String
            _ = try await client.create("reports", token: rep, ["summary": "old", "account": "Acme", "objection_id": objection,
                                                                "occurred_on": Day.today().adding(days: -60).description])
            let before = try await client.get("backlog", token: rep)["items"] as! [[String: Any]]
            try await client.call(.patch, "/api/v1/settings", token: admin, body: ["half_life_days": 60], headers: [.ifMatch: "\"1\""]) {
                #expect($0.status == .ok)
            }
            try await client.call(.patch, "/api/v1/settings", token: admin, body: ["half_life_days": 10], headers: [.ifMatch: "\"1\""]) {
                _ = try $0.problemFields(status: .preconditionFailed)
            }
            try await client.call(.patch, "/api/v1/settings", token: admin, body: ["half_life_days": -1]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["half_life_days"])
            }
            let after = try await client.get("backlog", token: rep)["items"] as! [[String: Any]]
            let demandBefore = (before[0]["breakdown"] as! [String: Any])["demand"] as! Double
            let demandAfter = (after[0]["breakdown"] as! [String: Any])["demand"] as! Double
            // About 60 days old: w = 2^(-age/30) before and 2^(-age/60) after, so the ratio is 2^(age/60) ≈ 2.
            let age = Date().timeIntervalSince1970 / 86_400 - Double(Day.today().adding(days: -60).number)
            #expect(abs(demandAfter / demandBefore - exp2(age / 60)) < 0.001)
        }
    }

    @Test func aKnownPathAskedWithAnotherMethodAnswers405WithAllow() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            for (method, path, allow) in [(HTTPRequest.Method.put, "/api/v1/backlog", "GET, HEAD"), (.trace, "/api/v1/reports", "GET, HEAD, POST"),
                                          (.patch, "/api/v1/objections/similar", "GET, HEAD"), (.delete, "/healthz", "GET, HEAD")] {
                try await client.call(method, path, token: rep) { response in
                    _ = try response.problemFields(status: .methodNotAllowed)
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                }
            }
            // The same methods on an unknown path are 404, and a known method still answers.
            try await client.call(.put, "/api/v1/nothing-here", token: rep) { #expect($0.status == .notFound) }
            try await client.call(.patch, "/api/v1/objections/\(UUID())", token: rep, body: ["statement": "x"]) { #expect($0.status == .forbidden) }
        }
    }

    @Test func inputTheSpecRefusesTheServerRefusesToo() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let objection = try await client.create("objections", token: marketer, ["statement": "Needs SSO"])["id"] as! String
            // "+" in a query is a space, as form encoding has it: "?text=+" is blank (the third long run sent it).
            try await client.call(.get, "/api/v1/objections/similar?text=+", token: marketer) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["text"])
            }
            try await client.call(.get, "/api/v1/objections/similar?text=Needs+SSO", token: marketer) {
                let items = try $0.object()["items"] as? [[String: Any]]
                #expect((items?.first?["objection"] as? [String: Any])?["statement"] as? String == "Needs SSO")
            }
            // A query parameter without a name is refused (the long contract run sent "&=null").
            try await client.call(.get, "/api/v1/objections?status=open&=null", token: marketer) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["query"])
            }
            // A null where the spec allows none is refused, not read as "absent"; where it allows one, it is taken.
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["statement": NSNull()]) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["statement"])
            }
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["obstacle_id": NSNull(), "unknown": NSNull()]) {
                #expect($0.status == .ok)
            }
            // Text that is only whitespace and NUL is blank; a length counts code points (as JSON Schema does).
            try await client.call(.post, "/api/v1/objections", token: marketer, body: ["statement": " \u{0}\u{3000}"]) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["statement"])
            }
            try await client.call(.post, "/api/v1/objections", token: marketer, body: ["statement": String(repeating: "e\u{301}", count: 151)]) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["statement"])
            }
            try await client.call(.get, "/api/v1/reports.csv?bom=yes", token: marketer) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["bom"])
            }
            try await client.call(.get, "/api/v1/notifications?unread=1", token: marketer) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["unread"])
            }
            for cursor in ["", "abc", "12_notauuid", "99999999999999999_\(UUID())"] {
                try await client.call(.get, "/api/v1/reports?cursor=\(cursor)", token: marketer) {
                    let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["cursor"], "\(cursor)")
                }
            }
            // Any cursor of the documented shape is a position, even one no page gave out.
            try await client.call(.get, "/api/v1/reports?cursor=1_\(UUID())", token: marketer) { #expect($0.status == .ok) }
            try await client.call(.get, "/api/v1/users?cursor=00ff_\(UUID())", token: try await client.token(org.emails[.admin]!)) { #expect($0.status == .ok) }
            // An If-Match that is not one of our ETags matches nothing: 412, once the body has been checked.
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["statement": "SSO"], headers: [.ifMatch: "nonsense"]) {
                _ = try $0.problemFields(status: .preconditionFailed)
            }
            try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["statement": 3], headers: [.ifMatch: "nonsense"]) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["statement"])
            }
            // A lineup longer than a Top 5 breaks the schema (maxItems 5): 422 even with a stale If-Match.
            let head = try await client.token(org.emails[.salesHead]!)
            let review = try #require(try await client.create("reviews", token: head, [:])["id"] as? String)
            try await client.call(.put, "/api/v1/reviews/\(review)/lineup", token: head,
                                  body: ["opportunities": (0..<6).map { _ in UUID().uuidString }, "obstacles": [String]()], headers: [.ifMatch: "\"999\""]) {
                let fields = try $0.problemFields(status: .unprocessableContent); #expect(fields == ["opportunities"])
            }
            // A body naming an object the organization does not have is 404 with the field named.
            try await client.call(.post, "/api/v1/objections/\(objection)/merge", token: marketer, body: ["into": UUID().uuidString]) {
                let fields = try $0.problemFields(status: .notFound); #expect(fields == ["into"])
            }
        }
    }
}
