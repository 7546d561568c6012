import Foundation
import PostgresClient
import RoadworkDomain

/// A token just made: its listing, and the secret shown this once.
public struct MadeToken: Sendable {
    public let token: ApiToken
    public let secret: String
}

extension Store {
    static let tokenColumns = "id, user_id, name, display_prefix, scope, expires_at, last_used_at, revoked_at, created_at"

    static func token(from row: Row) throws -> ApiToken {
        ApiToken(id: try row.decode("id"), userID: try row.decode("user_id"), name: try row.decode("name"),
                 displayPrefix: try row.decode("display_prefix"), scope: TokenScope(rawValue: try row.decode("scope")) ?? .read,
                 expiresAt: try row.decode("expires_at"), lastUsedAt: try row.decode("last_used_at"),
                 revokedAt: try row.decode("revoked_at"), createdAt: try row.decode("created_at"))
    }

    /// Makes a token for `userID` (the actor's own, or a service account's): only its hash is kept.
    public func makeToken(_ new: NewApiToken, for userID: UUID, service: Bool) throws -> MadeToken {
        let secret = (service ? "rw_sa_" : "rw_pat_") + SessionToken.generate()
        let row = try connection.query(
            """
            INSERT INTO api_tokens (org_id, user_id, name, display_prefix, token_hash, scope, expires_at, created_by)
            VALUES ($1, $2, $3, $4, sha256(convert_to($5, 'UTF8')), $6, $7, $8) RETURNING \(Self.tokenColumns)
            """,
            [orgID, userID, new.name, String(secret.prefix(service ? 10 : 11)), secret, new.scope.rawValue, new.expiresAt, actorID]
        ).first!
        let token = try Self.token(from: row)
        try audit("token.created", "api_token", token.id, before: Nothing?.none, after: token)
        return MadeToken(token: token, secret: secret)
    }

    /// A user's tokens, newest first, revoked ones included (greyed out in lists).
    public func tokens(of userID: UUID) throws -> [ApiToken] {
        try connection.query(
            "SELECT \(Self.tokenColumns) FROM api_tokens WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id",
            [orgID, userID]
        ).rows.map(Self.token(from:))
    }

    public func token(id: UUID) throws -> ApiToken? {
        try connection.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE org_id = $1 AND id = $2", [orgID, id]).first.map(Self.token(from:))
    }

    /// Revokes a token: the next request that shows it, on any server process, gets 401. Revoking twice changes nothing.
    public func revokeToken(id: UUID) throws -> ApiToken {
        guard let before = try token(id: id) else { throw DomainError.notFound("token") }
        guard before.revokedAt == nil else { return before }
        let row = try connection.query(
            "UPDATE api_tokens SET revoked_at = now() WHERE org_id = $1 AND id = $2 RETURNING \(Self.tokenColumns)", [orgID, id]
        ).first!
        let after = try Self.token(from: row)
        try audit("token.revoked", "api_token", id, before: before, after: after)
        return after
    }

    /// Creates a service account: a user with a role and no password, under a made-up address nobody can sign in with.
    public func createServiceAccount(_ new: NewServiceAccount) throws -> User {
        let row = try connection.query(
            """
            INSERT INTO users (org_id, email, name, role, password_hash, kind)
            VALUES ($1, 'service-' || gen_random_uuid() || '@service.roadwork.invalid', $2, $3, '!', 'service')
            RETURNING \(Self.userColumns)
            """,
            [orgID, new.name, new.role.rawValue]
        ).first!
        let user = try Self.user(from: row)
        try audit("service_account.created", "user", user.id, before: Nothing?.none, after: user)
        return user
    }

    /// The organization's service accounts by name.
    public func serviceAccounts() throws -> [User] {
        try connection.query(
            "SELECT \(Self.userColumns) FROM users WHERE org_id = $1 AND kind = 'service' ORDER BY name, id", [orgID]
        ).rows.map(Self.user(from:))
    }

    /// A service account of this organization, or nil (people are not service accounts).
    public func serviceAccount(id: UUID) throws -> User? {
        try connection.query("SELECT \(Self.userColumns) FROM users WHERE org_id = $1 AND id = $2 AND kind = 'service'", [orgID, id])
            .first.map(Self.user(from:))
    }
}
