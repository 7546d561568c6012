import Foundation
import Hummingbird
import NIOCore
import RoadworkActions
import RoadworkDomain
import RoadworkStore

/// Joint reviews: open, edit the draft lineup, sign off, read the record.
struct ReviewController {
    let database: Database
    let actions: Actions

    struct LineupBody: Decodable {
        let opportunities: [UUID]?
        let obstacles: [UUID]?
        let notes: String?
    }

    struct SignoffBody: Decodable {
        let lineupVersion: Int?
    }

    func addRoutes(to api: RouterGroup<AppRequestContext>) {
        api.post("reviews", use: open)
        api.get("reviews", use: list)
        api.get("reviews/:id", use: show)
        api.put("reviews/:id/lineup", use: lineup)
        api.post("reviews/:id/signoff", use: signoff)
        api.get("reviews/:id/summary.md", use: summary)
    }

    @Sendable func open(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.heads)
        let review = try await actions.openReview(by: identity)
        return try Response.json(review, status: .created, version: review.version,
                                 headers: [.location: "/api/v1/reviews/\(review.id.lowercasedText)"])
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let page = try Page(request)
        let cursor = try page.timeCursor
        let reviews = try await database.tenant(identity) { try $0.reviews(after: cursor, limit: page.limit + 1) }
        return try Response.json(ListResponse(fetched: reviews, limit: page.limit) { Page.timeKey($0.openedAt, $0.id) })
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "review")
        guard let review = try await database.tenant(identity, { try $0.review(id: id) }) else { throw Problem.notFound("review") }
        return try Response.json(review, version: review.version)
    }

    @Sendable func lineup(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.heads)
        let id = try request.uuidParameter("id", context: context, what: "review")
        let expected = request.ifMatchVersion()
        let body = try await request.decodeJSON(LineupBody.self, context: context)
        let review = try await actions.setLineup(by: identity, reviewID: id, opportunities: body.opportunities, obstacles: body.obstacles,
                                                 notes: body.notes, expectedVersion: expected)
        return try Response.json(review, version: review.version)
    }

    @Sendable func signoff(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn(as: Roles.heads)
        let id = try request.uuidParameter("id", context: context, what: "review")
        let body = try await request.decodeJSON(SignoffBody.self, context: context)
        let review = try await actions.signOff(by: identity, reviewID: id, lineupVersion: body.lineupVersion)
        return try Response.json(review, version: review.version)
    }

    @Sendable func summary(request: Request, context: AppRequestContext) async throws -> Response {
        let identity = try context.signedIn()
        let id = try request.uuidParameter("id", context: context, what: "review")
        let text = try await database.tenant(identity) { try ReviewSummary.load(id: id, from: $0)?.markdown }
        guard let text else { throw Problem.notFound("review") }
        return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The Markdown record of a review: date, who signed, the lineup with rank changes, notes, the top of the backlog.
struct ReviewSummary {
    let review: JointReview
    let snapshot: ReviewSnapshot?
    let names: [UUID: String]
    let titles: [UUID: String]
    let openBacklog: [BacklogEntry]

    /// Reads what the summary shows; nil when there is no such review.
    static func load(id: UUID, from store: Store) throws -> ReviewSummary? {
        guard let review = try store.review(id: id) else { return nil }
        let users = try store.users(after: nil, limit: 1000)
        let titles = try store.focusItems(kind: nil, status: nil, after: nil, limit: 1000)
        let backlog = review.status == .open ? try store.backlog(limit: 5) : []
        return ReviewSummary(review: review, snapshot: try store.reviewSnapshot(id: id),
                             names: Dictionary(users.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }),
                             titles: Dictionary(titles.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a }),
                             openBacklog: backlog)
    }

    var markdown: String {
        var lines: [String] = []
        let day = { (date: Date) in Day(date).description }
        lines.append("# Joint review of \(day(review.openedAt))")
        lines.append("")
        lines.append(review.status == .closed ? "Closed and applied on \(day(review.closedAt!)), lineup version \(review.lineup.version)."
                                              : "Open: draft lineup version \(review.lineup.version), not yet agreed.")
        lines.append("")
        lines.append("## Signed by")
        let current = review.signoffs.filter { $0.lineupVersion == review.lineup.version }
        if current.isEmpty { lines.append("- nobody yet") }
        for signoff in current {
            lines.append("- \(names[signoff.userID] ?? "unknown") (\(spaced(signoff.role.rawValue))), \(ISO8601DateFormatter().string(from: signoff.at))")
        }
        for (heading, ids, entries) in [("Top 5 Opportunities", review.lineup.opportunities, snapshot?.opportunities),
                                        ("Top 5 Obstacles", review.lineup.obstacles, snapshot?.obstacles)] {
            lines.append("")
            lines.append("## \(heading)")
            if ids.isEmpty { lines.append("(none)") }
            if let entries {
                for entry in entries { lines.append("\(entry.rank). \(entry.title) — \(Self.change(entry))") }
            } else {
                for (index, id) in ids.enumerated() { lines.append("\(index + 1). \(titles[id] ?? id.lowercasedText)") }
            }
        }
        if let dropped = snapshot?.dropped, !dropped.isEmpty {
            lines.append("")
            lines.append("Dropped from the Top 5: " + dropped.joined(separator: "; ") + ".")
        }
        lines.append("")
        lines.append("## Notes")
        lines.append(review.notes.isEmpty ? "(none)" : review.notes)
        lines.append("")
        lines.append("## Top of the backlog")
        let backlog = snapshot?.backlog.map { ($0.statement, $0.score, $0.accounts) }
            ?? openBacklog.map { ($0.objection.statement, $0.breakdown.score, $0.breakdown.accounts) }
        if backlog.isEmpty { lines.append("(empty)") }
        for (index, line) in backlog.enumerated() {
            lines.append("\(index + 1). \(line.0) — score \(line.1.fixed(2)), \(line.2) accounts")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func change(_ entry: ReviewSnapshot.Entry) -> String {
        guard let previous = entry.previousRank else { return "new" }
        if previous == entry.rank { return "unchanged" }
        return previous > entry.rank ? "up from \(previous)" : "down from \(previous)"
    }
}
