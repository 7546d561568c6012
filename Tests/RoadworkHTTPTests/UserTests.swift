import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoadworkDomain
import Testing

@Suite("Admins manage users")
struct UserTests {
    @Test func anAdminAddsAUserWhoCanThenSignIn() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        let email = "new-\(UUID().uuidString.prefix(6).lowercased())@example.com"
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            try await client.call(.post, "/api/v1/users", token: admin,
                                  body: ["email": email, "name": "Nia New", "role": "rep", "password": "a good password"]) { response in
                #expect(response.status == .created)
                #expect(response.headers[.eTag] == "\"1\"")
                let user = try response.object()
                #expect(user["email"] as? String == email)
                #expect(user["password"] == nil && user["password_hash"] == nil)
            }
            _ = try await client.token(email, password: "a good password")
            try await client.call(.post, "/api/v1/users", token: admin,
                                  body: ["email": email, "name": "Twin", "role": "rep", "password": "a good password"]) { response in
                _ = try response.problemFields(status: .conflict)
            }
        }
    }

    @Test func everyBadFieldIsNamed() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            try await client.call(.post, "/api/v1/users", token: admin,
                                  body: ["email": "nope", "name": "", "role": "king", "password": "short"]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["email", "name", "role", "password"])
            }
            try await client.call(.post, "/api/v1/users", token: admin, body: ["email": 7]) { response in
                let fields = try response.problemFields(status: .unprocessableContent)
                #expect(fields == ["email"])
            }
            try await client.execute(uri: "/api/v1/users", method: .post,
                                     headers: [.authorization: "Bearer \(admin)"], body: .init(string: "{\"email\":")) { response in
                _ = try response.problemFields(status: .badRequest)
            }
        }
    }

    @Test func onlyAdminsManageUsers() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            for role in Role.allCases where role != .admin {
                let token = try await client.token(org.emails[role]!)
                try await client.call(.get, "/api/v1/users", token: token) { response in
                    _ = try response.problemFields(status: .forbidden)
                }
                try await client.call(.post, "/api/v1/users", token: token,
                                      body: ["email": "x@example.com", "name": "X", "role": "admin", "password": "password1"]) { response in
                    _ = try response.problemFields(status: .forbidden)
                }
            }
        }
    }

    @Test func aStaleIfMatchChangesNothing() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let users = try await client.call(.get, "/api/v1/users", token: admin) { try $0.object()["items"] as! [[String: Any]] }
            let rep = try #require(users.first { $0["role"] as? String == "rep" })
            let id = rep["id"] as! String
            try await client.call(.patch, "/api/v1/users/\(id)", token: admin, body: ["name": "Renamed"],
                                  headers: [.ifMatch: "\"1\""]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.eTag] == "\"2\"")
            }
            try await client.call(.patch, "/api/v1/users/\(id)", token: admin, body: ["name": "Lost update"],
                                  headers: [.ifMatch: "\"1\""]) { response in
                _ = try response.problemFields(status: .preconditionFailed)
            }
            try await client.call(.get, "/api/v1/users/\(id)", token: admin) { response in
                let user = try response.object()
                #expect(user["name"] as? String == "Renamed")
            }
        }
    }

    @Test func deactivatingAUserEndsTheirSessions() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            let rep = try await client.token(org.emails[.rep]!)
            let repID = try await client.call(.get, "/api/v1/me", token: rep) { try $0.object()["id"] as! String }
            try await client.call(.patch, "/api/v1/users/\(repID)", token: admin, body: ["active": false]) { response in
                #expect(response.status == .ok)
                let user = try response.object()
                #expect(user["active"] as? Bool == false)
            }
            try await client.call(.get, "/api/v1/me", token: rep) { #expect($0.status == .unauthorized) }
            try await client.call(.post, "/api/v1/session", token: nil, body: ["email": org.emails[.rep]!, "password": "password"]) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func anotherOrganizationsUserIsNotFound() async throws {
        let app = try TestApp()
        let orgA = try await app.organization()
        let orgB = try await app.organization()
        try await app.test { client in
            let adminA = try await client.token(orgA.emails[.admin]!)
            let adminB = try await client.token(orgB.emails[.admin]!)
            let idInA = try await client.call(.get, "/api/v1/me", token: adminA) { try $0.object()["id"] as! String }
            try await client.call(.get, "/api/v1/users/\(idInA)", token: adminB) { _ = try $0.problemFields(status: .notFound) }
            try await client.call(.patch, "/api/v1/users/\(idInA)", token: adminB, body: ["name": "Mine now"]) {
                _ = try $0.problemFields(status: .notFound)
            }
            let listedInB = try await client.call(.get, "/api/v1/users", token: adminB) { try $0.object()["items"] as! [[String: Any]] }
            #expect(!listedInB.contains { $0["id"] as? String == idInA })
            #expect(listedInB.count == 5)
        }
    }

    @Test func listsPageWithACursor() async throws {
        let app = try TestApp()
        let org = try await app.organization()
        try await app.test { client in
            let admin = try await client.token(org.emails[.admin]!)
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let uri = "/api/v1/users?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.call(.get, uri, token: admin) { try $0.object() }
                seen += (page["items"] as! [[String: Any]]).map { $0["id"] as! String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 5)
            #expect(Set(seen).count == 5)
            try await client.call(.get, "/api/v1/users?limit=500", token: admin) {
                let fields = try $0.problemFields(status: .unprocessableContent)
                #expect(fields == ["limit"])
            }
        }
    }
}
