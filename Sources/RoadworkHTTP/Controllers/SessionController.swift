import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Sign in, sign out, and who am I.
struct SessionController {
    let database: Database
    let actions: Actions
    let config: RoadworkConfig

    struct SignIn: Decodable {
        let email: String?
        let password: String?
    }

    struct SignedIn: Encodable {
        let token: String
        let user: Me
    }

    /// `GET /api/v1/me`: the person and their organization.
    struct Me: Encodable {
        struct Organization: Encodable { let id: UUID; let name: String }
        let id: UUID
        let email: String
        let name: String
        let role: Role
        let organization: Organization

        init(_ identity: Identity) {
            id = identity.userID
            email = identity.email
            name = identity.name
            role = identity.role
            organization = .init(id: identity.orgID, name: identity.organizationName)
        }
    }

    func addPublicRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("session", use: signIn)
    }

    /// One of the person's open sessions; `current` marks the one this request came with.
    struct OpenSession: Encodable {
        let id: UUID
        let createdAt: Date
        let expiresAt: Date
        let address: String?
        let userAgent: String?
        let current: Bool

        init(_ session: SignedInSession, current: UUID?) {
            id = session.id
            createdAt = session.createdAt
            expiresAt = session.expiresAt
            address = session.address
            userAgent = session.userAgent
            self.current = session.id == current
        }
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.delete("session", use: signOut)
        api.get("me") { _, context in try Response.json(Me(try context.signedIn())) }
        api.get("me/sessions") { _, context in
            let identity = try context.signedIn()
            return try Response.json(["items": try await actions.sessions(of: identity).map { OpenSession($0, current: identity.sessionID) }])
        }
        // Sign out everywhere: every open session of the person ends, the one asking included.
        api.delete("me/sessions") { _, context in
            var response = Response(status: .noContent)
            _ = try await actions.signOutEverywhere(by: try context.signedIn())
            response.setCookie(sessionCookie("", maxAge: 0))
            return response
        }
        api.delete("me/sessions/:id") { request, context in
            try await actions.endSession(by: try context.signedIn(), id: try request.uuidParameter("id", context: context, what: "session"))
            return Response(status: .noContent)
        }
    }

    @Sendable func signIn(request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(SignIn.self, context: context)
        switch try await actions.signIn(email: body.email, password: body.password, address: context.clientAddress,
                                        userAgent: request.headers[.userAgent], throttle: config.signInThrottle) {
        case .signedIn(let token, let identity):
            var response = try Response.json(SignedIn(token: token, user: Me(identity)))
            response.setCookie(sessionCookie(token, maxAge: Database.sessionLifetimeSeconds))
            return response
        case .invalidCredentials:
            throw Problem(status: .unauthorized, detail: "The email or password is not right.")
        case .throttled(let seconds):
            var problem = Problem(status: .tooManyRequests, detail: "Too many failed sign-ins for this email or from this address; try again in \(Self.minutes(seconds)).")
            problem.headers[.retryAfter] = String(seconds)
            throw problem
        }
    }

    @Sendable func signOut(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        try await actions.signOut(by: identity)
        var response = Response(status: .noContent)
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    func sessionCookie(_ token: String, maxAge: Int) -> Cookie {
        Cookie(name: AuthenticationMiddleware.cookieName, value: token, maxAge: maxAge, path: "/",
               secure: config.cookieSecure, httpOnly: true, sameSite: .lax)
    }

    private static func minutes(_ seconds: Int) -> String {
        seconds < 60 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
    }
}
