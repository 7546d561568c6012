import Foundation
import Hummingbird
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Won and lost by wall: how reported deals ended, recorded in one step, and tallied per objection and per obstacle.
struct DealController {
    let database: Database
    let actions: Actions

    struct Body: Decodable {
        let account: String?
        let outcome: String?
        let amount: Double?
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        // The deals you reported, most recent first, with how each ended.
        api.get("deals") { _, context in
            let identity = try context.signedIn()
            return try Response.json(["items": try await database.tenant(identity) { try $0.reportedDeals(reporterID: identity.userID, limit: 200) }])
        }
        api.post("deals") { request, context in
            let identity = try context.signedIn()
            let body = try await request.decodeJSON(Body.self, context: context)
            return try Response.json(try await actions.recordDealOutcome(by: identity, account: body.account, outcome: body.outcome, amount: body.amount))
        }
        api.get("objections/:id/deals") { request, context in
            let identity = try context.signedIn()
            let id = try request.uuidParameter("id", context: context, what: "objection")
            return try Response.json(try await database.tenant(identity) { store in
                guard try store.objection(id: id) != nil else { throw Problem.notFound("objection") }
                return try store.dealTally(objectionIDs: [id])
            })
        }
        api.get("items/:id/deals") { request, context in
            let identity = try context.signedIn()
            let id = try request.uuidParameter("id", context: context, what: "obstacle")
            return try Response.json(try await database.tenant(identity) { store in
                guard let item = try store.focusItem(id: id), item.kind == .obstacle else { throw Problem.notFound("obstacle") }
                return try store.dealTally(objectionIDs: try store.objectionIDs(obstacleID: id))
            })
        }
    }
}
