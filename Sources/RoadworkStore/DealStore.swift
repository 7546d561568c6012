import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    /// Records how a reported deal ended (replacing an earlier record for the account). `reporterID` limits it to accounts
    /// that person reported (a rep); an account nobody reported is not found.
    public func recordOutcome(_ new: NewDealOutcome, reporterID: UUID?) throws -> DealOutcome {
        let key = new.account.trimmed.lowercased()
        guard try connection.query(
            "SELECT 1 FROM field_reports WHERE org_id = $1 AND account_key = $2 AND ($3::uuid IS NULL OR reporter_id = $3) LIMIT 1",
            [orgID, key, reporterID]
        ).first != nil else { throw DomainError.notFound("deal (no report names this account)") }
        let before = try outcome(accountKey: key)
        let row = try connection.query(
            """
            INSERT INTO deal_outcomes AS d (org_id, account_key, account, outcome, amount, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, account_key) DO UPDATE SET account = EXCLUDED.account, outcome = EXCLUDED.outcome, amount = EXCLUDED.amount,
                recorded_by = EXCLUDED.recorded_by, recorded_at = now(), version = d.version + 1
            RETURNING \(Self.outcomeColumns)
            """,
            [orgID, key, new.account.trimmed, new.outcome.rawValue, new.amount, actorID]
        ).first!
        let recorded = try Self.outcome(from: row)
        try audit("deal.outcome_recorded", "deal", nil, before: before, after: recorded)
        return recorded
    }

    static let outcomeColumns = "account, outcome, amount::text AS amount, recorded_by, recorded_at, version"

    func outcome(accountKey: String) throws -> DealOutcome? {
        try connection.query("SELECT \(Self.outcomeColumns) FROM deal_outcomes WHERE org_id = $1 AND account_key = $2", [orgID, accountKey])
            .first.map(Self.outcome(from:))
    }

    static func outcome(from row: Row) throws -> DealOutcome {
        DealOutcome(account: try row.decode("account"), outcome: DealResult(rawValue: try row.decode("outcome")) ?? .lost,
                    amount: (try row.decode("amount", as: String?.self)).flatMap { Decimal(string: $0) },
                    recordedBy: try row.decode("recorded_by"), recordedAt: try row.decode("recorded_at"), version: try row.decode("version"))
    }

    /// Won and lost among the deals that reported these walls (each counts the reports merged into it); see `DealTally`.
    public func dealTally(objectionIDs: [UUID]) throws -> DealTally {
        let row = try connection.query(
            """
            WITH deals AS (
                SELECT account_key, max(deal_amount) AS amount FROM field_reports
                WHERE org_id = $1 AND counted_objection_id = ANY($2::uuid[]) GROUP BY account_key
            ), ended AS (
                SELECT coalesce(o.outcome, (SELECT r.stage FROM field_reports r WHERE r.org_id = $1 AND r.account_key = d.account_key
                                             AND r.stage IN ('closed_won', 'closed_lost') ORDER BY r.occurred_on DESC, r.created_at DESC LIMIT 1)) AS outcome,
                       coalesce(o.amount, d.amount, 0) AS value
                FROM deals d LEFT JOIN deal_outcomes o ON o.org_id = $1 AND o.account_key = d.account_key
            )
            SELECT count(*)::integer AS deals, count(*) FILTER (WHERE outcome = 'closed_won')::integer AS won,
                   count(*) FILTER (WHERE outcome = 'closed_lost')::integer AS lost, count(*) FILTER (WHERE outcome IS NULL)::integer AS open,
                   coalesce(sum(value) FILTER (WHERE outcome = 'closed_won'), 0)::float8 AS won_value,
                   coalesce(sum(value) FILTER (WHERE outcome = 'closed_lost'), 0)::float8 AS lost_value,
                   coalesce(sum(value) FILTER (WHERE outcome IS NULL), 0)::float8 AS open_value
            FROM ended
            """,
            [orgID, objectionIDs]
        ).first!
        return DealTally(deals: try row.decode("deals"), won: try row.decode("won"), lost: try row.decode("lost"), open: try row.decode("open"),
                         wonValue: try row.decode("won_value"), lostValue: try row.decode("lost_value"), openValue: try row.decode("open_value"))
    }

    /// The walls a Top 5 obstacle covers: its objections, for `dealTally`.
    public func objectionIDs(obstacleID: UUID) throws -> [UUID] {
        try connection.query("SELECT id FROM objections WHERE org_id = $1 AND obstacle_id = $2 AND status <> 'merged'", [orgID, obstacleID])
            .rows.map { try $0.decode("id") }
    }

    /// The accounts a person reported, most recently reported first, with how each ended if anyone recorded it.
    public func reportedDeals(reporterID: UUID, limit: Int) throws -> [ReportedDeal] {
        try run(reportedDealsRead(reporterID: reporterID, limit: limit))
    }

    public func reportedDealsRead(reporterID: UUID, limit: Int) -> StoreRead<[ReportedDeal]> {
        StoreRead(sql: """
                  SELECT DISTINCT ON (r.account_key) r.account, r.stage, r.occurred_on, o.outcome
                  FROM field_reports r LEFT JOIN deal_outcomes o ON o.org_id = r.org_id AND o.account_key = r.account_key
                  WHERE r.org_id = $1 AND r.reporter_id = $2
                  ORDER BY r.account_key, r.occurred_on DESC, r.created_at DESC
                  """, parameters: [orgID, reporterID]) { result in
            try result.rows.map { row in
                ReportedDeal(account: try row.decode("account"), lastStage: (try row.decode("stage", as: String?.self)).flatMap(BuyingStage.init(rawValue:)),
                             lastReportedOn: try row.decode("occurred_on"), outcome: (try row.decode("outcome", as: String?.self)).flatMap(DealResult.init(rawValue:)))
            }
            .sorted { ($0.lastReportedOn, $0.account) > ($1.lastReportedOn, $1.account) }.prefix(limit).map { $0 }
        }
    }
}
