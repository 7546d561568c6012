import Logging
import Synchronization

/// A bounded pool of libpq connections, each owned by one of the pool's threads, which runs its blocking calls; a caller's
/// work waits in one line and the next free thread takes it. Under load a thread goes from one caller's work straight to
/// the next without sleeping, so a read costs one wake-up less than lending a connection and then handing the work to a
/// thread (see docs/reads.md).
public final class ConnectionPool: Sendable {
    /// How busy the pool is, for metrics and readiness.
    public struct Usage: Sendable {
        public let size: Int
        public let open: Int
        public let inUse: Int
        public let waiting: Int
        /// Calls cut off at the deadline, and connections opened, since the pool started.
        public let deadlineCancellations: Int
        public let connectionsOpened: Int
        /// Open connections per `host:port` they reached.
        public let hosts: [String: Int]
    }

    public let size: Int
    /// How long one exchange with the server may take: the server cancels a statement at this time, and the watchdog
    /// cuts off a call a second later (a server that hangs never answers). Nil: no deadline (the command-line tools).
    public let deadline: Duration?
    private let threads: PoolThreads
    private let watchdog = Mutex<Task<Void, Never>?>(nil)
    private let logger: Logger

    /// A pool of at most `size` connections to `conninfo`, passed to libpq as given.
    /// `prepares: false` prepares no statements (behind a pooler in transaction mode; see `Connection.init`).
    public init(conninfo: String, size: Int, acquireTimeout: Duration = .seconds(10), deadline: Duration? = nil, prepares: Bool = true,
                logger: Logger = Logger(label: "postgres")) {
        precondition(size > 0, "pool size must be positive")
        self.size = size
        self.deadline = deadline
        self.logger = logger
        let threads = PoolThreads(size: size, acquireTimeout: acquireTimeout, logger: logger) {
            try Connection(conninfo: conninfo, deadline: deadline, prepares: prepares, logger: logger)
        }
        self.threads = threads
        let limit = deadline.map { $0 + .seconds(1) }
        // Ten times a second: work that waited past the acquire timeout leaves the line, and a lent connection blocked
        // past its limit is cut off (and so discarded).
        watchdog.withLock {
            $0 = Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    threads.expireWaiting()
                    if let limit { threads.interruptOverdue(limit: limit) }
                }
            }
        }
    }

    /// A pool nobody holds any more stops its threads, which close their connections.
    deinit {
        watchdog.withLock { $0?.cancel() }
        threads.stop()
    }

    /// Current counts of open, busy and waiting.
    public var usage: Usage { threads.usage(size: size) }

    /// Runs `body` on a pool thread with that thread's connection; a connection found broken afterwards is discarded.
    /// Waits in line while every thread is busy. A task cancelled while waiting (its client gave up) leaves the line at
    /// once with `CancellationError`; work a thread already took runs to its end.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await threads.run(body)
    }

    /// Runs `body` in a transaction with these `set_config` settings; BEGIN travels with the body's first statement.
    /// A connection that turns out dead before anything ran is replaced and the body run again, so the first request after
    /// a database restart succeeds.
    /// `check` goes out last in the preamble (see `Connection.beginLazily`).
    /// `readOnly` opens it READ ONLY, and its COMMIT's answer is not waited for (see `Connection.commit`).
    public func transaction<T: Sendable>(settings: [(name: String, value: String)] = [], check: (sql: String, parameters: [String])? = nil,
                                         readOnly: Bool = false, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        // A deadlock or serialization failure rolled everything back, so the whole transaction runs again (twice at most,
        // after a short random pause): two transactions that locked the same rows in different orders both get through.
        var attempt = 0
        while true {
            do {
                return try await transactionOnce(settings: settings, check: check, readOnly: readOnly, body)
            } catch let error as PostgresError where attempt < 2 && [.deadlockDetected, .serializationFailure].contains(error.sqlState) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * attempt))
            }
        }
    }

    private func transactionOnce<T: Sendable>(settings: [(name: String, value: String)], check: (sql: String, parameters: [String])?,
                                              readOnly: Bool, _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await retryingBrokenConnections { connection in
            connection.beginLazily(settings: settings, check: check.map { ($0.sql, $0.parameters) }, readOnly: readOnly)
            do {
                let value = try body(connection)
                try connection.commit()
                return .done(value)
            } catch let failure as BrokenBeforeBegin {
                return .retry(failure.error)
            } catch {
                connection.discardPending()
                if !connection.isBroken && connection.isInTransaction { try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Runs one read-only statement outside a transaction (one round trip); a connection found dead is replaced
    /// and the read retried, which is safe because nothing was written.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await retryingBrokenConnections { connection in
            do {
                return .done(try body(connection))
            } catch let error as PostgresError where connection.isBroken {
                return .retry(error)
            }
        }
    }

    /// Runs `attempt` until it finishes, on a fresh connection each time it reports one dead (at most once per thread).
    private func retryingBrokenConnections<T: Sendable>(_ attempt: @escaping @Sendable (Connection) throws -> Attempt<T>) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            switch try await withConnection(attempt) {
            case .done(let result): return result
            case .retry(let error):
                logger.warning("discarded a broken database connection", metadata: ["error": "\(error)"])
                if attempts > size { throw error }
            }
        }
    }

    private enum Attempt<T: Sendable>: Sendable {
        case done(T)
        case retry(PostgresError)
    }

    /// Stops the pool: waiting work fails, each thread finishes the work it holds, closes its connection and ends.
    public func shutdown() async {
        watchdog.withLock { $0?.cancel() }
        await threads.stopAndWait()
    }
}
