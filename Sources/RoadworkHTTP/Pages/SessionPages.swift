import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Where the person is signed in: their open sessions, ending one, and signing out everywhere.
struct SessionPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("sessions") { request, _ in
            let identity = try await web.identity(request)
            let sessions = try await web.actions.sessions(of: identity)
            return web.page(.sessions, title: "Sessions", identity: identity, request: request, values: [
                "sessions": sessions.map { session -> [String: Any] in
                    present(["id": session.id.lowercasedText, "created": Web.day(session.createdAt), "expires": Web.day(session.expiresAt),
                             "address": session.address ?? "unknown", "browser": session.userAgent.map { String($0.prefix(80)) } ?? "unknown",
                             "current": session.id == identity.sessionID ? true : nil])
                },
            ])
        }
        router.post("sessions/:id/end") { request, context in
            let identity = try await web.identity(request)
            _ = try await web.form(request, context: context)
            try await web.actions.endSession(by: identity, id: try request.uuidParameter("id", context: context, what: "session"))
            return Web.redirect("/sessions", done: "Signed out there.")
        }
        router.post("sessions/end-all") { request, context in
            let identity = try await web.identity(request)
            _ = try await web.form(request, context: context)
            _ = try await web.actions.signOutEverywhere(by: identity)
            return Web.signedOut()
        }
    }
}
