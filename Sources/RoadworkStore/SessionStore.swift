import Foundation
import NIOPosix
import PostgresClient
import RoadworkDomain

/// How many failed sign-ins an email gets within a window before it must wait.
public struct SignInThrottle: Sendable {
    public let maxFailures: Int
    public let windowSeconds: Int
    /// Failures one client address may have in the window, whatever emails it tries.
    public let maxFailuresPerAddress: Int

    public init(maxFailures: Int = 5, windowSeconds: Int = 900, maxFailuresPerAddress: Int = 50) {
        self.maxFailures = maxFailures
        self.windowSeconds = windowSeconds
        self.maxFailuresPerAddress = maxFailuresPerAddress
    }
}

/// The outcome of a sign-in attempt.
public enum SignInResult: Sendable {
    case signedIn(token: String, identity: Identity)
    /// Wrong password, unknown email or deactivated user: one answer for all three.
    case invalidCredentials
    case throttled(retryAfterSeconds: Int)
}

extension Database {
    /// How long a session lasts without signing in again.
    public static let sessionLifetimeSeconds = 30 * 24 * 3600

    /// Checks a password and opens a session; failures count towards the email's throttle.
    public func signIn(email: String, password: String, address: String?, userAgent: String? = nil, throttle: SignInThrottle) async throws -> SignInResult {
        let key = email.trimmed.lowercased()
        // Failures are counted per email and per client address (same table, "address:" keys no email can take).
        let addressKey = address.map { "address:\($0)" }
        let (wait, account) = try await unscoped { connection -> (Int, SignInAccount?) in
            let wait: Int = try connection.query(
                """
                SELECT greatest(roadwork_signin_wait_seconds($1, $2, $3), coalesce(roadwork_signin_wait_seconds($4, $5, $3), 0)) AS wait
                """, [key, throttle.maxFailures, throttle.windowSeconds, addressKey, throttle.maxFailuresPerAddress]
            ).first!.decode("wait")
            let account = try connection.query("SELECT * FROM roadwork_signin_account($1)", [key]).first.map {
                SignInAccount(userID: try $0.decode("user_id"), orgID: try $0.decode("org_id"),
                              passwordHash: try $0.decode("password_hash"), active: try $0.decode("active"))
            }
            return (wait, account)
        }
        if wait > 0 { return .throttled(retryAfterSeconds: wait) }

        let passwords = self.passwords
        let matches = try await NIOThreadPool.singleton.runIfActive {
            passwords.verify(password, hash: account?.passwordHash ?? passwords.decoy)
        }
        guard let account, account.active, matches else {
            try await unscoped { connection in
                _ = try connection.query("SELECT roadwork_signin_failed($1, $2)", [key, throttle.windowSeconds])
                if let addressKey { _ = try connection.query("SELECT roadwork_signin_failed($1, $2)", [addressKey, throttle.windowSeconds]) }
            }
            return .invalidCredentials
        }

        let token = SessionToken.generate()
        try await tenant(account.orgID, actor: account.userID) { store in
            try store.connection.query("SELECT roadwork_signin_succeeded($1)", [key])
            let session: UUID = try store.connection.query(
                """
                INSERT INTO sessions (org_id, user_id, token_hash, expires_at, address, user_agent)
                VALUES ($1, $2, sha256(convert_to($3, 'UTF8')), now() + make_interval(secs => $4), $5, $6) RETURNING id
                """,
                [account.orgID, account.userID, token, Self.sessionLifetimeSeconds, address, userAgent.map { String($0.prefix(300)) }]
            ).first!.decode("id")
            try store.audit("session.signed_in", "session", session, before: Nothing?.none, after: ["user_id": account.userID])
        }
        guard let identity = try await authenticate(token: token) else { return .invalidCredentials }
        return .signedIn(token: token, identity: identity)
    }

    /// The person behind a session token, or nil if it is unknown, revoked, expired or their account is inactive.
    /// Inside a `SessionCheck` scope a token seen recently is answered from memory without a round trip, and looked up
    /// again in the request's first transaction (`tenant`) or by `verify(_:)` afterwards.
    public func authenticate(token: String) async throws -> Identity? {
        if let check = SessionCheck.current, let identity = sessions.identity(for: token) {
            check.expect(token: token, identity: identity)
            return identity
        }
        let identity = try await pool.read { try Self.lookUp(token, on: $0) }
        if let identity { sessions.remember(token, identity) } else { sessions.forget(token) }
        return identity
    }

    /// Looks up again a session a request took on trust and nothing checked since: false when it changed (the request must
    /// run again with a fresh lookup).
    public func verify(_ check: SessionCheck) async throws -> Bool {
        guard let expected = check.unverified(orgID: nil) else { return true }
        return expected.confirm(try await pool.read { try Self.lookUp(expected.token, on: $0) }, in: sessions)
    }

    /// Looks the session up and runs `body` as its person, in one transaction on one connection: the lookup travels with
    /// BEGIN and scopes the transaction to the person's organization. Nil, with nothing run, when the token is no valid
    /// session. For the hot write path, which would otherwise take a connection twice.
    public func tenant<T: Sendable>(authenticating token: String, _ body: @escaping @Sendable (Identity, Store) throws -> T) async throws -> T? {
        let outcome = try await pool.transaction { connection -> (value: T, writer: UUID)? in
            guard let identity = try Self.lookUp(token, on: connection) else { return nil }
            let value = try body(identity, Store(connection: connection, orgID: identity.orgID, actorID: identity.userID))
            announceWrite(by: identity.userID, on: connection)
            return (value, identity.userID)
        }
        if let outcome { noteWrite(by: outcome.writer) }
        return outcome?.value
    }

    /// The person behind a token; inside a transaction the lookup also scopes it to their organization.
    static func lookUp(_ token: String, on connection: Connection) throws -> Identity? {
        try connection.query(lookUpSQL, [token]).first.flatMap(Self.identity(from:))
    }

    static let lookUpSQL = "SELECT * FROM roadwork_authenticate($1)"

    static func identity(from row: Row) throws -> Identity? {
        guard let role = Role(rawValue: try row.decode("role")) else { return nil }
        return Identity(
            sessionID: try row.decode("session_id"),
            tokenID: try row.decode("token_id"),
            userID: try row.decode("user_id"),
            orgID: try row.decode("org_id"),
            email: try row.decode("email"),
            name: try row.decode("name"),
            role: role,
            organizationName: try row.decode("org_name"),
            scope: TokenScope(rawValue: try row.decode("scope")) ?? .read
        )
    }
}

/// One open session of a person, as "where you're signed in" lists it.
public struct SignedInSession: Sendable {
    public let id: UUID
    public let createdAt: Date
    public let expiresAt: Date
    public let address: String?
    public let userAgent: String?
}

extension Store {
    /// Ends one of `userID`'s open sessions (signing out) so its token no longer signs anyone in; false when there is none
    /// such (another person's, or ended already).
    @discardableResult
    public func endSession(id: UUID, of userID: UUID) throws -> Bool {
        let ended = try connection.query(
            "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND org_id = $2 AND user_id = $3 AND revoked_at IS NULL", [id, orgID, userID]
        ).affectedRows > 0
        if ended { try audit("session.signed_out", "session", id, before: Nothing?.none, after: ["user_id": userID]) }
        return ended
    }

    /// A person's open sessions, newest first.
    public func sessions(of userID: UUID) throws -> [SignedInSession] {
        try connection.query(
            """
            SELECT id, created_at, expires_at, address, user_agent FROM sessions
            WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC, id DESC LIMIT 200
            """, [orgID, userID]
        ).rows.map { row in
            SignedInSession(id: try row.decode("id"), createdAt: try row.decode("created_at"), expiresAt: try row.decode("expires_at"),
                            address: try row.decode("address"), userAgent: try row.decode("user_agent"))
        }
    }

    /// Ends every open session of a person ("sign out everywhere"), as one recorded change; the number ended.
    public func endSessions(of userID: UUID) throws -> Int {
        let ended = try connection.query(
            "UPDATE sessions SET revoked_at = now() WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()", [orgID, userID]
        ).affectedRows
        if ended > 0 { try audit("session.signed_out_everywhere", "user", userID, before: Nothing?.none, after: ["sessions_ended": ended]) }
        return ended
    }

    /// Revokes every open session of a user (deactivated, or password changed).
    public func revokeSessions(userID: UUID) throws {
        try connection.query("UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND org_id = $2 AND revoked_at IS NULL", [userID, orgID])
    }
}

struct SignInAccount: Sendable {
    let userID: UUID
    let orgID: UUID
    let passwordHash: String
    let active: Bool
}

/// Bytes from the system's secure generator, eight at a call: each call is a getrandom(2) system call, and a byte at a
/// time made 24 of them for a page's CSRF token (2% of an objection page's server CPU).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }
}

/// Random session tokens: 32 bytes from the system's secure generator, base64url without padding.
/// A random URL-safe token of 256 bits (sessions, API tokens, password links).
public enum SessionToken {
    public static func generate() -> String {
        Data(SecureRandom.bytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
