import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The organization's vocabulary: synonym groups the similar-objections search applies to every text.
struct SynonymController {
    let database: Database
    let actions: Actions

    struct Body: Decodable {
        let terms: [String]?
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("synonyms", use: list)
        api.post("synonyms", use: create)
        api.get("synonyms/:id", use: show)
        api.patch("synonyms/:id", use: update)
        api.delete("synonyms/:id", use: delete)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        return try Response.json(["items": try await database.tenant(identity) { try $0.synonymGroups() }])
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "synonym group")
        guard let group = try await database.tenant(identity, { try $0.synonymGroup(id: id) }) else { throw Problem.notFound("synonym group") }
        return try Response.json(group, version: group.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let body = try await request.decodeJSON(Body.self, context: context)
        let group = try await actions.createSynonymGroup(by: identity, terms: body.terms)
        return try Response.json(group, status: .created, version: group.version,
                                 headers: [.location: "/api/v1/synonyms/\(group.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "synonym group")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(Body.self, context: context)
        let group = try await actions.editSynonymGroup(by: identity, id: id, terms: body.terms, expectedVersion: expected)
        return try Response.json(group, version: group.version)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "synonym group")
        let expected = request.ifMatchVersion()
        try await actions.deleteSynonymGroup(by: identity, id: id, expectedVersion: expected)
        return Response(status: .noContent)
    }
}
