import Foundation
import PostgresClient
import RoadworkDomain

/// Sizes of a generated organization for benchmarks.
public struct BulkLoadPlan: Sendable {
    public let reports: Int
    public let objections: Int
    public let accounts: Int
    public let reps: Int
    public let seed: UInt64

    public init(reports: Int, objections: Int, accounts: Int, reps: Int = 50, seed: UInt64 = 7) {
        self.reports = reports
        self.objections = objections
        self.accounts = accounts
        self.reps = reps
        self.seed = seed
    }
}

extension Store {
    /// Adds `plan.objections` objections and `plan.reports` reports with COPY (not one INSERT per row), then rebuilds
    /// every objection's backlog aggregates in set-based SQL, exactly as the write path would have left them.
    public func bulkLoad(_ plan: BulkLoadPlan, reporters: [UUID], obstacles: [UUID], today: Day) throws {
        var random = SeededRandom(seed: plan.seed)
        let creator = reporters[0]
        let firstObjection = try connection.query("SELECT count(*) AS n FROM objections WHERE org_id = $1", [orgID]).first!.decode("n", as: Int.self)
        var made = 0
        let org = orgID.uuidString.lowercased()
        try connection.copyIn("COPY objections (org_id, statement, obstacle_id, created_by) FROM STDIN") {
            guard made < plan.objections else { return nil }
            var chunk = ""
            while made < plan.objections && chunk.utf8.count < 1 << 20 {
                let index = firstObjection + made
                let obstacle = index % 3 == 0 ? "\\N" : obstacles[index % obstacles.count].uuidString.lowercased()
                let words = (0..<4).map { _ in Self.word(Int(random.next() % 20_000)) }.joined(separator: " ")
                chunk += "\(org)\tNo \(words)\t\(obstacle)\t\(creator.uuidString.lowercased())\n"
                made += 1
            }
            return chunk
        }
        let objectionIDs = try connection.query("SELECT id FROM objections WHERE org_id = $1 AND status = 'open' ORDER BY created_at, id", [orgID])
            .rows.map { try $0.decode("id", as: UUID.self).uuidString.lowercased() }
        let reporterTexts = reporters.map { $0.uuidString.lowercased() }
        var filed = 0
        let existing = try connection.query("SELECT count(*) AS n FROM field_reports").first!.decode("n", as: Int.self)
        let rebuilt = plan.reports >= 100_000 && plan.reports > existing ? try dropSecondaryIndexes(of: "field_reports") : []
        try connection.copyIn(
            "COPY field_reports (org_id, reporter_id, summary, account, deal_amount, stage, occurred_on, objection_id, counted_objection_id, created_at) FROM STDIN"
        ) {
            guard filed < plan.reports else { return nil }
            var chunk = ""
            chunk.reserveCapacity(1 << 21)
            while filed < plan.reports && chunk.utf8.count < 1 << 21 {
                // Skewed choices: a few walls and accounts draw most reports, as in the field.
                let objection = objectionIDs[Int(Double(objectionIDs.count) * pow(random.unit(), 2.2))]
                let account = Int(Double(plan.accounts) * pow(random.unit(), 1.6))
                let age = Int(365 * pow(random.unit(), 3))
                let day = today.adding(days: -age)
                let amount = random.next() % 4 == 0 ? "\\N" : String(1_000 * (1 + random.next() % 300))
                let triaged = random.next() % 20 != 0
                let reporter = reporterTexts[Int(random.next() % UInt64(reporterTexts.count))]
                let target = triaged ? objection : "\\N"
                let summary = (0..<6).map { _ in Self.word(Int(random.next() % 20_000)) }.joined(separator: " ")
                chunk += "\(org)\t\(reporter)\t\(summary)\tAccount \(account)\t\(amount)\tevaluation\t\(day)\t\(target)\t\(target)\t\(day) 12:00:00+00\n"
                filed += 1
            }
            return chunk
        }
        if !rebuilt.isEmpty { try connection.execute("SET LOCAL maintenance_work_mem = '1GB'") }
        for definition in rebuilt { try connection.execute(definition) }
        try rebuildAllAggregates()
        // What the write path teaches one report at a time (each objection learns from its first reports), set-based.
        try connection.query("SELECT roadwork_learn_unlearned($1)", [orgID])
    }

    /// Drops `table`'s indexes that back no constraint and returns their definitions: building them once after a large
    /// COPY is several times faster than updating them row by row (needs the table's owner; the transaction undoes it on failure).
    private func dropSecondaryIndexes(of table: String) throws -> [String] {
        let indexes = try connection.query(
            """
            SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition FROM pg_index i
            WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """, [table]
        ).rows.map { (try $0.decode("name", as: String.self), try $0.decode("definition", as: String.self)) }
        for (name, _) in indexes { try connection.execute("DROP INDEX \(name)") }
        return indexes.map(\.1)
    }

    private static let syllables = ["ka", "lo", "mi", "ten", "sor", "vu", "pra", "dex", "qui", "bel", "nor", "fi", "gat", "hu", "jes", "rom",
                                    "zan", "wy", "cle", "to", "ub", "ish", "mar", "vol", "ent", "ap", "ix", "ode"]

    /// A pronounceable pseudo-word per number, so generated text has the variety of real statements for pg_trgm.
    static func word(_ number: Int) -> String {
        let count = syllables.count
        return syllables[number % count] + syllables[(number / count) % count] + syllables[(number / count / count) % count]
    }

    /// Recomputes every objection's aggregates of this organization from the raw reports in a few set-based statements.
    public func rebuildAllAggregates() throws {
        let scoring = try scoring()
        try connection.query("DELETE FROM objection_accounts WHERE org_id = $1", [orgID])
        try connection.query("DELETE FROM objection_reporters WHERE org_id = $1", [orgID])
        let counted = "r.org_id = $1 AND r.counted_objection_id IS NOT NULL AND (o.counted_since IS NULL OR r.occurred_on >= o.counted_since)"
        try connection.query(
            """
            INSERT INTO objection_accounts (org_id, objection_id, account_key, last_day, max_amount, reports)
            SELECT $1, r.counted_objection_id, r.account_key, max(r.occurred_on), coalesce(max(r.deal_amount), 0), count(*)
            FROM field_reports r JOIN objections o ON o.id = r.counted_objection_id WHERE \(counted)
            GROUP BY r.counted_objection_id, r.account_key
            """, [orgID])
        try connection.query(
            """
            INSERT INTO objection_reporters (org_id, objection_id, user_id, reports)
            SELECT $1, r.counted_objection_id, r.reporter_id, count(*)
            FROM field_reports r JOIN objections o ON o.id = r.counted_objection_id WHERE \(counted)
            GROUP BY r.counted_objection_id, r.reporter_id
            """, [orgID])
        // demand_log2 = top + log2 Σ 2^(term - top), term = t_a/H + log2(1 + ln(1 + amount_a/V)), as BacklogScoring.term.
        try connection.query(
            """
            WITH terms AS (
                SELECT objection_id, reports, max_amount, last_day,
                       (last_day - date '1970-01-01')::float8 / $2 + ln(1 + ln(1 + max_amount::float8 / $3)) / ln(2.0) AS term
                FROM objection_accounts WHERE org_id = $1
            ), tops AS (SELECT objection_id, max(term) AS top FROM terms GROUP BY objection_id),
            sums AS (
                SELECT t.objection_id, count(*) AS accounts, sum(t.reports) AS reports, sum(t.max_amount) AS value,
                       max(t.last_day) AS last_day, p.top + ln(sum(power(2.0::float8, t.term - p.top))) / ln(2.0) AS demand
                FROM terms t JOIN tops p USING (objection_id) GROUP BY t.objection_id, p.top
            )
            UPDATE objections o SET accounts = s.accounts, reports = s.reports, value_at_stake = s.value,
                last_reported_on = s.last_day, demand_log2 = s.demand
            FROM sums s WHERE o.id = s.objection_id
            """, [orgID, scoring.halfLifeDays, scoring.referenceDealSize])
        try refreshStrategic(obstacleIDs: try connection.query("SELECT id FROM focus_items WHERE org_id = $1 AND kind = 'obstacle'", [orgID])
            .rows.map { try $0.decode("id", as: UUID.self) })
        try connection.query(
            """
            UPDATE objections o SET reps = r.n FROM (SELECT objection_id, count(*) AS n FROM objection_reporters WHERE org_id = $1 GROUP BY objection_id) r
            WHERE o.id = r.objection_id
            """, [orgID])
        try connection.query(
            """
            UPDATE objections o SET report_count = r.n FROM (SELECT counted_objection_id AS id, count(*) AS n FROM field_reports
                                                              WHERE org_id = $1 AND counted_objection_id IS NOT NULL GROUP BY 1) r
            WHERE o.id = r.id
            """, [orgID])
    }

    /// The kept breakdown of `objectionID` next to DESIGN.md's formula over its raw reports, for spot checks.
    public func verifyAggregates(objectionID: UUID, now: Date = Date()) throws -> (kept: ScoreBreakdown?, recomputed: ScoreBreakdown) {
        let scoring = try scoring()
        let reports = try connection.query(
            "SELECT account, occurred_on, deal_amount::float8 AS amount, reporter_id FROM field_reports WHERE counted_objection_id = $1", [objectionID]
        ).rows.map { CountedReport(account: try $0.decode("account"), day: try $0.decode("occurred_on"), amount: try $0.decode("amount"),
                                   reporterID: try $0.decode("reporter_id")) }
        let context = try connection.query(
            """
            SELECT o.counted_since, o.demand_log2, o.accounts, o.reps, o.reports, o.value_at_stake::float8 AS value, o.last_reported_on,
                   o.strategic, o.coverage, o.helpful, o.feedback,
                   (SELECT rank FROM focus_items WHERE id = o.obstacle_id AND status = 'top5') AS rank
            FROM objections o WHERE o.id = $1
            """, [objectionID]).first!
        let since: Day? = try context.decode("counted_since")
        let recomputed = scoring.breakdown(reports: reports, since: since, obstacleRank: try context.decode("rank"), hasPublished: since != nil,
                                           helpful: try context.decode("helpful"), feedback: try context.decode("feedback"), now: now)
        let kept = try context.decode("demand_log2", as: Double?.self).map { log2Sum in
            ScoreBreakdown(accounts: try context.decode("accounts"), reps: try context.decode("reps"), reports: try context.decode("reports"),
                           demand: scoring.demand(logSum: log2Sum, now: now), strategic: try context.decode("strategic"),
                           coverage: try context.decode("coverage"), valueAtStake: try context.decode("value"),
                           lastReportedOn: try context.decode("last_reported_on"))
        }
        return (kept, recomputed)
    }
}

/// A seeded generator (SplitMix64): the same seed always yields the same data.
public struct SeededRandom: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func int(_ upperBound: Int) -> Int { Int(next() % UInt64(upperBound)) }
    public mutating func pick<T>(_ values: [T]) -> T { values[int(values.count)] }
}
