import Foundation
import HummingbirdTesting
import PostgresClient
import RoadworkDomain
import RoadworkActions
@testable import RoadworkHTTP
import RoadworkStore
import Testing

@Suite("API tokens, service accounts, webhook endpoints and the outbox through the API")
struct IntegrationAPITests {
    /// Rows of a table for one organization, read through its row-level security.
    func count(_ app: TestApp, _ org: UUID, _ sql: String) async throws -> Int {
        try await app.database.tenant(org) { try $0.connection.query("SELECT count(*)::integer AS n FROM \(sql)").first!.decode("n") }
    }

    @Test func personalTokensWorkAsBearerAreKeptAsAHashAndStopWhenRevokedOrExpired() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let made = try await client.create("tokens", token: rep, ["name": "CRM script", "scope": "write", "expires_in_days": 30])
            let secret = try #require(made["secret"] as? String)
            let token = try #require(made["token"] as? [String: Any])
            #expect(secret.hasPrefix("rw_pat_") && secret.count > 40)
            #expect(secret.hasPrefix(token["display_prefix"] as! String))
            #expect(token["expires_at"] is String)
            #expect(try await client.get("me", token: secret)["email"] as? String == org.emails[.rep])
            _ = try await client.create("reports", token: secret, ["summary": "Filed by a script", "account": "Acme"])
            let stored = try await app.database.tenant(org.id) { store in
                try store.connection.query("SELECT count(*)::integer AS n FROM api_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND last_used_at IS NOT NULL",
                                           [secret]).first!.decode("n") as Int
            }
            #expect(stored == 1)
            let listed = try await client.get("tokens", token: rep)["items"] as! [[String: Any]]
            #expect(listed.count == 1 && listed[0]["secret"] == nil)

            // Someone else's token is not found; the owner revokes it and it stops at once.
            let marketer = try await client.token(org.emails[.marketer]!)
            try await client.call(.delete, "/api/v1/tokens/\(token["id"]!)", token: marketer) { #expect($0.status == .notFound) }
            try await client.call(.delete, "/api/v1/tokens/\(token["id"]!)", token: rep) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/me", token: secret) { #expect($0.status == .unauthorized) }

            let expiring = try await client.create("tokens", token: rep, ["name": "Short", "expires_in_days": 1])
            let expiringSecret = expiring["secret"] as! String
            try await client.call(.get, "/api/v1/me", token: expiringSecret) { #expect($0.status == .ok) }
            let expiringID = UUID(uuidString: (expiring["token"] as! [String: Any])["id"] as! String)!
            try await app.database.tenant(org.id) {
                _ = try $0.connection.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [expiringID])
            }
            try await client.call(.get, "/api/v1/me", token: expiringSecret) { #expect($0.status == .unauthorized) }

            try await client.call(.post, "/api/v1/tokens", token: rep, body: ["name": " ", "scope": "admin", "expires_in_days": 0]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(Set(fields) == ["name", "scope", "expires_in_days"])
            }
        }
    }

    @Test func aReadOnlyTokenReadsButCannotWrite() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let secret = try await client.create("tokens", token: marketer, ["name": "Dashboard", "scope": "read"])["secret"] as! String
            #expect(try await client.get("backlog", token: secret)["items"] is [Any])
            let before = try await count(app, org.id, "audit_events")
            try await client.call(.post, "/api/v1/objections", token: secret, body: ["statement": "Too expensive"]) { #expect($0.status == .forbidden) }
            try await client.call(.post, "/api/v1/reports", token: secret, body: ["summary": "x", "account": "y"]) { #expect($0.status == .forbidden) }
            #expect(try await count(app, org.id, "audit_events") == before)
            // A token is no browser session: in the cookie it signs nobody in, on the API or on a page.
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "roadwork_session=\(secret)"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: "roadwork_session=\(secret)"]) {
                #expect($0.status == .seeOther && $0.headers[.location] == "/signin")
            }
        }
    }

    @Test func adminsMakeServiceAccountsThatActWithTheirRole() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            try await client.call(.post, "/api/v1/service-accounts", token: marketer, body: ["name": "CRM", "role": "rep"]) { #expect($0.status == .forbidden) }
            try await client.call(.post, "/api/v1/service-accounts", token: admin, body: ["name": "CRM", "role": "boss"]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["role"])
            }
            let account = try await client.create("service-accounts", token: admin, ["name": "Salesforce sync", "role": "rep"])
            let id = account["id"] as! String
            let secret = try await client.create("service-accounts/\(id)/tokens", token: admin, ["name": "prod"])["secret"] as! String
            #expect(secret.hasPrefix("rw_sa_"))
            let filed = try await client.create("reports", token: secret, ["summary": "From the CRM", "account": "Initech"])
            #expect((filed["report"] as? [String: Any])?["reporter_id"] as? String == id)
            try await client.call(.post, "/api/v1/objections", token: secret, body: ["statement": "Too slow"]) { #expect($0.status == .forbidden) }
            let tokens = try await client.get("service-accounts/\(id)/tokens", token: admin)["items"] as! [[String: Any]]
            #expect(tokens.count == 1)
            // An admin revokes a service account's token.
            try await client.call(.delete, "/api/v1/tokens/\(tokens[0]["id"]!)", token: admin) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/me", token: secret) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func webhookTargetsOnPrivateAddressesAreRefusedUnlessAllowed() async throws {
        let refusing = try TestApp()
        let org = try await refusing.organization()
        try await refusing.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data",
                        "http://[::1]/", "http://192.168.0.10/", "http://[fd00:ec2::254]/", "http://0.0.0.0/"] {
                try await client.call(.post, "/api/v1/webhooks", token: admin, body: ["url": url, "event_types": ["report.filed"]]) {
                    let fields = try $0.problemFields(status: .unprocessableContent)
                    #expect(fields == ["url"], "\(url)")
                }
            }
            #expect(try await count(refusing, org.id, "webhook_endpoints") == 0)
        }
        let allowing = try TestApp(webhookAllowPrivate: true)
        try await allowing.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            _ = try await client.create("webhooks", token: admin, ["url": "http://127.0.0.1:9/hook", "event_types": ["report.filed"]])
        }
        #expect(WebhookTarget.isPrivate("100.64.0.1") && WebhookTarget.isPrivate("::ffff:127.0.0.1") && WebhookTarget.isPrivate("fe80::1"))
        #expect(!WebhookTarget.isPrivate("93.184.215.14") && !WebhookTarget.isPrivate("2606:4700::1111"))
    }

    @Test func adminsManageEndpointsAndOtherOrganizationsSeeNone() async throws {
        let app = try TestApp(webhookAllowPrivate: true)
        let org = try await app.organization()
        let other = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let stranger = try await client.token(other.emails[.admin]!)
            try await client.call(.post, "/api/v1/webhooks", token: marketer, body: ["url": "http://127.0.0.1/h", "event_types": ["report.filed"]]) {
                #expect($0.status == .forbidden)
            }
            try await client.call(.post, "/api/v1/webhooks", token: admin, body: ["url": "ftp://x", "event_types": ["report.filed", "no.such"], "format": "xml"]) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(Set(fields) == ["url", "event_types", "format"])
            }
            let made = try await client.create("webhooks", token: admin, ["url": "http://127.0.0.1:9/h", "event_types": ["report.filed"], "format": "slack"])
            #expect((made["secret"] as? String)?.hasPrefix("whsec_") == true)
            let id = (made["endpoint"] as! [String: Any])["id"] as! String
            try await client.call(.patch, "/api/v1/webhooks/\(id)", token: admin, body: ["enabled": false], headers: [.ifMatch: "\"9\""]) {
                _ = try $0.problemFields(status: .preconditionFailed)
            }
            try await client.call(.patch, "/api/v1/webhooks/\(id)", token: admin, body: ["enabled": false, "event_types": ["content.published"]]) { response in
                #expect(response.status == .ok)
                let body = try response.object()
                #expect(body["enabled"] as? Bool == false && body["event_types"] as? [String] == ["content.published"])
            }
            let test = try await client.call(.post, "/api/v1/webhooks/\(id)/test", token: admin) { response in
                #expect(response.status == .accepted)
                return try response.object()["event_id"] as! String
            }
            let log = try await client.get("webhooks/\(id)/deliveries", token: admin)["items"] as! [[String: Any]]
            #expect(log.count == 1 && log[0]["event_id"] as? String == test && log[0]["event_type"] as? String == "webhook.test")
            for path in ["webhooks/\(id)", "webhooks/\(id)/deliveries"] {
                try await client.call(.get, "/api/v1/\(path)", token: stranger) { #expect($0.status == .notFound) }
            }
            try await client.call(.delete, "/api/v1/webhooks/\(id)", token: stranger) { #expect($0.status == .notFound) }
            #expect((try await client.get("webhooks", token: stranger)["items"] as! [Any]).isEmpty)
            try await client.call(.delete, "/api/v1/webhooks/\(id)", token: admin) { #expect($0.status == .noContent) }
        }
    }

    @Test func everyChangeWritesOneAuditEventAndOneDomainEventAndAFailedOneNeither() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            func counts() async throws -> (Int, Int) {
                (try await count(app, org.id, "audit_events"), try await count(app, org.id, "outbox_events"))
            }
            func change(_ expectedType: String, _ body: () async throws -> Void) async throws {
                let before = try await counts()
                try await body()
                let after = try await counts()
                #expect(after.0 == before.0 + 1 && after.1 == before.1 + 1, "\(expectedType)")
                let newest: String = try await app.database.tenant(org.id) {
                    try $0.connection.query("SELECT v.type FROM audit_events a JOIN outbox_events v ON v.id = a.event_id ORDER BY a.id DESC LIMIT 1").first!.decode("type")
                }
                #expect(newest == expectedType)
            }
            func refused(_ body: () async throws -> Void) async throws {
                let before = try await counts()
                try await body()
                #expect(try await counts() == before)
            }
            var objection = ""
            try await change("objection.created") { objection = try #require(try await client.create("objections", token: marketer, ["statement": "No audit log"])["id"] as? String) }
            try await change("report.filed") { _ = try await client.create("reports", token: rep, ["summary": "Needs an audit log", "account": "A", "objection_id": objection]) }
            var content = ""
            try await change("content.created") {
                content = try #require(try await client.create("content", token: marketer, ["objection_id": objection, "title": "Audit log FAQ", "format": "one_pager"])["id"] as? String)
            }
            try await refused {
                try await client.call(.post, "/api/v1/content", token: marketer, body: ["objection_id": objection, "title": "Second", "format": "one_pager"]) {
                    #expect($0.status == .conflict)
                }
            }
            try await change("content.status_changed") {
                try await client.call(.patch, "/api/v1/content/\(content)", token: marketer, body: ["status": "in_progress"]) { #expect($0.status == .ok) }
            }
            try await change("content.published") {
                try await client.call(.patch, "/api/v1/content/\(content)", token: marketer, body: ["status": "published", "url": "https://example.com/faq"]) {
                    #expect($0.status == .ok)
                }
            }
            try await change("token.created") { _ = try await client.create("tokens", token: rep, ["name": "mine"]) }
            let admin = try await client.token(org.emails[.admin]!)
            var user = ""
            try await change("user.created") {
                user = try #require(try await client.create("users", token: admin, ["email": "new.rep@example.com", "name": "New Rep", "role": "rep",
                                                                                  "password": "correct horse"])["id"] as? String)
            }
            try await change("user.updated") {
                try await client.call(.patch, "/api/v1/users/\(user)", token: admin, body: ["name": "Renamed Rep"]) { #expect($0.status == .ok) }
            }
            var session = ""
            try await change("session.signed_in") { session = try await client.token("new.rep@example.com", password: "correct horse") }
            try await change("session.signed_out") {
                try await client.call(.delete, "/api/v1/session", token: session) { #expect($0.status == .noContent) }
            }
            try await refused {
                try await client.call(.post, "/api/v1/users", token: admin, body: ["email": "new.rep@example.com", "name": "Again", "role": "rep",
                                                                              "password": "correct horse"]) { #expect($0.status == .conflict) }
            }
            try await refused {
                try await client.call(.post, "/api/v1/objections", token: marketer, body: ["statement": ""]) { #expect($0.status == .unprocessableContent) }
            }
            try await refused {
                try await client.call(.patch, "/api/v1/objections/\(objection)", token: marketer, body: ["statement": "New words"], headers: [.ifMatch: "\"99\""]) {
                    #expect($0.status == .preconditionFailed)
                }
            }
            try await refused {
                try await client.call(.post, "/api/v1/reports", token: rep, body: ["summary": "x", "account": "y", "objection_id": UUID().uuidString]) {
                    #expect($0.status == .notFound)
                }
            }
        }
    }

    @Test func aWallThatStartsToEmergeIsAnnouncedOnceToOrganizationsThatWatch() async throws {
        let app = try TestApp(webhookAllowPrivate: true)
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No HIPAA BAA"])["id"] as? String)
            for account in ["Clinic A", "Clinic B"] {
                _ = try await client.create("reports", token: rep, ["summary": "Needs a BAA", "account": account, "objection_id": wall])
            }
            let announced = "outbox_events WHERE type = 'wall.emerging'"
            _ = try await app.database.announceEmergingWalls(today: Day.today())
            #expect(try await count(app, org.id, announced) == 0)
            _ = try await client.create("webhooks", token: admin, ["url": "http://127.0.0.1:9/h", "event_types": ["wall.emerging"]])
            _ = try await app.database.announceEmergingWalls(today: Day.today())
            _ = try await app.database.announceEmergingWalls(today: Day.today())
            #expect(try await count(app, org.id, announced) == 1)
            let object: String = try await app.database.tenant(org.id) {
                try $0.connection.query("SELECT data->'object'->'objection'->>'id' AS id FROM outbox_events WHERE type = 'wall.emerging'").first!.decode("id")
            }
            #expect(object == wall)
        }
    }
}
