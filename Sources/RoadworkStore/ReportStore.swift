import Foundation
import PostgresClient
import RoadworkDomain

/// A report just filed, and the open objections its summary reads like.
public struct FiledReport: Sendable {
    public let report: FieldReport
    public let similar: [SimilarObjection]
}

/// A report as a person or a script gives it, before any check.
public struct ReportDraft: Sendable {
    public var summary: String?
    public var account: String?
    public var dealAmount: Double?
    public var stage: String?
    public var competitor: String?
    public var persona: String?
    public var industry: String?
    public var product: String?
    public var occurredOn: String?
    public var objectionID: UUID?

    public init(summary: String?, account: String?, dealAmount: Double?, stage: String?, competitor: String?, persona: String?,
                industry: String?, product: String?, occurredOn: String?, objectionID: UUID?) {
        self.summary = summary
        self.account = account
        self.dealAmount = dealAmount
        self.stage = stage
        self.competitor = competitor
        self.persona = persona
        self.industry = industry
        self.product = product
        self.occurredOn = occurredOn
        self.objectionID = objectionID
    }
}

/// A request that may be sent more than once (a retry, a double tap): its key, and a fingerprint of what it asks.
public struct IdempotentRequest: Sendable {
    public let key: String
    public let fingerprint: String

    public init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// What filing a report came to.
public enum Filing: Sendable {
    case filed(FiledReport)
    /// The key was used before for the same request: its recorded answer.
    case replayed(status: Int, body: String)
    /// The key was used before for a different request; nothing was filed.
    case keyReused
}

/// Filters of the reports list.
public struct ReportFilter: Sendable {
    public var triaged: Bool?
    public var objectionID: UUID?
    public var account: String?
    /// Reps see only their own reports.
    public var reporterID: UUID?

    public init(triaged: Bool? = nil, objectionID: UUID? = nil, account: String? = nil, reporterID: UUID? = nil) {
        self.triaged = triaged
        self.objectionID = objectionID
        self.account = account
        self.reporterID = reporterID
    }
}

extension Store {
    static let reportColumns = """
        id, reporter_id, summary, account, deal_amount, stage, competitor, persona, industry, product, occurred_on,
        objection_id, triaged_at, created_at
        """

    static func report(from row: Row) throws -> FieldReport {
        FieldReport(
            id: try row.decode("id"), reporterID: try row.decode("reporter_id"), summary: try row.decode("summary"),
            account: try row.decode("account"), dealAmount: try row.decode("deal_amount"),
            stage: try (row.decode("stage", as: String?.self)).flatMap(BuyingStage.init(rawValue:)),
            competitor: try row.decode("competitor"), persona: try row.decode("persona"), industry: try row.decode("industry"),
            product: try row.decode("product"), occurredOn: try row.decode("occurred_on"),
            objectionID: try row.decode("objection_id"), triagedAt: try row.decode("triaged_at"), createdAt: try row.decode("created_at")
        )
    }

    /// Files a report by the current actor; one about an objection counts for it (or for what it was merged into) at once.
    /// Also finds up to `similarLimit` open objections other than its own that its summary reads like: all in one round trip.
    /// Files a report: the one path the API and the report page both take. Checks the draft (every bad field at once),
    /// answers a repeated request from what its key recorded, files the report (counts, teaching queue, audit and domain
    /// event in this transaction) and records `answer(filed)` under the key for any repeat.
    public func file(_ draft: ReportDraft, today: Day, idempotency: IdempotentRequest? = nil, similarLimit: Int = 0,
                     answer: (FiledReport) throws -> (status: Int, body: String) = { _ in (201, "") }) throws -> Filing {
        let new = try NewFieldReport.validate(
            summary: draft.summary, account: draft.account, dealAmount: draft.dealAmount, stage: draft.stage, competitor: draft.competitor,
            persona: draft.persona, industry: draft.industry, product: draft.product, occurredOn: draft.occurredOn,
            objectionID: draft.objectionID, today: today)
        if let idempotency {
            switch try claimIdempotencyKey(idempotency.key, requestHash: idempotency.fingerprint) {
            case .replay(let status, let body): return .replayed(status: status, body: body)
            case .mismatch: return .keyReused
            case .fresh: break
            }
        }
        let filed = try fileReport(new, similarLimit: similarLimit)
        if let idempotency {
            let (status, body) = try answer(filed)
            recordIdempotentResponse(idempotency.key, status: status, body: body)
        }
        return .filed(filed)
    }

    /// Files a report already checked (bulk generators and tests); requests take `file(_:today:…)`.
    public func fileReport(_ new: NewFieldReport, similarLimit: Int = 0) throws -> FiledReport {
        let id = UUID.timeOrdered()
        let amount = new.dealAmount.map { NSDecimalNumber(decimal: $0).doubleValue } ?? 0
        // The counted objection is locked before the insert: the report's foreign key takes a key-share lock on it, and
        // upgrading that lock afterwards deadlocks two reports filed for one objection at once. No row comes back when there
        // is no such objection in this organization.
        var statements: [(sql: String, parameters: [any PostgresEncodable])] = [(Self.fileSQL,
            [orgID, actorID, new.summary, new.account, new.dealAmount, new.stage?.rawValue, new.competitor, new.persona,
             new.industry, new.product, new.occurredOn, new.objectionID, id])]
        if new.objectionID != nil {
            // A statement of its own, so its snapshot is taken once the lock is held (see countingStatement).
            statements.append((Self.countFiledSQL, [orgID, new.account.trimmed.lowercased(), new.occurredOn, amount, actorID, id]))
        }
        var similarAt: Int?
        if similarLimit > 0, let search = Self.similarSearch(new.summary, limit: similarLimit + 1) {
            similarAt = statements.count
            statements.append(search)
        }
        let results = try connection.queries(statements)
        guard let row = results[0].first else {
            throw MissingReference(field: "objection_id", "objection")
        }
        let report = try Self.report(from: row)
        if let counted: UUID = try row.decode("counted_id") {
            let objection = CountedObjection(id: counted, countedSince: try row.decode("counted_since"), demandLog2: try row.decode("demand_log2"))
            let scoring = BacklogScoring(halfLifeDays: try row.decode("half_life_days"), referenceDealSize: try row.decode("reference_deal_size"))
            addCount(try CountedRows(results[1].first!), to: objection, day: new.occurredOn, amount: amount, scoring: scoring)
        }
        if new.objectionID != nil { queueForTeaching(id) }
        try audit("report.filed", "field_report", report.id, before: Nothing?.none, after: report)
        let similar = try similarAt.map { try Self.similar(from: results[$0]) } ?? []
        return FiledReport(report: report, similar: Array(similar.filter { $0.objection.id != report.objectionID }.prefix(similarLimit)))
    }

    private static let fileSQL = """
        WITH counted AS (
            SELECT id, counted_since, demand_log2 FROM objections
            WHERE org_id = $1 AND id = (SELECT coalesce(merged_into_id, id) FROM objections WHERE org_id = $1 AND id = $12)
            FOR NO KEY UPDATE),
        filed AS (
            INSERT INTO field_reports (id, org_id, reporter_id, summary, account, deal_amount, stage, competitor, persona, industry,
                                       product, occurred_on, objection_id, counted_objection_id, triaged_by, triaged_at)
            SELECT $13, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, c.id, CASE WHEN $12::uuid IS NULL THEN NULL ELSE $2::uuid END,
                   CASE WHEN $12::uuid IS NULL THEN NULL ELSE now() END
            FROM (SELECT) one LEFT JOIN counted c ON true
            WHERE $12::uuid IS NULL OR c.id IS NOT NULL
            RETURNING \(Self.reportColumns))
        SELECT filed.*, c.id AS counted_id, c.counted_since, c.demand_log2, g.half_life_days, g.reference_deal_size
        FROM filed LEFT JOIN counted c ON true JOIN organizations g ON g.id = $1
        """

    private static let countFiledSQL = countingStatement(counted: """
        SELECT o.id, o.counted_since FROM field_reports r JOIN objections o ON o.id = r.counted_objection_id
        WHERE r.org_id = $1 AND r.id = $6
        """)

    /// The objection a report about `id` counts for — itself, or the one it was merged into; dismissed ones still count —
    /// locked until the transaction ends so reports counted at once for it apply one after the other.
    func lockCountedObjection(for id: UUID, field: String) throws -> CountedObjection {
        guard let row = try connection.query(
            """
            SELECT id, counted_since, demand_log2 FROM objections
            WHERE org_id = $1 AND id = (SELECT coalesce(merged_into_id, id) FROM objections WHERE org_id = $1 AND id = $2)
            FOR NO KEY UPDATE
            """,
            [orgID, id]
        ).first else { throw MissingReference(field: field, "objection") }
        return CountedObjection(id: try row.decode("id"), countedSince: try row.decode("counted_since"), demandLog2: try row.decode("demand_log2"))
    }

    public func report(id: UUID) throws -> FieldReport? {
        try connection.query("SELECT \(Self.reportColumns) FROM field_reports WHERE org_id = $1 AND id = $2", [orgID, id])
            .first.map(Self.report(from:))
    }

    /// Reports newest first. An objection's are those counted to it or, once it was merged away, those filed against it
    /// (now counted to the merge's target: merges point every source at the final target).
    public func reports(_ filter: ReportFilter, after cursor: (Date, UUID)?, limit: Int) throws -> [FieldReport] {
        let mergedInto = try filter.objectionID.flatMap { try objection(id: $0)?.mergedIntoID }
        return try run(reportsRead(filter, mergedInto: mergedInto, after: cursor, limit: limit))
    }

    /// What `reports` reads once it knows whether the filter's objection was merged into another (`mergedInto`).
    public func reportsRead(_ filter: ReportFilter, mergedInto: UUID?, after cursor: (Date, UUID)?, limit: Int) -> StoreRead<[FieldReport]> {
        let (counted, filedAgainst) = mergedInto.map { ($0, filter.objectionID) } ?? (filter.objectionID, nil)
        let triaged = filter.triaged.map { $0 ? "$3::boolean AND objection_id IS NOT NULL" : "NOT $3::boolean AND objection_id IS NULL" }
        return StoreRead(sql: """
                         SELECT \(Self.reportColumns) FROM field_reports
                         WHERE org_id = $1 AND \(sqlFilter(filter.reporterID != nil, "reporter_id = $2", unset: "$2::uuid IS NULL"))
                           AND \(triaged ?? "$3::boolean IS NULL")
                           AND \(sqlFilter(counted != nil, "counted_objection_id = $4", unset: "$4::uuid IS NULL"))
                           AND \(sqlFilter(filedAgainst != nil, "objection_id = $9", unset: "$9::uuid IS NULL"))
                           AND \(sqlFilter(filter.account != nil, "account_key = lower(btrim($5))", unset: "$5::text IS NULL"))
                           AND \(sqlFilter(cursor != nil, "(created_at, id) < ($6, $7::uuid)", unset: "$6::timestamptz IS NULL AND $7::uuid IS NULL"))
                         ORDER BY created_at DESC, id DESC LIMIT $8
                         """, parameters: [orgID, filter.reporterID, filter.triaged, counted, filter.account, cursor?.0, cursor?.1, limit, filedAgainst]) {
            try $0.rows.map(Self.report(from:))
        }
    }

    /// Links a report to an objection (or a new one made from it); moving it from another objection rebuilds both.
    public func triageReport(id: UUID, objectionID: UUID?, newObjection: NewObjection?, scoring: BacklogScoring) throws -> FieldReport {
        try triageReport(id: id, objectionID: objectionID, newObjection: newObjection, scoring: scoring, onlyIfUntriaged: false)!
    }

    /// The same, or nil without a change when `onlyIfUntriaged` and the report is triaged already.
    func triageReport(id: UUID, objectionID: UUID?, newObjection: NewObjection?, scoring: BacklogScoring, onlyIfUntriaged: Bool) throws -> FieldReport? {
        guard let before = try connection.query(
            "SELECT \(Self.reportColumns), counted_objection_id FROM field_reports WHERE org_id = $1 AND id = $2 FOR UPDATE", [orgID, id]
        ).first else { throw DomainError.notFound("report") }
        let report = try Self.report(from: before)
        let previous: UUID? = try before.decode("counted_objection_id")
        if onlyIfUntriaged && previous != nil { return nil }
        let target = try newObjection.map { try createObjection($0).id } ?? objectionID!
        let counted = try lockCountedObjection(for: target, field: newObjection == nil ? "objection_id" : "new_objection")
        let row = try connection.query(
            """
            UPDATE field_reports SET objection_id = $3, counted_objection_id = $4, triaged_by = $5, triaged_at = now(), version = version + 1
            WHERE org_id = $1 AND id = $2 RETURNING \(Self.reportColumns)
            """,
            [orgID, id, target, counted.id, actorID]
        ).first!
        let after = try Self.report(from: row)
        if previous != counted.id {
            // The report's wording moves with it: taken back from the objection it taught, taught to the new one.
            if previous != nil { connection.enqueue("SELECT roadwork_unlearn_report($1)", [id]) }
            queueForTeaching(id)
            if let previous {
                try refreshAggregates(objectionID: previous, scoring: scoring)
                try refreshAggregates(objectionID: counted.id, scoring: scoring)
            } else {
                try countReport(counted, accountKey: report.account.trimmed.lowercased(), day: report.occurredOn,
                                amount: report.dealAmount, reporterID: report.reporterID, scoring: scoring)
            }
        }
        try audit("report.triaged", "field_report", id, before: report, after: after)
        return after
    }
}

extension Store {
    /// A report linked to an objection teaches it the rep's wording: queued in this transaction (sent with COMMIT; nothing
    /// waits for it), taught a moment later by the background teacher (`Database.teachQueuedReports`).
    func queueForTeaching(_ reportID: UUID) {
        connection.enqueue("INSERT INTO teaching_queue (report_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [reportID, orgID])
    }
}

extension Database {
    /// Teaches up to `limit` queued reports to their objections, across organizations; returns how many it took from the
    /// queue (fewer than `limit` when it is empty). Several processes may call it at once: each takes different reports.
    public func teachQueuedReports(limit: Int = 500) async throws -> Int {
        try await unscoped { try $0.query("SELECT roadwork_teach_queued($1) AS n", [limit]).first!.decode("n") }
    }
}

/// What an `Idempotency-Key` says about a request.
public enum IdempotencyClaim: Sendable {
    /// First use: go ahead, then record the response.
    case fresh
    /// Seen within 24 h with the same body: answer this again.
    case replay(status: Int, body: String)
    /// Seen with a different body.
    case mismatch
}

extension Store {
    /// Claims a key for this user; a concurrent twin waits on the row lock and then replays the first answer.
    public func claimIdempotencyKey(_ key: String, requestHash: String) throws -> IdempotencyClaim {
        guard let actorID else { return .fresh }
        try connection.query(
            "DELETE FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND key = $3 AND created_at < now() - interval '24 hours'",
            [orgID, actorID, key]
        )
        let inserted = try connection.query(
            """
            INSERT INTO idempotency_keys (org_id, user_id, key, request_hash) VALUES ($1, $2, $3, $4)
            ON CONFLICT (org_id, user_id, key) DO NOTHING RETURNING key
            """,
            [orgID, actorID, key, requestHash]
        ).count == 1
        if inserted { return .fresh }
        let row = try connection.query(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE org_id = $1 AND user_id = $2 AND key = $3",
            [orgID, actorID, key]
        ).first!
        guard try row.decode("request_hash", as: String.self) == requestHash else { return .mismatch }
        guard let status: Int = try row.decode("response_status"), let body: String = try row.decode("response_body") else {
            return .mismatch
        }
        return .replay(status: status, body: body)
    }

    /// Records the answer given for a claimed key, in the same transaction as the write it acknowledges (sent with its COMMIT).
    public func recordIdempotentResponse(_ key: String, status: Int, body: String) {
        guard let actorID else { return }
        connection.enqueue(
            "UPDATE idempotency_keys SET response_status = $4, response_body = $5 WHERE org_id = $1 AND user_id = $2 AND key = $3",
            [orgID, actorID, key, status, body]
        )
    }
}
