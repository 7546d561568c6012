import Foundation
import PostgresClient
import RoadworkDomain

/// One backlog entry: the objection, its score and why, its obstacle, and its active bite.
public struct BacklogEntry: Sendable {
    public let objection: Objection
    public let rank: Int
    public let breakdown: ScoreBreakdown
    public let obstacle: FocusItem?
    public let activeContent: ContentItem?
}

/// An objection that is suddenly being reported by more accounts.
public struct EmergingWall: Sendable {
    public let objection: Objection
    public let accountsRecent: Int
    public let accountsBefore: Int
}

/// Weekly distinct-account counts for one series (a Top 5 obstacle or a top objection).
public struct TrendSeries: Sendable {
    public let kind: String
    public let id: UUID
    public let title: String
    public let counts: [Int]
}

extension Store {
    /// The obstacle's and the active bite's columns as `f_…` and `c_…`, made once.
    static let backlogJoinedColumns = [("f", focusColumns), ("c", contentColumns)].map { prefix, columns in
        columns.split(separator: ",").map { "\(prefix).\($0.trimmingCharacters(in: .whitespaces)) AS \(prefix)_\($0.trimmingCharacters(in: .whitespaces))" }
            .joined(separator: ", ")
    }.joined(separator: ", ")

    /// The backlog, highest score first: an indexed read of the kept aggregates, whatever the number of reports.
    /// Scored with the organization's settings (read in the same statement) unless `scoring` is given.
    public func backlog(limit: Int, scoring given: BacklogScoring? = nil, now: Date = BacklogScoring.currentMinute()) throws -> [BacklogEntry] {
        try run(backlogRead(limit: limit, scoring: given, now: now))
    }

    public func backlogRead(limit: Int, scoring given: BacklogScoring? = nil, now: Date = BacklogScoring.currentMinute()) -> StoreRead<[BacklogEntry]> {
        StoreRead(sql: """
            SELECT g.half_life_days, g.reference_deal_size,  -- in the order a row is decoded, each found without hashing its name
                   o.accounts, o.reps, o.reports, o.demand_log2, o.strategic, o.coverage, o.value_at_stake, o.last_reported_on,
                   o.id, o.statement, o.obstacle_id, o.status, o.merged_into_id, o.report_count, o.version, o.created_at, o.updated_at,
                   \(Self.backlogJoinedColumns)
            FROM objections o
            JOIN organizations g ON g.id = o.org_id
            LEFT JOIN focus_items f ON f.id = o.obstacle_id
            LEFT JOIN content_items c ON c.id = o.active_content_id  -- kept by a trigger: a key probe whatever the statistics say
            WHERE o.org_id = $1 AND o.status = 'open' AND o.rank_key IS NOT NULL
            ORDER BY o.rank_key DESC, o.last_reported_on DESC, o.id
            LIMIT \(max(0, limit))
            """,
            // The limit is written into the statement (one prepared statement per limit asked for): as a parameter the
            // planner guesses a tenth of the rows, the cached plan looks dear, and every call was planned again (0.34 ms).
            parameters: [orgID]
        ) { result in try result.rows.enumerated().compactMap { (index, row) -> BacklogEntry? in
            let scoring = try given ?? BacklogScoring(halfLifeDays: row.decode("half_life_days"), referenceDealSize: row.decode("reference_deal_size"))
            let breakdown = ScoreBreakdown(
                accounts: try row.decode("accounts"), reps: try row.decode("reps"), reports: try row.decode("reports"),
                demand: scoring.demand(logSum: try row.decode("demand_log2"), now: now),
                strategic: try row.decode("strategic"), coverage: try row.decode("coverage"),
                valueAtStake: try row.decode("value_at_stake"), lastReportedOn: try row.decode("last_reported_on")
            )
            guard breakdown.score > 0 else { return nil }
            return BacklogEntry(
                objection: try Self.objection(from: row), rank: index + 1, breakdown: breakdown,
                obstacle: try row.decode("f_id", as: UUID?.self) == nil ? nil : try Self.focusItem(from: PrefixedRow(row, "f_")),
                activeContent: try row.decode("c_id", as: UUID?.self) == nil ? nil : try Self.content(from: PrefixedRow(row, "c_"))
            )
        } }
    }

    /// Hands the highest-scored open objection with no active bite to the actor as an in-progress item, atomically;
    /// nil when nothing is left. Rows another puller holds are skipped, so N pullers get N objections. NO KEY UPDATE, since
    /// no key changes: it does not clash with the key-share locks that rows referring to the objection take (a report
    /// filed, the search's teacher writing its words), which would make a puller skip a wall nobody is pulling.
    public func pullNext(format: ContentFormat, title: String?, scoring: BacklogScoring) throws -> (ContentItem, Objection)? {
        guard let row = try connection.query(
            """
            SELECT o.id, o.statement FROM objections o
            WHERE o.org_id = $1 AND o.status = 'open' AND o.rank_key IS NOT NULL AND o.active_content_id IS NULL
            ORDER BY o.rank_key DESC, o.last_reported_on DESC, o.id
            LIMIT 1 FOR NO KEY UPDATE OF o SKIP LOCKED
            """,
            [orgID]
        ).first else { return nil }
        let objectionID: UUID = try row.decode("id")
        let statement: String = try row.decode("statement")
        var fields = ContentChanges(assigneeID: .some(actorID))
        fields.title = title ?? "\(format.rawValue.replacingOccurrences(of: "_", with: " ").capitalized): \(statement)".prefix(300).description
        fields.format = format
        fields.status = .inProgress
        let item = try createContent(for: .objection(objectionID), fields: fields, scoring: scoring)
        return (item, try objection(id: objectionID)!)
    }

    /// Objections with ≥ 2 distinct accounts in the last 14 days that are new then, or have at least doubled.
    public func emergingWalls(today: Day, limit: Int) throws -> [EmergingWall] {
        try connection.query(
            """
            WITH recent AS (
                SELECT counted_objection_id AS id,
                       count(DISTINCT account_key) FILTER (WHERE occurred_on > $2::date - 14) AS recent,
                       count(DISTINCT account_key) FILTER (WHERE occurred_on <= $2::date - 14) AS before
                FROM field_reports
                WHERE org_id = $1 AND counted_objection_id IS NOT NULL AND occurred_on > $2::date - 28 AND occurred_on <= $2::date
                GROUP BY counted_objection_id
            )
            SELECT \(Self.objectionColumnsOfO),
                   r.recent, r.before
            FROM recent r JOIN objections o ON o.id = r.id
            WHERE o.status = 'open' AND r.recent >= 2 AND (o.created_at > $2::date - 14 OR r.recent >= 2 * r.before)
            ORDER BY r.recent DESC, r.before, o.id LIMIT $3
            """,
            [orgID, today, limit]
        ).rows.map { EmergingWall(objection: try Self.objection(from: $0), accountsRecent: try $0.decode("recent"), accountsBefore: try $0.decode("before")) }
    }

    /// Distinct accounts reporting per week (oldest first, the last ending today) for each Top 5 obstacle and the top objections.
    public func trends(weeks: Int, today: Day, topObjections: [UUID]) throws -> [TrendSeries] {
        let start = today.adding(days: -7 * weeks + 1)
        let rows = try connection.query(
            """
            WITH series AS (
                SELECT 'obstacle' AS kind, f.id, f.title, o.id AS objection_id FROM focus_items f
                JOIN objections o ON o.obstacle_id = f.id AND o.status <> 'dismissed'
                WHERE f.org_id = $1 AND f.kind = 'obstacle' AND f.status = 'top5'
                UNION ALL
                SELECT 'objection', o.id, o.statement, o.id FROM objections o WHERE o.org_id = $1 AND o.id = ANY($4::uuid[])
            )
            SELECT s.kind, s.id, s.title, (r.occurred_on - $2::date) / 7 AS week, count(DISTINCT r.account_key) AS accounts
            FROM series s JOIN field_reports r ON r.counted_objection_id = s.objection_id
            WHERE r.org_id = $1 AND r.occurred_on BETWEEN $2::date AND $3::date
            GROUP BY s.kind, s.id, s.title, week
            """,
            [orgID, start, today, topObjections]
        ).rows
        var series: [String: TrendSeries] = [:]
        var order: [String] = []
        let top5 = try topFive().obstacles
        for obstacle in top5 { order.append("obstacle\(obstacle.id)"); series[order.last!] = TrendSeries(kind: "obstacle", id: obstacle.id, title: obstacle.title, counts: Array(repeating: 0, count: weeks)) }
        for row in rows {
            let kind: String = try row.decode("kind")
            let id: UUID = try row.decode("id")
            let key = kind + id.uuidString
            if series[key] == nil {
                order.append(key)
                series[key] = TrendSeries(kind: kind, id: id, title: try row.decode("title"), counts: Array(repeating: 0, count: weeks))
            }
            let week: Int = try row.decode("week")
            guard (0..<weeks).contains(week) else { continue }
            var counts = series[key]!.counts
            counts[week] = try row.decode("accounts")
            series[key] = TrendSeries(kind: kind, id: id, title: series[key]!.title, counts: counts)
        }
        return order.compactMap { series[$0] }
    }
}

/// Reads `prefix_column` when a decoder asks for `column`, for rows that join several objects.
struct PrefixedRow: RowDecoding {
    let row: Row
    let prefix: String
    init(_ row: Row, _ prefix: String) { self.row = row; self.prefix = prefix }
    func decode<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T { try row.decode(column, prefix: prefix, as: type) }
}
