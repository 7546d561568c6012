import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresClient
import RoadworkDomain
import RoadworkHTTP
import RoadworkStore
import Testing

/// The real router on the real test database, with cheap bcrypt and a short sign-in throttle.
struct TestApp {
    let database: Database
    let config: RoadworkConfig

    init(maxFailures: Int = 5, maxFailuresPerAddress: Int = 50, bcryptCost: UInt8 = 4, webhookAllowPrivate: Bool = false,
         replica: ReadReplica? = nil) throws {
        var config = RoadworkConfig(environment: [:])
        config.webhookAllowPrivate = webhookAllowPrivate
        config.databaseURL = try TestDatabase.url()
        config.bcryptCost = bcryptCost
        config.signInThrottle = SignInThrottle(maxFailures: maxFailures, windowSeconds: 900, maxFailuresPerAddress: maxFailuresPerAddress)
        self.config = config
        database = Database(pool: ConnectionPool(conninfo: config.databaseURL, size: 4), replica: replica, passwords: PasswordHasher(cost: bcryptCost))
    }

    /// Runs `body` against the router (or, `.live`, a server on a real socket), then closes the pool.
    func test(_ mode: TestingSetup = .router, logger: Logger? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: buildRouter(config: config, database: database), logger: logger)
        try await app.test(mode, body)
        await database.pool.shutdown()
        await database.replica?.pool.shutdown()
    }

    /// A new organization with one user per role; every password is `password`.
    func organization() async throws -> TestOrganization {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let admin = try NewUser.validate(email: "admin-\(tag)@example.com", name: "Admin", role: "admin", password: "password")
        let (organization, adminUser) = try await database.createOrganization(name: "Org \(tag)", admin: admin)
        var emails: [Role: String] = [.admin: adminUser.email]
        for role in Role.allCases where role != .admin {
            let user = try NewUser.validate(email: "\(role.rawValue)-\(tag)@example.com", name: "\(role.rawValue) \(tag)",
                                            role: role.rawValue, password: "password")
            let hash = database.passwords.hash("password")
            _ = try await database.tenant(organization.id) { try $0.createUser(user, passwordHash: hash) }
            emails[role] = user.email
        }
        return TestOrganization(id: organization.id, emails: emails)
    }
}

struct TestOrganization: Sendable {
    let id: UUID
    let emails: [Role: String]
}

extension TestClientProtocol {
    /// Signs in and returns the bearer token.
    func token(_ email: String, password: String = "password") async throws -> String {
        try await execute(uri: "/api/v1/session", method: .post, body: json(["email": email, "password": password])) { response in
            #expect(response.status == .ok)
            return try #require(try response.object()["token"] as? String)
        }
    }

    /// Posts a form as a browser would: signed in with `token` (nil: signed out), with its CSRF cookie and field.
    func postForm(_ path: String, token: String?, _ fields: [String: String]) async throws -> TestResponse {
        let csrf = "test-csrf"
        let body = (fields.merging(["_csrf": csrf]) { a, _ in a })
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let session = token.map { "roadwork_session=\($0); " } ?? ""
        return try await execute(uri: path, method: .post,
                                 headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "\(session)roadwork_csrf=\(csrf)"],
                                 body: ByteBuffer(string: body)) { $0 }
    }

    /// A request with a bearer token and an optional JSON body.
    func call<T>(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: Any? = nil, headers extra: HTTPFields = [:],
                 _ check: @escaping (TestResponse) async throws -> T) async throws -> T {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: method, headers: headers, body: body.map(json), testCallback: check)
    }
}

func json(_ value: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: value))
}

extension TestResponse {
    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    /// Checks the RFC 9457 shape and returns the fields named in `errors`.
    func problemFields(status expected: HTTPResponse.Status) throws -> [String] {
        #expect(status == expected)
        #expect(headers[.contentType] == "application/problem+json")
        let problem = try object()
        #expect(problem["status"] as? Int == expected.code)
        #expect(problem["title"] is String)
        #expect(problem["type"] is String)
        #expect(problem["detail"] is String)
        let errors = try #require(problem["errors"] as? [[String: String]])
        return errors.compactMap { $0["field"] }
    }
}
