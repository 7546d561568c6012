import Logging
import NIOPosix
import Synchronization

/// A bounded pool of libpq connections whose blocking calls run on the pool's own threads, never on an event loop.
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

    private enum Lease {
        case reuse(Connection)
        case open
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Lease, any Error>
        /// Ends the wait at the acquire timeout; cancelled as soon as the waiter is served or gives up.
        let timer: Task<Void, Never>
    }

    private struct State {
        var idle: [Connection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        /// Connections lent out now, for the deadline watchdog.
        var lent: [ObjectIdentifier: Connection] = [:]
        var deadlineCancellations = 0
        var connectionsOpened = 0
        var hosts: [String: Int] = [:]
    }

    public let size: Int
    private let conninfo: String
    private let acquireTimeout: Duration
    /// How long one exchange with the server may take: the server cancels a statement at this time, and the watchdog
    /// cuts off a call a second later (a server that hangs never answers). Nil: no deadline (the command-line tools).
    public let deadline: Duration?
    let prepares: Bool
    private let watchdog = Mutex<Task<Void, Never>?>(nil)
    private let threads: NIOThreadPool
    private let state = Mutex(State())
    private let logger: Logger

    /// A pool of at most `size` connections to `conninfo`, passed to libpq as given.
    /// `prepares: false` prepares no statements (behind a pooler in transaction mode; see `Connection.init`).
    public init(conninfo: String, size: Int, acquireTimeout: Duration = .seconds(10), deadline: Duration? = nil, prepares: Bool = true,
                logger: Logger = Logger(label: "postgres")) {
        precondition(size > 0, "pool size must be positive")
        self.conninfo = conninfo
        self.prepares = prepares
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.deadline = deadline
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: size)
        self.threads.start()
        guard let deadline else { return }
        let limit = deadline + .seconds(1)
        // Looks at the lent connections ten times a second; one blocked past its limit is cut off and so discarded.
        watchdog.withLock {
            $0 = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    guard let self else { return }
                    self.interruptOverdue(limit: limit)
                }
            }
        }
    }

    private func interruptOverdue(limit: Duration) {
        let now = ContinuousClock.now
        let overdue = state.withLock { $0.lent.values.filter { $0.isOverdue(limit, now: now) } }
        for connection in overdue {
            connection.interrupt()
            state.withLock { $0.deadlineCancellations += 1 }
            logger.warning("database call passed its deadline; cancelled and discarded the connection",
                           metadata: ["host": "\(connection.host)", "port": "\(connection.port)", "pid": "\(connection.backendPID)",
                                      "limit_ms": "\(limit.components.seconds * 1000)"])
        }
    }

    /// Current counts of open, busy and waiting.
    public var usage: Usage {
        state.withLock {
            Usage(size: size, open: $0.open, inUse: $0.open - $0.idle.count, waiting: $0.waiters.count,
                  deadlineCancellations: $0.deadlineCancellations, connectionsOpened: $0.connectionsOpened, hosts: $0.hosts)
        }
    }

    /// Lends one connection to `body`, run on a pool thread; a connection found broken afterwards is discarded.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await threads.runIfActive { try body(connection) }
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction with these `set_config` settings; BEGIN travels with the body's first statement.
    /// A connection that turns out dead before anything ran is replaced and the body run again, so the first request after
    /// a database restart succeeds.
    /// `check` goes out last in the preamble (see `Connection.beginLazily`).
    public func transaction<T: Sendable>(settings: [(name: String, value: String)] = [], check: (sql: String, parameters: [String])? = nil,
                                         _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        // A deadlock or serialization failure rolled everything back, so the whole transaction runs again (twice at most,
        // after a short random pause): two transactions that locked the same rows in different orders both get through.
        var attempt = 0
        while true {
            do {
                return try await transactionOnce(settings: settings, check: check, body)
            } catch let error as PostgresError where attempt < 2 && [.deadlockDetected, .serializationFailure].contains(error.sqlState) {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * attempt))
            }
        }
    }

    private func transactionOnce<T: Sendable>(settings: [(name: String, value: String)], check: (sql: String, parameters: [String])?,
                                              _ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await retryingBrokenConnections { connection in
            connection.beginLazily(settings: settings, check: check.map { ($0.sql, $0.parameters) })
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

    /// Lends connections to `attempt` until it finishes, replacing each one it reports dead (at most once per slot).
    private func retryingBrokenConnections<T: Sendable>(_ attempt: @escaping @Sendable (Connection) throws -> Attempt<T>) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            let connection = try await acquire()
            let outcome: Attempt<T>
            do {
                outcome = try await threads.runIfActive { try attempt(connection) }
                release(connection)
            } catch {
                release(connection)
                throw error
            }
            switch outcome {
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

    /// Closes every idle connection and stops the pool's threads; waiting callers fail.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { state -> ([Connection], [Waiter]) in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            state.open -= state.idle.count
            return (state.idle, state.waiters)
        }
        _ = idle
        watchdog.withLock { $0?.cancel() }
        waiters.forEach { $0.timer.cancel(); $0.continuation.resume(throwing: PostgresError.poolClosed) }
        try? await threads.shutdownGracefully()
    }

    /// A connection for the calling task, counted in its `StatementTally` while lent.
    private func acquire() async throws -> Connection {
        let connection = try await acquireAny()
        connection.tally = StatementTally.current
        state.withLock { $0.lent[ObjectIdentifier(connection)] = connection }
        return connection
    }

    /// Waits in line when every connection is lent. A task cancelled while waiting (its client gave up) leaves the line
    /// at once with `CancellationError`, holding nothing; a lease handed over just before stays the caller's to release.
    private func acquireAny() async throws -> Connection {
        let id = state.withLock { state -> UInt64 in state.nextWaiterID += 1; return state.nextWaiterID }
        let lease: Lease = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<Lease, any Error>? = state.withLock { state in
                    if state.closed { return .failure(PostgresError.poolClosed) }
                    if let connection = state.idle.popLast() { return .success(.reuse(connection)) }
                    if state.open < size { state.open += 1; return .success(.open) }
                    // Checked under the lock the cancellation handler takes, so a cancel is seen here or finds the waiter.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timer: timeout(for: id)))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = removeWaiter(id)
            waiter?.timer.cancel()
            waiter?.continuation.resume(throwing: CancellationError())
        }
        switch lease {
        case .reuse(let connection):
            return connection
        case .open:
            do {
                let conninfo = self.conninfo, deadline = self.deadline, prepares = self.prepares, logger = self.logger
                let connection = try await threads.runIfActive { try Connection(conninfo: conninfo, deadline: deadline, prepares: prepares, logger: logger) }
                state.withLock {
                    $0.connectionsOpened += 1
                    $0.hosts["\(connection.host):\(connection.port)", default: 0] += 1
                }
                logger.info("database connection opened", metadata: ["host": "\(connection.host)", "port": "\(connection.port)",
                                                                      "pid": "\(connection.backendPID)"])
                return connection
            } catch {
                logger.warning("could not open a database connection", metadata: ["error": "\(error)"])
                slotFreed()
                throw error
            }
        }
    }

    private func timeout(for id: UInt64) -> Task<Void, Never> {
        let timeout = acquireTimeout
        return Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil, let self else { return }
            self.removeWaiter(id)?.continuation.resume(throwing: PostgresError.acquireTimeout)
        }
    }

    private func removeWaiter(_ id: UInt64) -> Waiter? {
        state.withLock { state in state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) } }
    }

    private func release(_ connection: Connection) {
        connection.tally = nil
        state.withLock { $0.lent[ObjectIdentifier(connection)] = nil }
        if connection.isBroken || connection.isInTransaction {
            let key = "\(connection.host):\(connection.port)"
            state.withLock { state in
                state.hosts[key, default: 1] -= 1
                if state.hosts[key] == 0 { state.hosts[key] = nil }
            }
            logger.info("database connection discarded", metadata: ["host": "\(connection.host)", "port": "\(connection.port)",
                                                                     "reason": "\(connection.isBroken ? "broken" : "left inside a transaction")"])
            slotFreed()
            return
        }
        let waiter: Waiter? = state.withLock { state in
            if state.closed { state.open -= 1; return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.timer.cancel()
        waiter?.continuation.resume(returning: .reuse(connection))
    }

    /// A connection was dropped: hand its slot to the next waiter, who opens a fresh one.
    private func slotFreed() {
        let waiter: Waiter? = state.withLock { state in
            if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.open -= 1
            return nil
        }
        waiter?.timer.cancel()
        waiter?.continuation.resume(returning: .open)
    }
}
