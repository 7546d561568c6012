import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import Testing

@Suite("Signing in and out")
struct SessionTests {
    @Test func aWrongPasswordAndAnUnknownEmailGetTheSameAnswer() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let wrong = try await client.call(.post, "/api/v1/session", token: nil,
                                              body: ["email": org.emails[.rep]!, "password": "not it"]) { response in
                let fields = try response.problemFields(status: .unauthorized)
                #expect(fields == [])
                return try response.object()["detail"] as? String
            }
            let unknown = try await client.call(.post, "/api/v1/session", token: nil,
                                                body: ["email": "nobody-\(UUID())@example.com", "password": "not it"]) { response in
                #expect(response.status == .unauthorized)
                return try response.object()["detail"] as? String
            }
            #expect(wrong == unknown)
        }
    }

    @Test func signInTakesAsLongForAnUnknownEmailAnInactivePersonAndAWrongPassword() async throws {
        // A cost where bcrypt, not the database, makes up most of an attempt; no throttle in the way.
        let app = try TestApp(maxFailures: 1_000, maxFailuresPerAddress: 1_000, bcryptCost: 9)
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let users = try await client.get("users", token: admin)["items"] as! [[String: Any]]
            let inactive = try #require(users.first { $0["email"] as? String == org.emails[.rep]! }?["id"] as? String)
            try await client.call(.patch, "/api/v1/users/\(inactive)", token: admin, body: ["active": false]) { #expect($0.status == .ok) }
            // The three kinds take turns in a new order each round, so a busy moment of the machine (other suites run
            // alongside) hits all alike.
            let kinds = [(org.emails[.marketer]!, "not the password"), ("nobody-\(UUID())@example.com", "password"), (org.emails[.rep]!, "password")]
            var times: [[Duration]] = [[], [], []]
            for _ in 0..<30 {
                for index in kinds.indices.shuffled() {
                    let (email, password) = kinds[index]
                    let started = ContinuousClock.now
                    try await client.call(.post, "/api/v1/session", token: nil, body: ["email": email, "password": password]) {
                        #expect($0.status == .unauthorized)
                    }
                    times[index].append(ContinuousClock.now - started)
                }
            }
            // The lower quartile: what an attempt costs when nothing else is in its way. Skipping bcrypt would make a
            // refusal take a few percent of a wrong password's time, far outside these bounds.
            let quartiles = times.map { $0.sorted()[$0.count / 4] }
            let (wrongPassword, unknown, deactivated) = (quartiles[0], quartiles[1], quartiles[2])
            for (kind, time) in [("unknown email", unknown), ("inactive person", deactivated)] {
                let ratio = time / wrongPassword
                #expect(ratio > 0.5 && ratio < 2, "\(kind): lower quartile \(time) against \(wrongPassword) for a wrong password")
            }
        }
    }

    @Test func oneAddressTryingManyEmailsIsThrottled() async throws {
        let app = try TestApp(maxFailures: 5, maxFailuresPerAddress: 8)
        let org = try await app.organization()
        try await app.test(.live) { client in
            for attempt in 0..<8 {
                // (429 once earlier tests' failures from this address, in the same window, add up.)
                try await client.call(.post, "/api/v1/session", token: nil, body: ["email": "guess-\(UUID())@example.com", "password": "password"]) {
                    #expect([.unauthorized, .tooManyRequests].contains($0.status), "attempt \(attempt)")
                }
            }
            // Each email failed once, but the address has used up its failures: even the right password waits.
            try await client.call(.post, "/api/v1/session", token: nil, body: ["email": org.emails[.rep]!, "password": "password"]) { response in
                _ = try response.problemFields(status: .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
            }
        }
        // Without an address (the router tests' requests) only the per-email count applies.
        let other = try TestApp(maxFailures: 5, maxFailuresPerAddress: 8)
        let second = try await other.organization()
        try await other.test { client in
            for attempt in 0..<8 {
                try await client.call(.post, "/api/v1/session", token: nil, body: ["email": "guess-\(attempt)@example.com", "password": "x"]) { _ in }
            }
            _ = try await client.token(second.emails[.rep]!)
        }
    }

    @Test func theBearerSchemeIsReadInAnyCaseAndBlanksAroundTheTokenAreIgnored() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let token = try await client.token(org.emails[.rep]!)
            for header in ["Bearer \(token)", "bearer \(token)", "BEARER  \(token) "] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .ok, "\(header)")
                }
            }
            for header in ["Bearer", "Bearer ", "Basic \(token)", "Bearer\(token)", "Bearer \(String(repeating: "x", count: 201))"] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .unauthorized, "\(header)")
                }
            }
        }
    }

    @Test func signingInGivesATokenACookieAndMe() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let token = try await client.execute(uri: "/api/v1/session", method: .post,
                                                 body: json(["email": org.emails[.marketer]!.uppercased(), "password": "password"])) { response in
                #expect(response.status == .ok)
                let cookie = try #require(response.headers[.setCookie])
                #expect(cookie.contains("roadwork_session="))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Lax"))
                let body = try response.object()
                #expect((body["user"] as? [String: Any])?["role"] as? String == "marketer")
                #expect((body["user"] as? [String: Any])?["password_hash"] == nil)
                return try #require(body["token"] as? String)
            }
            try await client.call(.get, "/api/v1/me", token: token) { response in
                #expect(response.status == .ok)
                let me = try response.object()
                #expect(me["email"] as? String == org.emails[.marketer])
                #expect((me["organization"] as? [String: Any])?["id"] as? String == org.id.uuidString.lowercased())
            }
            // The cookie alone also signs the request in, as the web pages use it.
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: "roadwork_session=\(token)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func repeatedFailuresForAnEmailAreThrottled() async throws {
        let app = try TestApp(maxFailures: 3)
        let org = try await app.organization()
        let email = org.emails[.rep]!
        try await app.test { client in
            for _ in 0..<3 {
                try await client.call(.post, "/api/v1/session", token: nil, body: ["email": email, "password": "guess"]) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            // Even the right password waits now.
            try await client.call(.post, "/api/v1/session", token: nil, body: ["email": email, "password": "password"]) { response in
                _ = try response.problemFields(status: .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
            }
            // Another email is not affected.
            _ = try await client.token(org.emails[.marketer]!)
        }
    }

    @Test func aRevokedTokenNoLongerWorks() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let token = try await client.token(org.emails[.salesHead]!)
            try await client.call(.delete, "/api/v1/session", token: token) { response in
                #expect(response.status == .noContent)
            }
            try await client.call(.get, "/api/v1/me", token: token) { response in
                _ = try response.problemFields(status: .unauthorized)
            }
        }
    }

    @Test func noCredentialsOrAGarbageTokenIs401() async throws {
        let app = try TestApp()
        try await app.test { client in
            try await client.call(.get, "/api/v1/me", token: nil) { response in
                _ = try response.problemFields(status: .unauthorized)
            }
            try await client.call(.get, "/api/v1/users", token: "garbage") { response in
                _ = try response.problemFields(status: .unauthorized)
            }
        }
    }

    // Filing looks its session up inside its own transaction (one trip to the pool): the same answers as every other route.
    @Test func filingWithoutAValidSessionIs401BeforeAnyComplaintAboutTheBodyAndFilesNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let rep = try await client.token(org.emails[.rep]!)
            let revoked = try await client.token(org.emails[.rep]!)
            try await client.call(.delete, "/api/v1/session", token: revoked) { #expect($0.status == .noContent) }
            let good: [String: Any] = ["summary": "A new wall", "account": "Acme"]
            for (token, body) in [(nil, good), ("garbage", good), (revoked, good), ("garbage", ["summary": 7]), (revoked, [:])] as [(String?, [String: Any])] {
                try await client.call(.post, "/api/v1/reports", token: token, body: body) { response in
                    _ = try response.problemFields(status: .unauthorized)
                }
            }
            // A cookie alone may not write: the CSRF header must echo the cookie, as on every other route.
            try await client.execute(uri: "/api/v1/reports", method: .post,
                                     headers: [.cookie: "roadwork_session=\(rep)", .contentType: "application/json"], body: json(good)) { response in
                _ = try response.problemFields(status: .forbidden)
            }
            let filed = try await client.call(.get, "/api/v1/reports", token: rep) { try $0.object()["items"] as? [Any] }
            #expect(filed?.isEmpty == true)
            let fields = try await client.call(.post, "/api/v1/reports", token: rep, body: ["summary": 7]) {
                try $0.problemFields(status: .unprocessableContent)
            }
            #expect(fields == ["summary"])
            try await client.call(.post, "/api/v1/reports", token: rep, body: good) { #expect($0.status == .created) }
        }
    }
}
