import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    static let userColumns = "id, org_id, email, name, role, active, version, created_at"

    static func user(from row: Row) throws -> User {
        let roleText: String = try row.decode("role")
        guard let role = Role(rawValue: roleText) else {
            throw PostgresError.decoding(column: "role", message: "unknown role \(roleText)")
        }
        return User(
            id: try row.decode("id"),
            orgID: try row.decode("org_id"),
            email: try row.decode("email"),
            name: try row.decode("name"),
            role: role,
            active: try row.decode("active"),
            version: try row.decode("version"),
            createdAt: try row.decode("created_at")
        )
    }

    /// Creates a user in this organization; an email already in use anywhere is a conflict.
    public func createUser(_ user: NewUser, passwordHash: String) throws -> User {
        do {
            let row = try connection.query(
                """
                INSERT INTO users (org_id, email, name, role, password_hash)
                VALUES ($1, $2, $3, $4, $5) RETURNING \(Self.userColumns)
                """,
                [orgID, user.email, user.name, user.role.rawValue, passwordHash]
            ).first!
            let created = try Self.user(from: row)
            try audit("user.created", "user", created.id, before: Nothing?.none, after: created)
            return created
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            throw DomainError.conflict("a user with this email already exists")
        }
    }

    /// One user of this organization, or nil.
    public func user(id: UUID) throws -> User? {
        try connection.query("SELECT \(Self.userColumns) FROM users WHERE id = $1", [id]).first.map(Self.user(from:))
    }

    /// Users ordered by name, after the `(name, id)` cursor when given.
    public func users(after cursor: (name: String, id: UUID)?, limit: Int) throws -> [User] {
        try connection.query(
            """
            SELECT \(Self.userColumns) FROM users
            WHERE org_id = $1 AND ($2::text IS NULL OR (name, id) > ($2, $3::uuid))
            ORDER BY name, id LIMIT $4
            """,
            [orgID, cursor?.name, cursor?.id, limit]
        ).rows.map(Self.user(from:))
    }

    /// Applies `changes` if the user is still at `expectedVersion` (when given); deactivation revokes their sessions.
    public func updateUser(id: UUID, changes: UserChanges, passwordHash: String?, expectedVersion: Int?) throws -> User {
        let row = try connection.query(
            """
            UPDATE users SET
                name = coalesce($3, name),
                role = coalesce($4, role),
                active = coalesce($5, active),
                password_hash = coalesce($6, password_hash),
                version = version + 1,
                updated_at = now()
            WHERE id = $1 AND org_id = $2 AND ($7::integer IS NULL OR version = $7)
            RETURNING \(Self.userColumns)
            """,
            [id, orgID, changes.name, changes.role?.rawValue, changes.active, passwordHash, expectedVersion]
        ).first
        guard let row else {
            guard let current = try user(id: id) else { throw DomainError.notFound("user") }
            throw DomainError.staleVersion(current: current.version)
        }
        let updated = try Self.user(from: row)
        if !updated.active || passwordHash != nil {
            try revokeSessions(userID: id)
        }
        try audit("user.updated", "user", id, before: Nothing?.none,
                  after: UserAudit(user: updated, passwordChanged: passwordHash != nil))
        return updated
    }
}

/// A user as the audit log records a change: the user, and whether the password changed (never the password).
struct UserAudit: Encodable {
    let user: User
    let passwordChanged: Bool
}

extension Store {
    /// The identity an operator's command acts as: an active person of this organization, by email (or, without one,
    /// its first marketing head, marketer or sales head).
    public func actingIdentity(email: String?) throws -> Identity? {
        try connection.query(
            """
            SELECT NULL::uuid AS session_id, NULL::uuid AS token_id, u.id AS user_id, u.org_id, u.email, u.name, u.role,
                   o.name AS org_name, 'write' AS scope
            FROM users u JOIN organizations o ON o.id = u.org_id
            WHERE u.org_id = $1 AND u.active AND u.kind = 'person'
              AND ($2::text IS NULL AND u.role IN ('marketing_head', 'marketer', 'sales_head') OR u.email = lower(btrim($2)))
            ORDER BY array_position(ARRAY['marketing_head', 'marketer', 'sales_head'], u.role), u.created_at LIMIT 1
            """,
            [orgID, email]
        ).first.flatMap { try Database.identity(from: $0) }
    }
}
