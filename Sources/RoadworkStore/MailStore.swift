import Foundation
import PostgresClient
import RoadworkDomain

/// One mail in the log: to whom, why, and what became of it.
public struct MailRecord: Sendable, Encodable {
    public let id: UUID
    public let userID: UUID
    public let toAddress: String
    public let kind: String
    public let subject: String?
    public let state: String
    public let attempts: Int
    public let createdAt: Date
    public let sentAt: Date?
    public let lastError: String?
}

/// A mail the worker has leased: enough to compose it.
public struct ClaimedMail: Sendable {
    public let id: UUID
    public let orgID: UUID
    public let userID: UUID
    public let kind: MailKind
    public let eventID: UUID?
    /// The event's type (`review.signed`, …) when the mail is for one.
    public let eventType: String?
    public let objectID: UUID?
    public let secret: String?
    public let linkToken: String
    public let toAddress: String
    public let userName: String
    public let attempts: Int
    public let createdAt: Date
}

/// Where a link in a mail leads back to.
public struct MailLink: Sendable {
    public let messageID: UUID
    public let orgID: UUID
    public let userID: UUID
    public let kind: MailKind
    public let objectID: UUID?
    public let createdAt: Date
}

/// The person a reset or invitation link is for.
public struct PasswordToken: Sendable {
    public let id: UUID
    public let orgID: UUID
    public let userID: UUID
    public let purpose: String
    public let email: String
    public let name: String
}

/// How the mail worker retries and gives up.
public struct MailPolicy: Sendable {
    public var retryBaseSeconds: Double
    public var retryMaxSeconds: Double
    public var giveUpHours: Double

    public init(retryBaseSeconds: Double = 30, retryMaxSeconds: Double = 1800, giveUpHours: Double = 48) {
        self.retryBaseSeconds = retryBaseSeconds
        self.retryMaxSeconds = retryMaxSeconds
        self.giveUpHours = giveUpHours
    }
}

extension Store {
    /// The person's choice for each optional kind of mail (no row: they get it).
    public func mailPreferences(userID: UUID) throws -> MailPreferences {
        var subscribed: [MailKind: Bool] = [:]
        for row in try connection.query("SELECT kind, subscribed FROM mail_preferences WHERE org_id = $1 AND user_id = $2", [orgID, userID]).rows {
            if let kind = MailKind(rawValue: try row.decode("kind")) { subscribed[kind] = try row.decode("subscribed") }
        }
        return MailPreferences(subscribed: subscribed)
    }

    /// Turns kinds of mail on or off for one person.
    public func setMailPreferences(userID: UUID, _ changes: [MailKind: Bool]) throws -> MailPreferences {
        let before = try mailPreferences(userID: userID)
        for (kind, subscribed) in changes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try connection.query(
                """
                INSERT INTO mail_preferences (org_id, user_id, kind, subscribed) VALUES ($1, $2, $3, $4)
                ON CONFLICT (user_id, kind) DO UPDATE SET subscribed = EXCLUDED.subscribed, updated_at = now()
                """,
                [orgID, userID, kind.rawValue, subscribed]
            )
        }
        let after = try mailPreferences(userID: userID)
        if after != before { try audit("user.mail_preferences_updated", "user", userID, before: before, after: after) }
        return after
    }

    /// The mail log, newest first, before the `(created_at, id)` cursor when given.
    public func mailLog(before cursor: (Date, UUID)?, limit: Int) throws -> [MailRecord] {
        try connection.query(
            """
            SELECT id, user_id, to_address, kind, subject, state, attempts, created_at, sent_at, last_error FROM mail_messages
            WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
            ORDER BY created_at DESC, id DESC LIMIT $4
            """,
            [orgID, cursor?.0, cursor?.1, limit]
        ).rows.map { row in
            MailRecord(id: try row.decode("id"), userID: try row.decode("user_id"), toAddress: try row.decode("to_address"),
                       kind: try row.decode("kind"), subject: try row.decode("subject"), state: try row.decode("state"),
                       attempts: try row.decode("attempts"), createdAt: try row.decode("created_at"), sentAt: try row.decode("sent_at"),
                       lastError: try row.decode("last_error"))
        }
    }

    /// Makes a week-long invitation link for a new person and queues its mail (sent by the worker, never in the request).
    public func queueInvitation(userID: UUID, email: String, token: String) throws {
        try connection.query(
            """
            WITH token AS (
                INSERT INTO password_tokens (org_id, user_id, purpose, token_hash, expires_at)
                VALUES ($1, $2, 'invitation', sha256(convert_to($3, 'UTF8')), now() + interval '7 days') RETURNING id)
            INSERT INTO mail_messages (org_id, user_id, kind, dedupe_key, object_id, secret, to_address)
            SELECT $1, $2, 'invitation', 'token:' || id, id, $3, $4 FROM token
            """,
            [orgID, userID, token, email]
        )
    }

    /// Uses a reset or invitation link once: sets the password, ends the person's other sessions, and records it.
    public func redeemPasswordToken(_ token: PasswordToken, passwordHash: String) throws {
        guard try connection.query(
            "UPDATE password_tokens SET used_at = now() WHERE org_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > now() RETURNING id",
            [orgID, token.id]
        ).first != nil else { throw DomainError.conflict("this link has been used or has expired; ask for a new one") }
        try connection.query("UPDATE users SET password_hash = $3, version = version + 1, updated_at = now() WHERE org_id = $1 AND id = $2",
                             [orgID, token.userID, passwordHash])
        try connection.query("UPDATE sessions SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
                             [orgID, token.userID])
        let action = token.purpose == "invitation" ? "user.invitation_accepted" : "user.password_reset"
        try audit(action, "user", token.userID, before: Nothing?.none, after: ["password_changed": true])
    }

    /// The week's digest: since `since` (a week ago), with emerging walls as the backlog reckons them today.
    public func weeklyDigest(since: Date, today: Day) throws -> WeeklyDigest {
        let weekStart = Day(since)
        let newWalls = try connection.query(
            """
            SELECT id, statement, report_count AS n FROM objections
            WHERE org_id = $1 AND created_at >= $2 AND status = 'open' ORDER BY report_count DESC, created_at DESC LIMIT 10
            """,
            [orgID, since]
        ).rows.map { WeeklyDigest.Wall(objectionID: try $0.decode("id"), statement: try $0.decode("statement"), count: try $0.decode("n")) }
        let emerging = try emergingWalls(today: today, limit: 5).map {
            WeeklyDigest.Wall(objectionID: $0.objection.id, statement: $0.objection.statement, count: $0.accountsRecent, before: $0.accountsBefore)
        }
        let movers = try connection.query(
            """
            SELECT o.id, o.statement, count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on >= $2) AS n,
                   count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on < $2) AS before
            FROM field_reports r JOIN objections o ON o.org_id = r.org_id AND o.id = r.counted_objection_id
            WHERE r.org_id = $1 AND r.occurred_on >= $3 AND o.status = 'open'
            GROUP BY o.id, o.statement
            HAVING count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on >= $2) > count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on < $2)
            ORDER BY count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on >= $2)
                     - count(DISTINCT r.account_key) FILTER (WHERE r.occurred_on < $2) DESC, o.statement LIMIT 5
            """,
            [orgID, weekStart, weekStart.adding(days: -7)]
        ).rows.map {
            WeeklyDigest.Wall(objectionID: try $0.decode("id"), statement: try $0.decode("statement"), count: try $0.decode("n"),
                              before: try $0.decode("before"))
        }
        let shipped = try connection.query(
            """
            SELECT o.id, o.statement, c.title FROM content_items c JOIN objections o ON o.org_id = c.org_id AND o.id = c.objection_id
            WHERE c.org_id = $1 AND c.status = 'published' AND c.published_at >= $2 ORDER BY c.published_at DESC LIMIT 20
            """,
            [orgID, since]
        ).rows.map { WeeklyDigest.Wall(objectionID: try $0.decode("id"), statement: try $0.decode("statement"), count: 0, content: try $0.decode("title")) }
        let stillReported = try connection.query(
            """
            SELECT o.id, o.statement, c.title, count(*) AS n
            FROM content_items c JOIN objections o ON o.org_id = c.org_id AND o.id = c.objection_id
            JOIN field_reports r ON r.org_id = c.org_id AND r.counted_objection_id = c.objection_id AND r.occurred_on >= $2
                 AND r.created_at > c.published_at
            WHERE c.org_id = $1 AND c.status = 'published'
            GROUP BY o.id, o.statement, c.title ORDER BY count(*) DESC, o.statement LIMIT 5
            """,
            [orgID, weekStart]
        ).rows.map {
            WeeklyDigest.Wall(objectionID: try $0.decode("id"), statement: try $0.decode("statement"), count: try $0.decode("n"),
                              content: try $0.decode("title"))
        }
        return WeeklyDigest(organizationName: try organization().name, weekOf: today, newWalls: newWalls, emerging: emerging,
                            movers: movers, shipped: shipped, stillReported: stillReported)
    }
}

extension Database {
    /// Queues the mail owed for up to `limit` events; returns how many events it took.
    public func queueEventMail(limit: Int = 200) async throws -> Int {
        try await unscoped { try $0.query("SELECT roadwork_queue_event_mail($1) AS n", [limit]).first!.decode("n") }
    }

    /// Queues the digest for the week `key` to every head and marketer who existed before `since`.
    public func queueDigests(key: String, since: Date) async throws -> Int {
        try await unscoped { try $0.query("SELECT roadwork_queue_digests($1, $2) AS n", [key, since]).first!.decode("n") }
    }

    /// Leases up to `limit` due mails.
    public func claimMail(limit: Int, leaseSeconds: Int) async throws -> [ClaimedMail] {
        try await unscoped { connection in
            try connection.query("SELECT * FROM roadwork_claim_mail($1, $2)", [limit, leaseSeconds]).rows.compactMap { row in
                guard let kind = MailKind(rawValue: try row.decode("kind")) else { return nil }
                return ClaimedMail(id: try row.decode("id"), orgID: try row.decode("org_id"), userID: try row.decode("user_id"), kind: kind,
                                   eventID: try row.decode("event_id"), eventType: try row.decode("event_type"), objectID: try row.decode("object_id"), secret: try row.decode("secret"),
                                   linkToken: try row.decode("link_token"), toAddress: try row.decode("to_address"),
                                   userName: try row.decode("user_name"), attempts: try row.decode("attempts"),
                                   createdAt: try row.decode("created_at"))
            }
        }
    }

    public func mailSent(_ id: UUID, subject: String) async throws {
        try await unscoped { _ = try $0.query("SELECT roadwork_mail_sent($1, $2)", [id, subject]) }
    }

    public func mailFailed(_ id: UUID, error: String, policy: MailPolicy) async throws {
        try await unscoped {
            _ = try $0.query("SELECT roadwork_mail_failed($1, $2, $3, $4, $5)",
                             [id, error, policy.retryBaseSeconds, policy.retryMaxSeconds, policy.giveUpHours])
        }
    }

    /// The mail a link points back to, or nil when the token is unknown or its person is no longer active.
    public func mailLink(token: String) async throws -> MailLink? {
        guard token.utf8.count <= 100 else { return nil }
        return try await unscoped { connection in
            try connection.query("SELECT * FROM roadwork_mail_link($1)", [token]).first.flatMap { row in
                guard let kind = MailKind(rawValue: try row.decode("kind")) else { return nil }
                return MailLink(messageID: try row.decode("id"), orgID: try row.decode("org_id"), userID: try row.decode("user_id"), kind: kind,
                                objectID: try row.decode("object_id"), createdAt: try row.decode("created_at"))
            }
        }
    }

    /// Makes a reset link and queues its mail when the email belongs to an active person; does nothing otherwise.
    public func requestPasswordReset(email: String, token: String) async throws {
        try await unscoped { _ = try $0.query("SELECT roadwork_request_password_reset($1, $2)", [email, token]) }
    }

    /// The person an unused, unexpired reset or invitation link is for.
    public func passwordToken(_ token: String) async throws -> PasswordToken? {
        guard !token.isEmpty, token.utf8.count <= 200 else { return nil }
        return try await unscoped { connection in
            try connection.query("SELECT * FROM roadwork_password_token($1)", [token]).first.map { row in
                PasswordToken(id: try row.decode("token_id"), orgID: try row.decode("org_id"), userID: try row.decode("user_id"),
                              purpose: try row.decode("purpose"), email: try row.decode("email"), name: try row.decode("name"))
            }
        }
    }

    /// Events whose mail is not yet queued, and mails not yet sent, across organizations.
    public func mailBacklog() async throws -> (unqueued: Int, pending: Int) {
        try await unscoped {
            let row = try $0.query("SELECT * FROM roadwork_mail_backlog()").first!
            return (try row.decode("unqueued"), try row.decode("pending"))
        }
    }
}

extension Store {
    /// The person's verdict on a bite given since `since`, if any (the latest).
    public func feedbackVerdict(contentID: UUID, userID: UUID, since: Date) throws -> Bool? {
        try connection.query(
            """
            SELECT helpful FROM content_feedback WHERE org_id = $1 AND content_id = $2 AND user_id = $3 AND created_at >= $4
            ORDER BY created_at DESC LIMIT 1
            """,
            [orgID, contentID, userID, since]
        ).first.map { try $0.decode("helpful") }
    }
}
