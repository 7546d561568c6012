import HTTPTypes
import Hummingbird
import RoadworkDomain
import RoadworkStore

/// Requires a valid session: `Authorization: Bearer <token>` or the session cookie; otherwise 401.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let cookieName = "roadwork_session"

    let database: Database

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = try await database.authenticate(token: try Self.credentials(in: request)) else {
            throw Problem.unauthorized()
        }
        try Self.checkScope(identity, request)
        var context = context
        context.identity = identity
        context.logger[metadataKey: "user_id"] = .stringConvertible(identity.userID)
        context.logger[metadataKey: "org_id"] = .stringConvertible(identity.orgID)
        return try await next(request, context)
    }

    /// The session token of a request that may go on to look it up: 401 without one; 403 for a write by cookie without
    /// the CSRF header, since a browser's cookie rides along on cross-site requests.
    static func credentials(in request: Request) throws -> String {
        guard let token = token(in: request) else { throw Problem.unauthorized() }
        if request.headers[.authorization] == nil, ![.get, .head, .options].contains(request.method) {
            guard Web.hasCSRFHeader(request) else {
                throw Problem(status: .forbidden, detail: "Send the X-CSRF-Token header with the value of the roadwork_csrf cookie.")
            }
        }
        return token
    }

    /// A read-only API token may read but not write: 403 for anything but GET, HEAD and OPTIONS.
    static func checkScope(_ identity: Identity, _ request: Request) throws {
        if identity.scope == .read, ![.get, .head, .options].contains(request.method) {
            throw Problem(status: .forbidden, detail: "This API token is read-only; make one with the write scope to change things.")
        }
    }

    /// The session token a request carries, bearer header first.
    static func token(in request: Request) -> String? {
        if let header = request.headers[.authorization] {
            // "Bearer <token>", the scheme in any case; read as bytes, since every API request passes here.
            var rest = Substring(header).utf8
            let scheme = "bearer ".utf8
            guard rest.count > scheme.count, zip(rest, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
            rest = rest.dropFirst(scheme.count)
            while let first = rest.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { rest = rest.dropFirst() }
            while let last = rest.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { rest = rest.dropLast() }
            return rest.isEmpty || rest.count > 200 ? nil : String(Substring(rest))
        }
        // The cookie carries a browser session only; API tokens go in the Authorization header.
        guard let value = request.cookies[cookieName]?.value, !value.isEmpty, value.count <= 200, !value.hasPrefix("rw_") else { return nil }
        return value
    }
}

/// Requires session credentials but leaves the lookup to the route, which does it inside its own transaction
/// (`Database.tenant(authenticating:)`): the same checks as `AuthenticationMiddleware`, one trip to the pool fewer.
struct SessionTokenMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.sessionToken = try AuthenticationMiddleware.credentials(in: request)
        return try await next(request, context)
    }
}
