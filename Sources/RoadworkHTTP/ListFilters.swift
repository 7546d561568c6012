import Foundation
import Hummingbird
import RoadworkDomain
import RoadworkStore

/// The filters each list reads from its query string, shared by the JSON list and its CSV download so both show the
/// same rows.
enum ListFilters {
    /// `triaged`, `objection_id`, `account`; a rep sees only their own reports.
    static func reports(_ request: Request, identity: Identity) throws -> ReportFilter {
        let query = request.uri.queryParameters
        var filter = ReportFilter()
        var check = Validator()
        filter.triaged = flag(request, "triaged", &check)
        filter.objectionID = uuid(query["objection_id"], "objection_id", &check)
        filter.account = request.queryText("account").map { $0.trimmed }.flatMap { $0.isEmpty ? nil : $0 }
        try check.finish()
        if identity.role == .rep { filter.reporterID = identity.userID }
        return filter
    }

    /// `status`, `obstacle_id` and the text search `q`.
    static func objections(_ request: Request) throws -> (status: ObjectionStatus?, obstacleID: UUID?, text: String?) {
        let query = request.uri.queryParameters
        var check = Validator()
        let status = query["status"].map { check.oneOf(String($0), field: "status", ObjectionStatus.self) } ?? nil
        let obstacleID = uuid(query["obstacle_id"], "obstacle_id", &check)
        try check.finish()
        return (status, obstacleID, request.queryText("q").map { $0.trimmed }.flatMap { $0.isEmpty ? nil : String($0.prefix(300)) })
    }

    /// `status`, `objection_id`, `opportunity_id`, `assignee_id`; reps read published content only.
    static func content(_ request: Request, identity: Identity) throws
    -> (status: ContentStatus?, objectionID: UUID?, opportunityID: UUID?, assigneeID: UUID?, publishedOnly: Bool) {
        let query = request.uri.queryParameters
        var check = Validator()
        let status = query["status"].map { check.oneOf(String($0), field: "status", ContentStatus.self) } ?? nil
        let objectionID = uuid(query["objection_id"], "objection_id", &check)
        let opportunityID = uuid(query["opportunity_id"], "opportunity_id", &check)
        let assigneeID = uuid(query["assignee_id"], "assignee_id", &check)
        try check.finish()
        return (status, objectionID, opportunityID, assigneeID, identity.role == .rep)
    }

    /// `object_id`: the audit trail of one object.
    static func audit(_ request: Request) throws -> UUID? {
        var check = Validator()
        let objectID = uuid(request.uri.queryParameters["object_id"], "object_id", &check)
        try check.finish()
        return objectID
    }

    /// A `true`/`false` query parameter; nil when absent.
    static func flag(_ request: Request, _ name: String, _ check: inout Validator) -> Bool? {
        switch request.uri.queryParameters[name[...]].map(String.init) {
        case nil: return nil
        case "true": return true
        case "false": return false
        default: check.fail(name, "must be true or false"); return nil
        }
    }

    private static func uuid(_ text: Substring?, _ field: String, _ check: inout Validator) -> UUID? {
        guard let text else { return nil }
        guard let id = UUID(uuidString: String(text)) else { check.fail(field, "must be a UUID"); return nil }
        return id
    }
}
