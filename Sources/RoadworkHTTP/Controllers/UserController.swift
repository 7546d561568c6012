import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Admins manage the people of their organization.
struct UserController {
    let database: Database
    let actions: Actions

    struct CreateUser: Decodable {
        let email: String?
        let name: String?
        let role: String?
        let password: String?
        /// Mails the person a link to choose their own password instead.
        let invite: Bool?
    }

    struct UpdateUser: Decodable {
        let name: String?
        let role: String?
        let active: Bool?
        let password: String?
    }

    /// A user as the API shows it: never a password hash.
    struct UserResponse: Encodable {
        let id: UUID
        let email: String
        let name: String
        let role: Role
        let active: Bool
        let version: Int
        let createdAt: Date

        init(_ user: User) {
            id = user.id
            email = user.email
            name = user.name
            role = user.role
            active = user.active
            version = user.version
            createdAt = user.createdAt
        }
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("users", use: list)
        api.post("users", use: create)
        api.get("users/:id", use: show)
        api.patch("users/:id", use: update)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let page = try Page(request)
        let cursor = try page.textCursor.map { (name: $0.0, id: $0.1) }
        let users = try await database.tenant(identity.orgID) { try $0.users(after: cursor, limit: page.limit + 1) }
        return try Response.json(ListResponse(fetched: users.map(UserResponse.init), limit: page.limit) { Page.textKey($0.name, $0.id) })
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "user")
        guard let user = try await database.tenant(identity.orgID, { try $0.user(id: id) }) else { throw Problem.notFound("user") }
        return try Response.json(UserResponse(user), version: user.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let body = try await request.decodeJSON(CreateUser.self, context: context)
        let user = try await actions.createUser(by: identity, email: body.email, name: body.name, role: body.role, password: body.password,
                                              invite: body.invite ?? false)
        return try Response.json(UserResponse(user), status: .created, version: user.version,
                                 headers: [.location: "/api/v1/users/\(user.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "user")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(UpdateUser.self, context: context)
        let user = try await actions.editUser(by: identity, id: id, name: body.name, role: body.role, active: body.active,
                                              password: body.password, expectedVersion: expected)
        return try Response.json(UserResponse(user), version: user.version)
    }
}
