import Foundation
import Logging
import PostgresClient
import Synchronization

/// A streaming standby for the reads that tolerate a little lag (backlog, home, lists, trends). When it cannot be reached
/// those reads go to the primary, and the standby rests a few seconds before it is tried again, so an outage costs one
/// failed attempt and not one per request.
public final class ReadReplica: Sendable {
    public let pool: ConnectionPool
    private let logger: Logger
    private let state = Mutex(State())
    /// How long the standby rests after a failure before reads try it again.
    let rest: Duration

    private struct State {
        var restingUntil: ContinuousClock.Instant?
        var failures = 0
    }

    public init(pool: ConnectionPool, rest: Duration = .seconds(5), logger: Logger = Logger(label: "postgres")) {
        self.pool = pool
        self.rest = rest
        self.logger = logger
    }

    /// Reads the standby failed (each then answered by the primary) since the server started; reads while it rests are
    /// not tried there, so not counted.
    public var failures: Int { state.withLock { $0.failures } }

    /// Whether to try the standby now.
    var isAvailable: Bool {
        state.withLock { state in
            guard let until = state.restingUntil else { return true }
            if ContinuousClock.now >= until { state.restingUntil = nil; return true }
            return false
        }
    }

    /// The standby failed a read that now goes to the primary.
    func failed(_ error: any Error) {
        let rest = self.rest
        state.withLock { state in
            state.failures += 1
            state.restingUntil = ContinuousClock.now + rest
        }
        logger.warning("read replica unreachable; its reads go to the primary for a while",
                       metadata: ["error": "\(error)", "rest_ms": "\(rest.components.seconds * 1000 + rest.components.attoseconds / 1_000_000_000_000_000)"])
    }

    /// Seconds the standby's data is behind the primary: 0 when it has replayed everything it received (or is no standby),
    /// else the age of the last transaction it replayed. Nil when it does not answer.
    public func lagSeconds() async -> Double? {
        try? await pool.read { connection in
            try connection.query("""
                SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8 AS lag
                """).first?.decode("lag", as: Double.self)
        }
    }

    /// Errors that say the standby is out of reach (rather than the read being wrong).
    static func isUnreachable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        switch error {
        case .connection, .acquireTimeout, .deadlineExceeded, .poolClosed: return true
        case .server(let server): return server.sqlState.isConnectionException || server.sqlState == .adminShutdown || server.sqlState == .queryCanceled
        case .decoding: return false
        }
    }
}

/// Who changed something recently through this process: their lag-tolerant reads stay on the primary a while, so they
/// see what they just did.
final class RecentWriters: Sendable {
    static let window: Duration = .seconds(10)
    static let limit = 10_000
    private let writes = Mutex<[UUID: ContinuousClock.Instant]>([:])

    func note(_ userID: UUID) {
        let now = ContinuousClock.now
        writes.withLock { writes in
            if writes.count >= Self.limit { writes = writes.filter { now - $0.value < Self.window } }
            writes[userID] = now
        }
    }

    func wroteRecently(_ userID: UUID) -> Bool {
        writes.withLock { writes in writes[userID].map { ContinuousClock.now - $0 < Self.window } ?? false }
    }
}
