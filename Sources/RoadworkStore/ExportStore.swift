import Foundation
import PostgresClient
import RoadworkDomain

/// A rep's verdict with the title of the bite it judges, as the feedback export lists it.
public struct FeedbackRecord: Sendable {
    public let feedback: ContentFeedback
    public let contentTitle: String
}

extension Store {
    /// The statements of these objections, in one statement: lists that name each row's objection look them up a page
    /// at a time.
    public func objectionStatements(ids: [UUID]) throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query("SELECT id, statement FROM objections WHERE org_id = $1 AND id = ANY($2)", [orgID, Array(Set(ids))]).rows
        return try Dictionary(rows.map { (try $0.decode("id", as: UUID.self), try $0.decode("statement", as: String.self)) }, uniquingKeysWith: { a, _ in a })
    }

    /// The titles of these focus items, in one statement.
    public func focusTitles(ids: [UUID]) throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query("SELECT id, title FROM focus_items WHERE org_id = $1 AND id = ANY($2)", [orgID, Array(Set(ids))]).rows
        return try Dictionary(rows.map { (try $0.decode("id", as: UUID.self), try $0.decode("title", as: String.self)) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reps' verdicts newest first, after the `(created_at, id)` cursor; only on published bites when `publishedOnly`.
    public func feedback(publishedOnly: Bool, after cursor: (Date, UUID)?, limit: Int) throws -> [FeedbackRecord] {
        try connection.query(
            """
            SELECT f.id, f.content_id, f.user_id, f.helpful, f.account, f.comment, f.created_at, c.title
            FROM content_feedback f JOIN content_items c ON c.org_id = f.org_id AND c.id = f.content_id
            WHERE f.org_id = $1 AND (NOT $2 OR c.status = 'published')
              AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3, $4::uuid))
            ORDER BY f.created_at DESC, f.id DESC LIMIT $5
            """,
            [orgID, publishedOnly, cursor?.0, cursor?.1, limit]
        ).rows.map { row in
            FeedbackRecord(
                feedback: ContentFeedback(id: try row.decode("id"), contentID: try row.decode("content_id"), userID: try row.decode("user_id"),
                                          helpful: try row.decode("helpful"), account: try row.decode("account"),
                                          comment: try row.decode("comment"), createdAt: try row.decode("created_at")),
                contentTitle: try row.decode("title"))
        }
    }
}

extension Store {
    /// The names of these users, in one statement (a page of rows names its people).
    public func userNames(ids: [UUID]) throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try connection.query("SELECT id, name FROM users WHERE org_id = $1 AND id = ANY($2)", [orgID, Array(Set(ids))]).rows
        return try Dictionary(rows.map { (try $0.decode("id", as: UUID.self), try $0.decode("name", as: String.self)) }, uniquingKeysWith: { a, _ in a })
    }
}
