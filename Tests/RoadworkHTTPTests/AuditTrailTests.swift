import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import Testing

/// Walks every route that changes something (the API's and the pages'), makes one change through each and checks the
/// audit events it wrote; then refuses changes and checks they wrote none.
@Suite("Every change leaves its audit event")
struct AuditTrailTests {
    /// GETs that change something: the one-click verdict links in a mail.
    static let mutatingGETs: Set<String> = ["GET /mail/:token/helpful", "GET /mail/:token/not-helpful"]

    /// Every route that may change something, as "METHOD /path/:capture".
    static func mutatingRoutes(_ router: Router<AppRequestContext>) -> Set<String> {
        Set(router.routes.compactMap { route -> String? in
            // The router spells captures "{id}"; the walk names them ":id", as the routes are written.
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }
            let key = "\(route.method) /\(path.joined(separator: "/"))"
            return route.method == .get || route.method == .head ? (mutatingGETs.contains(key) ? key : nil) : key
        })
    }

    /// Records which routes the walk went through and what each wrote.
    final class Walk: @unchecked Sendable {
        let app: TestApp
        let orgID: UUID
        var covered: Set<String> = []

        init(app: TestApp, orgID: UUID) {
            self.app = app
            self.orgID = orgID
        }

        func newestAuditID() async throws -> Int64 {
            try await app.database.tenant(orgID) {
                try $0.connection.query("SELECT coalesce(max(id), 0)::bigint AS id FROM audit_events WHERE org_id = $1", [self.orgID]).first!.decode("id")
            }
        }

        func actions(after id: Int64) async throws -> [String] {
            try await app.database.tenant(orgID) {
                try $0.connection.query("SELECT action FROM audit_events WHERE org_id = $1 AND id > $2 ORDER BY id", [self.orgID, id]).rows
                    .map { try $0.decode("action") }
            }
        }

        /// Makes a change through `route` and expects exactly `expected` audit events from it, in order.
        func change(_ route: String, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws -> TestResponse) async throws {
            let before = try await newestAuditID()
            let response = try await body()
            #expect(response.status.code < 400, "\(route): \(response.status) \(String(buffer: response.body).prefix(300))", sourceLocation: sourceLocation)
            let written = try await actions(after: before)
            #expect(written == expected, "\(route)", sourceLocation: sourceLocation)
            covered.insert(route)
        }

        /// A change that fails (4xx) and so writes nothing.
        func refused(_ route: String, _ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> TestResponse) async throws {
            let before = try await newestAuditID()
            let response = try await body()
            #expect(response.status == status, "\(route): \(String(buffer: response.body).prefix(300))", sourceLocation: sourceLocation)
            #expect(try await actions(after: before) == [], "\(route) was refused and must leave nothing", sourceLocation: sourceLocation)
        }
    }

    @Test func everyRouteThatChangesSomethingWritesItsAuditEventsAndARefusedChangeWritesNone() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let stranger = try await app.organization()
        let router = buildRouter(config: app.config, database: app.database)
        let all = Self.mutatingRoutes(router)
        let walk = Walk(app: app, orgID: org.id)
        try await app.test { client in
            func api(_ method: HTTPRequest.Method, _ path: String, _ token: String?, _ body: Any? = [String: Any](),
                     headers: HTTPFields = [:]) async throws -> TestResponse {
                try await client.call(method, "/api/v1/\(path)", token: token, body: method == .delete ? nil : body, headers: headers) { $0 }
            }
            func page(_ path: String, _ token: String?, _ fields: [String: String] = [:]) async throws -> TestResponse {
                try await client.postForm(path, token: token, fields)
            }
            func id(_ response: TestResponse, _ key: String = "id", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
                try #require(try response.object()[key] as? String, "\(String(buffer: response.body).prefix(300))", sourceLocation: sourceLocation)
            }
            func tenantQuery(_ sql: String, _ binds: [String] = []) async throws -> [String] {
                try await app.database.tenant(org.id) { store in
                    try store.connection.query(sql, binds).rows.map { try $0.decode("v") }
                }
            }

            let admin = try await client.token(org.emails[.admin]!)
            let sales = try await client.token(org.emails[.salesHead]!)
            let marketing = try await client.token(org.emails[.marketingHead]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)

            // Sessions and people.
            var session = ""
            try await walk.change("POST /api/v1/session", ["session.signed_in"]) {
                let response = try await client.execute(uri: "/api/v1/session", method: .post,
                                                        body: json(["email": org.emails[.rep]!, "password": "password"])) { $0 }
                session = try id(response, "token")
                return response
            }
            try await walk.change("POST /signin", ["session.signed_in"]) {
                try await page("/signin", nil, ["email": org.emails[.rep]!, "password": "password"])
            }
            let sessions = try #require(try await client.get("me/sessions", token: session)["items"] as? [[String: Any]])
            #expect(sessions.count >= 3)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            let current = try #require(sessions.first { $0["current"] as? Bool == true }?["id"] as? String)
            let others = sessions.compactMap { $0["current"] as? Bool == false ? $0["id"] as? String : nil }
            try await walk.refused("DELETE /api/v1/me/sessions/:id (the one asking)", .conflict) { try await api(.delete, "me/sessions/\(current)", session) }
            try await walk.refused("DELETE /api/v1/me/sessions/:id (another organization's person)", .notFound) {
                try await api(.delete, "me/sessions/\(others[0])", try await client.token(stranger.emails[.rep]!))
            }
            try await walk.change("DELETE /api/v1/me/sessions/:id", ["session.signed_out"]) { try await api(.delete, "me/sessions/\(others[0])", session) }
            try await walk.change("POST /sessions/:id/end", ["session.signed_out"]) { try await page("/sessions/\(others[1])/end", session) }
            try await walk.change("DELETE /api/v1/me/sessions", ["session.signed_out_everywhere"]) { try await api(.delete, "me/sessions", session) }
            try await client.call(.get, "/api/v1/me", token: session) { #expect($0.status == .unauthorized, "signed out everywhere") }
            try await client.call(.get, "/api/v1/me", token: rep) { #expect($0.status == .unauthorized, "the rep's other sessions ended too") }
            let rep2 = try await client.token(org.emails[.rep]!)
            _ = try await client.token(org.emails[.rep]!)
            try await walk.change("POST /sessions/end-all", ["session.signed_out_everywhere"]) { try await page("/sessions/end-all", rep2) }
            let repToken = try await client.token(org.emails[.rep]!)
            let leaving = try await client.token(org.emails[.rep]!)
            try await walk.change("DELETE /api/v1/session", ["session.signed_out"]) { try await api(.delete, "session", leaving) }
            let leavingPage = try await client.token(org.emails[.rep]!)
            try await walk.change("POST /signout", ["session.signed_out"]) { try await page("/signout", leavingPage) }
            try await walk.refused("POST /api/v1/session (wrong password)", .unauthorized) {
                try await client.execute(uri: "/api/v1/session", method: .post, body: json(["email": org.emails[.rep]!, "password": "nope"])) { $0 }
            }

            var user = ""
            try await walk.change("POST /api/v1/users", ["user.created"]) {
                let response = try await api(.post, "users", admin, ["email": "walk-\(org.id.uuidString.prefix(8))@example.com", "name": "Walker",
                                                                      "role": "rep", "invite": true])
                user = try id(response)
                return response
            }
            try await walk.refused("POST /api/v1/users (the same email again)", .conflict) {
                try await api(.post, "users", admin, ["email": "walk-\(org.id.uuidString.prefix(8))@example.com", "name": "Again", "role": "rep",
                                                      "password": "long enough"])
            }
            try await walk.change("PATCH /api/v1/users/:id", ["user.updated"]) { try await api(.patch, "users/\(user)", admin, ["name": "Walker Two"]) }
            let invitation = try #require(try await tenantQuery("SELECT secret AS v FROM mail_messages WHERE kind = 'invitation' AND user_id = $1::uuid",
                                                                [user]).first)
            try await walk.change("POST /api/v1/password-reset/confirm", ["user.invitation_accepted"]) {
                try await api(.post, "password-reset/confirm", nil, ["token": invitation, "password": "chosen by walker"])
            }
            try await walk.change("POST /admin/users", ["user.created"]) {
                try await page("/admin/users", admin, ["email": "walk2-\(org.id.uuidString.prefix(8))@example.com", "name": "Page Walker", "role": "marketer",
                                                      "password": "long enough"])
            }
            try await walk.change("POST /admin/users/:id", ["user.updated"]) { try await page("/admin/users/\(user)", admin, ["role": "marketer"]) }
            try await walk.refused("POST /admin/users/:id (an active flag that is no yes or no)", .unprocessableContent) {
                try await page("/admin/users/\(user)", admin, ["active": "perhaps"])
            }
            try await walk.change("POST /api/v1/password-reset", ["user.password_reset_requested"]) {
                try await api(.post, "password-reset", nil, ["email": org.emails[.marketer]!])
            }
            try await walk.change("POST /api/v1/password-reset (an unknown email: the same answer, nothing written)", []) {
                try await api(.post, "password-reset", nil, ["email": "nobody-\(UUID().uuidString.prefix(8))@example.com"])
            }
            try await walk.change("POST /forgot", ["user.password_reset_requested"]) { try await page("/forgot", nil, ["email": org.emails[.salesHead]!]) }
            let reset = try #require(try await tenantQuery(
                "SELECT m.secret AS v FROM mail_messages m JOIN users u ON u.id = m.user_id WHERE m.kind = 'password_reset' AND u.role = 'sales_head'").first)
            try await walk.change("POST /reset/:token", ["user.password_reset"]) { try await page("/reset/\(reset)", nil, ["password": "password"]) }
            let salesHead = try await client.token(org.emails[.salesHead]!)
            try await walk.change("PATCH /api/v1/settings", ["settings.updated"]) { try await api(.patch, "settings", admin, ["half_life_days": 60]) }
            try await walk.change("POST /admin/settings", ["settings.updated"]) {
                try await page("/admin/settings", admin, ["half_life_days": "45", "reference_deal_size": "40000"])
            }
            try await walk.change("PATCH /api/v1/me/mail-preferences", ["user.mail_preferences_updated"]) {
                try await api(.patch, "me/mail-preferences", marketing, ["digest": false])
            }
            try await walk.change("POST /preferences", ["user.mail_preferences_updated"]) {
                try await page("/preferences", marketing, ["shown": "digest,review", "subscribed": "digest"])
            }

            // Walls, reports and triage.
            var wall = ""
            try await walk.change("POST /api/v1/objections", ["objection.created"]) {
                let response = try await api(.post, "objections", marketer, ["statement": "No SOC 2 report"])
                wall = try id(response)
                return response
            }
            try await walk.refused("POST /api/v1/objections (blank)", .unprocessableContent) { try await api(.post, "objections", marketer, ["statement": " "]) }
            try await walk.change("PATCH /api/v1/objections/:id", ["objection.updated"]) {
                try await api(.patch, "objections/\(wall)", marketer, ["statement": "No SOC 2 Type II report"])
            }
            try await walk.refused("PATCH /api/v1/objections/:id (stale)", .preconditionFailed) {
                try await api(.patch, "objections/\(wall)", marketer, ["statement": "Other words"], headers: [.ifMatch: "\"1\""])
            }
            var report = ""
            try await walk.change("POST /api/v1/reports", ["report.filed"]) {
                let response = try await api(.post, "reports", repToken, ["summary": "Procurement wants pricing in euros", "account": "Acme"])
                report = try #require((try response.object()["report"] as? [String: Any])?["id"] as? String)
                return response
            }
            try await walk.refused("POST /api/v1/reports (a wall of another organization)", .notFound) {
                try await api(.post, "reports", repToken, ["summary": "x", "account": "y", "objection_id": UUID().uuidString])
            }
            try await walk.change("POST /reports", ["report.filed"]) {
                try await page("/reports", repToken, ["summary": "They asked for the SOC 2 report again", "account": "Beta", "objection_id": wall])
            }
            try await walk.change("POST /api/v1/reports/:id/triage", ["objection.created", "report.triaged"]) {
                try await api(.post, "reports/\(report)/triage", marketer, ["new_objection": ["statement": "No pricing in euros"]])
            }
            let euros = try #require(try await tenantQuery("SELECT objection_id::text AS v FROM field_reports WHERE id = $1::uuid", [report]).first)
            _ = try await api(.post, "reports", repToken, ["summary": "Wants invoices in euros", "account": "Gamma"])
            let pageReportID = try #require(try await tenantQuery("SELECT id::text AS v FROM field_reports WHERE account = 'Gamma'").first)
            try await walk.change("POST /triage/:id", ["report.triaged"]) { try await page("/triage/\(pageReportID)", marketer, ["objection_id": euros]) }
            try await walk.refused("POST /triage/:id (nothing picked)", .unprocessableContent) { try await page("/triage/\(pageReportID)", marketer, [:]) }
            _ = try await api(.post, "reports", repToken, ["summary": "Their auditor asked for our SOC 2 Type II report", "account": "Delta"])
            try await walk.change("POST /api/v1/triage/accept-confident", ["report.triaged"]) { try await api(.post, "triage/accept-confident", marketer) }
            _ = try await api(.post, "reports", repToken, ["summary": "The CISO wants a SOC 2 Type II report before signing", "account": "Epsilon"])
            try await walk.change("POST /triage/accept-confident", ["report.triaged"]) { try await page("/triage/accept-confident", marketer) }
            let copy = try id(try await api(.post, "objections", marketer, ["statement": "Missing SOC 2"]))
            let copy2 = try id(try await api(.post, "objections", marketer, ["statement": "SOC 2 missing"]))
            try await walk.change("POST /api/v1/objections/:id/merge", ["objection.merged"]) { try await api(.post, "objections/\(copy)/merge", marketer, ["into": wall]) }
            try await walk.change("POST /objections/merge", ["objection.merged"]) { try await page("/objections/merge", marketer, ["source": copy2, "into": wall]) }

            // How reported deals ended.
            try await walk.change("POST /api/v1/deals", ["deal.outcome_recorded"]) { try await api(.post, "deals", repToken, ["account": "Acme", "outcome": "closed_won"]) }
            try await walk.change("POST /deals", ["deal.outcome_recorded"]) { try await page("/deals", repToken, ["account": "Beta", "outcome": "closed_lost"]) }
            try await walk.refused("POST /api/v1/deals (an account nobody reported)", .notFound) {
                try await api(.post, "deals", repToken, ["account": "Nobody Inc", "outcome": "closed_won"])
            }

            // Vocabulary.
            var group = ""
            try await walk.change("POST /api/v1/synonyms", ["synonyms.created"]) {
                let response = try await api(.post, "synonyms", marketer, ["terms": ["pentest", "penetration test"]])
                group = try id(response)
                return response
            }
            try await walk.change("PATCH /api/v1/synonyms/:id", ["synonyms.updated"]) {
                try await api(.patch, "synonyms/\(group)", marketer, ["terms": ["pentest", "penetration test", "pen test"]])
            }
            try await walk.change("DELETE /api/v1/synonyms/:id", ["synonyms.deleted"]) { try await api(.delete, "synonyms/\(group)", marketer) }
            try await walk.change("POST /vocabulary", ["synonyms.created"]) { try await page("/vocabulary", marketer, ["terms": "DPA, data processing agreement"]) }
            let pageGroup = try #require(try await tenantQuery("SELECT id::text AS v FROM synonym_groups WHERE terms::text ILIKE '%data processing agreement%'").first)
            try await walk.change("POST /vocabulary/:id", ["synonyms.updated"]) {
                try await page("/vocabulary/\(pageGroup)", marketer, ["terms": "DPA, data processing addendum"])
            }
            try await walk.change("POST /vocabulary/:id (delete)", ["synonyms.deleted"]) { try await page("/vocabulary/\(pageGroup)", marketer, ["delete": "1"]) }

            // Content, feedback, mail links and notifications.
            var bite = ""
            try await walk.change("POST /api/v1/content", ["content.created"]) {
                let response = try await api(.post, "content", marketer, ["objection_id": wall, "title": "SOC 2 bridge letter", "format": "one_pager"])
                bite = try id(response)
                return response
            }
            try await walk.refused("POST /api/v1/content (a second active bite)", .conflict) {
                try await api(.post, "content", marketer, ["objection_id": wall, "title": "Another", "format": "one_pager"])
            }
            try await walk.change("PATCH /api/v1/content/:id", ["content.updated"]) {
                try await api(.patch, "content/\(bite)", marketer, ["status": "published", "url": "https://example.com/soc2"])
            }
            try await walk.change("POST /api/v1/content/:id/feedback", ["content.feedback"]) {
                try await api(.post, "content/\(bite)/feedback", repToken, ["helpful": true])
            }
            try await walk.change("POST /content/:id/feedback", ["content.feedback"]) { try await page("/content/\(bite)/feedback", repToken, ["helpful": "false"]) }
            try await walk.refused("POST /content/:id/feedback (a verdict that is no yes or no)", .unprocessableContent) {
                try await page("/content/\(bite)/feedback", repToken, ["helpful": "maybe"])
            }
            var pulled = ""
            try await walk.change("POST /api/v1/backlog/next", ["content.created"]) {
                let response = try await api(.post, "backlog/next", marketer, ["format": "blog_post"])
                pulled = try #require((try response.object()["content"] as? [String: Any])?["id"] as? String, "\(response.status)")
                return response
            }
            try await walk.change("POST /content/:id", ["content.updated"]) {
                try await page("/content/\(pulled)", marketer, ["status": "published", "url": "https://example.com/euros"])
            }
            _ = try await api(.post, "objections", marketer, ["statement": "No on-prem option"])
            _ = try await api(.post, "reports", repToken, ["summary": "Needs on-prem", "account": "Zeta",
                                                          "objection_id": try #require(try await tenantQuery("SELECT id::text AS v FROM objections WHERE statement = 'No on-prem option'").first)])
            try await walk.change("POST /backlog/next", ["content.created"]) { try await page("/backlog/next", marketer, ["format": "blog_post"]) }
            let repUser = try #require(try await tenantQuery("SELECT id::text AS v FROM users WHERE role = 'rep' AND email = $1", [org.emails[.rep]!]).first)
            var links: [String] = []
            // The mails that announced the two shipped bites (the mail worker is not running here).
            for (kind, content) in [("a", bite), ("b", pulled), ("c", bite)] {
                links += try await tenantQuery(
                    """
                    INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, object_id, to_address)
                    VALUES ($1::uuid, $2::uuid, 'content_shipped', $3, $4::uuid, 'rep@example.com') RETURNING link_token AS v
                    """, [org.id.uuidString, repUser, "walk:\(kind)", content])
            }
            try await walk.change("GET /mail/:token/helpful", ["content.feedback"]) {
                try await client.execute(uri: "/mail/\(links[0])/helpful", method: .get) { $0 }
            }
            try await walk.change("GET /mail/:token/not-helpful", ["content.feedback"]) {
                try await client.execute(uri: "/mail/\(links[1])/not-helpful", method: .get) { $0 }
            }
            try await walk.change("POST /mail/:token/unsubscribe", ["user.mail_preferences_updated"]) {
                try await client.execute(uri: "/mail/\(links[2])/unsubscribe", method: .post) { $0 }
            }
            let notifications = try #require(try await client.get("notifications", token: repToken)["items"] as? [[String: Any]])
            #expect(notifications.count >= 2)
            try await walk.change("POST /api/v1/notifications/:id/read", ["notification.read"]) {
                try await api(.post, "notifications/\(try #require(notifications[0]["id"] as? String))/read", repToken)
            }
            try await walk.change("POST /api/v1/notifications/:id/read (again: nothing changes)", []) {
                try await api(.post, "notifications/\(try #require(notifications[0]["id"] as? String))/read", repToken)
            }
            try await walk.change("POST /notifications/:id/read", ["notification.read"]) {
                try await page("/notifications/\(try #require(notifications[1]["id"] as? String))/read", repToken)
            }

            // Top 5 and the joint review, through the API and then the page.
            var obstacle = ""
            try await walk.change("POST /api/v1/items", ["focus_item.created"]) {
                let response = try await api(.post, "items", marketer, ["kind": "obstacle", "title": "Security reviews stall deals"])
                obstacle = try id(response)
                return response
            }
            try await walk.change("PATCH /api/v1/items/:id", ["focus_item.updated"]) {
                try await api(.patch, "items/\(obstacle)", marketer, ["description": "Every enterprise deal"])
            }
            let second = try id(try await api(.post, "items", marketer, ["kind": "obstacle", "title": "Pricing in euros"]))
            let opportunity = try id(try await api(.post, "items", marketer, ["kind": "opportunity", "title": "Healthcare schedulers"]))
            try await walk.change("POST /items/:id/content", ["content.created"]) {
                try await page("/items/\(opportunity)/content", marketer, ["title": "Hospital case study", "format": "case_study"])
            }
            try await walk.refused("POST /items/:id/content (a second active bite)", .conflict) {
                try await page("/items/\(opportunity)/content", marketer, ["title": "Another", "format": "case_study"])
            }
            try await walk.refused("POST /api/v1/content (an obstacle is no opportunity)", .notFound) {
                try await api(.post, "content", marketer, ["opportunity_id": second, "title": "Another", "format": "case_study"])
            }
            var review = ""
            try await walk.change("POST /api/v1/reviews", ["review.opened"]) {
                let response = try await api(.post, "reviews", salesHead, [:])
                review = try id(response)
                return response
            }
            try await walk.change("PUT /api/v1/reviews/:id/lineup", ["review.lineup_changed"]) {
                try await api(.put, "reviews/\(review)/lineup", salesHead, ["opportunities": [String](), "obstacles": [obstacle, second]])
            }
            try await walk.refused("POST /api/v1/reviews/:id/signoff (stale version)", .conflict) {
                try await api(.post, "reviews/\(review)/signoff", salesHead, ["lineup_version": 1])
            }
            try await walk.change("POST /api/v1/reviews/:id/signoff", ["review.signed"]) {
                try await api(.post, "reviews/\(review)/signoff", salesHead, ["lineup_version": 2])
            }
            try await walk.change("POST /api/v1/reviews/:id/signoff (the second head: applied)", ["review.signed", "review.applied"]) {
                try await api(.post, "reviews/\(review)/signoff", marketing, ["lineup_version": 2])
            }
            try await walk.change("POST /review/open", ["review.opened"]) { try await page("/review/open", salesHead) }
            try await walk.change("POST /review/agenda-note", ["review.agenda_note_added"]) {
                try await page("/review/agenda-note", marketing, ["line": "stalled:\(second)", "body": "Pricing has had no bite for a quarter"])
            }
            try await walk.change("POST /review/move", ["review.lineup_changed"]) {
                try await page("/review/move", salesHead, ["kind": "obstacle", "id": second, "by": "-1"])
            }
            try await walk.refused("POST /review/move (a step that is no number)", .unprocessableContent) {
                try await page("/review/move", salesHead, ["kind": "obstacle", "id": second, "by": "up"])
            }
            try await walk.change("POST /review/remove", ["review.lineup_changed"]) { try await page("/review/remove", salesHead, ["kind": "obstacle", "id": second]) }
            try await walk.change("POST /review/add", ["review.lineup_changed"]) { try await page("/review/add", salesHead, ["kind": "obstacle", "id": second]) }
            let onPrem = try #require(try await tenantQuery("SELECT id::text AS v FROM objections WHERE statement = 'No on-prem option'").first)
            try await walk.change("POST /review/add-wall", ["focus_item.created", "objection.updated", "review.lineup_changed"]) {
                try await page("/review/add-wall", salesHead, ["objection_id": onPrem])
            }
            try await walk.change("POST /review/notes", ["review.lineup_changed"]) { try await page("/review/notes", salesHead, ["notes": "Security first"]) }
            let version = try #require(try await tenantQuery("SELECT lineup_version::text AS v FROM joint_reviews WHERE status = 'open'").first)
            try await walk.change("POST /review/sign", ["review.signed"]) { try await page("/review/sign", salesHead, ["lineup_version": version]) }
            try await walk.change("POST /review/sign (the second head: applied)", ["review.signed", "review.applied"]) {
                try await page("/review/sign", marketing, ["lineup_version": version])
            }

            // Tokens, service accounts and webhooks.
            var token = ""
            try await walk.change("POST /api/v1/tokens", ["token.created"]) {
                let response = try await api(.post, "tokens", repToken, ["name": "CRM script"])
                token = try #require((try response.object()["token"] as? [String: Any])?["id"] as? String)
                return response
            }
            try await walk.change("DELETE /api/v1/tokens/:id", ["token.revoked"]) { try await api(.delete, "tokens/\(token)", repToken) }
            try await walk.change("POST /tokens", ["token.created"]) { try await page("/tokens", repToken, ["name": "Phone", "scope": "read"]) }
            let pageToken = try #require(try await tenantQuery("SELECT id::text AS v FROM api_tokens WHERE name = 'Phone'").first)
            try await walk.change("POST /tokens/:id/revoke", ["token.revoked"]) { try await page("/tokens/\(pageToken)/revoke", repToken) }
            var account = ""
            try await walk.change("POST /api/v1/service-accounts", ["service_account.created"]) {
                let response = try await api(.post, "service-accounts", admin, ["name": "CRM sync", "role": "rep"])
                account = try id(response)
                return response
            }
            try await walk.change("POST /api/v1/service-accounts/:id/tokens", ["token.created"]) {
                try await api(.post, "service-accounts/\(account)/tokens", admin, ["name": "sync"])
            }
            try await walk.change("POST /admin/service-accounts", ["service_account.created"]) {
                try await page("/admin/service-accounts", admin, ["name": "Sheets export", "role": "marketer"])
            }
            try await walk.change("POST /admin/service-accounts/:id/tokens", ["token.created"]) {
                try await page("/admin/service-accounts/\(account)/tokens", admin, ["name": "second"])
            }
            let serviceToken = try #require(try await tenantQuery("SELECT id::text AS v FROM api_tokens WHERE name = 'second'").first)
            try await walk.change("POST /admin/tokens/:id/revoke", ["token.revoked"]) { try await page("/admin/tokens/\(serviceToken)/revoke", admin) }
            var hook = ""
            try await walk.change("POST /api/v1/webhooks", ["webhook.created"]) {
                let response = try await api(.post, "webhooks", admin, ["url": "https://hooks.roadwork-walk.invalid/in", "event_types": ["report.filed"]])
                hook = try #require((try response.object()["endpoint"] as? [String: Any])?["id"] as? String)
                return response
            }
            try await walk.change("PATCH /api/v1/webhooks/:id", ["webhook.updated"]) { try await api(.patch, "webhooks/\(hook)", admin, ["enabled": false]) }
            try await walk.change("POST /api/v1/webhooks/:id/test", ["webhook.test_sent"]) { try await api(.post, "webhooks/\(hook)/test", admin) }
            let delivery = try #require((try await client.get("webhooks/\(hook)/deliveries", token: admin)["items"] as? [[String: Any]])?.first?["id"] as? String)
            try await walk.change("POST /api/v1/webhooks/:id/deliveries/:delivery/redeliver", ["webhook.redelivered"]) {
                try await api(.post, "webhooks/\(hook)/deliveries/\(delivery)/redeliver", admin)
            }
            try await walk.change("POST /admin/webhooks/:id/deliveries/:delivery", ["webhook.redelivered"]) {
                try await page("/admin/webhooks/\(hook)/deliveries/\(delivery)", admin)
            }
            try await walk.change("POST /admin/webhooks/:id (test)", ["webhook.test_sent"]) { try await page("/admin/webhooks/\(hook)", admin, ["action": "test"]) }
            try await walk.change("POST /admin/webhooks/:id", ["webhook.updated"]) {
                try await page("/admin/webhooks/\(hook)", admin, ["url": "https://hooks.roadwork-walk.invalid/in", "event_types": "report.filed", "enabled": "on"])
            }
            try await walk.change("DELETE /api/v1/webhooks/:id", ["webhook.deleted"]) { try await api(.delete, "webhooks/\(hook)", admin) }
            try await walk.change("POST /admin/webhooks", ["webhook.created"]) {
                try await page("/admin/webhooks", admin, ["url": "https://hooks.roadwork-walk.invalid/two", "event_types": "report.filed"])
            }
            let pageHook = try #require(try await tenantQuery("SELECT id::text AS v FROM webhook_endpoints WHERE url LIKE '%/two'").first)
            try await walk.change("POST /admin/webhooks/:id (delete)", ["webhook.deleted"]) { try await page("/admin/webhooks/\(pageHook)", admin, ["action": "delete"]) }

            // The import page: upload (kept a day), then import.
            try await walk.change("POST /import", ["import.uploaded"]) {
                try await client.execute(uri: "/import?name=walk.csv", method: .post,
                                         headers: [.cookie: "roadwork_session=\(marketer); roadwork_csrf=c1", HTTPField.Name("X-CSRF-Token")!: "c1"],
                                         body: ByteBuffer(string: "Summary,Account\nWants SSO,Acme\n")) { $0 }
            }
            let upload = try #require(try await tenantQuery("SELECT id::text AS v FROM import_uploads WHERE file_name = 'walk.csv'").first)
            try await walk.change("POST /import/:id (preview: nothing changes)", []) { try await page("/import/\(upload)", marketer, ["map_0": "summary", "map_1": "account"]) }
            try await walk.change("POST /import/:id", ["reports.imported"]) {
                try await page("/import/\(upload)", marketer, ["map_0": "summary", "map_1": "account", "action": "import"])
            }

            // Every audit event announced its domain event in the same statement.
            let unannounced = try await tenantQuery("SELECT count(*)::text AS v FROM audit_events WHERE org_id = $1::uuid AND event_id IS NULL", [org.id.uuidString])
            #expect(unannounced == ["0"])
            let strangers: [String] = try await app.database.tenant(stranger.id) {
                try $0.connection.query("SELECT DISTINCT action FROM audit_events ORDER BY action").rows.map { try $0.decode("action") }
            }
            #expect(strangers == ["organization.created", "session.signed_in", "user.created"], "the other organization sees only its own events")
        }
        let walked = Set(walk.covered.map { String($0.prefix { $0 != "(" }).trimmingCharacters(in: .whitespaces) })
        #expect(all.subtracting(walked).sorted() == [], "routes that change something but the walk did not go through")
        #expect(walked.subtracting(all).sorted() == [], "routes the walk names that the server does not have")
    }
}
