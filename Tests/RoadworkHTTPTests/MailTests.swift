import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import RoadworkDomain
@testable import RoadworkHTTP
import RoadworkStore
import SMTPClient
import Testing

/// Mail end to end: the real router and database, the mail worker's rounds, and a real SMTP server (aiosmtpd).
/// Serialized: each test runs the worker, which sends whatever any organization has queued.
@Suite("Mail that closes the loop", .serialized)
struct MailTests {
    static let base = "http://roadwork.test"

    func mailer(_ app: TestApp, port: Int) throws -> MailService {
        MailService(database: app.database, logger: Logger(label: "mail-test"), smtp: try SMTPClient(url: "smtp://127.0.0.1:\(port)"),
                    composer: MailComposer(database: app.database, publicURL: Self.base, fromAddress: "roadwork@roadwork.test", fromName: "Roadwork"),
                    policy: MailPolicy(retryBaseSeconds: 0.2, retryMaxSeconds: 0.4, giveUpHours: 1), leaseSeconds: 30, pause: .milliseconds(50))
    }

    /// Runs the worker until nothing is due (mail that failed waits for its retry and is not due).
    func drain(_ service: MailService) async throws {
        for _ in 0..<100 where try await service.round() > 0 {}
    }

    func publish(_ client: any TestClientProtocol, token: String, objection: String, title: String) async throws -> String {
        let content = try #require(try await client.create("content", token: token, ["objection_id": objection, "title": title,
                                                                                      "format": "one_pager"])["id"] as? String)
        try await client.call(.patch, "/api/v1/content/\(content)", token: token,
                              body: ["status": "published", "url": "https://example.com/\(content)"]) { #expect($0.status == .ok) }
        return content
    }

    func feedbackCount(_ app: TestApp, org: UUID) async throws -> Int {
        try await app.database.tenant(org) { try $0.connection.query("SELECT count(*)::integer AS n FROM content_feedback").first!.decode("n") }
    }

    @Test func shippedContentReachesEachRepWhoReportedTheWallAndNobodyElse() async throws {
        let smtp = try SMTPTestServer(port: 18351)
        try smtp.start()
        defer { smtp.stop() }
        let app = try TestApp()
        let org = try await app.organization()
        let other = try await app.organization()
        let service = try mailer(app, port: smtp.port)
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let secondEmail = "second-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            _ = try await client.create("users", token: admin, ["email": secondEmail, "name": "Second Rep", "role": "rep", "password": "password"])
            let second = try await client.token(secondEmail)
            let bystanderEmail = "bystander-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            _ = try await client.create("users", token: admin, ["email": bystanderEmail, "name": "Bystander", "role": "rep", "password": "password"])
            let bystander = try await client.token(bystanderEmail)

            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No SOC 2 report"])["id"] as? String)
            let otherWall = try #require(try await client.create("objections", token: marketer, ["statement": "Too expensive"])["id"] as? String)
            _ = try await client.create("reports", token: rep, ["summary": "Security wants SOC 2", "account": "Acme", "objection_id": wall])
            _ = try await client.create("reports", token: rep, ["summary": "SOC 2 again", "account": "Globex", "objection_id": wall])
            _ = try await client.create("reports", token: second, ["summary": "Asked for the SOC 2", "account": "Initech", "objection_id": wall])
            _ = try await client.create("reports", token: bystander, ["summary": "Price", "account": "Umbrella", "objection_id": otherWall])
            // Another organization's rep and its own shipped content: none of it may cross over.
            let stranger = try await client.token(other.emails[.rep]!)
            let otherMarketer = try await client.token(other.emails[.marketer]!)
            let theirWall = try #require(try await client.create("objections", token: otherMarketer, ["statement": "No SOC 2 report"])["id"] as? String)
            _ = try await client.create("reports", token: stranger, ["summary": "SOC 2", "account": "Hooli", "objection_id": theirWall])

            let content = try await publish(client, token: marketer, objection: wall, title: "Our SOC 2 story")
            try await drain(service)

            let ours = Set([org.emails[.rep]!, secondEmail, bystanderEmail, other.emails[.rep]!] + org.emails.values + other.emails.values)
            let received = try smtp.messages(to: ours)
            #expect(Set(received.map(\.recipient)) == [org.emails[.rep]!, secondEmail])
            #expect(received.count == 2, "one mail per rep, however many reports they filed")
            let mail = try #require(received.first { $0.recipient == org.emails[.rep]! })
            #expect(mail.subject == "Marketing shipped “Our SOC 2 story” for the wall you reported")
            #expect(mail.text.contains("No SOC 2 report"))
            #expect(mail.text.contains("https://example.com/\(content)"))
            #expect(mail.html.contains("<a href=\"https://example.com/\(content)\">"))
            #expect(mail.headers["message-id"]?.hasSuffix("@roadwork.test>") == true)
            #expect(mail.headers["date"] != nil)
            #expect(mail.headers["list-unsubscribe"]?.hasPrefix("<\(Self.base)/mail/") == true)
            #expect(mail.headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click")

            // One click from the mail records the verdict as the rep; a second click changes nothing.
            let helpful = try #require(mail.path(containing: "/helpful", base: Self.base))
            let before = try await feedbackCount(app, org: org.id)
            try await client.execute(uri: helpful, method: .get) { #expect($0.status == .ok) }
            #expect(try await feedbackCount(app, org: org.id) == before + 1)
            try await client.execute(uri: helpful, method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Already recorded"))
            }
            #expect(try await feedbackCount(app, org: org.id) == before + 1)
            try await client.execute(uri: "/mail/not-a-token/helpful", method: .get) { #expect($0.status == .notFound) }

            // Unsubscribing (one-click POST) is honoured for the next content; the other rep still gets it.
            let unsubscribe = try #require(mail.headers["list-unsubscribe"]).dropFirst(Self.base.count + 1).dropLast()
            try await client.execute(uri: String(unsubscribe), method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "List-Unsubscribe=One-Click")) { #expect($0.status == .ok) }
            let preferences = try await client.call(.get, "/api/v1/me/mail-preferences", token: rep) { try $0.object() }
            #expect(preferences["content_shipped"] as? Bool == false)
            _ = try await publish(client, token: marketer, objection: wall, title: "SOC 2 bridge letter")
            try await drain(service)
            let later = try smtp.messages(to: ours).filter { $0.subject.contains("SOC 2 bridge letter") }
            #expect(later.map(\.recipient) == [secondEmail])
        }
    }

    @Test func mailWaitsOutAnSMTPServerThatIsDownAndIsSentOnceItIsBack() async throws {
        let smtp = try SMTPTestServer(port: 18352)
        let app = try TestApp()
        let org = try await app.organization()
        let service = try mailer(app, port: smtp.port)
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No HIPAA BAA"])["id"] as? String)
            _ = try await client.create("reports", token: rep, ["summary": "HIPAA", "account": "Acme", "objection_id": wall])
            for title in ["HIPAA one-pager", "BAA template", "HIPAA webinar"] { _ = try await publish(client, token: marketer, objection: wall, title: title) }

            try await drain(service)  // the server is down: every attempt fails and waits for its retry
            let waiting: [(String, Int, String?)] = try await app.database.tenant(org.id) { store in
                try store.mailLog(before: nil, limit: 10).map { ($0.state, $0.attempts, $0.lastError) }
            }
            #expect(waiting.count == 3)
            #expect(waiting.allSatisfy { $0.0 == "pending" && $0.1 >= 1 && $0.2 != nil })

            try smtp.start()
            defer { smtp.stop() }
            for _ in 0..<50 {
                try await Task.sleep(for: .milliseconds(200))
                try await drain(service)
                if try smtp.messages(to: [org.emails[.rep]!]).count >= 3 { break }
            }
            try await Task.sleep(for: .milliseconds(500))
            try await drain(service)
            let received = try smtp.messages(to: [org.emails[.rep]!])
            #expect(received.count == 3, "each mail exactly once")
            #expect(Set(received.compactMap { $0.headers["message-id"] }).count == 3)
            let log = try await app.database.tenant(org.id) { try $0.mailLog(before: nil, limit: 10) }
            #expect(log.allSatisfy { $0.state == "sent" && $0.sentAt != nil })
        }
    }

    @Test func aResetLinkWorksOnceAndAnUnknownEmailGetsTheSameAnswer() async throws {
        let smtp = try SMTPTestServer(port: 18353)
        try smtp.start()
        defer { smtp.stop() }
        let app = try TestApp()
        let org = try await app.organization()
        let service = try mailer(app, port: smtp.port)
        try await app.test { client in
            let email = org.emails[.marketer]!
            let unknown = "nobody-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            for address in [email, unknown] {
                try await client.execute(uri: "/api/v1/password-reset", method: .post, body: json(["email": address])) { response in
                    #expect(response.status == .accepted)
                    #expect(response.body.readableBytes == 0)
                }
            }
            try await client.execute(uri: "/api/v1/password-reset", method: .post, body: json(["email": 42])) { #expect($0.status == .unprocessableContent) }
            try await drain(service)
            #expect(try smtp.messages(to: [unknown]).isEmpty)
            let mail = try #require(try smtp.messages(to: [email]).first)
            #expect(mail.subject == "Choose a new Roadwork password")
            #expect(mail.headers["list-unsubscribe"] == nil, "a reset is not mail one unsubscribes from")
            let path = try #require(mail.path(containing: "/reset/", base: Self.base))
            let token = String(path.dropFirst("/reset/".count))

            try await client.execute(uri: path, method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/password-reset/confirm", method: .post, body: json(["token": token, "password": "short"])) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/password-reset/confirm", method: .post, body: json(["token": token, "password": "a new password"])) {
                #expect($0.status == .noContent)
            }
            _ = try await client.token(email, password: "a new password")
            try await client.execute(uri: "/api/v1/password-reset/confirm", method: .post, body: json(["token": token, "password": "another one!"])) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound) }
            // The token left the database once the mail went out: only its hash stays.
            let secrets: Int = try await app.database.tenant(org.id) {
                try $0.connection.query("SELECT count(*)::integer AS n FROM mail_messages WHERE secret IS NOT NULL").first!.decode("n")
            }
            #expect(secrets == 0)
        }
    }

    @Test func anInvitedPersonChoosesTheirPasswordFromTheMail() async throws {
        let smtp = try SMTPTestServer(port: 18354)
        try smtp.start()
        defer { smtp.stop() }
        let app = try TestApp()
        let org = try await app.organization()
        let service = try mailer(app, port: smtp.port)
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let email = "invited-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            try await client.call(.post, "/api/v1/users", token: admin, body: ["email": email, "name": "Ines Invited", "role": "marketer",
                                                                               "invite": true, "password": "password"]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["password"])
            }
            _ = try await client.create("users", token: admin, ["email": email, "name": "Ines Invited", "role": "marketer", "invite": true])
            try await drain(service)
            let mail = try #require(try smtp.messages(to: [email]).first)
            #expect(mail.subject.hasPrefix("You are invited to Org "))
            let path = try #require(mail.path(containing: "/reset/", base: Self.base))
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("Welcome, Ines Invited"))
            }
            try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "password=invited+and+in")) { #expect($0.status == .forbidden, "no CSRF token") }
            try await client.execute(uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "roadwork_csrf=c5"],
                                     body: ByteBuffer(string: "_csrf=c5&password=invited+and+in")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/signin?password=saved")
            }
            _ = try await client.token(email, password: "invited and in")
        }
    }

    @Test func reviewsAndTheWeeklyDigestGoToHeadsAndMarketersWhoWantThem() async throws {
        let smtp = try SMTPTestServer(port: 18355)
        try smtp.start()
        defer { smtp.stop() }
        let app = try TestApp()
        let org = try await app.organization()
        let other = try await app.organization()
        let service = try mailer(app, port: smtp.port)
        try await app.test { client in
            let head = try await client.token(org.emails[.salesHead]!)
            let marketer = try await client.token(org.emails[.marketer]!)
            let rep = try await client.token(org.emails[.rep]!)
            try await client.call(.patch, "/api/v1/me/mail-preferences", token: marketer, body: ["digest": false]) { response in
                #expect(response.status == .ok)
                let preferences = try response.object()
                #expect(preferences["digest"] as? Bool == false)
                #expect(preferences["review"] as? Bool == true)
            }
            try await client.call(.patch, "/api/v1/me/mail-preferences", token: marketer, body: ["password_reset": false, "digest": "no"]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(Set(fields) == ["password_reset", "digest"])
            }
            let wall = try #require(try await client.create("objections", token: marketer, ["statement": "No single sign-on"])["id"] as? String)
            _ = try await client.create("reports", token: rep, ["summary": "They need SSO", "account": "Acme", "objection_id": wall])
            _ = try await client.create("reviews", token: head, [:])
            try await drain(service)

            let people = Set(org.emails.values)
            let reviews = try smtp.messages(to: people).filter { $0.subject.hasPrefix("Joint review opened") }
            #expect(Set(reviews.map(\.recipient)) == [org.emails[.salesHead]!, org.emails[.marketingHead]!, org.emails[.marketer]!])
            #expect(reviews.first?.text.contains("## Top 5 Obstacles") == true)
            #expect(reviews.first?.html.contains("<h2>Top 5 Obstacles</h2>") == true)

            // Next Monday morning: the digest goes once to each head and marketer who did not turn it off.
            let nextMonday = Date().addingTimeInterval(7 * 86_400)
            try await service.queueWeeklyDigest(now: nextMonday)
            try await service.queueWeeklyDigest(now: nextMonday)
            try await drain(service)
            let digests = try smtp.messages(to: people).filter { $0.subject.hasPrefix("Roadwork weekly") }
            #expect(Set(digests.map(\.recipient)) == [org.emails[.salesHead]!, org.emails[.marketingHead]!])
            #expect(digests.count == 2)
            #expect(digests.first?.text.contains("No single sign-on") == true)
            #expect(try smtp.messages(to: Set(other.emails.values)).allSatisfy { !$0.text.contains("No single sign-on") })
        }
    }
}
