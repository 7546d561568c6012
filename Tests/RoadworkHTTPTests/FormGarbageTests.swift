import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import Testing

/// Posts what no page of ours sends to every HTML form: no CSRF token, text that is not UTF-8, a body past the limit,
/// fields far past their length, values of the wrong type, ids in the path that are no ids. Each must answer 4xx with a
/// message a person can read, never 500, and change nothing.
@Suite("Every form refuses garbage with a 4xx and a message")
struct FormGarbageTests {
    /// Who posts a form (nil: before signing in) and what wrong values to send it; `[:]` for forms whose only input is
    /// the button (their garbage is the CSRF, encoding, size and path cases).
    struct Form {
        let role: Role?
        let garbage: [String: String]
        /// The form is a file upload (the import page): its body is bytes, not fields, with the CSRF token in a header.
        var isFile = false
        /// Mail programs' one-click unsubscribe (RFC 8058) posts without a CSRF token: the link's token is the credential.
        var csrfExempt = false
    }

    static let long = String(repeating: "w", count: 20_000)

    static let forms: [String: Form] = [
        "/signin": Form(role: nil, garbage: ["email": long, "password": ""]),
        "/signout": Form(role: .rep, garbage: [:]),
        "/forgot": Form(role: nil, garbage: ["email": long]),
        "/reset/:token": Form(role: nil, garbage: ["password": long]),
        "/mail/:token/unsubscribe": Form(role: nil, garbage: [:], csrfExempt: true),
        "/preferences": Form(role: .marketer, garbage: ["shown": "digest,spam", "subscribed": "spam"]),
        "/sessions/:id/end": Form(role: .rep, garbage: [:]),
        "/sessions/end-all": Form(role: .rep, garbage: [:]),
        "/reports": Form(role: .rep, garbage: ["summary": long, "account": long, "deal_amount": "lots", "stage": "won-ish",
                                               "occurred_on": "yesterday", "objection_id": "nope"]),
        "/notifications/:id/read": Form(role: .rep, garbage: [:]),
        "/deals": Form(role: .rep, garbage: ["account": long, "outcome": "tie"]),
        "/import": Form(role: .marketer, garbage: [:], isFile: true),
        "/import/:id": Form(role: .marketer, garbage: ["map_0": "not_a_field", "action": "import"]),
        "/vocabulary": Form(role: .marketer, garbage: ["terms": long]),
        "/vocabulary/:id": Form(role: .marketer, garbage: ["terms": "ok, fine", "version": "seven"]),
        "/content/:id": Form(role: .marketer, garbage: ["status": "done-ish", "url": "javascript:alert(1)"]),
        "/content/:id/feedback": Form(role: .rep, garbage: ["helpful": "maybe"]),
        "/items/:id/content": Form(role: .marketer, garbage: ["title": long, "format": "scroll"]),
        "/backlog/next": Form(role: .marketer, garbage: ["format": "scroll"]),
        "/tokens": Form(role: .rep, garbage: ["name": long, "scope": "everything", "expires_in_days": "soon"]),
        "/tokens/:id/revoke": Form(role: .rep, garbage: [:]),
        "/review/open": Form(role: .salesHead, garbage: [:]),
        "/review/move": Form(role: .salesHead, garbage: ["kind": "sideways", "id": "x", "by": "up"]),
        "/review/remove": Form(role: .salesHead, garbage: ["kind": "obstacle", "id": "x"]),
        "/review/add": Form(role: .salesHead, garbage: ["kind": "obstacle", "id": "x"]),
        "/review/add-wall": Form(role: .salesHead, garbage: ["objection_id": "x"]),
        "/review/notes": Form(role: .salesHead, garbage: ["notes": long]),
        "/review/agenda-note": Form(role: .salesHead, garbage: ["line": long, "body": ""]),
        "/review/sign": Form(role: .salesHead, garbage: ["lineup_version": "-9223372036854775808"]),
        "/triage/accept-confident": Form(role: .marketer, garbage: [:]),
        "/triage/:id": Form(role: .marketer, garbage: ["objection_id": "x"]),
        "/objections/merge": Form(role: .marketer, garbage: ["source": "x", "into": "y"]),
        "/admin/users": Form(role: .admin, garbage: ["email": "not-an-email", "name": long, "role": "emperor", "password": "x"]),
        "/admin/users/:id": Form(role: .admin, garbage: ["role": "emperor", "active": "perhaps"]),
        "/admin/settings": Form(role: .admin, garbage: ["half_life_days": "forever", "reference_deal_size": "-1"]),
        "/admin/service-accounts": Form(role: .admin, garbage: ["name": long, "role": "god"]),
        "/admin/service-accounts/:id/tokens": Form(role: .admin, garbage: ["name": long, "scope": "x", "expires_in_days": "x"]),
        "/admin/tokens/:id/revoke": Form(role: .admin, garbage: [:]),
        "/admin/webhooks": Form(role: .admin, garbage: ["url": "ftp://x", "event_types": "nothing.happened", "format": "xml"]),
        "/admin/webhooks/:id": Form(role: .admin, garbage: ["url": "not a url", "enabled": "sometimes", "version": "v2"]),
        "/admin/webhooks/:id/deliveries/:delivery": Form(role: .admin, garbage: [:]),
    ]

    /// Every form the pages post to, as "/path/:capture".
    static func formRoutes(_ router: Router<AppRequestContext>) -> Set<String> {
        Set(router.routes.compactMap { route -> String? in
            let path = "/" + route.path.description.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }
                .joined(separator: "/")
            return route.method == .post && !path.hasPrefix("/api/") ? path : nil
        })
    }

    @Test func garbagePostedToEveryFormIsRefusedWithAMessageAndChangesNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let router = buildRouter(config: app.config, database: app.database)
        #expect(Self.formRoutes(router).subtracting(Self.forms.keys).sorted() == [], "forms this test does not post garbage to")
        #expect(Set(Self.forms.keys).subtracting(Self.formRoutes(router)).sorted() == [], "forms named here that the server does not have")
        try await app.test { client in
            var tokens: [Role: String] = [:]
            for role in Role.allCases { tokens[role] = try await client.token(org.emails[role]!) }
            let marketer = tokens[.marketer]!, admin = tokens[.admin]!, rep = tokens[.rep]!
            func tenantQuery(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
                let value: String? = try await app.database.tenant(org.id) { try $0.connection.query(sql).first?.decode("v") }
                return try #require(value, sourceLocation: sourceLocation)
            }
            // Real objects for the captures, so each form gets past its lookup to its fields.
            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No SOC 2 report"])["id"] as? String)
            let report = try #require(try await client.fileReport(token: rep, account: "Acme", objection: wall)["id"] as? String)
            let content = try #require(try await client.create("content", token: marketer, ["objection_id": wall, "title": "Bridge letter",
                                                                                             "format": "one_pager"])["id"] as? String)
            try await client.call(.patch, "/api/v1/content/\(content)", token: marketer, body: ["status": "published", "url": "https://example.com/b"]) {
                #expect($0.status == .ok)
            }
            let opportunity = try #require(try await client.create("items", token: marketer, ["kind": "opportunity", "title": "Healthcare"])["id"] as? String)
            let group = try #require(try await client.create("synonyms", token: marketer, ["terms": ["DPA", "data processing agreement"]])["id"] as? String)
            let token = try #require((try await client.create("tokens", token: rep, ["name": "script"])["token"] as? [String: Any])?["id"] as? String)
            let account = try #require(try await client.create("service-accounts", token: admin, ["name": "CRM", "role": "rep"])["id"] as? String)
            let serviceToken = try #require((try await client.create("service-accounts/\(account)/tokens", token: admin, ["name": "sync"])["token"]
                                             as? [String: Any])?["id"] as? String)
            let hook = try #require((try await client.create("webhooks", token: admin, ["url": "https://hooks.garbage.invalid/in", "event_types": ["report.filed"]])["endpoint"]
                                     as? [String: Any])?["id"] as? String)
            try await client.call(.post, "/api/v1/webhooks/\(hook)/test", token: admin, body: [:]) { #expect($0.status.code < 300) }
            let delivery = try #require((try await client.get("webhooks/\(hook)/deliveries", token: admin)["items"] as? [[String: Any]])?.first?["id"] as? String)
            _ = try await client.create("reviews", token: tokens[.salesHead]!, [:])
            try await client.call(.post, "/api/v1/password-reset", token: nil, body: ["email": org.emails[.marketer]!]) { #expect($0.status == .accepted) }
            let reset = try await tenantQuery("SELECT secret AS v FROM mail_messages WHERE kind = 'password_reset'")
            // By email: the service account made above is a user with the rep's role too.
            let repUser = try await tenantQuery("SELECT id::text AS v FROM users WHERE email = '\(org.emails[.rep]!)'")
            let link = try await tenantQuery(
                """
                INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, object_id, to_address)
                VALUES ('\(org.id)', '\(repUser)', 'content_shipped', 'garbage', '\(content)', 'rep@example.com') RETURNING link_token AS v
                """)
            let session = try await tenantQuery("SELECT id::text AS v FROM sessions WHERE user_id = '\(repUser)' AND revoked_at IS NULL LIMIT 1")
            let notification = try await tenantQuery("SELECT id::text AS v FROM notifications WHERE user_id = '\(repUser)' LIMIT 1")
            try await client.execute(uri: "/import?name=g.csv", method: .post,
                                     headers: [.cookie: "roadwork_session=\(marketer); roadwork_csrf=c", HTTPField.Name("X-CSRF-Token")!: "c"],
                                     body: ByteBuffer(string: "Summary,Account\nWants SSO,Acme\n")) { #expect($0.status == .seeOther) }
            let upload = try await tenantQuery("SELECT id::text AS v FROM import_uploads LIMIT 1")
            func real(_ path: String) -> String {
                switch path {
                case "/reset/:token": return "/reset/\(reset)"
                case "/mail/:token/unsubscribe": return "/mail/\(link)/unsubscribe"
                case "/sessions/:id/end": return "/sessions/\(session)/end"
                case "/notifications/:id/read": return "/notifications/\(notification)/read"
                case "/import/:id": return "/import/\(upload)"
                case "/vocabulary/:id": return "/vocabulary/\(group)"
                case "/content/:id", "/content/:id/feedback": return path.replacingOccurrences(of: ":id", with: content)
                case "/tokens/:id/revoke": return "/tokens/\(token)/revoke"
                case "/items/:id/content": return "/items/\(opportunity)/content"
                case "/triage/:id": return "/triage/\(report)"
                case "/admin/users/:id": return "/admin/users/\(repUser)"
                case "/admin/service-accounts/:id/tokens": return "/admin/service-accounts/\(account)/tokens"
                case "/admin/tokens/:id/revoke": return "/admin/tokens/\(serviceToken)/revoke"
                case "/admin/webhooks/:id", "/admin/webhooks/:id/deliveries/:delivery":
                    return path.replacingOccurrences(of: ":id", with: hook).replacingOccurrences(of: ":delivery", with: delivery)
                default: return path
                }
            }

            let audited = try await tenantQuery("SELECT count(*)::text AS v FROM audit_events")
            var tried = 0
            for (route, form) in Self.forms.sorted(by: { $0.key < $1.key }) {
                let session = form.role.map { "roadwork_session=\(tokens[$0]!); " } ?? ""
                func post(_ path: String, _ body: ByteBuffer, csrfField: Bool = true, case what: String) async throws {
                    var headers: HTTPFields = [.accept: "text/html", .cookie: "\(session)roadwork_csrf=garbage-csrf"]
                    headers[.contentType] = form.isFile ? "text/csv" : "application/x-www-form-urlencoded"
                    if form.isFile && csrfField { headers[HTTPField.Name("X-CSRF-Token")!] = "garbage-csrf" }
                    var body = body
                    if !form.isFile && csrfField {
                        var withToken = ByteBuffer(string: "_csrf=garbage-csrf&")
                        withToken.writeBuffer(&body)
                        body = withToken
                    }
                    try await client.execute(uri: path, method: .post, headers: headers, body: body) { response in
                        let text = String(buffer: response.body)
                        #expect((400..<500).contains(response.status.code), "\(route), \(what): \(response.status) \(text.prefix(200))")
                        #expect(text.contains("role=\"alert\"") || text.contains("class=\"error\""), "\(route), \(what): no message shown")
                    }
                    tried += 1
                }
                func encoded(_ fields: [String: String]) -> ByteBuffer {
                    ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
                        .joined(separator: "&"))
                }
                let path = real(route)
                if !form.csrfExempt {
                    try await post(path, encoded(form.garbage.isEmpty ? ["x": "y"] : form.garbage), csrfField: false, case: "no CSRF token")
                }
                // A file's bytes are the import's to judge (its preview names a file that is not UTF-8); fields must be text.
                if !form.isFile {
                    try await post(path, ByteBuffer(bytes: Array("x=".utf8) + [0xFF, 0xFE, 0x41]), case: "a body that is not UTF-8")
                    try await post(path, ByteBuffer(string: "x=%FF%FEA"), case: "percent-encoded bytes that are not UTF-8")
                }
                try await post(path, ByteBuffer(repeating: UInt8(ascii: "a"), count: form.isFile ? 21 << 20 : 300_000), case: "a body past the limit")
                if !form.garbage.isEmpty { try await post(path, encoded(form.garbage), case: "wrong values") }
                if route.contains(":") {
                    let broken = route.split(separator: "/").map { $0.hasPrefix(":") ? "not-an-id" : String($0) }.joined(separator: "/")
                    try await post("/" + broken, encoded(form.garbage), case: "ids in the path that are no ids")
                }
            }
            #expect(tried > 150)
            #expect(try await tenantQuery("SELECT count(*)::text AS v FROM audit_events") == audited, "garbage changed something")
        }
    }
}
