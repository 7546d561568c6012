import Foundation
import Hummingbird
import RoadworkDomain
import RoadworkStore

/// One objection or one focus item: its reports, content and history.
struct DetailPages {
    let web: Web

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("objections/:id") { request, context in
            let identity = try await web.identity(request)
            let id = try request.uuidParameter("id", context: context, what: "objection")
            let values = try await web.readIfFound(identity) { store -> [String: Any]? in
                guard let objection = try store.objection(id: id) else { return nil }
                let obstacle = try objection.obstacleID.flatMap { try store.focusItem(id: $0) }
                let reports = try store.reports(ReportFilter(objectionID: id, reporterID: identity.role == .rep ? identity.userID : nil), after: nil, limit: 50)
                let content = try store.contentItems(objectionID: id, status: nil, assigneeID: nil, publishedOnly: identity.role == .rep, after: nil, limit: 50)
                return present(["id": objection.id.lowercasedText, "statement": objection.statement, "status": objection.status.rawValue, "count": objection.reportCount,
                        "obstacle": obstacle?.title, "obstacleID": obstacle?.id.lowercasedText,
                        "reports": reports.map { ["summary": $0.summary, "account": $0.account, "day": $0.occurredOn.description] },
                        "content": content.map { ["title": $0.title, "status": $0.status.rawValue.replacingOccurrences(of: "_", with: " ")] },
                        "audit": try store.auditEvents(objectID: id, before: nil, limit: 20).map { ["action": $0.action, "at": Day($0.at).description] }])
            }
            guard let values else { throw Problem.notFound("objection") }
            return web.page(.objection, title: "Objection", identity: identity, request: request, values: values)
        }
        router.get("items/:id") { request, context in
            let identity = try await web.identity(request)
            let id = try request.uuidParameter("id", context: context, what: "focus item")
            let values = try await web.readIfFound(identity) { store -> [String: Any]? in
                guard let item = try store.focusItem(id: id) else { return nil }
                let objections = try store.objections(status: nil, obstacleID: id, query: nil, after: nil, limit: 50)
                return present(["title": item.title, "kind": item.kind.rawValue, "status": item.status.rawValue, "rank": item.rank,
                        "description": item.description,
                        "objections": objections.map { ["id": $0.id.lowercasedText, "statement": $0.statement, "count": $0.reportCount] },
                        "audit": try store.auditEvents(objectID: id, before: nil, limit: 20).map { ["action": $0.action, "at": Day($0.at).description] }])
            }
            guard let values else { throw Problem.notFound("focus item") }
            return web.page(.item, title: "Focus item", identity: identity, request: request, values: values)
        }
    }
}
