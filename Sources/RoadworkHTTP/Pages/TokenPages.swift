import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// A person's API tokens: make one (its secret shown once), see when each was last used, revoke.
struct TokenPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("tokens") { request, _ in
            let identity = try await web.identity(request)
            return try await page(request, identity: identity)
        }
        router.post("tokens") { request, context in
            let identity = try await web.identity(request)
            let form = try await web.form(request, context: context)
            do {
                let made = try await web.actions.makePersonalToken(by: identity, name: form["name"], scope: form["scope"],
                                                                   expiresInDays: form.days("expires_in_days"))
                return try await page(request, identity: identity, made: made, status: .created)
            } catch let error as ValidationError {
                return try await page(request, identity: identity, form: ["name": form["name"] ?? ""], errors: Web.fieldMessages(error),
                                      status: .unprocessableContent)
            }
        }
        router.post("tokens/:id/revoke") { request, context in
            let identity = try await web.identity(request)
            _ = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "token")
            _ = try await web.actions.revokeToken(by: identity, id: id)
            return Web.redirect("/tokens", done: "Token revoked.")
        }
    }

    private func page(_ request: Request, identity: Identity, made: MadeToken? = nil, form: [String: String] = [:], errors: [String: String] = [:],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let tokens = try await web.database.tenant(identity, mayLag: false) { try $0.tokens(of: identity.userID) }
        // Absent, not nil: Mustache takes a nil wrapped in Any for a value and would open the section.
        return web.page(.tokens, title: "API tokens", identity: identity, request: request, values: present([
            "tokens": tokens.map(Self.row), "hasTokens": !tokens.isEmpty, "made": made.map { ["secret": $0.secret, "name": $0.token.name] },
            "form": form, "errors": errors,
        ]), status: status)
    }

    /// One token as lists show it.
    static func row(_ token: ApiToken) -> [String: Any] {
        present([
            "id": token.id.lowercasedText, "name": token.name, "prefix": token.displayPrefix, "scope": token.scope == .read ? "read only" : "read and write",
            "created": Web.day(token.createdAt), "expires": token.expiresAt.map(Web.day) ?? "never",
            "lastUsed": token.lastUsedAt.map(Web.day) ?? "never", "revoked": token.revokedAt.map(Web.day),
        ])
    }
}
