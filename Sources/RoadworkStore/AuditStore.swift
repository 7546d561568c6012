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
    /// Records a change in the same transaction as the change itself: its audit event and its domain event (the outbox
    /// row webhooks are delivered from), one statement so neither exists without the other. `event` names the domain
    /// event when it says more than the audit action (a content update that publishes is `content.published`). Nothing
    /// waits for it, so it goes out with the transaction's next statement or its COMMIT.
    public func audit<B: Encodable, A: Encodable>(_ action: String, _ objectType: String, _ objectID: UUID?, before: B?, after: A?,
                                                  event: String? = nil) throws {
        func text<T: Encodable>(_ value: T?) throws -> String? {
            try value.map { String(decoding: try JSONWriter.encode($0), as: UTF8.self) }
        }
        connection.enqueue(
            """
            WITH event AS (
                INSERT INTO outbox_events (org_id, type, object_type, object_id, actor_id, data)
                VALUES ($1, $8, $4, $5, $2, jsonb_build_object('object', coalesce($7::jsonb, 'null'), 'previous', coalesce($6::jsonb, 'null')))
                RETURNING id)
            INSERT INTO audit_events (org_id, actor_id, action, object_type, object_id, before, after, event_id)
            SELECT $1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, id FROM event
            """,
            [orgID, actorID, action, objectType, objectID, try text(before), try text(after), event ?? action]
        )
    }

    /// Audit events newest first, optionally for one object, before the `id` cursor.
    public func auditEvents(objectID: UUID?, before cursor: Int64?, limit: Int) throws -> [AuditEvent] {
        try run(auditEventsRead(objectID: objectID, before: cursor, limit: limit))
    }

    public func auditEventsRead(objectID: UUID?, before cursor: Int64?, limit: Int) -> StoreRead<[AuditEvent]> {
        StoreRead(sql: """
                  SELECT id, actor_id, action, object_type, object_id, before::text AS before, after::text AS after, at
                  FROM audit_events
                  WHERE org_id = $1 AND \(sqlFilter(objectID != nil, "object_id = $2", unset: "$2::uuid IS NULL"))
                    AND \(sqlFilter(cursor != nil, "id < $3", unset: "$3::bigint IS NULL"))
                  ORDER BY id DESC LIMIT $4
                  """, parameters: [orgID, objectID, cursor, limit]) { result in
            try result.rows.map { row in
                AuditEvent(id: try row.decode("id"), actorID: try row.decode("actor_id"), action: try row.decode("action"),
                           objectType: try row.decode("object_type"), objectID: try row.decode("object_id"),
                           before: try row.decode("before"), after: try row.decode("after"), at: try row.decode("at"))
            }
        }
    }
}

/// Placeholder type for an audit side that has nothing to record.
public struct Nothing: Encodable, Sendable {}

