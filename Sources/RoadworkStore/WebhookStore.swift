import Foundation
import PostgresClient
import RoadworkDomain

/// An endpoint just registered: its settings, and the signing secret shown this once.
public struct RegisteredEndpoint: Sendable {
    public let endpoint: WebhookEndpoint
    public let secret: String
}

extension Store {
    static let endpointColumns = """
        id, url, description, event_types, format, enabled, disabled_reason, failing_since, failures, version, created_at, updated_at
        """

    static func endpoint(from row: Row) throws -> WebhookEndpoint {
        WebhookEndpoint(id: try row.decode("id"), url: try row.decode("url"), description: try row.decode("description"),
                        eventTypes: try row.decode("event_types"), format: WebhookFormat(rawValue: try row.decode("format")) ?? .json,
                        enabled: try row.decode("enabled"), disabledReason: try row.decode("disabled_reason"),
                        failingSince: try row.decode("failing_since"), failures: try row.decode("failures"),
                        version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    /// Registers an endpoint with a fresh signing secret (`whsec_…`).
    public func registerEndpoint(_ settings: WebhookSettings) throws -> RegisteredEndpoint {
        let secret = "whsec_" + SessionToken.generate()
        let row = try connection.query(
            """
            INSERT INTO webhook_endpoints (org_id, url, description, secret, event_types, format, enabled)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Self.endpointColumns)
            """,
            [orgID, settings.url!, settings.description ?? "", secret, settings.eventTypes!, (settings.format ?? .json).rawValue,
             settings.enabled ?? true]
        ).first!
        let endpoint = try Self.endpoint(from: row)
        try audit("webhook.created", "webhook_endpoint", endpoint.id, before: Nothing?.none, after: endpoint)
        return RegisteredEndpoint(endpoint: endpoint, secret: secret)
    }

    public func endpoints() throws -> [WebhookEndpoint] {
        try connection.query("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id", [orgID])
            .rows.map(Self.endpoint(from:))
    }

    public func endpoint(id: UUID) throws -> WebhookEndpoint? {
        try connection.query("SELECT \(Self.endpointColumns) FROM webhook_endpoints WHERE org_id = $1 AND id = $2", [orgID, id])
            .first.map(Self.endpoint(from:))
    }

    /// Changes the given settings if the endpoint is still at `expectedVersion` (when given). Switching it back on clears
    /// the failure streak, so it gets a fresh 24 hours before it could be switched off again.
    public func updateEndpoint(id: UUID, _ changes: WebhookSettings, expectedVersion: Int?) throws -> WebhookEndpoint {
        guard let before = try endpoint(id: id) else { throw DomainError.notFound("webhook endpoint") }
        let row = try connection.query(
            """
            UPDATE webhook_endpoints SET url = coalesce($3, url), description = coalesce($4, description),
                event_types = coalesce($5, event_types), format = coalesce($6, format), enabled = coalesce($7, enabled),
                disabled_reason = CASE WHEN $7 THEN NULL ELSE disabled_reason END,
                failing_since = CASE WHEN $7 AND NOT enabled THEN NULL ELSE failing_since END,
                failures = CASE WHEN $7 AND NOT enabled THEN 0 ELSE failures END,
                retry_at = CASE WHEN $7 AND NOT enabled THEN NULL ELSE retry_at END,
                version = version + 1, updated_at = now()
            WHERE org_id = $1 AND id = $2 AND ($8::integer IS NULL OR version = $8) RETURNING \(Self.endpointColumns)
            """,
            [orgID, id, changes.url, changes.description, changes.eventTypes, changes.format?.rawValue, changes.enabled, expectedVersion]
        ).first
        guard let row else { throw DomainError.staleVersion(current: before.version) }
        let after = try Self.endpoint(from: row)
        try audit("webhook.updated", "webhook_endpoint", id, before: before, after: after)
        return after
    }

    /// Deletes an endpoint and its delivery log.
    public func deleteEndpoint(id: UUID) throws {
        guard let before = try endpoint(id: id) else { throw DomainError.notFound("webhook endpoint") }
        try connection.query("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2", [orgID, id])
        try audit("webhook.deleted", "webhook_endpoint", id, before: before, after: Nothing?.none)
    }

    /// Queues a `webhook.test` event for this endpoint alone (sent whatever event types it asked for).
    public func sendTestEvent(endpointID: UUID) throws -> UUID {
        guard let endpoint = try endpoint(id: endpointID) else { throw DomainError.notFound("webhook endpoint") }
        let row = try connection.query(
            """
            WITH event AS (
                INSERT INTO outbox_events (org_id, type, object_type, object_id, actor_id, data, dispatched_at)
                VALUES ($1, $2, 'webhook_endpoint', $3, $4, jsonb_build_object('object', jsonb_build_object('message',
                        'A test event from Roadwork: this endpoint receives and verifies events.')), now())
                RETURNING id, seq),
            -- The test event is the change's domain event: its audit row points at it rather than announcing a second one.
            audited AS (
                INSERT INTO audit_events (org_id, actor_id, action, object_type, object_id, after, event_id)
                SELECT $1, $4, 'webhook.test_sent', 'webhook_endpoint', $3, jsonb_build_object('event_id', id), id FROM event)
            INSERT INTO webhook_deliveries (org_id, endpoint_id, event_id, event_seq) SELECT $1, $3, id, seq FROM event RETURNING event_id
            """,
            [orgID, DomainEventType.test, endpoint.id, actorID]
        ).first!
        return try row.decode("event_id")
    }

    static let deliveryColumns = """
        d.id, d.event_id, v.type AS event_type, d.state, d.attempts, d.created_at, d.last_attempt_at, d.delivered_at, d.last_status,
        d.last_latency_ms, d.last_response, d.last_error
        """

    static func delivery(from row: Row) throws -> WebhookDelivery {
        WebhookDelivery(id: try row.decode("id"), eventID: try row.decode("event_id"), eventType: try row.decode("event_type"),
                        state: try row.decode("state"), attempts: try row.decode("attempts"), createdAt: try row.decode("created_at"),
                        lastAttemptAt: try row.decode("last_attempt_at"), deliveredAt: try row.decode("delivered_at"),
                        lastStatus: try row.decode("last_status"), lastLatencyMs: try row.decode("last_latency_ms"),
                        lastResponse: try row.decode("last_response"), lastError: try row.decode("last_error"))
    }

    /// The endpoint's delivery log, newest first.
    public func deliveries(endpointID: UUID, limit: Int) throws -> [WebhookDelivery] {
        try connection.query(
            """
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox_events v ON v.id = d.event_id
            WHERE d.org_id = $1 AND d.endpoint_id = $2 ORDER BY d.created_at DESC, d.id LIMIT $3
            """,
            [orgID, endpointID, limit]
        ).rows.map(Self.delivery(from:))
    }

    /// Sends a delivery again (same event id, so a receiver that has it already can tell), whatever became of it.
    public func redeliver(endpointID: UUID, deliveryID: UUID) throws -> WebhookDelivery {
        guard try connection.query(
            "UPDATE webhook_deliveries SET state = 'pending', created_at = now() WHERE org_id = $1 AND endpoint_id = $2 AND id = $3 RETURNING id",
            [orgID, endpointID, deliveryID]
        ).first != nil else { throw DomainError.notFound("delivery") }
        try connection.query("UPDATE webhook_endpoints SET retry_at = NULL WHERE org_id = $1 AND id = $2", [orgID, endpointID])
        let row = try connection.query(
            "SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox_events v ON v.id = d.event_id WHERE d.id = $1", [deliveryID]
        ).first!
        let delivery = try Self.delivery(from: row)
        try audit("webhook.redelivered", "webhook_delivery", deliveryID, before: Nothing?.none, after: delivery)
        return delivery
    }

    /// Announces each objection that now meets the emerging-wall rule and was not announced in the last 28 days, as a
    /// `wall.emerging` event (no person changed anything, so no audit event goes with it).
    public func announceEmergingWalls(today: Day) throws -> Int {
        let walls = try emergingWalls(today: today, limit: 50)
        var announced = 0
        for wall in walls {
            let fresh = try connection.query(
                """
                INSERT INTO announced_walls (org_id, objection_id, announced_on) VALUES ($1, $2, $3)
                ON CONFLICT (org_id, objection_id) DO UPDATE SET announced_on = EXCLUDED.announced_on
                WHERE announced_walls.announced_on < EXCLUDED.announced_on - 28
                RETURNING objection_id
                """,
                [orgID, wall.objection.id, today]
            ).first != nil
            guard fresh else { continue }
            let data = try JSONWriter.encode(EmergingWallData(objection: wall.objection, accountsRecent: wall.accountsRecent,
                                                              accountsBefore: wall.accountsBefore))
            try connection.query(
                """
                INSERT INTO outbox_events (org_id, type, object_type, object_id, data)
                VALUES ($1, 'wall.emerging', 'objection', $2, jsonb_build_object('object', $3::jsonb, 'previous', 'null'::jsonb))
                """,
                [orgID, wall.objection.id, String(decoding: data, as: UTF8.self)]
            )
            announced += 1
        }
        return announced
    }
}

/// The body of a `wall.emerging` event's object.
struct EmergingWallData: Encodable {
    let objection: Objection
    let accountsRecent: Int
    let accountsBefore: Int
}

/// One delivery the worker has claimed: where to send which event.
public struct ClaimedDelivery: Sendable {
    public let deliveryID: UUID
    public let endpointID: UUID
    public let orgID: UUID
    public let url: String
    public let secret: String
    public let format: WebhookFormat
    public let attempts: Int
    public let eventID: UUID
    public let eventType: String
    public let objectType: String
    public let objectID: UUID?
    public let actorID: UUID?
    /// `{"object": …, "previous": …}` as JSON text.
    public let data: String
    public let occurredAt: Date
}

/// How the worker backs off and gives up.
public struct DeliveryPolicy: Sendable {
    public var backoffBaseSeconds: Double
    public var backoffMaxSeconds: Double
    public var giveUpHours: Double
    public var disableHours: Double

    public init(backoffBaseSeconds: Double = 30, backoffMaxSeconds: Double = 3600, giveUpHours: Double = 72, disableHours: Double = 72) {
        self.backoffBaseSeconds = backoffBaseSeconds
        self.backoffMaxSeconds = backoffMaxSeconds
        self.giveUpHours = giveUpHours
        self.disableHours = disableHours
    }
}

extension Database {
    /// Hands up to `limit` undispatched events to the endpoints that want them; returns how many events it took.
    public func dispatchEvents(limit: Int = 500) async throws -> Int {
        try await unscoped { try $0.query("SELECT roadwork_dispatch_events($1) AS n", [limit]).first!.decode("n") }
    }

    /// Leases up to `endpoints` endpoints with deliveries due and returns their oldest deliveries, in order per endpoint.
    public func claimDeliveries(endpoints: Int, perEndpoint: Int, leaseSeconds: Int) async throws -> [ClaimedDelivery] {
        try await unscoped { connection in
            try connection.query("SELECT * FROM roadwork_claim_deliveries($1, $2, $3)", [endpoints, perEndpoint, leaseSeconds]).rows.map { row in
                ClaimedDelivery(
                    deliveryID: try row.decode("delivery_id"), endpointID: try row.decode("endpoint_id"), orgID: try row.decode("org_id"),
                    url: try row.decode("url"), secret: try row.decode("secret"),
                    format: WebhookFormat(rawValue: try row.decode("format")) ?? .json, attempts: try row.decode("attempts"),
                    eventID: try row.decode("event_id"), eventType: try row.decode("event_type"), objectType: try row.decode("object_type"),
                    objectID: try row.decode("object_id"), actorID: try row.decode("actor_id"), data: try row.decode("data"),
                    occurredAt: try row.decode("occurred_at"))
            }
        }
    }

    /// Records what one attempt got; see `roadwork_record_attempt` for the backing off and switching off.
    public func recordAttempt(_ deliveryID: UUID, ok: Bool, status: Int?, latencyMs: Int, response: String?, error: String?,
                              policy: DeliveryPolicy) async throws {
        try await unscoped {
            _ = try $0.query("SELECT roadwork_record_attempt($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                         [deliveryID, ok, status, latencyMs, response, error, policy.backoffBaseSeconds, policy.backoffMaxSeconds,
                          policy.giveUpHours, policy.disableHours])
        }
    }

    /// Records a batch of successful deliveries in one statement.
    public func recordDelivered(_ results: [(delivery: UUID, status: Int, latencyMs: Int, response: String)]) async throws {
        guard !results.isEmpty else { return }
        try await unscoped {
            _ = try $0.query("SELECT roadwork_record_delivered($1, $2, $3, $4)",
                         [results.map(\.delivery), results.map(\.status), results.map(\.latencyMs), results.map(\.response)])
        }
    }

    /// Deletes deliveries and events older than 30 days that nothing waits for.
    public func pruneEvents() async throws {
        try await unscoped { _ = try $0.query("SELECT roadwork_prune_events()") }
    }

    /// Ends the worker's lease on an endpoint once its batch is sent.
    public func releaseEndpoint(_ endpointID: UUID) async throws {
        try await unscoped { _ = try $0.query("SELECT roadwork_release_endpoint($1)", [endpointID]) }
    }

    /// Announces new emerging walls in every organization with an endpoint that wants them.
    public func announceEmergingWalls(today: Day) async throws -> Int {
        let orgs: [UUID] = try await unscoped {
            try $0.query("SELECT roadwork_organizations_watching('wall.emerging') AS id").rows.map { try $0.decode("id") }
        }
        var announced = 0
        for org in orgs { announced += try await tenant(org) { try $0.announceEmergingWalls(today: today) } }
        return announced
    }

    /// Events not yet handed to endpoints, and deliveries not yet made, across organizations.
    public func webhookBacklog() async throws -> (undispatched: Int, pending: Int) {
        try await unscoped {
            let row = try $0.query("SELECT * FROM roadwork_webhook_backlog()").first!
            return (try row.decode("undispatched"), try row.decode("pending"))
        }
    }
}
