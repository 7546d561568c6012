import Foundation
import PostgresClient
import RoadworkDomain

/// What the heads should talk about, built from the data since their previous review (the last 90 days before the first).
public struct ReviewAgenda: Sendable {
    /// One thing to discuss; `key` names it for notes ("mover:<id>"), `objectionID`/`focusItemID` what a lineup change acts on.
    public struct Line: Sendable {
        public let key: String
        public let text: String
        public let detail: String
        public let objectionID: UUID?
        public let focusItemID: UUID?
    }

    /// The lines that aggregate every report since the last review.
    public struct SlowLines: Sendable {
        public let movers: [Line]
        public let emerging: [Line]
    }

    public let since: Date
    /// Open walls whose distinct accounts changed most against the same stretch before.
    public let movers: [Line]
    /// Walls first written down since, and walls emerging now.
    public let newWalls: [Line]
    /// The top of the backlog that no Top 5 obstacle covers.
    public let uncovered: [Line]
    /// Bites published since, with whether their wall stopped.
    public let shipped: [Line]
    /// Top 5 obstacles none of whose bites moved since.
    public let stalled: [Line]
    /// Today's Top 5 opportunities.
    public let opportunities: [Line]
}

/// A head's note on one agenda line.
public struct AgendaNote: Sendable {
    public let line: String
    public let authorName: String
    public let body: String
    public let at: Date
}

extension Store {
    /// The last closed review (nil before the first): the agenda speaks of the data since it closed.
    public func lastClosedReviewID() throws -> UUID? {
        try connection.query(
            "SELECT id FROM joint_reviews WHERE org_id = $1 AND status = 'closed' ORDER BY closed_at DESC, id LIMIT 1", [orgID]
        ).first?.decode("id")
    }

    /// The agenda's lines that aggregate every report since the last review (walls that moved most, emerging walls):
    /// slow at a million reports and slow to change, so the page keeps them for a minute (`ReviewAgenda.SlowLines`).
    public func agendaSlowLines(today: Day) throws -> ReviewAgenda.SlowLines {
        let since = try agendaSince()
        let start = Day(since)
        let stretch = max(1, today.number - start.number)
        let movers = try connection.query(
            """
            WITH counts AS (
                SELECT counted_objection_id AS id,
                       count(DISTINCT account_key) FILTER (WHERE occurred_on >= $2::date) AS recent,
                       count(DISTINCT account_key) FILTER (WHERE occurred_on < $2::date) AS before
                FROM field_reports WHERE org_id = $1 AND counted_objection_id IS NOT NULL AND occurred_on >= $2::date - $3::integer
                GROUP BY counted_objection_id
            )
            SELECT o.id, o.statement, c.recent, c.before FROM counts c JOIN objections o ON o.id = c.id AND o.status = 'open'
            WHERE c.recent <> c.before ORDER BY abs(c.recent - c.before) DESC, c.recent DESC, o.id LIMIT 5
            """,
            [orgID, start, stretch]
        ).rows.map { row -> ReviewAgenda.Line in
            let recent: Int = try row.decode("recent"), before: Int = try row.decode("before")
            return ReviewAgenda.Line(key: "mover:\(try row.decode("id", as: UUID.self).lowercasedText)", text: try row.decode("statement"),
                                     detail: "\(recent) accounts since the last review, \(before) in the \(stretch == 1 ? "day" : "\(stretch) days") before (\(recent > before ? "up" : "down"))",
                                     objectionID: try row.decode("id"), focusItemID: nil)
        }
        let emerging = try emergingWalls(today: today, limit: 5).map { wall in
            ReviewAgenda.Line(key: "emerging:\(wall.objection.id.lowercasedText)", text: wall.objection.statement,
                              detail: "emerging: \(wall.accountsRecent) accounts in 14 days (was \(wall.accountsBefore))",
                              objectionID: wall.objection.id, focusItemID: nil)
        }
        return ReviewAgenda.SlowLines(movers: movers, emerging: emerging)
    }

    private func agendaSince() throws -> Date {
        try connection.query(
            "SELECT coalesce(max(closed_at), now() - interval '90 days') AS since FROM joint_reviews WHERE org_id = $1 AND status = 'closed'", [orgID]
        ).first!.decode("since")
    }

    /// The agenda of the open review, as of `today`; `slow` from `agendaSlowLines` and `backlogTop` (the backlog's first 10)
    /// are read now when not given (the review page has both at hand).
    public func reviewAgenda(today: Day, slow: ReviewAgenda.SlowLines? = nil, backlogTop: [BacklogEntry]? = nil) throws -> ReviewAgenda {
        let since = try agendaSince()
        let slow = try slow ?? agendaSlowLines(today: today)
        let movers = slow.movers
        var newWalls = try connection.query(
            """
            SELECT id, statement, accounts FROM objections WHERE org_id = $1 AND status = 'open' AND created_at >= $2
            ORDER BY created_at DESC, id DESC LIMIT 5
            """, [orgID, since]
        ).rows.map { row in
            ReviewAgenda.Line(key: "new:\(try row.decode("id", as: UUID.self).lowercasedText)", text: try row.decode("statement"),
                              detail: "new since the last review", objectionID: try row.decode("id"), focusItemID: nil)
        }
        newWalls += slow.emerging.filter { line in !newWalls.contains { $0.objectionID == line.objectionID } }
        let top = try topFiveWithProgress()
        let covered = Set(top.obstacles.map(\.id))
        let uncovered = try (backlogTop ?? backlog(limit: 10)).filter { $0.objection.obstacleID.map { !covered.contains($0) } ?? true }.prefix(5).map { entry in
            ReviewAgenda.Line(key: "uncovered:\(entry.objection.id.lowercasedText)", text: entry.objection.statement,
                              detail: "backlog rank \(entry.rank), \(entry.breakdown.accounts) accounts, no Top 5 obstacle covers it",
                              objectionID: entry.objection.id, focusItemID: nil)
        }
        // The ten latest bites and their walls' weekly accounts, in one statement (each bite's own objection's reports).
        let rows = try connection.query(
            """
            WITH p AS (
                SELECT c.id, c.title, c.url, c.objection_id, o.statement, (c.published_at AT TIME ZONE 'UTC')::date AS day
                FROM content_items c JOIN objections o ON o.id = c.objection_id
                WHERE c.org_id = $1 AND c.published_at >= $2 ORDER BY c.published_at DESC, c.id LIMIT 10
            ), w AS (
                SELECT p.id, floor((r.occurred_on - p.day) / 7.0)::integer AS week, count(DISTINCT r.account_key)::integer AS accounts
                FROM p JOIN field_reports r ON r.org_id = $1 AND r.counted_objection_id = p.objection_id
                    AND r.occurred_on >= p.day - 7 * $3 AND r.occurred_on < p.day + 7 * $3 AND r.occurred_on <= $4::date
                GROUP BY p.id, week
            )
            SELECT p.id, p.title, p.url, p.objection_id, p.statement, p.day, w.week, w.accounts FROM p LEFT JOIN w ON w.id = p.id
            ORDER BY p.day DESC, p.id, w.week
            """, [orgID, since, WallImpact.window, today]
        ).rows
        let shipped = try Self.publications(rows, today: today, extra: { row in
            (objectionID: try row.decode("objection_id", as: UUID.self), statement: try row.decode("statement", as: String.self))
        }).map { bite, wall in
            ReviewAgenda.Line(key: "shipped:\(bite.contentID.lowercasedText)", text: "\(bite.title) — for “\(wall.statement)”",
                              detail: "did the wall stop? \(bite.verdict.label)", objectionID: wall.objectionID, focusItemID: nil)
        }
        let moved = Set(try connection.query(
            """
            SELECT DISTINCT o.obstacle_id AS id FROM content_items c JOIN objections o ON o.id = c.objection_id
            WHERE c.org_id = $1 AND c.updated_at >= $2 AND o.obstacle_id = ANY($3::uuid[])
            """, [orgID, since, Array(covered)]
        ).rows.map { try $0.decode("id", as: UUID.self) })
        let stalled = top.obstacles.filter { !moved.contains($0.id) }.map { item in
            ReviewAgenda.Line(key: "stalled:\(item.id.lowercasedText)", text: item.title, detail: "Top 5 obstacle \(item.rank ?? 0): no bite moved since the last review",
                              objectionID: nil, focusItemID: item.id)
        }
        // An opportunity's status is its own bites: how many shipped, and whether any moved since the last review.
        let opportunityIDs = top.opportunities.map(\.id)
        let progress = top.progress
        let movedBites = Dictionary(uniqueKeysWithValues: try connection.query(
            """
            SELECT opportunity_id AS id, count(*)::integer AS n FROM content_items
            WHERE org_id = $1 AND opportunity_id = ANY($2::uuid[]) AND updated_at >= $3 GROUP BY opportunity_id
            """, [orgID, opportunityIDs, since]
        ).rows.map { (try $0.decode("id", as: UUID.self), try $0.decode("n", as: Int.self)) })
        let opportunities = top.opportunities.map { item in
            let (bites, published) = progress[item.id] ?? (0, 0)
            let moved = movedBites[item.id] ?? 0
            let status = bites == 0 ? "no bites planned" : "\(published) of \(bites) bites published"
                + (moved == 0 ? ", none moved since the last review" : ", \(moved) moved since the last review")
            return ReviewAgenda.Line(key: "opportunity:\(item.id.lowercasedText)", text: item.title, detail: "Top 5 opportunity \(item.rank ?? 0): \(status)",
                                     objectionID: nil, focusItemID: item.id)
        }
        return ReviewAgenda(since: since, movers: movers, newWalls: newWalls, uncovered: Array(uncovered), shipped: shipped, stalled: stalled,
                            opportunities: opportunities)
    }

    /// The heads' notes on the open review's agenda, oldest first.
    public func agendaNotes(reviewID: UUID) throws -> [AgendaNote] {
        try connection.query(
            """
            SELECT n.line, u.name, n.body, n.created_at FROM review_agenda_notes n JOIN users u ON u.id = n.author_id
            WHERE n.org_id = $1 AND n.review_id = $2 ORDER BY n.created_at, n.id
            """, [orgID, reviewID]
        ).rows.map { AgendaNote(line: try $0.decode("line"), authorName: try $0.decode("name"), body: try $0.decode("body"), at: try $0.decode("created_at")) }
    }

    /// Adds a head's note to a line of the open review's agenda.
    public func addAgendaNote(line: String, body: String) throws {
        guard let open = try openReviewIfAny() else { throw DomainError.conflict("no review is open") }
        try connection.query("INSERT INTO review_agenda_notes (org_id, review_id, line, author_id, body) VALUES ($1, $2, $3, $4, $5)",
                             [orgID, open.id, line, actorID, body])
        try audit("review.agenda_note_added", "joint_review", open.id, before: Nothing?.none, after: ["line": line, "body": body])
    }
}
