import Foundation
import PostgresClient
import RoadworkDomain

/// One recorded change: who, what, when, before and after.
public struct AuditEvent: Sendable {
    public let id: Int64
    public let actorID: UUID?
    public let action: String
    public let objectType: String
    public let objectID: UUID?
    public let before: String?
    public let after: String?
    public let at: Date
}

extension Store {
    /// Records a change in the same transaction as the change itself; nothing waits for it, so it goes out with the
    /// transaction's next statement or its COMMIT.
    public func audit<B: Encodable, A: Encodable>(_ action: String, _ objectType: String, _ objectID: UUID?, before: B?, after: A?) throws {
        func text<T: Encodable>(_ value: T?) throws -> String? {
            try value.map { String(decoding: try JSONWriter.encode($0), as: UTF8.self) }
        }
        connection.enqueue(
            "INSERT INTO audit_events (org_id, actor_id, action, object_type, object_id, before, after) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
            [orgID, actorID, action, objectType, objectID, try text(before), try text(after)]
        )
    }

    /// Audit events newest first, optionally for one object, before the `id` cursor.
    public func auditEvents(objectID: UUID?, before cursor: Int64?, limit: Int) throws -> [AuditEvent] {
        try connection.query(
            """
            SELECT id, actor_id, action, object_type, object_id, before::text AS before, after::text AS after, at
            FROM audit_events
            WHERE org_id = $1 AND ($2::uuid IS NULL OR object_id = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """,
            [orgID, objectID, cursor, limit]
        ).rows.map { row in
            AuditEvent(id: try row.decode("id"), actorID: try row.decode("actor_id"), action: try row.decode("action"),
                       objectType: try row.decode("object_type"), objectID: try row.decode("object_id"),
                       before: try row.decode("before"), after: try row.decode("after"), at: try row.decode("at"))
        }
    }
}

/// Placeholder type for an audit side that has nothing to record.
public struct Nothing: Encodable, Sendable {}

