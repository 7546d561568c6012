import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RoadworkDomain
import RoadworkStore

/// The lists a person can download as CSV.
enum ExportList: String, CaseIterable, Sendable {
    case reports, objections, backlog, content, feedback, audit
}

/// CSV downloads of the lists, with each list's filters and only what the person's role may read (a rep: their own
/// reports, published content, no feedback or audit trail). The rows are read a page at a time (keyset, newest first),
/// each page in a short transaction of its own, and written as they come, so a download of a million rows holds one
/// page in memory; a download therefore is not one snapshot, but every row in it was there when its page was read.
struct CSVExport {
    let database: Database
    /// Rows per page read.
    static let pageSize = 2_000
    /// The backlog is ranked as a whole; a download holds its top this many.
    static let backlogLimit = 10_000

    /// Where a page left off: a `(time, id)` key, or an audit event's id.
    enum Cursor: Sendable {
        case time(Date, UUID)
        case id(Int64)
        var time: (Date, UUID)? { if case .time(let date, let id) = self { return (date, id) } else { return nil } }
        var id: Int64? { if case .id(let id) = self { return id } else { return nil } }
    }

    /// One page of lines, and where the next one starts (nil after the last).
    typealias PageOfLines = (text: String, next: Cursor?)

    /// The answer: `text/csv`, streamed. The first page is read before answering, so a bad filter or a missing right
    /// is a 4xx, not a cut-off file; `?bom=true` starts the file with a byte-order mark for Excel.
    func response(_ list: ExportList, request: Request, identity: Identity) async throws -> Response {
        let bom: Bool
        switch request.uri.queryParameters["bom"] {
        case nil, "false": bom = false
        case "true": bom = true
        default: throw Problem.invalid([.init(field: "bom", message: "must be true or false")])
        }
        let (header, page) = try source(list, request: request, identity: identity)
        let first = try await database.tenant(identity) { try page($0, nil) }
        let database = self.database
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: (bom ? CSV.byteOrderMark : "") + CSV.line(header) + first.text))
            var next = first.next
            while let cursor = next {
                let more = try await database.tenant(identity) { try page($0, cursor) }
                try await writer.write(ByteBuffer(string: more.text))
                next = more.next
            }
            try await writer.finish(nil)
        }
        let name = "roadwork-\(list.rawValue)-\(Day.today()).csv"
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\""],
                        body: body)
    }

    /// The header and the page reader of one list, after checking the filters and the person's right to it.
    private func source(_ list: ExportList, request: Request, identity: Identity) throws
        -> (header: [String], page: @Sendable (Store, Cursor?) throws -> PageOfLines) {
        let size = Self.pageSize
        switch list {
        case .reports:
            let filter = try ListFilters.reports(request, identity: identity)
            return (["id", "filed_at", "occurred_on", "reporter", "account", "deal_amount", "stage", "competitor", "persona", "industry",
                     "product", "summary", "objection_id", "objection", "triaged_at"], { store, cursor in
                let rows = try store.reports(filter, after: cursor?.time, limit: size)
                let statements = try store.objectionStatements(ids: rows.compactMap(\.objectionID))
                let names = try store.userNames(ids: rows.map(\.reporterID))
                let text = rows.map { r in
                    CSV.line([r.id.lowercasedText, Self.time(r.createdAt), r.occurredOn.description, names[r.reporterID], r.account,
                              r.dealAmount.map { "\($0)" }, r.stage?.rawValue, r.competitor, r.persona, r.industry, r.product, r.summary,
                              r.objectionID?.lowercasedText, r.objectionID.flatMap { statements[$0] }, r.triagedAt.map(Self.time)])
                }.joined()
                return (text, rows.count < size ? nil : rows.last.map { .time($0.createdAt, $0.id) })
            })
        case .objections:
            let filter = try ListFilters.objections(request)
            return (["id", "statement", "status", "obstacle_id", "merged_into_id", "reports", "created_at", "updated_at"], { store, cursor in
                let rows = try store.objections(status: filter.status, obstacleID: filter.obstacleID, query: filter.text, after: cursor?.time, limit: size)
                let text = rows.map { o in
                    CSV.line([o.id.lowercasedText, o.statement, o.status.rawValue, o.obstacleID?.lowercasedText, o.mergedIntoID?.lowercasedText,
                              String(o.reportCount), Self.time(o.createdAt), Self.time(o.updatedAt)])
                }.joined()
                return (text, rows.count < size ? nil : rows.last.map { .time($0.createdAt, $0.id) })
            })
        case .backlog:
            let limit = Self.backlogLimit
            return (["rank", "objection_id", "statement", "score", "accounts", "reps", "reports", "value_at_stake", "demand", "strategic",
                     "coverage", "last_reported_on", "obstacle", "content", "content_status"], { store, _ in
                let text = try store.backlog(limit: limit).map { e in
                    let b = e.breakdown
                    return CSV.line([String(e.rank), e.objection.id.lowercasedText, e.objection.statement, Self.number(b.score), String(b.accounts),
                                     String(b.reps), String(b.reports), Self.number(b.valueAtStake), Self.number(b.demand), Self.number(b.strategic),
                                     Self.number(b.coverage), b.lastReportedOn?.description, e.obstacle?.title, e.activeContent?.title,
                                     e.activeContent?.status.rawValue])
                }.joined()
                return (text, nil)
            })
        case .content:
            let filter = try ListFilters.content(request, identity: identity)
            // An opportunity's bites have no objection; their opportunity comes last so older sheets keep their columns.
            return (["id", "objection_id", "objection", "title", "format", "status", "assignee", "effort", "url", "published_at", "created_at",
                     "updated_at", "opportunity_id", "opportunity"], { store, cursor in
                let rows = try store.contentItems(objectionID: filter.objectionID, opportunityID: filter.opportunityID, status: filter.status,
                                                  assigneeID: filter.assigneeID, publishedOnly: filter.publishedOnly, after: cursor?.time, limit: size)
                let statements = try store.objectionStatements(ids: rows.compactMap(\.objectionID))
                let opportunities = try store.focusTitles(ids: rows.compactMap(\.opportunityID))
                let names = try store.userNames(ids: rows.compactMap(\.assigneeID))
                let text = rows.map { c in
                    CSV.line([c.id.lowercasedText, c.objectionID?.lowercasedText, c.objectionID.flatMap { statements[$0] }, c.title, c.format.rawValue,
                              c.status.rawValue, c.assigneeID.flatMap { names[$0] }, c.effort.map(String.init), c.url, c.publishedAt.map(Self.time),
                              Self.time(c.createdAt), Self.time(c.updatedAt), c.opportunityID?.lowercasedText,
                              c.opportunityID.flatMap { opportunities[$0] }])
                }.joined()
                return (text, rows.count < size ? nil : rows.last.map { .time($0.updatedAt, $0.id) })
            })
        case .feedback:
            guard identity.role != .rep else { throw Problem(status: .forbidden, detail: "Reps may not download others' feedback.") }
            return (["id", "given_at", "content_id", "content", "by", "helpful", "account", "comment"], { store, cursor in
                let rows = try store.feedback(publishedOnly: false, after: cursor?.time, limit: size)
                let names = try store.userNames(ids: rows.map(\.feedback.userID))
                let text = rows.map { r in
                    let f = r.feedback
                    return CSV.line([f.id.lowercasedText, Self.time(f.createdAt), f.contentID.lowercasedText, r.contentTitle, names[f.userID],
                                     f.helpful ? "yes" : "no", f.account, f.comment])
                }.joined()
                return (text, rows.count < size ? nil : rows.last.map { .time($0.feedback.createdAt, $0.feedback.id) })
            })
        case .audit:
            guard Roles.auditors.contains(identity.role) else { throw Problem(status: .forbidden, detail: "Your role may not read the audit log.") }
            let objectID = try ListFilters.audit(request)
            return (["id", "at", "actor", "action", "object_type", "object_id", "before", "after"], { store, cursor in
                let rows = try store.auditEvents(objectID: objectID, before: cursor?.id, limit: size)
                let names = try store.userNames(ids: rows.compactMap(\.actorID))
                let text = rows.map { e in
                    CSV.line([String(e.id), Self.time(e.at), e.actorID.flatMap { names[$0] } ?? e.actorID?.lowercasedText, e.action, e.objectType,
                              e.objectID?.lowercasedText, e.before, e.after])
                }.joined()
                return (text, rows.count < size ? nil : rows.last.map { .id($0.id) })
            })
        }
    }

    private static let timeFormat = Date.ISO8601FormatStyle(timeZone: .gmt)
    static func time(_ date: Date) -> String { date.formatted(timeFormat) }
    static func number(_ value: Double) -> String { value.fixed(4) }
}

extension Request {
    /// The client asked for CSV (`Accept: text/csv`) rather than JSON.
    var wantsCSV: Bool {
        guard let accept = headers[.accept]?.lowercased() else { return false }
        return accept.contains("text/csv") && !accept.contains("application/json")
    }
}

extension CSVExport {
    /// `GET /api/v1/{list}.csv` for every list, with the list's filters (the JSON lists also answer `Accept: text/csv`).
    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        for list in ExportList.allCases {
            api.get("\(list.rawValue).csv") { request, context in
                try await response(list, request: request, identity: try context.signedIn())
            }
        }
    }
}
