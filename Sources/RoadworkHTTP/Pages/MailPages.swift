import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The pages mail leads to: unsubscribe and "was it helpful?" links (the link is the credential, no sign-in), forgotten
/// passwords and invitations (choose a password from a single-use link), and each person's mail preferences.
struct MailPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("mail/:token/unsubscribe") { request, context in
            guard let link = try await link(request, context) else { return unknownLink(request) }
            guard !link.kind.isEssential else {
                return linkPage(request, heading: "Nothing to unsubscribe from", message: "This mail is sent only when you ask for it.")
            }
            return web.page(.mail_link, title: "Unsubscribe", identity: nil, request: request, values: [
                "heading": "Stop these mails?", "message": "You will no longer get: \(link.kind.label).", "confirm": true,
                "action": "/mail/\(try token(request, context))/unsubscribe", "button": "Unsubscribe",
            ])
        }
        // The button above, and mail programs' one-click unsubscribe (RFC 8058: a POST with List-Unsubscribe=One-Click).
        router.post("mail/:token/unsubscribe") { request, context in
            // No CSRF token: mail programs post "List-Unsubscribe=One-Click" on their own, and the link's token is the credential.
            _ = try await Form(request, context: context)
            guard let link = try await link(request, context) else { return unknownLink(request) }
            _ = try await web.actions.unsubscribe(link)
            return linkPage(request, heading: "Unsubscribed", message: "You will no longer get: \(link.kind.label).")
        }
        for (path, helpful) in [("helpful", true), ("not-helpful", false)] {
            router.get("mail/:token/\(path)") { request, context in
                guard let link = try await link(request, context), link.kind == .contentShipped else { return unknownLink(request) }
                let url = try await web.database.tenant(link.orgID) { try $0.content(id: link.objectID!)?.url }
                do {
                    switch try await web.actions.giveFeedbackFromMail(link, helpful: helpful) {
                    case .recorded(let verdict):
                        return linkPage(request, heading: "Thank you", message: "Marketing now knows this content was \(verdict ? "helpful" : "not helpful") in your deals.",
                                        contentURL: url)
                    case .alreadyAnswered(let verdict):
                        return linkPage(request, heading: "Already recorded", message: "You answered “\(verdict ? "helpful" : "not helpful")” from this mail before; that answer stands.",
                                        contentURL: url)
                    }
                } catch let error as DomainError {
                    return linkPage(request, heading: "Not recorded", message: "This content is no longer published (\(error)).", status: .conflict)
                }
            }
        }
        router.get("forgot") { request, _ in
            web.page(.forgot, title: "Forgot your password?", identity: nil, request: request, values: [:])
        }
        router.post("forgot") { request, context in
            let form = try await web.form(request, context: context)
            do {
                try await web.actions.requestPasswordReset(email: form.nonEmpty("email"))
            } catch let error as ValidationError {
                return web.page(.forgot, title: "Forgot your password?", identity: nil, request: request,
                                values: ["errors": Web.fieldMessages(error)], status: .unprocessableContent)
            }
            return web.page(.forgot, title: "Forgot your password?", identity: nil, request: request, values: ["sent": true])
        }
        router.get("reset/:token") { request, context in
            try await choosePage(request, token: try token(request, context))
        }
        router.post("reset/:token") { request, context in
            let token = try token(request, context)
            let form = try await web.form(request, context: context)
            do {
                _ = try await web.actions.choosePassword(token: token, password: form["password"])
            } catch let error as ValidationError {
                return try await choosePage(request, token: token, errors: Web.fieldMessages(error), status: .unprocessableContent)
            } catch is DomainError {
                return try await choosePage(request, token: token, status: .conflict)
            }
            return Web.redirect("/signin?password=saved")
        }
        router.get("preferences") { request, _ in
            let identity = try await web.identity(request)
            return try await preferencesPage(request, identity: identity)
        }
        router.post("preferences") { request, context in
            let identity = try await web.identity(request)
            let form = try await web.form(request, context: context)
            let shown = (form["shown"] ?? "").split(separator: ",").map(String.init)
            let on = Set(form.all("subscribed"))
            var changes: [String: Any] = [:]
            for kind in shown { changes[kind] = on.contains(kind) }
            if !changes.isEmpty { _ = try await web.actions.setMailPreferences(by: identity, changes) }
            return Web.redirect("/preferences", done: "Mail preferences saved.")
        }
    }

    private func token(_ request: Request, _ context: AppRequestContext) throws -> String {
        try context.parameters.require("token")
    }

    private func link(_ request: Request, _ context: AppRequestContext) async throws -> MailLink? {
        try await web.database.mailLink(token: try token(request, context))
    }

    private func linkPage(_ request: Request, heading: String, message: String, contentURL: String? = nil,
                          status: HTTPResponse.Status = .ok) -> Response {
        web.page(.mail_link, title: heading, identity: nil, request: request,
                 values: present(["heading": heading, "message": message, "contentURL": contentURL, "refused": status.code >= 400 ? true : nil]),
                 status: status)
    }

    private func unknownLink(_ request: Request) -> Response {
        linkPage(request, heading: "This link does not work", message: "It is not one Roadwork sent, or its person is no longer here.",
                 status: .notFound)
    }

    private func choosePage(_ request: Request, token: String, errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let person = try await web.database.passwordToken(token)
        let values = present([
            "person": person.map { ["email": $0.email, "token": token,
                                    "heading": $0.purpose == "invitation" ? "Welcome, \($0.name): choose your password" : "Choose a new password"] },
            "errors": errors,
        ])
        return web.page(.choose_password, title: "Choose a password", identity: nil, request: request, values: values,
                        status: person == nil && status == .ok ? .notFound : status)
    }

    private func preferencesPage(_ request: Request, identity: Identity) async throws -> Response {
        let preferences = try await web.actions.mailPreferences(by: identity)
        let kinds = MailKind.optional.filter { $0.isSent(to: identity.role) }
        return web.page(.preferences, title: "Mail preferences", identity: identity, request: request, values: [
            "email": identity.email, "shown": kinds.map(\.rawValue).joined(separator: ","),
            "kinds": kinds.map { ["kind": $0.rawValue, "label": $0.label, "on": preferences.wants($0)] as [String: Any] },
        ])
    }
}
