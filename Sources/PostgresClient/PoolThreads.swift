import Foundation
import Logging

/// The pool's threads and the line of work waiting for them. Each thread owns one connection (opened when it first has
/// work, replaced when found broken) and runs one caller's work at a time with it; a thread goes from one caller's work
/// straight to the next without sleeping while the line is not empty. New work goes to the thread that went idle last
/// and has a connection, so a quiet pool keeps using one connection instead of opening one per thread.
final class PoolThreads: @unchecked Sendable {
    /// A caller's work in the line: run on a pool thread with its connection, or failed (timeout, cancel, shutdown).
    /// Whoever takes it out of the line under the lock does exactly one of the two.
    private struct Job: Sendable {
        let id: UInt64
        let queued: ContinuousClock.Instant
        let tally: StatementTally?
        /// Runs the work and returns how to hand its outcome to the caller, which the thread does once its counts are updated.
        let run: @Sendable (Connection) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var line: [Job] = []
        var nextJobID: UInt64 = 0
        var open = 0
        var busy = 0
        /// Threads waiting for work, the one that went idle last at the end.
        var idle: [Worker] = []
        var running: Int
        var stopping = false
        var stopped: CheckedContinuation<Void, Never>?
        /// Connections lent out now, for the deadline watchdog.
        var lent: [ObjectIdentifier: Connection] = [:]
        var deadlineCancellations = 0
        var connectionsOpened = 0
        var hosts: [String: Int] = [:]

        /// A connection left the pool (discarded, or closed at shutdown).
        mutating func dropped(_ connection: Connection) {
            open -= 1
            let key = "\(connection.host):\(connection.port)"
            hosts[key, default: 1] -= 1
            if hosts[key] == 0 { hosts[key] = nil }
        }
    }

    /// One thread's wake-up: work handed to it while it slept, or none (the pool stops).
    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        /// Set under the pool's lock.
        var handed: Job?
        var hasConnection = false
    }

    private enum Next {
        case run(Job)
        case settle
        case stop
    }

    private let acquireTimeout: Duration
    private let connect: @Sendable () throws -> Connection
    private let logger: Logger
    /// Guards `state` and each worker's `handed` and `hasConnection`.
    private let lock = NSLock()
    private var state: State

    init(size: Int, acquireTimeout: Duration, logger: Logger, connect: @escaping @Sendable () throws -> Connection) {
        self.acquireTimeout = acquireTimeout
        self.connect = connect
        self.logger = logger
        self.state = State(running: size)
        for number in 0..<size {
            let worker = Worker()
            let thread = Thread { [self] in serve(worker) }
            thread.name = "PG-#\(number)"
            thread.start()
        }
    }

    private func locked<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    func usage(size: Int) -> ConnectionPool.Usage {
        locked {
            .init(size: size, open: $0.open, inUse: $0.busy, waiting: $0.line.count, deadlineCancellations: $0.deadlineCancellations,
                  connectionsOpened: $0.connectionsOpened, hosts: $0.hosts)
        }
    }

    /// Runs `body` on the next free thread with its connection. A task cancelled while its work waits in line leaves
    /// the line at once with `CancellationError`.
    func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let tally = StatementTally.current
        let id = locked { state -> UInt64 in state.nextJobID += 1; return state.nextJobID }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job(id: id, queued: .now, tally: tally,
                              run: { connection in
                                  let outcome = Result { try body(connection) }
                                  return { continuation.resume(with: outcome) }
                              },
                              fail: { continuation.resume(throwing: $0) })
                let outcome: Result<Worker?, any Error> = locked { state in
                    if state.stopping { return .failure(PostgresError.poolClosed) }
                    // Checked under the lock the cancellation handler takes, so a cancel is seen here or finds the job.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    // A thread with a connection that is just finishing (neither busy nor asleep) takes it from the
                    // line in a moment; only when none is does a thread without one wake up to open another.
                    let index = state.idle.lastIndex { $0.hasConnection }
                        ?? (state.open > state.busy ? nil : state.idle.indices.last)
                    guard let index else {
                        state.line.append(job)
                        return .success(nil)
                    }
                    let worker = state.idle.remove(at: index)
                    worker.handed = job
                    state.busy += 1
                    return .success(worker)
                }
                switch outcome {
                case .failure(let refused): job.fail(refused)
                case .success(let worker): worker?.wake.signal()
                }
            }
        } onCancel: {
            let job = locked { state in state.line.firstIndex { $0.id == id }.map { state.line.remove(at: $0) } }
            job?.fail(CancellationError())
        }
    }

    /// Work that waited past the acquire timeout leaves the line with `acquireTimeout`.
    func expireWaiting() {
        let now = ContinuousClock.now
        let expired = locked { state -> [Job] in
            let expired = state.line.filter { now - $0.queued >= acquireTimeout }
            if !expired.isEmpty { state.line.removeAll { now - $0.queued >= acquireTimeout } }
            return expired
        }
        for job in expired { job.fail(PostgresError.acquireTimeout) }
    }

    /// Cuts off every lent connection blocked longer than `limit` (it is then discarded).
    func interruptOverdue(limit: Duration) {
        let now = ContinuousClock.now
        let overdue = locked { $0.lent.values.filter { $0.isOverdue(limit, now: now) } }
        for connection in overdue {
            connection.interrupt()
            locked { $0.deadlineCancellations += 1 }
            logger.warning("database call passed its deadline; cancelled and discarded the connection",
                           metadata: ["host": "\(connection.host)", "port": "\(connection.port)", "pid": "\(connection.backendPID)",
                                      "limit_ms": "\(limit.components.seconds * 1000)"])
        }
    }

    /// Waiting work fails with `poolClosed`; each thread finishes the work it holds, closes its connection and ends.
    func stop() {
        let (waiting, idle) = locked { state -> ([Job], [Worker]) in
            state.stopping = true
            defer { state.line = []; state.idle = [] }
            return (state.line, state.idle)
        }
        idle.forEach { $0.wake.signal() }
        waiting.forEach { $0.fail(PostgresError.poolClosed) }
    }

    /// `stop`, then waits until every thread has ended.
    func stopAndWait() async {
        stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = locked { state -> Bool in
                if state.running == 0 { return true }
                state.stopped = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// One thread: takes the next work in line, with its own connection (opened when it has none), until the pool stops.
    private func serve(_ worker: Worker) {
        var connection: Connection? {
            didSet { locked { _ in worker.hasConnection = connection != nil } }
        }
        serving: while true {
            let job: Job
            switch next(for: worker, settling: connection?.commitQueued == true) {
            case .stop:
                break serving
            case .settle:
                // Nothing more to do: a queued COMMIT goes out now rather than hold its transaction open while idle
                // (lent meanwhile, so the watchdog sees a server that does not answer).
                guard let current = connection else { continue }
                locked { $0.lent[ObjectIdentifier(current)] = current }
                do { try current.settle() } catch { discard(current, reason: "\(error)"); connection = nil }
                locked { $0.lent[ObjectIdentifier(current)] = nil }
                continue
            case .run(let next):
                job = next
            }
            if connection == nil {
                do {
                    connection = try open()
                } catch {
                    locked { $0.busy -= 1 }
                    logger.warning("could not open a database connection", metadata: ["error": "\(error)"])
                    job.fail(error)
                    continue
                }
            }
            guard let current = connection else { continue }
            current.tally = job.tally
            locked { $0.lent[ObjectIdentifier(current)] = current }
            let answer = job.run(current)
            current.tally = nil
            locked { state in
                state.lent[ObjectIdentifier(current)] = nil
                state.busy -= 1
            }
            if current.isBroken || current.isInTransaction {
                discard(current, reason: current.isBroken ? "broken" : "left inside a transaction")
                connection = nil
            }
            // Answered last, so a caller reading the pool's usage next sees this thread free.
            answer()
        }
        let stopped = locked { state -> CheckedContinuation<Void, Never>? in
            if let connection { state.dropped(connection) }
            state.running -= 1
            return state.running == 0 ? state.stopped : nil
        }
        connection = nil
        stopped?.resume()
    }

    /// The next work in line, counted busy; with none, sleeps until work is handed to it. A thread with a queued COMMIT
    /// waits for work only `commitLinger`, then `settle`s. `stop` once the pool stops.
    private func next(for worker: Worker, settling: Bool) -> Next {
        let now = locked { state -> Next? in
            if state.stopping { return .stop }
            if !state.line.isEmpty {
                state.busy += 1
                return .run(state.line.removeFirst())
            }
            state.idle.append(worker)
            return nil
        }
        if let now { return now }
        // Under load the next caller comes within a fraction of a millisecond and its pipeline carries the COMMIT; sent
        // alone, it was a round trip of its own (two wake-ups) for a good share of reads.
        if !settling {
            worker.wake.wait()
        } else if worker.wake.wait(timeout: .now() + Self.commitLinger) == .timedOut {
            let gaveUp = locked { state -> Bool in
                guard worker.handed == nil, let index = state.idle.firstIndex(where: { $0 === worker }) else { return false }
                state.idle.remove(at: index)
                return true
            }
            if gaveUp { return .settle }
            // Work (or the stop) was handed over just as the time ran out: its signal is on its way.
            worker.wake.wait()
        }
        return locked { _ in
            defer { worker.handed = nil }
            return worker.handed.map(Next.run) ?? .stop
        }
    }

    /// How long an idle thread keeps a read-only transaction's COMMIT for the next caller's pipeline.
    static let commitLinger = DispatchTimeInterval.milliseconds(1)

    private func open() throws -> Connection {
        let connection = try connect()
        locked { state in
            state.open += 1
            state.connectionsOpened += 1
            state.hosts["\(connection.host):\(connection.port)", default: 0] += 1
        }
        logger.info("database connection opened", metadata: ["host": "\(connection.host)", "port": "\(connection.port)",
                                                              "pid": "\(connection.backendPID)"])
        return connection
    }

    private func discard(_ connection: Connection, reason: String) {
        locked { $0.dropped(connection) }
        logger.info("database connection discarded", metadata: ["host": "\(connection.host)", "port": "\(connection.port)", "reason": "\(reason)"])
    }
}
