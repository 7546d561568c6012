import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Content work items ("bites") and reps' feedback on them.
struct ContentController {
    let database: Database
    let actions: Actions

    struct Body: Decodable, NullableFields {
        static let nullable: Set<String> = ["assignee_id", "effort", "url"]
        let objectionId: UUID?
        let opportunityId: UUID?
        let title: String?
        let format: String?
        let status: String?
        let assigneeId: UUID??
        let effort: Int??
        let url: String??

        enum CodingKeys: String, CodingKey { case objectionId, opportunityId, title, format, status, assigneeId, effort, url }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            objectionId = try container.decodeIfPresent(UUID.self, forKey: .objectionId)
            opportunityId = try container.decodeIfPresent(UUID.self, forKey: .opportunityId)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            format = try container.decodeIfPresent(String.self, forKey: .format)
            status = try container.decodeIfPresent(String.self, forKey: .status)
            assigneeId = try container.decodePatch(UUID.self, forKey: .assigneeId)
            effort = try container.decodePatch(Int.self, forKey: .effort)
            url = try container.decodePatch(String.self, forKey: .url)
        }
    }

    struct FeedbackBody: Decodable, NullableFields {
        static let nullable: Set<String> = ["account", "comment"]
        let helpful: Bool?
        let account: String?
        let comment: String?
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("content", use: list)
        api.post("content", use: create)
        api.get("content/:id", use: show)
        api.patch("content/:id", use: update)
        api.post("content/:id/feedback", use: feedback)
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        if request.wantsCSV { return try await CSVExport(database: database).response(.content, request: request, identity: identity) }
        let page = try Page(request)
        let cursor = try page.timeCursor
        let filter = try ListFilters.content(request, identity: identity)
        let items = try await database.tenant(identity) {
            try $0.contentItems(objectionID: filter.objectionID, opportunityID: filter.opportunityID, status: filter.status, assigneeID: filter.assigneeID,
                                publishedOnly: filter.publishedOnly, after: cursor, limit: page.limit + 1)
        }
        return try Response.json(ListResponse(fetched: items, limit: page.limit) { Page.timeKey($0.updatedAt, $0.id) })
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "content item")
        guard let item = try await database.tenant(identity, { try $0.content(id: id) }),
              identity.role != .rep || item.status == .published else { throw Problem.notFound("content item") }
        return try Response.json(item, version: item.version)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let body = try await request.decodeJSON(Body.self, context: context)
        let item = try await actions.createContent(by: identity, objectionID: body.objectionId, opportunityID: body.opportunityId, title: body.title, format: body.format,
                                                     status: body.status, assigneeID: body.assigneeId, effort: body.effort, url: body.url)
        return try Response.json(item, status: .created, version: item.version,
                                 headers: [.location: "/api/v1/content/\(item.id.lowercasedText)"])
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let id = try request.uuidParameter("id", context: context, what: "content item")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(Body.self, context: context)
        if body.objectionId != nil { throw Problem.invalid([.init(field: "objection_id", message: "cannot be changed")]) }
        if body.opportunityId != nil { throw Problem.invalid([.init(field: "opportunity_id", message: "cannot be changed")]) }
        let item = try await actions.editContent(by: identity, id: id, title: body.title, format: body.format, status: body.status,
                                                   assigneeID: body.assigneeId, effort: body.effort, url: body.url, expectedVersion: expected)
        return try Response.json(item, version: item.version)
    }

    @Sendable func feedback(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "content item")
        let body = try await request.decodeJSON(FeedbackBody.self, context: context)
        let feedback = try await actions.giveFeedback(by: identity, contentID: id, helpful: body.helpful, account: body.account, comment: body.comment)
        return try Response.json(FeedbackResponse(feedback), status: .created)
    }

    struct FeedbackResponse: Encodable {
        let id: UUID
        let contentId: UUID
        let userId: UUID
        let helpful: Bool
        let account: String?
        let comment: String?
        let createdAt: Date

        init(_ feedback: ContentFeedback) {
            id = feedback.id; contentId = feedback.contentID; userId = feedback.userID; helpful = feedback.helpful
            account = feedback.account; comment = feedback.comment; createdAt = feedback.createdAt
        }
    }
}
