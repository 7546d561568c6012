import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// The triage inbox as an API: suggestions per untriaged report, and accepting the confident ones at once.
struct TriageController {
    let database: Database
    let actions: Actions

    struct Item: Encodable {
        let report: FieldReport
        let suggestions: [ObjectionController.Similar]
        /// True when the first suggestion is sure enough to accept without a look.
        let confident: Bool
    }

    struct AcceptBody: Decodable {
        let limit: Int?
    }

    struct Accepted: Encodable {
        let report: FieldReport
        let objection: Objection
        let similarity: Double
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.get("triage/suggestions", use: suggestions)
        api.post("triage/accept-confident", use: acceptConfident)
    }

    @Sendable func suggestions(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        let page = try Page(request)
        let memo = database.suggestionMemo
        let inbox = try await database.tenant(identity) { try $0.triageInbox(limit: page.limit, memo: memo) }
        return try Response.json(["items": inbox.map { item in
            Item(report: item.report, suggestions: item.suggestions.map { .init(objection: $0.objection, similarity: $0.similarity) },
                 confident: item.confidentSuggestion != nil)
        }])
    }

    @Sendable func acceptConfident(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.planners)
        // The body is optional: no body accepts the default page of the inbox.
        let buffer = try await request.collectBody(context: context)
        let body = buffer.readableBytes == 0 ? AcceptBody(limit: nil) : try Request.decodeJSON(AcceptBody.self, from: buffer)
        let limit = body.limit ?? Page.defaultLimit
        guard (1...Page.maxLimit).contains(limit) else {
            throw Problem.invalid([.init(field: "limit", message: "must be a whole number from 1 to \(Page.maxLimit)")])
        }
        let accepted = try await actions.acceptConfidentSuggestions(by: identity, limit: limit)
        return try Response.json(["items": accepted.map { Accepted(report: $0.report, objection: $0.objection, similarity: $0.similarity) }])
    }
}
