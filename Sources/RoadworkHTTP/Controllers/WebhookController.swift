import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Webhook endpoints, their delivery logs, test events and redelivery; admins only.
struct WebhookController {
    let database: Database
    let actions: Actions

    struct Body: Decodable {
        let url: String?
        let description: String?
        let eventTypes: [String]?
        let format: String?
        let enabled: Bool?
    }

    struct Registered: Encodable {
        let endpoint: WebhookEndpoint
        let secret: String
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("webhooks", use: list)
        api.post("webhooks", use: create)
        api.get("webhooks/event-types") { _, context in
            _ = try context.signedIn(as: [.admin])
            return try Response.json(["items": DomainEventType.subscribable])
        }
        api.get("webhooks/:id", use: show)
        api.patch("webhooks/:id", use: update)
        api.delete("webhooks/:id", use: delete)
        api.post("webhooks/:id/test", use: test)
        api.get("webhooks/:id/deliveries", use: deliveries)
        api.post("webhooks/:id/deliveries/:delivery/redeliver", use: redeliver)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        return try Response.json(["items": try await database.tenant(identity) { try $0.endpoints() }])
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        guard let endpoint = try await database.tenant(identity, { try $0.endpoint(id: id) }) else { throw Problem.notFound("webhook endpoint") }
        return try Response.json(endpoint, version: endpoint.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let body = try await request.decodeJSON(Body.self, context: context)
        let registered = try await actions.registerWebhook(by: identity, url: body.url, description: body.description, eventTypes: body.eventTypes,
                                                           format: body.format, enabled: body.enabled)
        return try Response.json(Registered(endpoint: registered.endpoint, secret: registered.secret), status: .created,
                                 version: registered.endpoint.version,
                                 headers: [.location: "/api/v1/webhooks/\(registered.endpoint.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(Body.self, context: context)
        let endpoint = try await actions.editWebhook(by: identity, id: id, url: body.url, description: body.description, eventTypes: body.eventTypes,
                                                     format: body.format, enabled: body.enabled, expectedVersion: expected)
        return try Response.json(endpoint, version: endpoint.version)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        try await actions.deleteWebhook(by: identity, id: id)
        return Response(status: .noContent)
    }

    @Sendable func test(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        let event = try await actions.sendTestEvent(by: identity, endpointID: id)
        return try Response.json(["event_id": event.lowercasedText], status: .accepted)
    }

    @Sendable func deliveries(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        let page = try Page(request)
        let items = try await database.tenant(identity) { store -> [WebhookDelivery] in
            guard try store.endpoint(id: id) != nil else { throw Problem.notFound("webhook endpoint") }
            return try store.deliveries(endpointID: id, limit: page.limit)
        }
        return try Response.json(["items": items])
    }

    @Sendable func redeliver(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: [.admin])
        let id = try request.uuidParameter("id", context: context, what: "webhook endpoint")
        let delivery = try request.uuidParameter("delivery", context: context, what: "delivery")
        let redelivered = try await actions.redeliver(by: identity, endpointID: id, deliveryID: delivery)
        return try Response.json(redelivered, status: .accepted)
    }
}
