import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Admins connect Roadwork to where people work: service accounts with tokens for scripts and the CRM, and webhook
/// endpoints (Slack channels among them) with their delivery logs.
struct IntegrationPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("admin/integrations") { request, _ in
            let identity = try await web.identity(request, as: [.admin])
            return try await page(request, identity: identity)
        }
        router.post("admin/service-accounts") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            do {
                _ = try await web.actions.createServiceAccount(by: identity, name: form["name"], role: form["role"])
                return Web.redirect("/admin/integrations", done: "Service account added; make it a token below.")
            } catch let error as ValidationError {
                return try await page(request, identity: identity, errors: Web.fieldMessages(error).mapKeys { "account_" + $0 }, status: .unprocessableContent)
            }
        }
        router.post("admin/service-accounts/:id/tokens") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "service account")
            do {
                let made = try await web.actions.makeServiceToken(by: identity, accountID: id, name: form["name"], scope: form["scope"],
                                                                  expiresInDays: form.days("expires_in_days"))
                return try await page(request, identity: identity, secret: ("token “\(made.token.name)”", made.secret), status: .created)
            } catch let error as ValidationError {
                return try await page(request, identity: identity, errors: Web.fieldMessages(error).mapKeys { "token_\(id.lowercasedText)_" + $0 },
                                      status: .unprocessableContent)
            }
        }
        router.post("admin/tokens/:id/revoke") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            _ = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "token")
            _ = try await web.actions.revokeToken(by: identity, id: id)
            return Web.redirect("/admin/integrations", done: "Token revoked.")
        }
        router.post("admin/webhooks") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            do {
                let registered = try await web.actions.registerWebhook(by: identity, url: form["url"], description: form["description"] ?? "",
                                                                       eventTypes: form.all("event_types"), format: form["format"], enabled: nil)
                return try await page(request, identity: identity, secret: ("endpoint \(registered.endpoint.url)", registered.secret), status: .created)
            } catch let error as ValidationError {
                return try await page(request, identity: identity, form: ["url": form["url"] ?? "", "description": form["description"] ?? ""],
                                      errors: Web.fieldMessages(error), status: .unprocessableContent)
            }
        }
        router.get("admin/webhooks/:id") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
            return try await endpointPage(request, identity: identity, id: id)
        }
        router.post("admin/webhooks/:id") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            let form = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
            switch form["action"] {
            case "test":
                _ = try await web.actions.sendTestEvent(by: identity, endpointID: id)
                return Web.redirect("/admin/webhooks/\(id.lowercasedText)", done: "Test event queued; it shows in the log below once sent.")
            case "delete":
                try await web.actions.deleteWebhook(by: identity, id: id)
                return Web.redirect("/admin/integrations", done: "Endpoint deleted.")
            default:
                do {
                    _ = try await web.actions.editWebhook(by: identity, id: id, url: form["url"], description: form["description"] ?? "",
                                                          eventTypes: form.all("event_types"), format: form["format"], enabled: try form.bool("enabled") ?? false,
                                                          expectedVersion: try form.int("version"))
                    return Web.redirect("/admin/webhooks/\(id.lowercasedText)", done: "Endpoint saved.")
                } catch let error as ValidationError {
                    return try await endpointPage(request, identity: identity, id: id, errors: Web.fieldMessages(error), status: .unprocessableContent)
                }
            }
        }
        router.post("admin/webhooks/:id/deliveries/:delivery") { request, context in
            let identity = try await web.identity(request, as: [.admin])
            _ = try await web.form(request, context: context)
            let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
            let delivery = try request.uuidParameter("delivery", context: context, what: "delivery")
            _ = try await web.actions.redeliver(by: identity, endpointID: id, deliveryID: delivery)
            return Web.redirect("/admin/webhooks/\(id.lowercasedText)", done: "Delivery queued again.")
        }
    }

    static func eventChoices(_ chosen: [String]) -> [[String: Any]] {
        DomainEventType.subscribable.map { ["type": $0, "checked": chosen.contains($0)] }
    }

    private func page(_ request: Request, identity: Identity, secret: (what: String, value: String)? = nil, form: [String: String] = [:],
                      errors: [String: String] = [:], status: HTTPResponse.Status = .ok) async throws -> Response {
        let (accounts, endpoints) = try await web.database.tenant(identity, mayLag: false) { store in
            (try store.serviceAccounts().map { ($0, try store.tokens(of: $0.id)) }, try store.endpoints())
        }
        return web.page(.integrations, title: "Integrations", identity: identity, request: request, values: present([
            "secret": secret.map { ["what": $0.what, "value": $0.value] },
            "accounts": accounts.map { account, tokens -> [String: Any] in
                let prefix = "token_\(account.id.lowercasedText)_"
                return present(["id": account.id.lowercasedText, "name": account.name, "role": account.role.rawValue, "tokens": tokens.map(TokenPages.row),
                                "nameError": errors[prefix + "name"], "expiryError": errors[prefix + "expires_in_days"]])
            },
            "roles": Role.allCases.map(\.rawValue), "hasEndpoints": !endpoints.isEmpty,
            "endpoints": endpoints.map { endpoint -> [String: Any] in
                ["id": endpoint.id.lowercasedText, "url": endpoint.url, "description": endpoint.description, "format": endpoint.format.rawValue,
                 "enabled": endpoint.enabled, "events": endpoint.eventTypes.joined(separator: ", "), "failures": endpoint.failures]
            },
            "events": Self.eventChoices(["report.filed", "wall.emerging", "content.published", "review.applied"]),
            "form": form, "errors": errors,
        ]), status: status)
    }

    private func endpointPage(_ request: Request, identity: Identity, id: UUID, errors: [String: String] = [:],
                              status: HTTPResponse.Status = .ok) async throws -> Response {
        let (endpoint, deliveries) = try await web.database.tenant(identity, mayLag: false) { store -> (WebhookEndpoint, [WebhookDelivery]) in
            guard let endpoint = try store.endpoint(id: id) else { throw DomainError.notFound("webhook endpoint") }
            return (endpoint, try store.deliveries(endpointID: id, limit: 100))
        }
        return web.page(.webhook, title: "Webhook endpoint", identity: identity, request: request, values: [
            "endpoint": present([
                "id": endpoint.id.lowercasedText, "url": endpoint.url, "description": endpoint.description, "version": endpoint.version,
                "enabled": endpoint.enabled, "disabledReason": endpoint.disabledReason, "failures": endpoint.failures,
                "failingSince": endpoint.failingSince.map(Web.day),
                "formats": WebhookFormat.allCases.map { ["value": $0.rawValue, "selected": $0 == endpoint.format] },
            ]),
            "events": Self.eventChoices(endpoint.eventTypes),
            "deliveries": deliveries.map { delivery -> [String: Any] in
                ["id": delivery.id.lowercasedText, "event": delivery.eventType, "eventID": delivery.eventID.lowercasedText, "state": delivery.state,
                 "attempts": delivery.attempts, "created": Web.day(delivery.createdAt), "status": delivery.lastStatus.map(String.init) ?? "—",
                 "latency": delivery.lastLatencyMs.map { "\($0) ms" } ?? "—", "response": delivery.lastError ?? delivery.lastResponse ?? ""]
            },
            "hasDeliveries": !deliveries.isEmpty, "errors": errors,
        ], status: status)
    }
}

extension Dictionary where Key == String {
    /// The same values under new keys (a form's field names when one page holds several forms).
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
