import Foundation
import PostgresClient
import RoadworkDomain
import Synchronization

/// Roadwork's PostgreSQL database: every store call runs in a transaction scoped to one organization.
public struct Database: Sendable {
    public let pool: ConnectionPool
    public let passwords: PasswordHasher

    public init(pool: ConnectionPool, passwords: PasswordHasher = PasswordHasher()) {
        self.pool = pool
        self.passwords = passwords
    }

    /// Runs `body` in one transaction that sees only `orgID`'s rows (row-level security does the rest).
    public func tenant<T: Sendable>(_ orgID: UUID, actor: UUID? = nil, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        // A request's session lookup left its transaction open for this, its first read: one connection, one transaction.
        if let scope = HeldSession.current {
            if let held = scope.take(orgID: orgID) {
                return try await pool.finish(held) { connection in try body(Store(connection: connection, orgID: orgID, actorID: actor)) }
            }
            await scope.end()
        }
        // The scope travels with the transaction's first statement: one round trip opens, scopes and runs it.
        return try await pool.transaction(settings: [("roadwork.org_id", orgID.lowercasedText)]) { connection in
            try body(Store(connection: connection, orgID: orgID, actorID: actor))
        }
    }

    /// Runs `body` in a transaction scoped to the signed-in person's organization, recording them as the actor.
    public func tenant<T: Sendable>(_ identity: Identity, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
        try await tenant(identity.orgID, actor: identity.userID, body)
    }

    /// Runs `body` in a transaction with no organization set: only the sign-in functions answer there.
    public func unscoped<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        await HeldSession.current?.end()
        return try await pool.transaction(body)
    }

    /// True when the database answers a trivial query.
    public func isReachable() async -> Bool {
        (try? await pool.transaction { try $0.query("SELECT 1").count == 1 }) ?? false
    }
}

/// Lets a request's session lookup keep its transaction open for the request's first `tenant` read in the same
/// organization, so a page or list takes one connection from the pool once, and the lookup and the read share one
/// transaction. Set it around a read-only request (GET, HEAD) as `HeldSession.$current` and `end()` it afterwards: a
/// lookup nobody read after is committed then. Any other use of the database in the meantime ends it first, so a request
/// never waits for a second connection while holding one.
public final class HeldSession: Sendable {
    @TaskLocal public static var current: HeldSession?

    private enum State {
        case open
        case holding(orgID: UUID, held: HeldTransaction)
        case done
    }

    private let state = Mutex(State.open)
    private let pool: ConnectionPool

    public init(pool: ConnectionPool) { self.pool = pool }

    /// True until a lookup was kept or the scope ended.
    var isOpen: Bool { state.withLock { if case .open = $0 { true } else { false } } }

    /// Keeps a lookup's transaction; ends it at once if the scope is no longer open.
    func keep(_ held: HeldTransaction, orgID: UUID) async {
        let kept = state.withLock { state -> Bool in
            guard case .open = state else { return false }
            state = .holding(orgID: orgID, held: held)
            return true
        }
        if !kept { await pool.end(held) }
    }

    /// The kept transaction, once, if it is scoped to `orgID`.
    func take(orgID: UUID) -> HeldTransaction? {
        state.withLock { state in
            guard case .holding(let heldOrg, let held) = state, heldOrg == orgID else { return nil }
            state = .done
            return held
        }
    }

    /// Commits and gives back a transaction nobody took; after this the scope keeps nothing.
    public func end() async {
        let held = state.withLock { state -> HeldTransaction? in
            defer { state = .done }
            if case .holding(_, let held) = state { return held }
            return nil
        }
        if let held { await pool.end(held) }
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
}
