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
