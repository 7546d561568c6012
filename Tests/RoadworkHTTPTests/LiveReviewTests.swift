import AsyncHTTPClient
import Foundation
import NIOCore
import RoadworkDomain
import Synchronization
import Testing

/// An open review page's event stream (`GET /review/events`), read as a browser's EventSource would.
final class ReviewEventStream: Sendable {
    private final class Received: Sendable { let text = Mutex("") }
    private let received = Received()
    private let reader: Task<Void, Never>

    init(port: Int, session: String) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/review/events")
        request.headers.add(name: "Cookie", value: "roadwork_session=\(session)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        let received = received
        reader = Task {
            do { for try await chunk in response.body { received.text.withLock { $0 += String(buffer: chunk) } } } catch {}
        }
    }

    /// How many review changes the page has been told of.
    var changes: Int { received.text.withLock { $0.components(separatedBy: "event: review\n").count - 1 } }
    var isConnected: Bool { received.text.withLock { $0.hasPrefix("retry:") } }

    /// Waits until the page has been told of `count` changes; the time it took, or nil after `timeout`.
    func waitFor(changes count: Int, timeout: Duration = .seconds(5)) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if changes >= count { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() { reader.cancel() }
}

@Suite("The joint review, live for both heads", .serialized)
struct LiveReviewTests {
    @Test func anEditOnOneServerReachesTheOtherHeadsPageOnAnotherWithinASecondAndAStaleEditIsRefused() async throws {
        let servers = [try ServerProcess(port: TestPorts.next()), try ServerProcess(port: TestPorts.next())]
        defer { servers.forEach { $0.stop() } }
        for server in servers { try await server.ready() }
        let org = try await TestApp().organization()
        let stranger = try await TestApp().organization()
        func signIn(_ email: String, on server: ServerProcess) async throws -> String {
            let (status, body) = try await server.call(.POST, "/api/v1/session", token: nil, body: ["email": email, "password": "password"])
            #expect(status == 200)
            return try #require(body["token"] as? String)
        }
        let sales = try await signIn(org.emails[.salesHead]!, on: servers[0])
        let marketing = try await signIn(org.emails[.marketingHead]!, on: servers[1])
        let marketer = try await signIn(org.emails[.marketer]!, on: servers[0])
        let outsider = try await signIn(stranger.emails[.marketingHead]!, on: servers[1])
        var obstacles: [String] = []
        for title in ["Security reviews", "Pricing in euros"] {
            let (status, item) = try await servers[0].call(.POST, "/api/v1/items", token: marketer, body: ["kind": "obstacle", "title": title])
            #expect(status == 201)
            obstacles.append(try #require(item["id"] as? String))
        }
        let (opened, review) = try await servers[0].call(.POST, "/api/v1/reviews", token: sales, body: [:])
        #expect(opened == 201)
        let id = try #require(review["id"] as? String)

        // The marketing head has the review open on the other server; someone of another organization has theirs.
        let page = try await ReviewEventStream(port: servers[1].port, session: marketing)
        let elsewhere = try await ReviewEventStream(port: servers[1].port, session: outsider)
        defer { page.close(); elsewhere.close() }
        #expect(try await waitUntil { page.isConnected && elsewhere.isConnected })
        var asRep = HTTPClientRequest(url: "http://127.0.0.1:\(servers[1].port)/review/events")
        asRep.headers.add(name: "Cookie", value: "roadwork_session=\(try await signIn(org.emails[.rep]!, on: servers[1]))")
        #expect(try await HTTPClient.shared.execute(asRep, timeout: .seconds(5)).status == .forbidden, "reps do not follow the review")

        let (edited, lineup) = try await servers[0].call(.PUT, "/api/v1/reviews/\(id)/lineup", token: sales,
                                                         body: ["opportunities": [String](), "obstacles": obstacles])
        #expect(edited == 200)
        let took = try #require(try await page.waitFor(changes: 1), "the other head's page heard nothing")
        #expect(took < .seconds(1), "told after \(took)")

        // An edit made against the version before the other head's change is refused and changes nothing.
        let version = try #require(lineup["version"] as? Int)
        let (stale, _) = try await servers[1].call(.PUT, "/api/v1/reviews/\(id)/lineup", token: marketing,
                                                   body: ["opportunities": [String](), "obstacles": [obstacles[1]]], ifMatch: "\"\(version - 1)\"")
        #expect(stale == 412)

        // Both sign on different servers: each signature and the applied lineup reach the page.
        let lineupVersion = try #require((lineup["lineup"] as? [String: Any])?["version"] as? Int)
        #expect(try await servers[0].call(.POST, "/api/v1/reviews/\(id)/signoff", token: sales, body: ["lineup_version": lineupVersion]).0 == 200)
        #expect(try await page.waitFor(changes: 2) != nil)
        #expect(try await servers[1].call(.POST, "/api/v1/reviews/\(id)/signoff", token: marketing, body: ["lineup_version": lineupVersion]).0 == 200)
        #expect(try await page.waitFor(changes: 3) != nil)
        let (_, focus) = try await servers[1].call(.GET, "/api/v1/focus", token: marketing)
        #expect((focus["obstacles"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == obstacles)
        try await Task.sleep(for: .milliseconds(300))
        #expect(elsewhere.changes == 0, "another organization's page is told nothing")
    }

    private func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<300 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        return condition()
    }
}
