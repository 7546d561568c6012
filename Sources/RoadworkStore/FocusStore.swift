import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    static let focusColumns = "id, kind, title, description, status, rank, version, created_at, updated_at"

    static func focusItem(from row: some RowDecoding) throws -> FocusItem {
        FocusItem(
            id: try row.decode("id"),
            kind: try enumValue(row, "kind"),
            title: try row.decode("title"),
            description: try row.decode("description"),
            status: try enumValue(row, "status"),
            rank: try row.decode("rank"),
            version: try row.decode("version"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at")
        )
    }

    /// Creates a candidate focus item.
    public func createFocusItem(_ item: NewFocusItem) throws -> FocusItem {
        let created = try Self.focusItem(from: try connection.query(
            "INSERT INTO focus_items (org_id, kind, title, description, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING \(Self.focusColumns)",
            [orgID, item.kind.rawValue, item.title, item.description, actorID]
        ).first!)
        try audit("focus_item.created", "focus_item", created.id, before: Nothing?.none, after: created)
        return created
    }

    public func focusItem(id: UUID) throws -> FocusItem? {
        try connection.query("SELECT \(Self.focusColumns) FROM focus_items WHERE org_id = $1 AND id = $2", [orgID, id])
            .first.map(Self.focusItem(from:))
    }

    /// Focus items, optionally of one kind and status, Top 5 first by rank, then by title.
    public func focusItems(kind: FocusKind?, status: FocusStatus?, after cursor: (sort: String, id: UUID)?, limit: Int) throws -> [FocusItem] {
        try connection.query(
            """
            SELECT \(Self.focusColumns), coalesce(lpad(rank::text, 3, '0'), 'z') || lower(title) AS sort FROM focus_items
            WHERE org_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR status = $3)
              AND ($4::text IS NULL OR (coalesce(lpad(rank::text, 3, '0'), 'z') || lower(title), id) > ($4, $5::uuid))
            ORDER BY coalesce(lpad(rank::text, 3, '0'), 'z') || lower(title), id LIMIT $6
            """,
            [orgID, kind?.rawValue, status?.rawValue, cursor?.sort, cursor?.id, limit]
        ).rows.map(Self.focusItem(from:))
    }

    /// The sort key `focusItems` pages by.
    public static func focusSortKey(_ item: FocusItem) -> String {
        (item.rank.map { String(format: "%03d", $0) } ?? "z") + item.title.lowercased()
    }

    /// Today's Top 5 of both kinds, by rank.
    public func topFive() throws -> (opportunities: [FocusItem], obstacles: [FocusItem]) {
        try run(topFiveRead())
    }

    public func topFiveRead() -> StoreRead<(opportunities: [FocusItem], obstacles: [FocusItem])> {
        StoreRead(sql: "SELECT \(Self.focusColumns) FROM focus_items WHERE org_id = $1 AND status = 'top5' ORDER BY kind, rank", parameters: [orgID]) {
            let items = try $0.rows.map(Self.focusItem(from:))
            return (items.filter { $0.kind == .opportunity }, items.filter { $0.kind == .obstacle })
        }
    }

    /// Bites (not retired) and published bites of each Top 5 item.
    public func topFiveProgressRead() -> StoreRead<[UUID: (bites: Int, published: Int)]> {
        StoreRead(sql: """
                  SELECT p.obstacle_id, p.bites, p.published FROM obstacle_progress p JOIN focus_items f ON f.id = p.obstacle_id
                  WHERE p.org_id = $1 AND f.org_id = $1 AND f.status = 'top5'
                  """, parameters: [orgID]) { try Self.progress(from: $0.rows) }
    }

    /// Today's Top 5 with each item's bites and published bites, in one round trip (two statements in a pipeline).
    public func topFiveWithProgress() throws -> (opportunities: [FocusItem], obstacles: [FocusItem], progress: [UUID: (bites: Int, published: Int)]) {
        let (top, progress) = try run(topFiveRead(), topFiveProgressRead())
        return (top.opportunities, top.obstacles, progress)
    }

    /// Edits title/description or retires/restores an item; retiring a Top 5 item takes it off the lineup.
    public func updateFocusItem(id: UUID, changes: FocusItemChanges, expectedVersion: Int?) throws -> FocusItem {
        guard let before = try focusItem(id: id) else { throw DomainError.notFound("focus item") }
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        let row = try connection.query(
            """
            UPDATE focus_items SET title = coalesce($3, title), description = coalesce($4, description),
                status = coalesce($5, status),
                rank = CASE WHEN $5::text IS NULL OR $5 = 'top5' THEN rank ELSE NULL END,
                version = version + 1, updated_at = now()
            WHERE org_id = $1 AND id = $2 AND version = $6 RETURNING \(Self.focusColumns)
            """,
            [orgID, id, changes.title, changes.description, changes.status?.rawValue, before.version]
        ).first
        guard let row else { throw DomainError.staleVersion(current: before.version + 1) }
        let after = try Self.focusItem(from: row)
        if before.kind == .obstacle && before.rank != after.rank { try refreshStrategic(obstacleIDs: [id]) }
        try audit("focus_item.updated", "focus_item", id, before: before, after: after)
        return after
    }

    /// Bites (not retired) and published bites of each focus item, for its progress bar: an obstacle's through its
    /// objections, an opportunity's own.
    public func contentProgress(focusIDs: [UUID]) throws -> [UUID: (bites: Int, published: Int)] {
        // Kept by triggers as bites and objections change (migrations 0005, 0022): an index lookup per item.
        try Self.progress(from: connection.query(
            "SELECT obstacle_id, bites, published FROM obstacle_progress WHERE org_id = $1 AND obstacle_id = ANY($2::uuid[])",
            [orgID, focusIDs]
        ).rows)
    }

    /// Rows of `obstacle_progress` (obstacle_id, bites, published) by focus item.
    static func progress(from rows: [Row]) throws -> [UUID: (bites: Int, published: Int)] {
        Dictionary(uniqueKeysWithValues: try rows.map {
            (try $0.decode("obstacle_id", as: UUID.self), (bites: try $0.decode("bites", as: Int.self), published: try $0.decode("published", as: Int.self)))
        })
    }

    /// The newest bites (not retired) of each Top 5 opportunity, up to `perItem` each, in one statement.
    public func topFiveOpportunityBitesRead(perItem: Int) -> StoreRead<[UUID: [ContentItem]]> {
        StoreRead(sql: """
                  SELECT \(Self.contentColumnsOfC) FROM focus_items f
                  CROSS JOIN LATERAL (SELECT * FROM content_items WHERE opportunity_id = f.id AND org_id = $1 AND status <> 'retired'
                                      ORDER BY updated_at DESC LIMIT $2) c
                  WHERE f.org_id = $1 AND f.status = 'top5' AND f.kind = 'opportunity'
                  """, parameters: [orgID, perItem]) {
            Dictionary(grouping: try $0.rows.map(Self.content(from:))) { $0.opportunityID! }
        }
    }
}

/// Decodes a text column into one of the domain's string enums.
func enumValue<T: RawRepresentable>(_ row: some RowDecoding, _ column: String) throws -> T where T.RawValue == String {
    let text: String = try row.decode(column)
    guard let value = T(rawValue: text) else { throw PostgresError.decoding(column: column, message: "unknown value \(text)") }
    return value
}
