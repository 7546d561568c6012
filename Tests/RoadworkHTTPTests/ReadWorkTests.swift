import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import Synchronization
import Testing

/// Keeps the `request` debug lines the server logs, with their statement and round-trip counts.
final class RequestLogLines: Sendable {
    struct Line: Sendable {
        let path: String
        let statements: Int
        let roundTrips: Int
    }

    let lines = Mutex<[Line]>([])

    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(sink: self) }
        logger.logLevel = .debug
        return logger
    }

    /// The last request to `path`.
    func last(_ path: String) -> Line? { lines.withLock { $0.last { $0.path == path } } }

    struct Handler: LogHandler {
        let sink: RequestLogLines
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard "\(event.message)" == "request", let metadata = event.metadata, case .string(let path)? = metadata["path"],
                  let statements = metadata["statements"].flatMap({ Int("\($0)") }),
                  let roundTrips = metadata["round_trips"].flatMap({ Int("\($0)") }) else { return }
            sink.lines.withLock { $0.append(Line(path: path, statements: statements, roundTrips: roundTrips)) }
        }
    }
}

@Suite("Pages and lists send the same statements whatever the number of rows they show")
struct ReadWorkTests {
    /// Adds `count` walls, each with an objection under a Top 5 obstacle, a bite, a report against it, a report waiting for
    /// triage and one more report against the first objection (whose page lists them).
    func grow(_ client: any TestClientProtocol, marketer: String, rep: String, first: String, from start: Int, count: Int) async throws {
        for i in start..<(start + count) {
            let obstacle = try #require(try await client.create("items", token: marketer, ["kind": "obstacle", "title": "Obstacle \(i)"])["id"] as? String)
            let objection = try #require(try await client.create("objections", token: marketer,
                                                                  ["statement": "Needs integration number\(i) with system\(i)", "obstacle_id": obstacle])["id"] as? String)
            let bite = try #require(try await client.create("content", token: marketer, ["objection_id": objection, "title": "Bite \(i)", "format": "one_pager"])["id"] as? String)
            // Shipped, so the objection pages draw did-the-wall-stop and the open review's agenda lists it.
            try await client.call(.patch, "/api/v1/content/\(bite)", token: marketer, body: ["status": "published", "url": "https://example.com/\(i)"]) {
                #expect($0.status == .ok)
            }
            _ = try await client.create("reports", token: rep, ["summary": "Asked about number\(i) again", "account": "Account \(i)", "objection_id": objection])
            _ = try await client.create("reports", token: rep, ["summary": "Wanted a discount of \(i) percent", "account": "Untriaged \(i)"])
            _ = try await client.create("reports", token: rep, ["summary": "First wall again, time \(i)", "account": "Again \(i)", "objection_id": first])
        }
    }

    @Test func everyPageAndListSendsAsManyStatementsWithTwelveRowsAsWithTwo() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let log = RequestLogLines()
        try await app.test(logger: log.logger) { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let head = try await client.token(org.emails[.salesHead]!)
            let first = try #require(try await client.create("objections", token: marketer, ["statement": "The first wall"])["id"] as? String)
            _ = try await client.create("reviews", token: head, [:])
            let api = ["/api/v1/backlog?limit=50", "/api/v1/focus", "/api/v1/objections", "/api/v1/reports", "/api/v1/content",
                       "/api/v1/items", "/api/v1/triage/suggestions", "/api/v1/objections/\(first)"]
            let pages = ["/", "/backlog", "/content", "/triage", "/objections/\(first)", "/review"]
            func counts() async throws -> [String: RequestLogLines.Line] {
                var counts: [String: RequestLogLines.Line] = [:]
                for path in api {
                    try await client.call(.get, path, token: marketer) { #expect($0.status == .ok, "GET \(path)") }
                    counts[path] = log.last(path.split(separator: "?").first.map(String.init) ?? path)
                }
                // Twice: the home page's first view in a while also computes what it keeps for a minute (trends, new walls).
                for path in pages + pages {
                    try await client.execute(uri: path, method: .get, headers: [.cookie: "roadwork_session=\(head)"]) {
                        #expect($0.status == .ok, "GET \(path)")
                    }
                    counts[path] = log.last(path)
                }
                return counts
            }
            try await grow(client, marketer: marketer, rep: rep, first: first, from: 0, count: 2)
            let few = try await counts()
            try await grow(client, marketer: marketer, rep: rep, first: first, from: 2, count: 10)
            let many = try await counts()
            for path in api + pages {
                let before = try #require(few[path], "no request line for \(path)")
                let after = try #require(many[path], "no request line for \(path)")
                #expect(before.statements > 0, "\(path) sent no statements")
                #expect(after.statements == before.statements, "\(path): \(before.statements) statements with 2 walls, \(after.statements) with 12")
                #expect(after.roundTrips == before.roundTrips, "\(path): \(before.roundTrips) round trips with 2 walls, \(after.roundTrips) with 12")
            }
            // A read takes its session on trust and looks it up again in its own first round trip: BEGIN, the scope, the
            // lookup and the read (the Top 5 and their progress) together, then COMMIT.
            #expect(many["/api/v1/focus"]?.roundTrips == 2)
            #expect(many["/api/v1/focus"]?.statements == 6)
        }
    }

    @Test func theBacklogTopFiveAndHomePageAnswer304WhileUnchangedAnd200OnceChanged() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let objection = try #require(try await client.create("objections", token: marketer, ["statement": "No audit log export"])["id"] as? String)
            _ = try await client.create("reports", token: rep, ["summary": "Wants audit logs", "account": "Acme", "objection_id": objection])
            // As a browser holds them: the session and the CSRF cookie the first page set.
            let cookie = "roadwork_session=\(marketer); roadwork_csrf=kept"
            for path in ["/api/v1/backlog", "/api/v1/focus", "/"] {
                let headers: HTTPFields = path == "/" ? [.cookie: cookie] : [.authorization: "Bearer \(marketer)"]
                let tag = try await client.execute(uri: path, method: .get, headers: headers) { response -> String in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "private, no-cache")
                    return try #require(response.headers[.eTag], "no ETag on \(path)")
                }
                var revalidating = headers
                revalidating[.ifNoneMatch] = tag
                try await client.execute(uri: path, method: .get, headers: revalidating) { response in
                    #expect(response.status == .notModified, "\(path) answered \(response.status) to its own ETag")
                    #expect(response.body.readableBytes == 0)
                }
                revalidating[.ifNoneMatch] = "W/\"something-else\""
                try await client.execute(uri: path, method: .get, headers: revalidating) { #expect($0.status == .ok) }
            }
            // A change to what the backlog shows gives it a new ETag.
            let before = try await client.execute(uri: "/api/v1/backlog", method: .get, headers: [.authorization: "Bearer \(marketer)"]) { $0.headers[.eTag] }
            _ = try await client.create("reports", token: rep, ["summary": "Audit logs again", "account": "Globex", "objection_id": objection])
            try await client.execute(uri: "/api/v1/backlog", method: .get,
                                     headers: [.authorization: "Bearer \(marketer)", .ifNoneMatch: try #require(before)]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] != before)
            }
        }
    }

    @Test func pagesLinkTheirStylesheetAndScriptByAHashOfTheirBytesCachedForAYear() async throws {
        let app = try TestApp()
        try await app.test { client in
            let html = try await client.execute(uri: "/signin", method: .get) { String(buffer: $0.body) }
            for (pattern, type) in [(#"href="(/static/app\.[0-9a-f]{12}\.css)""#, "text/css"), (#"src="(/static/app\.[0-9a-f]{12}\.js)""#, "text/javascript")] {
                let match = try #require(html.firstMatch(of: try Regex(pattern)), "no hashed \(type) link in the page")
                let path = try #require(match.output[1].substring.map(String.init))
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    #expect(response.headers[.contentType]?.hasPrefix(type) == true)
                    #expect(response.body.readableBytes > 100)
                }
            }
        }
    }

    @Test func aSessionTakenOnTrustIsRefusedOnTheNextReadOnceRevokedOrItsRoleChanged() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let rep = try await client.token(org.emails[.rep]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            // Each token is remembered after its first use.
            for token in [rep, marketer] {
                try await client.call(.get, "/api/v1/backlog", token: token) { #expect($0.status == .ok) }
            }
            try await client.call(.delete, "/api/v1/session", token: rep) { #expect($0.status == .noContent) }
            try await client.call(.get, "/api/v1/backlog", token: rep) { #expect($0.status == .unauthorized) }
            try await client.call(.get, "/api/v1/me", token: rep) { #expect($0.status == .unauthorized) }
            // A marketer made a rep may no longer open the triage inbox, on the very next request.
            try await client.execute(uri: "/triage", method: .get, headers: [.cookie: "roadwork_session=\(marketer)"]) { #expect($0.status == .ok) }
            let marketerID = try await client.call(.get, "/api/v1/me", token: marketer) { try #require(try $0.object()["id"] as? String) }
            try await client.call(.patch, "/api/v1/users/\(marketerID)", token: admin, body: ["role": "rep"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/triage", method: .get, headers: [.cookie: "roadwork_session=\(marketer)"]) { #expect($0.status == .forbidden) }
            let role = try await client.call(.get, "/api/v1/me", token: marketer) { try $0.object()["role"] as? String }
            #expect(role == "rep")
        }
    }
}
