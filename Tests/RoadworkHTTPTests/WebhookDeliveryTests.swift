import AsyncHTTPClient
import Foundation
import RoadworkDomain
import Testing

/// Webhooks as they run in production: `roadwork serve` processes of the built binary with their background worker, a
/// real HTTP receiver, the test database.
@Suite("Webhook delivery by real server processes", .serialized)
struct WebhookDeliveryTests {
    /// An organization, signed in on `server`: tokens by role.
    func signIn(_ server: ServerProcess) async throws -> [Role: String] {
        let org = try await TestApp().organization()
        var tokens: [Role: String] = [:]
        for (role, email) in org.emails {
            let (status, body) = try await server.call(.POST, "/api/v1/session", token: nil, body: ["email": email, "password": "password"])
            #expect(status == 200)
            tokens[role] = body["token"] as? String
        }
        return tokens
    }

    /// Registers the receiver for `types`; returns the endpoint id and its secret.
    func register(_ receiver: WebhookReceiver, on server: ServerProcess, admin: String, types: [String], format: String = "json")
        async throws -> (id: String, secret: String) {
        let (status, body) = try await server.call(.POST, "/api/v1/webhooks", token: admin,
                                                   body: ["url": await receiver.url, "event_types": types, "format": format])
        #expect(status == 201)
        let endpoint = try #require(body["endpoint"] as? [String: Any])
        return (try #require(endpoint["id"] as? String), try #require(body["secret"] as? String))
    }

    func fileReports(_ count: Int, on servers: [ServerProcess], rep: String) async throws -> Set<String> {
        var ids: Set<String> = []
        for n in 0..<count {
            let (status, body) = try await servers[n % servers.count].call(.POST, "/api/v1/reports", token: rep,
                                                                           body: ["summary": "Wall number \(n) came up", "account": "Acct \(n)"])
            #expect(status == 201)
            ids.insert(try #require((body["report"] as? [String: Any])?["id"] as? String))
        }
        return ids
    }

    @Test func everyEventArrivesSignedAndATamperedOrOldOneFailsVerification() async throws {
        let receiver = try await WebhookReceiver.start()
        let server = try ServerProcess(port: TestPorts.next())
        defer { server.stop() }
        try await server.ready()
        let tokens = try await signIn(server)
        let (endpoint, secret) = try await register(receiver, on: server, admin: tokens[.admin]!, types: ["report.filed", "objection.created"])
        let (status, _) = try await server.call(.POST, "/api/v1/objections", token: tokens[.marketer]!, body: ["statement": "No SOC 2 report"])
        #expect(status == 201)
        let reports = try await fileReports(3, on: [server], rep: tokens[.rep]!)
        let received = try await receiver.waitFor(4)
        #expect(received.count == 4)
        #expect(Set(received.map(\.eventID)).count == 4)
        #expect(received.map(\.eventType) == ["objection.created", "report.filed", "report.filed", "report.filed"])
        for request in received {
            #expect(WebhookReceiver.verify(signature: request.signature, body: request.body, secret: secret))
            #expect(request.json["id"] as? String == request.eventID)
            #expect(request.json["type"] as? String == request.eventType)
        }
        let filed = received.filter { $0.eventType == "report.filed" }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any]).flatMap { ($0["data"] as? [String: Any])?["object"] as? [String: Any] }?["id"] as? String
        }
        #expect(Set(filed) == reports)
        let first = received[0]
        #expect(!WebhookReceiver.verify(signature: first.signature, body: first.body.replacingOccurrences(of: "SOC 2", with: "SOC 3"), secret: secret))
        #expect(!WebhookReceiver.verify(signature: first.signature, body: first.body, secret: secret, now: Date().addingTimeInterval(600)))
        #expect(!WebhookReceiver.verify(signature: first.signature, body: first.body, secret: secret + "x"))

        // The worker records a batch once it is all sent, a moment after the receiver has the last request.
        var (logStatus, log) = try await server.call(.GET, "/api/v1/webhooks/\(endpoint)/deliveries", token: tokens[.admin]!)
        let recorded = ContinuousClock.now + .seconds(10)
        while (log["items"] as? [[String: Any]])?.contains(where: { $0["state"] as? String == "pending" }) == true, ContinuousClock.now < recorded {
            try await Task.sleep(for: .milliseconds(50))
            (logStatus, log) = try await server.call(.GET, "/api/v1/webhooks/\(endpoint)/deliveries", token: tokens[.admin]!)
        }
        #expect(logStatus == 200)
        let items = try #require(log["items"] as? [[String: Any]])
        #expect(items.count == 4)
        #expect(items.allSatisfy { $0["state"] as? String == "delivered" && $0["attempts"] as? Int == 1 && $0["last_status"] as? Int == 200 })
        await receiver.stop()
    }

    @Test func eventsWaitWhileTheReceiverIsDownAndAllArriveOnceItIsBack() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.setFailing(true)
        let server = try ServerProcess(port: TestPorts.next())
        defer { server.stop() }
        try await server.ready()
        let tokens = try await signIn(server)
        let (endpoint, _) = try await register(receiver, on: server, admin: tokens[.admin]!, types: ["report.filed"])
        let reports = try await fileReports(10, on: [server], rep: tokens[.rep]!)
        // Several deliveries may go at once at first, so the log, not the receiver's count, says when one was tried twice.
        func failingDeliveries() async throws -> [[String: Any]] {
            let (_, log) = try await server.call(.GET, "/api/v1/webhooks/\(endpoint)/deliveries", token: tokens[.admin]!)
            return try #require(log["items"] as? [[String: Any]]).filter { $0["last_status"] as? Int == 503 }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while try await (failingDeliveries().first?["attempts"] as? Int ?? 0) < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await receiver.received.isEmpty)
        #expect(await receiver.arrivals >= 2)
        let failing = try await failingDeliveries()
        #expect(failing.count == 1)
        #expect((failing.first?["attempts"] as? Int ?? 0) >= 2)
        let (_, shown) = try await server.call(.GET, "/api/v1/webhooks/\(endpoint)", token: tokens[.admin]!)
        #expect(shown["enabled"] as? Bool == true)
        #expect((shown["failures"] as? Int ?? 0) >= 2)

        await receiver.setFailing(false)
        let received = try await receiver.waitFor(10)
        #expect(received.count == 10)
        #expect(Set(received.map(\.eventID)).count == 10)
        #expect(Set(received.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
                .flatMap { ($0["data"] as? [String: Any])?["object"] as? [String: Any] }?["id"] as? String
        }) == reports)
        await receiver.stop()
    }

    @Test func aDeliveryCutOffByAKilledProcessIsSentAgainWithTheSameId() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.hangOnNextRequest(for: .seconds(4))
        let first = try ServerProcess(port: TestPorts.next())
        try await first.ready()
        let tokens = try await signIn(first)
        _ = try await register(receiver, on: first, admin: tokens[.admin]!, types: ["report.filed"])
        _ = try await fileReports(1, on: [first], rep: tokens[.rep]!)
        let deadline = ContinuousClock.now + .seconds(10)
        while await receiver.arrivals == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await receiver.arrivals == 1)
        first.kill()
        let second = try ServerProcess(port: TestPorts.next())
        defer { second.stop() }
        try await second.ready()
        let received = try await receiver.waitFor(2, timeout: .seconds(20))
        // The cut-off request still reached the receiver, and the new process sent it again once the lease ran out.
        #expect(received.count == 2)
        #expect(Set(received.map(\.eventID)).count == 1)
        await receiver.stop()
    }

    @Test func twoServerProcessesDeliverEveryEventAndRepeatOnlyByID() async throws {
        let receiver = try await WebhookReceiver.start()
        let servers = [try ServerProcess(port: TestPorts.next()), try ServerProcess(port: TestPorts.next())]
        defer { servers.forEach { $0.stop() } }
        for server in servers { try await server.ready() }
        let tokens = try await signIn(servers[0])
        _ = try await register(receiver, on: servers[1], admin: tokens[.admin]!, types: ["report.filed"])
        let reports = try await fileReports(40, on: servers, rep: tokens[.rep]!)
        let received = try await receiver.waitFor(40)
        let ids = Set(received.map(\.eventID))
        #expect(ids.count == 40)
        let filed = Set(received.compactMap { request in
            (try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
                .flatMap { ($0["data"] as? [String: Any])?["object"] as? [String: Any] }?["id"] as? String
        })
        #expect(filed == reports)
        await receiver.stop()
    }

    @Test func aTokenRevokedOnOneProcessIsRefusedOnTheOther() async throws {
        let servers = [try ServerProcess(port: TestPorts.next()), try ServerProcess(port: TestPorts.next())]
        defer { servers.forEach { $0.stop() } }
        for server in servers { try await server.ready() }
        let tokens = try await signIn(servers[0])
        let (status, made) = try await servers[0].call(.POST, "/api/v1/tokens", token: tokens[.rep]!, body: ["name": "CRM sync"])
        #expect(status == 201)
        let secret = try #require(made["secret"] as? String)
        let id = try #require((made["token"] as? [String: Any])?["id"] as? String)
        #expect(try await servers[1].call(.GET, "/api/v1/me", token: secret).0 == 200)
        #expect(try await servers[0].call(.DELETE, "/api/v1/tokens/\(id)", token: tokens[.rep]!).0 == 204)
        #expect(try await servers[1].call(.GET, "/api/v1/me", token: secret).0 == 401)
        #expect(try await servers[0].call(.GET, "/api/v1/me", token: secret).0 == 401)
    }

    @Test func slackEndpointsGetAReadableMessageWithALinkBack() async throws {
        let receiver = try await WebhookReceiver.start()
        let server = try ServerProcess(port: TestPorts.next(), environment: ["ROADWORK_PUBLIC_URL": "https://roadwork.example.com"])
        defer { server.stop() }
        try await server.ready()
        let tokens = try await signIn(server)
        _ = try await register(receiver, on: server, admin: tokens[.admin]!, types: ["objection.created"], format: "slack")
        let (_, objection) = try await server.call(.POST, "/api/v1/objections", token: tokens[.marketer]!, body: ["statement": "No <SSO> & no SAML"])
        let id = try #require(objection["id"] as? String)
        let received = try await receiver.waitFor(1)
        let text = try #require(received.first?.json["text"] as? String)
        #expect(text.contains("No &lt;SSO&gt; &amp; no SAML"))
        #expect(text.contains("<https://roadwork.example.com/objections/\(id)|"))
        await receiver.stop()
    }

    @Test func anEndpointFailingForALongStretchIsSwitchedOffAndAdminsAreTold() async throws {
        let receiver = try await WebhookReceiver.start()
        await receiver.setFailing(true)
        // A "long stretch" of two seconds, so the test need not wait three days.
        let server = try ServerProcess(port: TestPorts.next(), environment: ["ROADWORK_WEBHOOK_DISABLE_HOURS": "0.0006"])
        defer { server.stop() }
        try await server.ready()
        let tokens = try await signIn(server)
        let (endpoint, _) = try await register(receiver, on: server, admin: tokens[.admin]!, types: ["report.filed"])
        _ = try await fileReports(1, on: [server], rep: tokens[.rep]!)
        var shown: [String: Any] = [:]
        let deadline = ContinuousClock.now + .seconds(20)
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            shown = try await server.call(.GET, "/api/v1/webhooks/\(endpoint)", token: tokens[.admin]!).1
        } while shown["enabled"] as? Bool != false && ContinuousClock.now < deadline
        #expect(shown["enabled"] as? Bool == false)
        #expect((shown["disabled_reason"] as? String)?.contains("HTTP 503") == true)
        #expect(await receiver.arrivals >= 2)
        let notices = try await server.call(.GET, "/api/v1/notifications", token: tokens[.admin]!).1["items"] as? [[String: Any]] ?? []
        let url = await receiver.url
        #expect(notices.contains { ($0["message"] as? String)?.contains(url) == true })
        let others = try await server.call(.GET, "/api/v1/notifications", token: tokens[.marketer]!).1["items"] as? [[String: Any]] ?? []
        #expect(others.isEmpty)
        // Switched back on, it delivers what waited.
        await receiver.setFailing(false)
        #expect(try await server.call(.PATCH, "/api/v1/webhooks/\(endpoint)", token: tokens[.admin]!, body: ["enabled": true]).0 == 200)
        #expect(try await receiver.waitFor(1).count == 1)
        await receiver.stop()
    }
}
