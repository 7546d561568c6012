import Foundation
import PostgresClient
import RoadworkDomain

/// Keeps each objection's backlog aggregates current in the transaction of every write that moves them,
/// so reading the backlog never scans reports.
/// The objection a report counts for, locked, with what counting needs of it.
struct CountedObjection {
    let id: UUID
    let countedSince: Day?
    let demandLog2: Double?
}

/// What counting a report found: its account's row before (nil if the account is new) and whether the reporter is new.
struct CountedRows {
    let oldDay: Day?
    let oldAmount: Double?
    let newReporter: Bool?

    init(_ row: Row) throws {
        oldDay = try row.decode("old_day")
        oldAmount = try row.decode("old_amount")
        newReporter = try row.decode("new_reporter")
    }
}

extension Store {
    /// How an objection's row for one account takes in more reports (`EXCLUDED`, the rows being added) when `table` already
    /// has it: the latest day, the largest deal, the reports summed. Filing, triage and imports all count this way.
    static func addingToAccountRow(of table: String) -> String {
        """
        ON CONFLICT (objection_id, account_key) DO UPDATE SET last_day = greatest(\(table).last_day, EXCLUDED.last_day),
            max_amount = greatest(\(table).max_amount, EXCLUDED.max_amount), reports = \(table).reports + EXCLUDED.reports
        """
    }

    /// How an objection's row for one reporter takes in more reports when `table` already has it.
    static func addingToReporterRow(of table: String) -> String {
        "ON CONFLICT (objection_id, user_id) DO UPDATE SET reports = \(table).reports + EXCLUDED.reports"
    }

    /// The statement that counts one report for the locked objection that `counted` selects (id, counted_since), unless the
    /// report predates its `counted_since`: it reads the account's row before and upserts it and the reporter's row.
    /// Placeholders: $1 organization, $2 account key, $3 day, $4 amount, $5 reporter; `counted` uses $6 and on.
    /// It must run as a statement after the one that locked the objection, so that its snapshot sees the rows written by
    /// whoever held the lock before.
    static func countingStatement(counted: String) -> String {
        let counts = "c.counted_since IS NULL OR $3::date >= c.counted_since"
        return """
            WITH counted AS (\(counted)),
            old AS (SELECT a.last_day, a.max_amount FROM objection_accounts a JOIN counted c ON a.objection_id = c.id
                    WHERE a.account_key = $2 AND (\(counts)) FOR UPDATE OF a),
            account AS (
                INSERT INTO objection_accounts (org_id, objection_id, account_key, last_day, max_amount, reports)
                SELECT $1, c.id, $2, $3, $4::numeric, 1 FROM counted c WHERE \(counts)
                \(addingToAccountRow(of: "objection_accounts"))),
            reporter AS (
                INSERT INTO objection_reporters (org_id, objection_id, user_id, reports)
                SELECT $1, c.id, $5, 1 FROM counted c WHERE \(counts)
                \(addingToReporterRow(of: "objection_reporters"))
                RETURNING (xmax = 0) AS inserted)
            SELECT (SELECT last_day FROM old) AS old_day, (SELECT max_amount FROM old) AS old_amount,
                   (SELECT inserted FROM reporter) AS new_reporter
            """
    }

    private static let countLockedSQL = countingStatement(counted: "SELECT $6::uuid AS id, $7::date AS counted_since")

    /// Counts one report for a locked objection (triage): the per-account and per-reporter rows in one statement, the
    /// objection's totals sent with the transaction's next one.
    func countReport(_ objection: CountedObjection, accountKey: String, day: Day, amount: Decimal?, reporterID: UUID,
                     scoring: BacklogScoring) throws {
        let amount = amount.map { NSDecimalNumber(decimal: $0).doubleValue } ?? 0
        let rows = try CountedRows(connection.query(
            Self.countLockedSQL,
            [orgID, accountKey, day, amount, reporterID, objection.id, objection.countedSince]
        ).first!)
        addCount(rows, to: objection, day: day, amount: amount, scoring: scoring)
    }

    /// Adds a counted report to its objection's totals and kept log-space sum; nothing waits for it, so it is enqueued.
    func addCount(_ rows: CountedRows, to objection: CountedObjection, day: Day, amount: Double, scoring: BacklogScoring) {
        if let since = objection.countedSince, day < since {
            connection.enqueue("UPDATE objections SET report_count = report_count + 1 WHERE id = $1", [objection.id])
            return
        }
        let oldAmount = rows.oldAmount ?? 0
        let newDay = max(rows.oldDay ?? day, day)
        let newAmount = max(oldAmount, amount)
        let oldTerm = rows.oldDay.map { scoring.term(lastDay: $0, amount: oldAmount) }
        let sum = BacklogScoring.replacing(oldTerm, with: scoring.term(lastDay: newDay, amount: newAmount), in: objection.demandLog2)
        connection.enqueue(
            """
            UPDATE objections SET report_count = report_count + 1, accounts = accounts + $2, reps = reps + $3, reports = reports + 1,
                value_at_stake = value_at_stake + $4, last_reported_on = greatest(last_reported_on, $5::date), demand_log2 = $6
            WHERE id = $1
            """,
            [objection.id, rows.oldDay == nil ? 1 : 0, rows.newReporter == true ? 1 : 0, newAmount - oldAmount, day, sum]
        )
    }

    /// Rebuilds an objection's aggregates from its counted reports (merge, publication, triage moves): rare writes.
    func refreshAggregates(objectionID: UUID, scoring: BacklogScoring) throws {
        try connection.query("DELETE FROM objection_accounts WHERE objection_id = $1", [objectionID])
        try connection.query("DELETE FROM objection_reporters WHERE objection_id = $1", [objectionID])
        let counted = "counted_objection_id = $2 AND (o.counted_since IS NULL OR r.occurred_on >= o.counted_since)"
        try connection.query(
            """
            INSERT INTO objection_accounts (org_id, objection_id, account_key, last_day, max_amount, reports)
            SELECT $1, $2, r.account_key, max(r.occurred_on), coalesce(max(r.deal_amount), 0), count(*)
            FROM field_reports r JOIN objections o ON o.id = $2 WHERE \(counted) GROUP BY r.account_key
            """,
            [orgID, objectionID]
        )
        try connection.query(
            """
            INSERT INTO objection_reporters (org_id, objection_id, user_id, reports)
            SELECT $1, $2, r.reporter_id, count(*) FROM field_reports r JOIN objections o ON o.id = $2
            WHERE \(counted) GROUP BY r.reporter_id
            """,
            [orgID, objectionID]
        )
        try updateTotals(objectionID: objectionID, reportCount: "(SELECT count(*) FROM field_reports WHERE counted_objection_id = $1)", [])
        try recomputeDemand(objectionID: objectionID, scoring: scoring)
    }

    /// After reports were added to an objection's per-account and per-rep rows (an import, holding the objection's lock):
    /// its totals follow from those rows, and `addedReports` more reports count for it.
    func refreshTotals(objectionID: UUID, addedReports: Int, scoring: BacklogScoring) throws {
        try updateTotals(objectionID: objectionID, reportCount: "report_count + $2", [addedReports])
        try recomputeDemand(objectionID: objectionID, scoring: scoring)
    }

    /// Sets an objection's totals from its per-account and per-rep rows, and its report count to `reportCount` (SQL whose
    /// placeholders after $1 take `parameters`).
    private func updateTotals(objectionID: UUID, reportCount: String, _ parameters: [any PostgresEncodable]) throws {
        try connection.query(
            """
            UPDATE objections o SET
                accounts = (SELECT count(*) FROM objection_accounts WHERE objection_id = $1),
                reps = (SELECT count(*) FROM objection_reporters WHERE objection_id = $1),
                reports = coalesce((SELECT sum(reports) FROM objection_accounts WHERE objection_id = $1), 0),
                value_at_stake = coalesce((SELECT sum(max_amount) FROM objection_accounts WHERE objection_id = $1), 0),
                last_reported_on = (SELECT max(last_day) FROM objection_accounts WHERE objection_id = $1),
                report_count = \(reportCount)
            WHERE id = $1
            """,
            [objectionID] + parameters
        )
    }

    /// Recomputes the kept log-space sum from the per-account rows (after H or V changed, or a rebuild).
    func recomputeDemand(objectionID: UUID, scoring: BacklogScoring) throws {
        let terms = try connection.query("SELECT last_day, max_amount FROM objection_accounts WHERE objection_id = $1", [objectionID])
            .rows.map { scoring.term(lastDay: try $0.decode("last_day"), amount: try $0.decode("max_amount")) }
        try connection.query("UPDATE objections SET demand_log2 = $2 WHERE id = $1", [objectionID, BacklogScoring.logSum(terms)])
    }

    /// Sets the strategic factor of objections under these obstacles from their current Top 5 rank.
    func refreshStrategic(obstacleIDs: [UUID]) throws {
        guard !obstacleIDs.isEmpty else { return }
        try connection.query(
            """
            UPDATE objections o SET strategic = CASE WHEN f.status = 'top5' THEN 1 + (6 - f.rank) / 5.0 ELSE 1 END
            FROM focus_items f WHERE o.org_id = $1 AND f.id = o.obstacle_id AND o.obstacle_id = ANY($2::uuid[])
            """,
            [orgID, obstacleIDs]
        )
    }

    /// Sets an objection's strategic factor from its (possibly changed) obstacle.
    func refreshStrategic(objectionID: UUID) throws {
        try connection.query(
            """
            UPDATE objections o SET strategic = coalesce((SELECT CASE WHEN f.status = 'top5' THEN 1 + (6 - f.rank) / 5.0 END
                                                          FROM focus_items f WHERE f.id = o.obstacle_id), 1)
            WHERE o.id = $1
            """,
            [objectionID]
        )
    }

    /// Sets coverage from feedback on the objection's published content, and `since` from its latest publication.
    func refreshCoverage(objectionID: UUID) throws {
        try connection.query(
            """
            UPDATE objections o SET
                counted_since = p.since, helpful = p.helpful, feedback = p.feedback,
                coverage = CASE WHEN p.since IS NULL THEN 1 ELSE 1 - 0.8 * (p.helpful + 1)::float8 / (p.feedback + 2) END
            FROM (SELECT max(c.published_at)::date AS since,
                         (SELECT count(*) FILTER (WHERE f.helpful) FROM content_feedback f JOIN content_items c2 ON c2.id = f.content_id
                          WHERE c2.objection_id = $1 AND c2.status = 'published') AS helpful,
                         (SELECT count(*) FROM content_feedback f JOIN content_items c2 ON c2.id = f.content_id
                          WHERE c2.objection_id = $1 AND c2.status = 'published') AS feedback
                  FROM content_items c WHERE c.objection_id = $1 AND c.status = 'published') p
            WHERE o.id = $1
            """,
            [objectionID]
        )
    }
}
