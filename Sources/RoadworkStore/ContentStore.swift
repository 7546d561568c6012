import Foundation
import PostgresClient
import RoadworkDomain

/// A bite as the content board shows it.
public struct ContentCard: Sendable {
    public let item: ContentItem
    /// The statement of the objection it addresses, or the title of the opportunity.
    public let targetTitle: String
    public let assigneeName: String?
}

extension Store {
    static let contentColumns = "id, objection_id, opportunity_id, title, format, status, assignee_id, effort, url, published_at, version, created_at, updated_at"

    /// The columns under the alias `c`, made once: the home page's statements were 4% of its server CPU building them
    /// on every read.
    static let contentColumnsOfC = contentColumns.split(separator: ",").map { "c.\($0.trimmingCharacters(in: .whitespaces))" }
        .joined(separator: ", ")

    static func content(from row: some RowDecoding) throws -> ContentItem {
        ContentItem(
            id: try row.decode("id"), objectionID: try row.decode("objection_id"), opportunityID: try row.decode("opportunity_id"), title: try row.decode("title"),
            format: try enumValue(row, "format"), status: try enumValue(row, "status"), assigneeID: try row.decode("assignee_id"),
            effort: try row.decode("effort"), url: try row.decode("url"), publishedAt: try row.decode("published_at"),
            version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at")
        )
    }

    /// Creates a bite for an open objection or a live opportunity; a second active bite for either is a conflict.
    public func createContent(for target: ContentTarget, fields: ContentChanges, scoring: BacklogScoring) throws -> ContentItem {
        switch target {
        case .objection(let objectionID):
            guard let objection = try objection(id: objectionID) else { throw MissingReference(field: "objection_id", "objection") }
            guard objection.status == .open else { throw DomainError.conflict("The objection is \(objection.status.rawValue); bites are made for open objections.") }
        case .opportunity(let opportunityID):
            // An obstacle is not an opportunity: its bites address its objections.
            guard let item = try focusItem(id: opportunityID), item.kind == .opportunity else { throw MissingReference(field: "opportunity_id", "opportunity") }
            guard item.status != .retired else { throw DomainError.conflict("The opportunity is retired; bites are made for live opportunities.") }
        }
        try requireUser(fields.assigneeID ?? nil, field: "assignee_id")
        let status = fields.status ?? .todo
        let url = fields.url ?? nil
        if status == .published && url == nil { throw ValidationError(field: "url", "is required to publish") }
        let item: ContentItem
        do {
            item = try Self.content(from: try connection.query(
                """
                INSERT INTO content_items (org_id, objection_id, opportunity_id, title, format, status, assignee_id, effort, url, published_at, created_by)
                VALUES ($1, $2, $10, $3, $4, $5, $6, $7, $8, CASE WHEN $5 = 'published' THEN now() END, $9) RETURNING \(Self.contentColumns)
                """,
                [orgID, target.objectionID, fields.title, (fields.format ?? .other).rawValue, status.rawValue, fields.assigneeID ?? nil,
                 fields.effort ?? nil, url, actorID, target.opportunityID]
            ).first!)
        } catch let error as PostgresError where error.constraint?.hasPrefix("content_items_one_active") == true {
            throw DomainError.conflict(target.activeConflict)
        }
        if item.status == .published { try published(item, scoring: scoring) }
        try audit("content.created", "content_item", item.id, before: Nothing?.none, after: item)
        return item
    }

    public func content(id: UUID) throws -> ContentItem? {
        try connection.query("SELECT \(Self.contentColumns) FROM content_items WHERE org_id = $1 AND id = $2", [orgID, id])
            .first.map(Self.content(from:))
    }

    /// Content items, most recently changed first.
    public func contentItems(objectionID: UUID?, opportunityID: UUID? = nil, status: ContentStatus?, assigneeID: UUID?, publishedOnly: Bool,
                             after cursor: (Date, UUID)?, limit: Int) throws -> [ContentItem] {
        try run(contentItemsRead(objectionID: objectionID, opportunityID: opportunityID, status: status, assigneeID: assigneeID,
                                 publishedOnly: publishedOnly, after: cursor, limit: limit))
    }

    public func contentItemsRead(objectionID: UUID?, opportunityID: UUID? = nil, status: ContentStatus?, assigneeID: UUID?, publishedOnly: Bool,
                                 after cursor: (Date, UUID)?, limit: Int) -> StoreRead<[ContentItem]> {
        StoreRead(sql: """
                  SELECT \(Self.contentColumns) FROM content_items
                  WHERE org_id = $1 AND \(sqlFilter(objectionID != nil, "objection_id = $2", unset: "$2::uuid IS NULL"))
                    AND \(sqlFilter(status != nil, "status = $3", unset: "$3::text IS NULL"))
                    AND \(sqlFilter(assigneeID != nil, "assignee_id = $4", unset: "$4::uuid IS NULL")) AND (NOT $5 OR status = 'published')
                    AND \(sqlFilter(cursor != nil, "(updated_at, id) < ($6, $7::uuid)", unset: "$6::timestamptz IS NULL AND $7::uuid IS NULL"))
                    AND \(sqlFilter(opportunityID != nil, "opportunity_id = $9", unset: "$9::uuid IS NULL"))
                  ORDER BY updated_at DESC, id DESC LIMIT $8
                  """, parameters: [orgID, objectionID, status?.rawValue, assigneeID, publishedOnly, cursor?.0, cursor?.1, limit, opportunityID]) {
            try $0.rows.map(Self.content(from:))
        }
    }

    /// The content board: up to `perColumn` bites of each status, most recently changed first, each with its objection's
    /// statement (or its opportunity's title) and its assignee's name, in one statement whatever the number of cards.
    /// Each column is its own branch naming its status and limit as constants: the planner then knows a rare status from its
    /// statistics and reads it from the board index (org, status, updated). With the status and limit as parameters its
    /// cached plan walked the list index (org, updated) past every bite of the other statuses (11–23 ms at 9k bites).
    public func contentBoard(statuses: [ContentStatus], perColumn: Int) throws -> [ContentCard] {
        guard !statuses.isEmpty else { return [] }
        let columns = statuses.enumerated().map { position, status in
            "(SELECT \(position) AS position, * FROM content_items WHERE org_id = $1 AND status = '\(status.rawValue)' "
                + "ORDER BY updated_at DESC, id DESC LIMIT \(perColumn))"
        }
        return try connection.query(
            """
            SELECT \(Self.contentColumnsOfC), coalesce(o.statement, f.title) AS target_title, u.name AS assignee_name
            FROM (\(columns.joined(separator: " UNION ALL "))) c
            LEFT JOIN objections o ON o.id = c.objection_id
            LEFT JOIN focus_items f ON f.id = c.opportunity_id
            LEFT JOIN users u ON u.id = c.assignee_id
            ORDER BY c.position, c.updated_at DESC, c.id DESC
            """,
            [orgID]
        ).rows.map { ContentCard(item: try Self.content(from: $0), targetTitle: try $0.decode("target_title"),
                                 assigneeName: try $0.decode("assignee_name")) }
    }

    /// Edits a bite; publishing needs a URL, stamps `published_at`, tells the reporting reps and resets what the backlog counts.
    public func updateContent(id: UUID, changes: ContentChanges, expectedVersion: Int?, scoring: BacklogScoring) throws -> ContentItem {
        guard let before = try content(id: id) else { throw DomainError.notFound("content item") }
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        if let assignee = changes.assigneeID { try requireUser(assignee, field: "assignee_id") }
        let status = changes.status ?? before.status
        // A URL cleared in this request was refused by validation (422); one the bite never had is its state's fault (409).
        let url = changes.url ?? before.url
        if status == .published && url == nil {
            throw DomainError.conflict("Publishing needs a URL and this bite has none; send url with the change.")
        }
        let row: Row?
        do {
            row = try connection.query(
                """
                UPDATE content_items SET title = coalesce($3, title), format = coalesce($4, format), status = $5,
                    assignee_id = CASE WHEN $6 THEN $7::uuid ELSE assignee_id END,
                    effort = CASE WHEN $8 THEN $9::integer ELSE effort END, url = $10,
                    published_at = CASE WHEN $5 = 'published' AND status <> 'published' THEN now() ELSE published_at END,
                    version = version + 1, updated_at = now()
                WHERE org_id = $1 AND id = $2 AND version = $11 RETURNING \(Self.contentColumns)
                """,
                [orgID, id, changes.title, changes.format?.rawValue, status.rawValue, changes.assigneeID != nil, changes.assigneeID ?? nil,
                 changes.effort != nil, changes.effort ?? nil, url, before.version]
            ).first
        } catch let error as PostgresError where error.constraint?.hasPrefix("content_items_one_active") == true {
            throw DomainError.conflict(ContentTarget(before)?.activeConflict ?? "an active content item already exists")
        }
        guard let row else { throw DomainError.staleVersion(current: before.version + 1) }
        let after = try Self.content(from: row)
        if after.status == .published && before.status != .published {
            try published(after, scoring: scoring)
        } else if before.status == .published && after.status != .published, let objectionID = after.objectionID {
            try refreshCoverage(objectionID: objectionID)
            try refreshAggregates(objectionID: objectionID, scoring: scoring)
        }
        // Webhooks tell a channel about shipped content and moves on the board, not about every edit of a title.
        let event = after.status == before.status ? "content.updated"
            : after.status == .published ? "content.published" : "content.status_changed"
        try audit("content.updated", "content_item", id, before: before, after: after, event: event)
        return after
    }

    /// A bite went live: notify every rep who reported the objection, and count only reports from today on.
    /// An opportunity's bite has no reporting reps and no backlog entry to move.
    private func published(_ item: ContentItem, scoring: BacklogScoring) throws {
        guard let objectionID = item.objectionID else { return }
        let statement = try objection(id: objectionID)?.statement ?? ""
        try connection.query(
            """
            INSERT INTO notifications (org_id, user_id, message, content_id, objection_id)
            SELECT DISTINCT $1::uuid, r.reporter_id, $2, $3::uuid, $4::uuid
            FROM field_reports r JOIN users u ON u.id = r.reporter_id
            WHERE r.org_id = $1 AND r.counted_objection_id = $4 AND u.role = 'rep' AND u.active
            """,
            [orgID, "Marketing shipped “\(item.title)” for the wall you reported: \(statement)", item.id, objectionID]
        )
        try refreshCoverage(objectionID: objectionID)
        try refreshAggregates(objectionID: objectionID, scoring: scoring)
    }

    /// Records a verdict on a published bite and moves its objection's coverage.
    public func addFeedback(contentID: UUID, helpful: Bool, account: String?, comment: String?) throws -> ContentFeedback {
        guard let item = try content(id: contentID) else { throw DomainError.notFound("content item") }
        guard item.status == .published else { throw DomainError.conflict("feedback is only for published content") }
        let row = try connection.query(
            """
            INSERT INTO content_feedback (org_id, content_id, user_id, helpful, account, comment) VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING id, content_id, user_id, helpful, account, comment, created_at
            """,
            [orgID, contentID, actorID, helpful, account, comment]
        ).first!
        let feedback = ContentFeedback(id: try row.decode("id"), contentID: contentID, userID: try row.decode("user_id"),
                                       helpful: helpful, account: account, comment: comment, createdAt: try row.decode("created_at"))
        if let objectionID = item.objectionID { try refreshCoverage(objectionID: objectionID) }
        try audit("content.feedback", "content_item", contentID, before: Nothing?.none, after: ["helpful": helpful])
        return feedback
    }

    /// Insists a user id names an active user of this organization.
    func requireUser(_ id: UUID?, field: String) throws {
        guard let id else { return }
        guard let user = try user(id: id), user.active else { throw MissingReference(field: field, "active user") }
    }
}

/// An in-app message for one person.
public struct Notification: Sendable, Codable {
    public let id: UUID
    public let message: String
    public let contentID: UUID?
    public let objectionID: UUID?
    public let createdAt: Date
    public let readAt: Date?
}

extension Store {
    /// The actor's notifications, newest first.
    public func notifications(unreadOnly: Bool, after cursor: (Date, UUID)?, limit: Int) throws -> [Notification] {
        try run(notificationsRead(unreadOnly: unreadOnly, after: cursor, limit: limit))
    }

    public func notificationsRead(unreadOnly: Bool, after cursor: (Date, UUID)?, limit: Int) -> StoreRead<[Notification]> {
        StoreRead(sql: """
                  SELECT id, message, content_id, objection_id, created_at, read_at FROM notifications
                  WHERE org_id = $1 AND user_id = $2 AND (NOT $3 OR read_at IS NULL)
                    AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
                  ORDER BY created_at DESC, id DESC LIMIT $6
                  """, parameters: [orgID, actorID, unreadOnly, cursor?.0, cursor?.1, limit]) { result in
            try result.rows.map { row in
                Notification(id: try row.decode("id"), message: try row.decode("message"), contentID: try row.decode("content_id"),
                             objectionID: try row.decode("objection_id"), createdAt: try row.decode("created_at"), readAt: try row.decode("read_at"))
            }
        }
    }

    /// Marks one of the actor's notifications read; someone else's is not found. Marking it again changes (and records) nothing.
    public func markNotificationRead(id: UUID) throws {
        let marked = try connection.query(
            "UPDATE notifications SET read_at = now() WHERE org_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL", [orgID, actorID, id]
        ).affectedRows
        if marked > 0 {
            try audit("notification.read", "notification", id, before: Nothing?.none, after: ["read": true])
        } else if try connection.query("SELECT 1 FROM notifications WHERE org_id = $1 AND user_id = $2 AND id = $3", [orgID, actorID, id]).first == nil {
            throw DomainError.notFound("notification")
        }
    }
}
