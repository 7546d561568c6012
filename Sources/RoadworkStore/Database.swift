import Foundation
import PostgresClient
import RoadworkDomain

/// Roadwork's PostgreSQL database: every store call runs in a transaction scoped to one organization.
public struct Database: Sendable {
    public let pool: ConnectionPool
    /// Where reads that tolerate a little lag go; nil: everything uses `pool`.
    public let replica: ReadReplica?
    public let passwords: PasswordHasher
    /// Who recently used which session token, taken on trust and checked again in the request's own transaction.
    let sessions = SessionCache()
    let recentWriters = RecentWriters()
    /// The triage inbox's suggestions, kept while nothing the search reads changes (shared by the page and the API).
    public let suggestionMemo = SuggestionMemo()

    public init(pool: ConnectionPool, replica: ReadReplica? = nil, passwords: PasswordHasher = PasswordHasher()) {
        self.pool = pool
        self.replica = replica
        self.passwords = passwords
    }

    /// Runs `body` in one transaction that sees only `orgID`'s rows (row-level security does the rest).
    public func tenant<T: Sendable>(_ orgID: UUID, actor: UUID? = nil, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await tenant(orgID, actor: actor, on: pool, body)
    }

    private func tenant<T: Sendable>(_ orgID: UUID, actor: UUID?, on pool: ConnectionPool, readOnly: Bool = false,
                                     _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        // A session taken on trust from the cache is looked up again in this transaction's first round trip (see SessionCheck).
        let expected = SessionCheck.current?.unverified(orgID: orgID)
        let sessions = self.sessions
        // The scope travels with the transaction's first statement: one round trip opens, scopes and runs it.
        return try await pool.transaction(settings: [("roadwork.org_id", orgID.lowercasedText)],
                                          check: expected.map { (Self.lookUpSQL, [$0.token]) }, readOnly: readOnly) { connection in
            let value = try body(Store(connection: connection, orgID: orgID, actorID: actor))
            if let expected, let rows = connection.checkResult,
               !expected.confirm(try rows.first.flatMap(Self.identity(from:)), in: sessions) {
                throw SessionCheck.Changed()
            }
            return value
        }
    }

    /// Runs `body` in a transaction scoped to the signed-in person's organization, recording them as the actor.
    public func tenant<T: Sendable>(_ identity: Identity, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await tenant(identity.orgID, actor: identity.userID, body)
    }

    /// Like `tenant(_:_:)`, for a read: the transaction is READ ONLY, so its COMMIT is not waited for (one wait on the
    /// server instead of two). With `mayLag` it runs on the read replica when there is one, unless the person changed
    /// something in the last seconds (they see their own change) or the replica cannot be reached (then the primary answers).
    public func tenant<T: Sendable>(_ identity: Identity, mayLag: Bool, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        guard mayLag, let replica, replica.isAvailable, !recentWriters.wroteRecently(identity.userID) else {
            return try await tenant(identity.orgID, actor: identity.userID, on: pool, readOnly: true, body)
        }
        do {
            return try await tenant(identity.orgID, actor: identity.userID, on: replica.pool, readOnly: true, body)
        } catch where ReadReplica.isUnreachable(error) {
            replica.failed(error)
            return try await tenant(identity.orgID, actor: identity.userID, on: pool, readOnly: true, body)
        }
    }

    /// Runs one change as `identity`. With a read replica, the transaction also tells every server process, at commit,
    /// that this person wrote (NOTIFY on `roadwork_write`), so their next reads stay on the primary whichever process a
    /// load balancer sends them to.
    public func change<T: Sendable>(by identity: Identity, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        let value = try await tenant(identity) { store in
            let value = try body(store)
            announceWrite(by: identity.userID, on: store.connection)
            return value
        }
        noteWrite(by: identity.userID)
        return value
    }

    /// With a read replica, names the writer to every process; it goes out with the transaction's COMMIT (or its next
    /// read), not in a round trip of its own. Without one, nobody needs to know.
    func announceWrite(by userID: UUID, on connection: Connection) {
        guard replica != nil else { return }
        connection.enqueue("SELECT pg_notify('\(Self.writesChannel)', $1)", [userID.lowercasedText])
    }

    /// The channel on which write transactions name their writer (see `change(by:_:)`).
    public static let writesChannel = "roadwork_write"

    /// Marks that `userID` just changed something (through this process, or another one said so): their lag-tolerant
    /// reads stay on the primary for a few seconds.
    public func noteWrite(by userID: UUID) {
        if replica != nil { recentWriters.note(userID) }
    }

    /// Runs `body` in a transaction with no organization set: only the sign-in functions answer there.
    public func unscoped<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await pool.transaction(body)
    }

    /// Why the server cannot serve now (nil when it can): the database does not answer, or answers read-only (a standby).
    public func unreadiness() async -> String? {
        do {
            let readOnly = try await pool.transaction { try $0.query("SELECT current_setting('transaction_read_only') = 'on' AS ro").first?.decode("ro", as: Bool.self) }
            return readOnly == true ? "database: connected to a read-only server (a standby)" : nil
        } catch {
            return "database: \(error)"
        }
    }
}

/// One tenant-scoped transaction; the store files extend it with one aggregate each.
public struct Store {
    public let connection: Connection
    public let orgID: UUID
    /// The person making the change, for audit events.
    public let actorID: UUID?
}

extension Day: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { description }
    public init?(postgresText: String) { self.init(postgresText) }
    public init?(postgresBytes bytes: UnsafeBufferPointer<UInt8>) { self.init(utf8: bytes) }
}
