import Foundation
import PostgresClient
import RoadworkDomain

/// An objection as its page shows it (`Store.objectionOverview`).
public struct ObjectionOverview: Sendable {
    public let objection: Objection
    public let obstacle: FocusItem?
    public let reports: [FieldReport]
    public let content: [ContentItem]
    public let audit: [AuditEvent]
}

extension Store {
    static let objectionColumns = "id, statement, obstacle_id, status, merged_into_id, report_count, version, created_at, updated_at"

    /// The same columns qualified by the alias `o`, for joins (built once: statements are looked up by their text per call).
    static let objectionColumnsOfO = objectionColumns.split(separator: ",")
        .map { "o.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")

    static func objection(from row: some RowDecoding) throws -> Objection {
        Objection(
            id: try row.decode("id"), statement: try row.decode("statement"), obstacleID: try row.decode("obstacle_id"),
            status: try enumValue(row, "status"), mergedIntoID: try row.decode("merged_into_id"),
            reportCount: try row.decode("report_count"), version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at")
        )
    }

    /// Creates an open objection, optionally under an obstacle of this organization.
    public func createObjection(_ new: NewObjection) throws -> Objection {
        try requireObstacle(new.obstacleID, field: "obstacle_id")
        let created = try Self.objection(from: try connection.query(
            "INSERT INTO objections (org_id, statement, obstacle_id, created_by) VALUES ($1, $2, $3, $4) RETURNING \(Self.objectionColumns)",
            [orgID, new.statement, new.obstacleID, actorID]
        ).first!)
        try refreshStrategic(objectionID: created.id)
        try audit("objection.created", "objection", created.id, before: Nothing?.none, after: created)
        return created
    }

    public func objection(id: UUID) throws -> Objection? {
        try run(objectionRead(id: id))
    }

    public func objectionRead(id: UUID) -> StoreRead<Objection?> {
        StoreRead(sql: "SELECT \(Self.objectionColumns) FROM objections WHERE org_id = $1 AND id = $2", parameters: [orgID, id]) {
            try $0.first.map(Self.objection(from:))
        }
    }

    /// An objection with what its page shows: its obstacle, its newest reports (a rep's own only) and bites (a rep's
    /// published only), and its newest audit events (up to `auditLimit`), all sent in one pipeline. A merged objection's
    /// reports are read again once its target is known, as `reports` reads them.
    public func objectionOverview(id: UUID, reporterID: UUID?, publishedOnly: Bool, limit: Int, auditLimit: Int) throws -> ObjectionOverview? {
        let filter = ReportFilter(objectionID: id, reporterID: reporterID)
        let obstacle = StoreRead(sql: """
                                 SELECT \(Self.focusColumns) FROM focus_items
                                 WHERE org_id = $1 AND id = (SELECT obstacle_id FROM objections WHERE org_id = $1 AND id = $2)
                                 """, parameters: [orgID, id]) { try $0.first.map(Self.focusItem(from:)) }
        let (objection, obstacleItem, reports, content, audit) = try run(
            objectionRead(id: id), obstacle, reportsRead(filter, mergedInto: nil, after: nil, limit: limit),
            contentItemsRead(objectionID: id, status: nil, assigneeID: nil, publishedOnly: publishedOnly, after: nil, limit: limit),
            auditEventsRead(objectID: id, before: nil, limit: auditLimit))
        guard let objection else { return nil }
        let reportsShown = try objection.mergedIntoID.map { try run(reportsRead(filter, mergedInto: $0, after: nil, limit: limit)) } ?? reports
        return ObjectionOverview(objection: objection, obstacle: obstacleItem, reports: reportsShown, content: content, audit: audit)
    }

    /// Objections newest first, filtered by status, obstacle and a text search.
    public func objections(status: ObjectionStatus?, obstacleID: UUID?, query: String?, after cursor: (Date, UUID)?, limit: Int) throws -> [Objection] {
        try connection.query(
            """
            SELECT \(Self.objectionColumns) FROM objections
            WHERE org_id = $1 AND \(sqlFilter(status != nil, "status = $2", unset: "$2::text IS NULL"))
              AND \(sqlFilter(obstacleID != nil, "obstacle_id = $3", unset: "$3::uuid IS NULL"))
              AND ($4::text IS NULL OR statement ILIKE '%' || $4 || '%' OR statement % $4)
              AND \(sqlFilter(cursor != nil, "(created_at, id) < ($5, $6::uuid)", unset: "$5::timestamptz IS NULL AND $6::uuid IS NULL"))
            ORDER BY created_at DESC, id DESC LIMIT $7
            """,
            [orgID, status?.rawValue, obstacleID, query, cursor?.0, cursor?.1, limit]
        ).rows.map(Self.objection(from:))
    }

    /// The newest open objections under each Top 5 obstacle, in one statement.
    public func newestOpenObjectionsUnderTopFiveRead(limit: Int) -> StoreRead<[UUID: [Objection]]> {
        StoreRead(sql: """
                  SELECT f.id AS under, \(Self.objectionColumnsOfO) FROM focus_items f
                  CROSS JOIN LATERAL (SELECT * FROM objections WHERE org_id = $1 AND obstacle_id = f.id AND status = 'open'
                                      ORDER BY created_at DESC, id LIMIT $2) o  -- the order of objections_obstacle_idx, so no sort
                  WHERE f.org_id = $1 AND f.status = 'top5' AND f.kind = 'obstacle'
                  ORDER BY o.created_at DESC, o.id
                  """, parameters: [orgID, limit]) {
            try Dictionary(grouping: $0.rows) { try $0.decode("under", as: UUID.self) }.mapValues { try $0.map(Self.objection(from:)) }
        }
    }

    /// Changes statement, obstacle or status (dismiss/reopen); dismissing takes it off the backlog, keeping history.
    public func updateObjection(id: UUID, changes: ObjectionChanges, expectedVersion: Int?) throws -> Objection {
        guard let before = try objection(id: id) else { throw DomainError.notFound("objection") }
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        if before.status == .merged, changes.status != nil {
            throw ValidationError(field: "status", "a merged objection stays merged")
        }
        if let obstacle = changes.obstacleID { try requireObstacle(obstacle, field: "obstacle_id") }
        let row = try connection.query(
            """
            UPDATE objections SET statement = coalesce($3, statement),
                obstacle_id = CASE WHEN $4 THEN $5::uuid ELSE obstacle_id END,
                status = coalesce($6, status), version = version + 1, updated_at = now()
            WHERE org_id = $1 AND id = $2 AND version = $7 RETURNING \(Self.objectionColumns)
            """,
            [orgID, id, changes.statement, changes.obstacleID != nil, changes.obstacleID ?? nil, changes.status?.rawValue, before.version]
        ).first
        guard let row else { throw DomainError.staleVersion(current: before.version + 1) }
        let after = try Self.objection(from: row)
        if changes.obstacleID != nil { try refreshStrategic(objectionID: id) }
        try audit("objection.updated", "objection", id, before: before, after: after)
        return after
    }

    /// Merges `sourceID` into `targetID`: the source becomes `merged`, its reports count for the target,
    /// its content moves with it; nothing is deleted.
    public func mergeObjection(_ sourceID: UUID, into targetID: UUID, scoring: BacklogScoring) throws -> Objection {
        guard sourceID != targetID else { throw ValidationError(field: "into", "an objection cannot be merged into itself") }
        // Lock both in a fixed order so two merges at once cannot deadlock.
        let locked = try connection.query(
            "SELECT \(Self.objectionColumns) FROM objections WHERE org_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE",
            [orgID, [sourceID, targetID]]
        ).rows.map(Self.objection(from:))
        guard let source = locked.first(where: { $0.id == sourceID }) else { throw DomainError.notFound("objection") }
        guard let target = locked.first(where: { $0.id == targetID }) else {
            throw MissingReference(field: "into", "objection")
        }
        if source.status == .merged { throw ValidationError(field: "into", "this objection is already merged") }
        if target.status == .merged { throw ValidationError(field: "into", "cannot merge into a merged objection; use the one it was merged into") }
        let activeCount: Int = try connection.query(
            "SELECT count(*) AS n FROM content_items WHERE objection_id = ANY($1::uuid[]) AND status IN ('todo', 'in_progress', 'in_review')",
            [[sourceID, targetID]]
        ).first!.decode("n")
        if activeCount > 1 {
            throw DomainError.conflict("both objections have active content; finish or retire one bite before merging")
        }
        try connection.query("UPDATE field_reports SET counted_objection_id = $2 WHERE org_id = $3 AND counted_objection_id = $1",
                             [sourceID, targetID, orgID])
        try connection.query("UPDATE content_items SET objection_id = $2, updated_at = now() WHERE org_id = $3 AND objection_id = $1",
                             [sourceID, targetID, orgID])
        try connection.query(
            """
            UPDATE objections SET status = 'merged', merged_into_id = $2, version = version + 1, updated_at = now(),
                accounts = 0, reps = 0, reports = 0, value_at_stake = 0, demand_log2 = NULL, report_count = 0
            WHERE id = $1
            """,
            [sourceID, targetID]
        )
        try connection.query("DELETE FROM objection_accounts WHERE objection_id = $1", [sourceID])
        try connection.query("DELETE FROM objection_reporters WHERE objection_id = $1", [sourceID])
        try connection.query("UPDATE objections SET merged_into_id = $2 WHERE org_id = $3 AND merged_into_id = $1", [sourceID, targetID, orgID])
        try connection.query("UPDATE objections SET version = version + 1, updated_at = now() WHERE id = $1", [targetID])
        // The target now matches what the source matched: its statement and the reports that taught it.
        connection.enqueue("SELECT roadwork_merge_terms($1, $2)", [sourceID, targetID])
        try refreshCoverage(objectionID: targetID)
        try refreshAggregates(objectionID: targetID, scoring: scoring)
        let merged = try objection(id: targetID)!
        try audit("objection.merged", "objection", sourceID, before: source, after: ["into": targetID])
        return merged
    }

    /// Insists an obstacle id names an obstacle (not an opportunity) of this organization.
    func requireObstacle(_ id: UUID?, field: String) throws {
        guard let id else { return }
        guard let item = try focusItem(id: id) else { throw MissingReference(field: field, "obstacle") }
        guard item.kind == .obstacle else { throw ValidationError(field: field, "must be an obstacle, not an opportunity") }
    }
}

extension Store {
    /// The open objection whose statement is exactly `statement` (case aside), as a person picks it from a list.
    public func openObjection(statement: String) throws -> Objection? {
        try connection.query(
            "SELECT \(Self.objectionColumns) FROM objections WHERE org_id = $1 AND status = 'open' AND lower(statement) = lower(btrim($2)) ORDER BY created_at, id LIMIT 1",
            [orgID, statement]
        ).first.map(Self.objection(from:))
    }
}
