import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Admins: users (add, change role, deactivate) and backlog settings.
struct AdminPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("admin") { request, _ in
            let identity = try await web.identity(request, as: [.admin])
            return try await page(request, identity: identity, form: [:], errors: [:])
        }
        router.post("admin/users") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            do {
                _ = try await web.actions.createUser(by: identity, email: form["email"], name: form["name"], role: form["role"], password: form["password"])
                return Web.redirect("/admin", done: "User added.")
            } catch let error as ValidationError {
                return try await page(request, identity: identity, form: ["email": form["email"] ?? "", "name": form["name"] ?? ""],
                                      errors: Web.fieldMessages(error),
                                      status: .unprocessableContent)
            } catch DomainError.conflict(let message) {
                return try await page(request, identity: identity, form: ["email": form["email"] ?? "", "name": form["name"] ?? ""],
                                      errors: ["email": message], status: .conflict)
            }
        }
        router.post("admin/users/:id") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "user")
            do {
                _ = try await web.actions.editUser(by: identity, id: id, name: nil, role: form["role"], active: try form.bool("active"),
                                                   password: nil, expectedVersion: nil)
                return Web.redirect("/admin", done: "Saved.")
            } catch let error as ValidationError {
                throw PageRefusal(back: "/admin", message: "Not saved: \(error.description).")
            } catch DomainError.conflict(let message) {
                throw PageRefusal(back: "/admin", message: "Not saved: \(message).", status: .conflict)
            }
        }
        router.post("admin/settings") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            // A blank or non-numeric field is a number that fails the range check, so it gets the same message.
            func number(_ field: String) -> Double { form.nonEmpty(field).flatMap(Double.init) ?? .nan }
            do {
                _ = try await web.actions.updateSettings(by: identity, halfLifeDays: number("half_life_days"),
                                                         referenceDealSize: number("reference_deal_size"), expectedVersion: nil)
                return Web.redirect("/admin", done: "Settings saved.")
            } catch let error as ValidationError {
                return try await page(request, identity: identity, form: [:], errors: Web.fieldMessages(error), status: .unprocessableContent)
            }
        }
    }

    private func page(_ request: Request, identity: Identity, form: [String: String], errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let (users, organization) = try await web.database.tenant(identity, mayLag: false) { store in
            (try store.users(after: nil, limit: 500), try store.organization())
        }
        return web.page(.admin, title: "Admin", identity: identity, request: request, values: [
            "users": users.map { user -> [String: Any] in
                ["id": user.id.lowercasedText, "name": user.name, "email": user.email, "active": user.active,
                 "roles": Role.allCases.map { ["value": $0.rawValue, "selected": $0 == user.role] as [String: Any] }]
            },
            "allRoles": Role.allCases.map(\.rawValue), "form": form, "errors": errors,
            "halfLife": organization.halfLifeDays, "dealSize": organization.referenceDealSize,
        ], status: status)
    }
}
