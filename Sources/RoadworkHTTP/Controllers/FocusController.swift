import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Focus items (opportunities and obstacles) and today's Top 5.
struct FocusController {
    let database: Database
    let actions: Actions

    struct Body: Decodable {
        let kind: String?
        let title: String?
        let description: String?
        let status: String?
    }

    struct Focus: JSONWritable {
        let opportunities: [FocusItem]
        let obstacles: [FocusItem]
        /// Per Top 5 item, its bites (not retired) and how many are published: an obstacle's through its objections,
        /// an opportunity's own.
        let progress: [Progress]

        func writeJSON(to json: inout JSONOutput) throws {
            try json.object { json in
                try json.field("opportunities", opportunities)
                try json.field("obstacles", obstacles)
                try json.field("progress", progress)
            }
        }
    }

    struct Progress: JSONWritable {
        let itemId: UUID
        let bites: Int
        let published: Int

        func writeJSON(to json: inout JSONOutput) throws {
            try json.object { json in
                try json.field("item_id", itemId)
                try json.field("bites", bites)
                try json.field("published", published)
            }
        }
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("focus") { request, context in
            let identity = try context.signedIn()
            let top = try await database.tenant(identity, mayLag: true) { try $0.topFiveWithProgress() }
            let counts = top.progress
            let progress = (top.opportunities + top.obstacles).map {
                Progress(itemId: $0.id, bites: counts[$0.id]?.bites ?? 0, published: counts[$0.id]?.published ?? 0)
            }
            let body = try JSONWriter.encode(Focus(opportunities: top.opportunities, obstacles: top.obstacles, progress: progress))
            return Revalidation.response(body, contentType: Response.jsonType, request: request)
        }
        api.get("items", use: list)
        api.post("items", use: create)
        api.get("items/:id", use: show)
        api.patch("items/:id", use: update)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let page = try Page(request)
        let query = request.uri.queryParameters
        var check = Validator()
        let kind = query["kind"].map { check.oneOf(String($0), field: "kind", FocusKind.self) } ?? nil
        let status = query["status"].map { check.oneOf(String($0), field: "status", FocusStatus.self) } ?? nil
        try check.finish()
        let cursor = try page.textCursor
        let items = try await database.tenant(identity) { try $0.focusItems(kind: kind, status: status, after: cursor, limit: page.limit + 1) }
        return try Response.json(ListResponse(fetched: items, limit: page.limit) { Page.textKey(Store.focusSortKey($0), $0.id) })
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "focus item")
        guard let item = try await database.tenant(identity, { try $0.focusItem(id: id) }) else { throw Problem.notFound("focus item") }
        return try Response.json(item, version: item.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let body = try await request.decodeJSON(Body.self, context: context)
        let item = try await actions.createFocusItem(by: identity, kind: body.kind, title: body.title, description: body.description)
        return try Response.json(item, status: .created, version: item.version, headers: [.location: "/api/v1/items/\(item.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "focus item")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(Body.self, context: context)
        let item = try await actions.editFocusItem(by: identity, id: id, title: body.title, description: body.description, status: body.status,
                                                   expectedVersion: expected)
        return try Response.json(item, version: item.version)
    }
}
