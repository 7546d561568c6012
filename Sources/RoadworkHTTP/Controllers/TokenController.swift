import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// API tokens: personal ones anyone makes for themself, service accounts and their tokens made by admins.
struct TokenController {
    let database: Database
    let actions: Actions

    struct TokenBody: Decodable {
        let name: String?
        let scope: String?
        let expiresInDays: Int?
    }

    struct AccountBody: Decodable {
        let name: String?
        let role: String?
    }

    /// A token as made: shown with its secret this once.
    struct Made: Encodable {
        let token: ApiToken
        let secret: String
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("tokens", use: list)
        api.post("tokens", use: create)
        api.delete("tokens/:id", use: revoke)
        api.get("service-accounts", use: serviceAccounts)
        api.post("service-accounts", use: createServiceAccount)
        api.get("service-accounts/:id/tokens", use: serviceTokens)
        api.post("service-accounts/:id/tokens", use: createServiceToken)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        return try Response.json(["items": try await database.tenant(identity) { try $0.tokens(of: identity.userID) }])
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let body = try await request.decodeJSON(TokenBody.self, context: context)
        let made = try await actions.makePersonalToken(by: identity, name: body.name, scope: body.scope, expiresInDays: body.expiresInDays)
        return try Response.json(Made(token: made.token, secret: made.secret), status: .created)
    }

    /// Revokes one's own token; admins may revoke any token of the organization (a leaked one, a departed integration).
    @Sendable func revoke(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "token")
        _ = try await actions.revokeToken(by: identity, id: id)
        return Response(status: .noContent)
    }

    @Sendable func serviceAccounts(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        return try Response.json(["items": try await database.tenant(identity) { try $0.serviceAccounts() }])
    }

    @Sendable func createServiceAccount(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let body = try await request.decodeJSON(AccountBody.self, context: context)
        let account = try await actions.createServiceAccount(by: identity, name: body.name, role: body.role)
        return try Response.json(account, status: .created)
    }

    @Sendable func serviceTokens(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "service account")
        let tokens = try await database.tenant(identity) { store -> [ApiToken] in
            guard try store.serviceAccount(id: id) != nil else { throw Problem.notFound("service account") }
            return try store.tokens(of: id)
        }
        return try Response.json(["items": tokens])
    }

    @Sendable func createServiceToken(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "service account")
        let body = try await request.decodeJSON(TokenBody.self, context: context)
        let made = try await actions.makeServiceToken(by: identity, accountID: id, name: body.name, scope: body.scope,
                                                      expiresInDays: body.expiresInDays)
        return try Response.json(Made(token: made.token, secret: made.secret), status: .created)
    }
}
