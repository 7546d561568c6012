import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Objections: the walls reports roll up into.
struct ObjectionController {
    let database: Database
    let actions: Actions
    /// The suggestions a report page asks for while a rep types, a few at a time (see `ConcurrencyLimit`).
    let searches: ConcurrencyLimit

    struct CreateBody: Decodable, NullableFields {
        static let nullable: Set<String> = ["obstacle_id"]
        let statement: String?
        let obstacleId: UUID?
    }

    struct UpdateBody: Decodable, NullableFields {
        static let nullable: Set<String> = ["obstacle_id"]
        let statement: String?
        let obstacleId: UUID??
        let status: String?

        enum CodingKeys: String, CodingKey { case statement, obstacleId, status }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            statement = try container.decodeIfPresent(String.self, forKey: .statement)
            obstacleId = try container.decodePatch(UUID.self, forKey: .obstacleId)
            status = try container.decodeIfPresent(String.self, forKey: .status)
        }
    }

    struct MergeBody: Decodable {
        let into: UUID?
    }

    struct Similar: JSONWritable {
        let objection: Objection
        let similarity: Double

        func writeJSON(to json: inout JSONOutput) throws {
            try json.object { json in
                try json.field("objection", objection)
                try json.field("similarity", similarity)
            }
        }
    }

    struct Duplicate: Encodable {
        let source: Objection
        let target: Objection
        let similarity: Double
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("objections", use: list)
        api.post("objections", use: create)
        api.get("objections/similar", use: similar)
        api.get("objections/duplicates", use: duplicates)
        api.get("objections/:id", use: show)
        api.patch("objections/:id", use: update)
        api.post("objections/:id/merge", use: merge)
        api.get("objections/:id/impact", use: impact)
    }

    /// `GET /api/v1/objections/{id}/impact`: did the wall stop after its bites shipped (`WallImpact`).
    struct Impact: Encodable {
        let objectionId: UUID
        let windowWeeks: Int
        let notStopped: Bool
        let publications: [WallImpact.Publication]

        init(_ impact: WallImpact) {
            objectionId = impact.objectionID
            windowWeeks = WallImpact.window
            notStopped = impact.notStopped
            publications = impact.publications
        }
    }

    @Sendable func impact(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "objection")
        guard let impact = try await database.tenant(identity, { try $0.wallImpact(objectionID: id, today: Day.today()) }) else {
            throw Problem.notFound("objection")
        }
        return try Response.json(Impact(impact))
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        if request.wantsCSV { return try await CSVExport(database: database).response(.objections, request: request, identity: identity) }
        let page = try Page(request)
        let cursor = try page.timeCursor
        let filter = try ListFilters.objections(request)
        let items = try await database.tenant(identity, mayLag: true) {
            try $0.objections(status: filter.status, obstacleID: filter.obstacleID, query: filter.text, after: cursor, limit: page.limit + 1)
        }
        return try Response.json(ListResponse(fetched: items, limit: page.limit) { Page.timeKey($0.createdAt, $0.id) })
    }

    @Sendable func similar(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        guard let text = request.queryText("text").map({ $0.trimmed }), !text.isEmpty else {
            throw Problem.invalid([.init(field: "text", message: "is required")])
        }
        let items = try await searches.run { try await database.tenant(identity) { try $0.similarObjections(to: text, limit: 10) } }
        return try Response.json(["items": items.map { Similar(objection: $0.objection, similarity: $0.similarity) }])
    }

    /// Pairs of open objections that read alike, each offered as a merge of the smaller into the larger.
    @Sendable func duplicates(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let pairs = try await database.tenant(identity) { try $0.duplicateObjections() }
        return try Response.json(["items": pairs.map { Duplicate(source: $0.source, target: $0.target, similarity: $0.similarity) }])
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "objection")
        guard let objection = try await database.tenant(identity, { try $0.objection(id: id) }) else { throw Problem.notFound("objection") }
        return try Response.json(objection, version: objection.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let body = try await request.decodeJSON(CreateBody.self, context: context)
        let objection = try await actions.createObjection(by: identity, ObjectionDraft(statement: body.statement, obstacleID: body.obstacleId))
        return try Response.json(objection, status: .created, version: objection.version,
                                 headers: [.location: "/api/v1/objections/\(objection.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "objection")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(UpdateBody.self, context: context)
        let objection = try await actions.editObjection(by: identity, id: id, statement: body.statement, obstacleID: body.obstacleId,
                                                        status: body.status, expectedVersion: expected)
        return try Response.json(objection, version: objection.version)
    }

    @Sendable func merge(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "objection")
        let body = try await request.decodeJSON(MergeBody.self, context: context)
        let target = try await actions.mergeObjection(by: identity, id, into: body.into)
        return try Response.json(target, version: target.version)
    }
}
