import Foundation
import Hummingbird
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
                let user = try NewUser.validate(email: form["email"], name: form["name"], role: form["role"], password: form["password"])
                let hash = try await web.database.passwords.hashOffLoop(user.password)
                _ = try await web.database.tenant(identity) { try $0.createUser(user, passwordHash: hash).id }
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
                let changes = try UserChanges.validate(name: nil, role: form["role"], active: form["active"].map { $0 == "true" }, password: nil,
                                                       isSelf: id == identity.userID)
                _ = try await web.database.tenant(identity) { try $0.updateUser(id: id, changes: changes, passwordHash: nil, expectedVersion: nil).id }
                return Web.redirect("/admin", done: "Saved.")
            } catch let error as ValidationError {
                return Web.redirect("/admin", done: "Not saved: \(error.errors.first?.message ?? "invalid").")
            }
        }
        router.post("admin/settings") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            var errors: [String: String] = [:]
            let halfLife = form.nonEmpty("half_life_days").flatMap(Double.init)
            let dealSize = form.nonEmpty("reference_deal_size").flatMap(Double.init)
            if !(halfLife.map { $0 > 0 && $0 <= 3650 } ?? false) { errors["half_life_days"] = "Enter a half-life from 0.1 to 3650 days." }
            if !(dealSize.map { $0 > 0 && $0 <= 1e12 } ?? false) { errors["reference_deal_size"] = "Enter a deal size above 0." }
            guard errors.isEmpty else { return try await page(request, identity: identity, form: [:], errors: errors, status: .unprocessableContent) }
            _ = try await web.database.tenant(identity) { try $0.updateSettings(halfLifeDays: halfLife, referenceDealSize: dealSize, expectedVersion: nil).version }
            return Web.redirect("/admin", done: "Settings saved.")
        }
    }

    private func page(_ request: Request, identity: Identity, form: [String: String], errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let (users, organization) = try await web.database.tenant(identity) { store in
            (try store.users(after: nil, limit: 500), try store.organization())
        }
        return web.page("admin", title: "Admin", identity: identity, request: request, values: [
            "users": users.map { user -> [String: Any] in
                ["id": user.id.lowercasedText, "name": user.name, "email": user.email, "active": user.active,
                 "roles": Role.allCases.map { ["value": $0.rawValue, "selected": $0 == user.role] as [String: Any] }]
            },
            "allRoles": Role.allCases.map(\.rawValue), "form": form, "errors": errors,
            "halfLife": organization.halfLifeDays, "dealSize": organization.referenceDealSize,
        ], status: status)
    }
}
