import CLibPQ
import Glibc
import Logging
import Synchronization

/// One libpq connection. Not thread-safe: the pool lends it to one user at a time.
public final class Connection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Set when the server said the session is over (e.g. shutting down) before libpq saw the socket close.
    private var terminated = false
    /// Statements prepared on this connection, by SQL text: each is parsed and planned once, not on every call.
    private var prepared: [String: String] = [:]
    /// The columns of each prepared statement's rows, by statement name, from its first result.
    private var layouts: [String: ColumnLayout] = [:]
    private var statementsPrepared = 0
    /// Bounds the cache should a caller ever build SQL text per call; 0 when statements must not be prepared at all.
    private let preparedLimit: Int
    /// Statements not sent yet: a lazily opened transaction's BEGIN and settings, and writes nobody waits for.
    /// They go out in one pipeline with the next statement whose rows are read, or with COMMIT.
    private var pending: [Command] = []
    /// How many of `pending` are a lazily opened transaction's BEGIN and settings (0 once they went out).
    private var preamble = 0
    /// Statements sent so far (scripts count once), so a caller can check that its work does not grow with its rows.
    public private(set) var statementsSent = 0
    /// Where the statements of the unit of work this connection is lent to are counted (set by the pool).
    var tally: StatementTally?
    /// When the blocking call in progress started (nil between calls), and whether a deadline interrupted it; read by
    /// the pool's watchdog on another thread.
    private let watch = Mutex<Watch>(Watch())
    /// Made at connect time so the watchdog can ask the server to cancel from another thread (libpq allows it).
    private let cancel: OpaquePointer?
    /// Routes the server's notices to the logger; released after the connection is closed.
    private let notices: Unmanaged<NoticeSink>?
    /// The host and port libpq reached (one of a multi-host URL's), for logs and metrics.
    public let host: String
    public let port: String

    struct Watch {
        var since: ContinuousClock.Instant?
        var interrupted = false
        /// The cancel object went to a cancel request's thread, which frees it when done.
        var cancelHandedOff = false
    }

    /// One statement with its parameters as text.
    struct Command {
        let sql: String
        let values: [String?]
    }

    /// Connects with the connection string given to libpq untouched (URLs, multi-host, TLS, .pgpass, services).
    /// With a `deadline`, the server cancels any statement that runs longer (`statement_timeout`) and ends a session
    /// left idle inside a transaction for twice as long; the pool's watchdog handles a server that does not answer at all.
    /// `prepares: false` sends every statement unnamed (parsed on each call), for a pooler in transaction mode: a named
    /// statement lives on one server connection, and the pooler may give the next transaction another one.
    public init(conninfo: String, deadline: Duration? = nil, prepares: Bool = true, logger: Logger? = nil) throws {
        preparedLimit = prepares ? 512 : 0
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError.connection("out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError.connection(message)
        }
        self.handle = handle
        self.host = PQhost(handle).map { String(cString: $0) } ?? ""
        self.port = PQport(handle).map { String(cString: $0) } ?? ""
        self.cancel = PQgetCancel(handle)
        if let logger {
            let sink = Unmanaged.passRetained(NoticeSink(logger: logger, host: host, port: port))
            PQsetNoticeReceiver(handle, { context, result in
                guard let context, let result else { return }
                Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
            }, sink.toOpaque())
            notices = sink
        } else {
            notices = nil
        }
        // Timestamps are decoded as UTC text; this is a session setting, not part of the connection string.
        var setup = "SET TIME ZONE 'UTC'; SET client_min_messages = warning"
        if let deadline {
            let milliseconds = max(1, deadline.components.seconds * 1000 + deadline.components.attoseconds / 1_000_000_000_000_000)
            setup += "; SET statement_timeout = \(milliseconds); SET idle_in_transaction_session_timeout = \(milliseconds * 2)"
        }
        try execute(setup)
        // Every transaction begins and ends with one of these: unnamed, the server parsed them again each time.
        if prepares {
            for sql in Self.transactionControl { _ = try preparedName(sql) }
        }
    }

    deinit {
        if let cancel, !watch.withLock(\.cancelHandedOff) { PQfreeCancel(cancel) }
        PQfinish(handle)
        notices?.release()
    }

    /// True once libpq has seen the connection break (server restarted, network gone) or a deadline cut it off.
    public var isBroken: Bool { terminated || watch.withLock(\.interrupted) || PQstatus(handle) != CONNECTION_OK }

    /// Runs one blocking libpq exchange, visible to the watchdog while it lasts.
    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        watch.withLock { $0.since = .now }
        defer { watch.withLock { $0.since = nil } }
        return try body()
    }

    /// True when the call in progress started more than `limit` ago.
    func isOverdue(_ limit: Duration, now: ContinuousClock.Instant) -> Bool {
        watch.withLock { watch in watch.since.map { now - $0 > limit } ?? false && !watch.interrupted }
    }

    /// Cuts off the call in progress: asks the server to cancel it (on a thread of its own: a hung server never answers)
    /// and shuts the socket down, so the blocked libpq call returns now. The connection is broken from here on.
    /// Does nothing between calls. Safe from any thread.
    public func interrupt() {
        watch.withLock { watch in
            guard watch.since != nil, !watch.interrupted else { return }
            watch.interrupted = true
            if let cancel { watch.cancelHandedOff = Self.requestCancel(cancel) }
            let socket = PQsocket(handle)
            if socket >= 0 { _ = Glibc.shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Cancel requests still waiting for an answer; at most a few, so a hung server cannot collect threads.
    private static let cancelsInFlight = Atomic<Int>(0)

    /// Sends a cancel request on a thread of its own, which then frees `cancel`; false when none was started.
    private static func requestCancel(_ cancel: OpaquePointer) -> Bool {
        guard cancelsInFlight.add(1, ordering: .relaxed).newValue <= 4 else {
            cancelsInFlight.subtract(1, ordering: .relaxed)
            return false
        }
        let box = Unmanaged.passRetained(CancelRequest(cancel))
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let request = Unmanaged<CancelRequest>.fromOpaque(context!).takeRetainedValue()
            var message = [CChar](repeating: 0, count: 256)
            _ = PQcancel(request.cancel, &message, Int32(message.count))
            PQfreeCancel(request.cancel)
            Connection.cancelsInFlight.subtract(1, ordering: .relaxed)
            return nil
        }, box.toOpaque())
        if started == 0 {
            pthread_detach(thread)
            return true
        }
        box.release()
        cancelsInFlight.subtract(1, ordering: .relaxed)
        return false
    }

    /// The error for a call that found the connection broken: a deadline's when the watchdog cut it off.
    private func brokenError() -> PostgresError {
        terminated = true
        return watch.withLock(\.interrupted) ? .deadlineExceeded : .connection(lastError)
    }

    /// True while a transaction block is open (or failed and awaiting rollback).
    public var isInTransaction: Bool {
        // A transaction whose COMMIT is queued has ended as far as its user is concerned.
        if commitQueued { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The server's process id for this connection.
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    /// Runs one parameterized statement (`$1`, `$2` … placeholders) and returns its rows; the statement is prepared on first use.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        let command = Command(sql: sql, values: parameters.map(\.postgresText))
        if !pending.isEmpty { return try sendPending(then: [command]).last! }
        try settle()
        sent([command], pipelined: false)
        let name = try timed { try preparedName(sql) }
        let result = timed { Self.withCStrings(command.values) { values -> OpaquePointer? in
            if let name {
                PQexecPrepared(handle, name, Int32(values.count), values.baseAddress, nil, nil, 0)
            } else {
                PQexecParams(handle, sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0)
            }
        } }
        do {
            return try check(result, statement: name)
        } catch let error as PostgresError where error.isStaleCachedPlan {
            // A migration changed a table under a prepared statement: the next call prepares it afresh under a new name
            // (the transaction is aborted now, so the old one cannot be deallocated; it goes with the connection).
            prepared[sql] = nil
            throw error
        }
    }

    /// Runs several statements in one round trip (with anything pending) and returns each one's rows, in order.
    /// The first failure is thrown; the statements after it did not run.
    public func queries(_ statements: [(sql: String, parameters: [any PostgresEncodable])]) throws -> [QueryResult] {
        try sendPending(then: statements.map { Command(sql: $0.sql, values: $0.parameters.map(\.postgresText)) })
    }

    /// Sends `sql` with the next statement whose rows are read, or with COMMIT: for a write inside a transaction whose
    /// answer nothing waits for. An error it raises is thrown by that later call, and rolls the transaction back as any would.
    public func enqueue(_ sql: String, _ parameters: [any PostgresEncodable] = []) {
        pending.append(Command(sql: sql, values: parameters.map(\.postgresText)))
    }

    /// The statements that open and close transactions, prepared when the connection opens.
    static let transactionControl = ["BEGIN", "BEGIN READ ONLY", "COMMIT"]

    /// The name `sql` is prepared under on this connection, preparing it now if new (nil once the cache is full).
    private func preparedName(_ sql: String) throws -> String? {
        let (name, isNew) = reserveName(sql)
        guard let name, isNew else { return name }
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        prepared[sql] = name
        return name
    }

    /// The name `sql` is or will be prepared under, and whether it still has to be prepared (nil once the cache is full).
    private func reserveName(_ sql: String) -> (name: String?, isNew: Bool) {
        if let name = prepared[sql] { return (name, false) }
        guard statementsPrepared < preparedLimit else { return (nil, false) }
        statementsPrepared += 1
        return ("rw_\(statementsPrepared)", true)
    }

    /// Runs a trusted script of several statements with no parameters (migrations, session setup).
    public func execute(_ script: String) throws {
        try flushPending()
        try settle()
        sent([Command(sql: script, values: [])], pipelined: false)
        _ = try check(timed { PQexec(handle, script) })
    }

    /// Opens a transaction with these `set_config` settings when the first statement is sent, in the same round trip;
    /// `check`, a statement sent last in that preamble, leaves its rows in `checkResult` for the caller to inspect.
    /// `readOnly` opens it READ ONLY, and its COMMIT then goes out without waiting for the answer (see `commit`).
    public func beginLazily(settings: [(name: String, value: String)], check: (sql: String, parameters: [any PostgresEncodable])? = nil,
                            readOnly: Bool = false) {
        self.readOnly = readOnly
        pending = [Command(sql: readOnly ? "BEGIN READ ONLY" : "BEGIN", values: [])]
            + settings.map { Command(sql: "SELECT set_config($1, $2, true)", values: [$0.name, $0.value]) }
        checkIndex = nil
        checkResult = nil
        if let check {
            checkIndex = pending.count
            pending.append(Command(sql: check.sql, values: check.parameters.map(\.postgresText)))
        }
        preamble = pending.count
    }

    /// The rows of the preamble's `check` statement once the preamble went out (nil before, or without one).
    public private(set) var checkResult: QueryResult?
    private var checkIndex: Int?

    /// Whether the transaction `beginLazily` last opened is READ ONLY; only `commit` reads it.
    private var readOnly = false
    /// A read-only transaction's COMMIT is queued in pipeline mode, not yet sent: it goes out in front of the next
    /// pipeline, or alone when the pool's thread has nothing more to do (`settle`).
    public private(set) var commitQueued = false

    /// Commits, sending what is still pending with the COMMIT; a lazily opened transaction that sent nothing is just forgotten.
    /// A READ ONLY transaction's COMMIT is queued instead: it wrote nothing that could be lost, and what it read stands
    /// whatever the answer, so nobody waits for it. It travels in front of the connection's next pipeline and its answer
    /// is read with that pipeline's: a read costs the server one exchange instead of two.
    public func commit() throws {
        defer { readOnly = false }
        if preamble > 0 && preamble == pending.count {
            discardPending()
            return
        }
        if readOnly && pending.isEmpty {
            sent([Command(sql: "COMMIT", values: [])], pipelined: true)
            // A connection that cannot take it is dead or confused: marked broken, the pool discards it.
            commitQueued = PQenterPipelineMode(handle) == 1 && (prepared["COMMIT"].map { PQsendQueryPrepared(handle, $0, 0, nil, nil, nil, 0) }
                ?? PQsendQueryParams(handle, "COMMIT", 0, nil, nil, nil, nil, 0)) == 1
            if !commitQueued { terminated = true }
            return
        }
        _ = try sendPending(then: [Command(sql: "COMMIT", values: [])])
    }

    /// Sends a queued COMMIT alone, reads its answer and leaves pipeline mode: for a call that cannot go out behind it,
    /// and for a connection about to sit idle (its transaction ends now). Throws when the connection turned out dead.
    public func settle() throws {
        guard commitQueued else { return }
        try timed {
            guard PQpipelineSync(handle) == 1 else { commitQueued = false; terminated = true; throw brokenError() }
            try readQueuedCommit()
            guard let sync = PQgetResult(handle) else { terminated = true; throw brokenError() }
            PQclear(sync)
        }
        PQexitPipelineMode(handle)
    }

    /// Reads a queued COMMIT's result and the NULL after it. A connection whose answer is missing or wrong is marked
    /// broken, so the pool discards it.
    private func readQueuedCommit() throws {
        commitQueued = false
        guard let result = PQgetResult(handle) else { terminated = true; throw brokenError() }
        let failure = PQresultStatus(result) == PGRES_COMMAND_OK ? nil : Self.errorMessage(handle)
        PQclear(result)
        while let extra = PQgetResult(handle) { PQclear(extra) }
        if let failure {
            terminated = true
            throw PostgresError.connection("a read-only transaction's COMMIT failed: \(failure)")
        }
    }

    /// Forgets what was not sent: the transaction is being rolled back, or never went out.
    public func discardPending() {
        pending = []
        preamble = 0
    }

    /// Sends what is pending, for the paths that cannot share a pipeline (scripts, COPY).
    func flushPending() throws {
        if !pending.isEmpty { _ = try sendPending(then: []) }
    }

    /// The pending statements and then `commands` in one pipeline, first-time PREPAREs included; returns the rows of `commands`.
    func sendPending(then commands: [Command]) throws -> [QueryResult] {
        try timed { try sendPendingNow(then: commands) }
    }

    private func sendPendingNow(then commands: [Command]) throws -> [QueryResult] {
        let all = pending + commands
        sent(all, pipelined: true)
        let opensTransaction = preamble > 0
        discardPending()
        // A broken connection before COMMIT went out left nothing behind, so the pool may run the transaction again.
        let retryable = opensTransaction && commands.last?.sql != "COMMIT"
        func broken() -> any Error {
            let error = brokenError()
            return retryable ? BrokenBeforeBegin(error: error) : error
        }
        // Behind a queued COMMIT the connection is in pipeline mode already, and this pipeline goes out with it.
        let behindCommit = commitQueued
        guard behindCommit || PQenterPipelineMode(handle) == 1 else { throw broken() }
        defer { PQexitPipelineMode(handle) }
        var preparing: [Int: String] = [:]
        var names: [String?] = []
        var sent = true
        for (index, command) in all.enumerated() {
            // Of the statements without parameters, only BEGIN and COMMIT are prepared (at connect): others may be built per call.
            let (name, isNew) = command.values.isEmpty ? (prepared[command.sql], false) : reserveName(command.sql)
            names.append(name)
            if let name, isNew {
                preparing[index] = name
                sent = sent && PQsendPrepare(handle, name, command.sql, 0, nil) == 1
            }
            sent = sent && Self.withCStrings(command.values) { values in
                if let name {
                    PQsendQueryPrepared(handle, name, Int32(values.count), values.baseAddress, nil, nil, 0) == 1
                } else {
                    PQsendQueryParams(handle, command.sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0) == 1
                }
            }
        }
        guard sent, PQpipelineSync(handle) == 1 else {
            if behindCommit { commitQueued = false; terminated = true }
            throw broken()
        }
        if behindCommit {
            do { try readQueuedCommit() } catch { throw broken() }
        }
        // Each command's result (after its PREPARE's, if any), each followed by a NULL, then the sync's.
        var outcomes: [Result<QueryResult, any Error>] = []
        for index in all.indices {
            var outcome: Result<QueryResult, any Error>?
            for _ in 0..<(preparing[index] == nil ? 1 : 2) {
                guard let result = PQgetResult(handle) else { throw broken() }
                while let extra = PQgetResult(handle) { PQclear(extra) }
                let this: Result<QueryResult, any Error>
                if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                    PQclear(result)
                    this = .failure(PostgresError.connection("not run: an earlier statement in its pipeline failed"))
                } else {
                    this = Result { try check(result, statement: names[index]) }
                }
                // A failed PREPARE is the command's failure; its execution then reports only that it was skipped.
                if case .failure? = outcome {} else { outcome = this }
            }
            outcomes.append(outcome!)
        }
        if let sync = PQgetResult(handle) { PQclear(sync) } else { throw broken() }
        if terminated { throw broken() }
        for (index, name) in preparing {
            if case .success = outcomes[index] { prepared[all[index].sql] = name }
        }
        if opensTransaction, let checkIndex, case .success(let result) = outcomes[checkIndex] { checkResult = result }
        for (index, outcome) in outcomes.enumerated() {
            do {
                _ = try outcome.get()
            } catch let error as PostgresError where error.isStaleCachedPlan {
                prepared[all[index].sql] = nil
                throw error
            }
        }
        return try outcomes.suffix(commands.count).map { try $0.get() }
    }

    /// Counts one round trip's statements here and in the tally of the work the connection is lent to.
    private func sent(_ commands: [Command], pipelined: Bool) {
        statementsSent += commands.count
        guard let tally else { return }
        tally.add(count: commands.count, .init(pipelined: pipelined, statements: tally.recording ? commands.map { .init(sql: $0.sql, values: $0.values) } : []))
    }

    /// Parameter texts as the C strings libpq takes (NULL for SQL NULL), alive while `body` runs.
    private static func withCStrings<R>(_ texts: [String?], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        return try cStrings.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self, body)
        }
    }

    /// Runs `body` inside BEGIN … COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try commit()
            return value
        } catch {
            discardPending()
            if !isBroken && isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// `statement`: the prepared statement's name, whose rows' columns are then looked up once, not in every result.
    private func check(_ result: OpaquePointer?, statement: String? = nil) throws -> QueryResult {
        guard let result else { throw brokenError() }
        let status = PQresultStatus(result)
        if status == PGRES_TUPLES_OK, let statement {
            if let layout = layouts[statement] { return QueryResult(result, layout: layout) }
            let layout = ColumnLayout(result)
            layouts[statement] = layout
            return QueryResult(result, layout: layout)
        }
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return QueryResult(result)
        default:
            defer { PQclear(result) }
            guard let state = field(result, "C"), !isBroken else { throw brokenError() }
            let error = ServerError(
                sqlState: SQLState(rawValue: state),
                message: field(result, "M") ?? Self.errorMessage(handle),
                detail: field(result, "D"),
                hint: field(result, "H"),
                constraint: field(result, "n"),
                table: field(result, "t"),
                column: field(result, "c")
            )
            if error.sqlState.isConnectionException || error.sqlState == .adminShutdown {
                terminated = true
                throw PostgresError.connection(error.message)
            }
            throw PostgresError.server(error)
        }
    }

    private func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    /// libpq's message for the last failure on this connection.
    var lastError: String { Self.errorMessage(handle) }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown error" }
        return String(cString: message).trimmingTrailingWhitespace()
    }
}

/// A cancel request's object, handed to the thread that sends it.
private final class CancelRequest: @unchecked Sendable {
    let cancel: OpaquePointer
    init(_ cancel: OpaquePointer) { self.cancel = cancel }
}

/// Passes the server's notices (warnings, raised notices) to the JSON logger instead of libpq's raw stderr.
final class NoticeSink: @unchecked Sendable {
    let logger: Logger
    let host: String
    let port: String

    init(logger: Logger, host: String, port: String) {
        self.logger = logger
        self.host = host
        self.port = port
    }

    func receive(_ result: OpaquePointer) {
        let field = { (code: Unicode.Scalar) in PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) } }
        let severity = field("V") ?? field("S") ?? "NOTICE"
        let message = field("M") ?? PQresultErrorMessage(result).map { String(cString: $0).trimmingTrailingWhitespace() } ?? ""
        let metadata: Logger.Metadata = ["severity": "\(severity)", "sqlstate": "\(field("C") ?? "")", "host": "\(host)", "port": "\(port)"]
        logger.log(level: severity == "WARNING" ? .warning : .info, "postgres notice: \(message)", metadata: metadata)
    }
}

/// The connection broke before a lazily opened transaction ran anything: the pool retries the whole body on another one.
struct BrokenBeforeBegin: Error {
    let error: PostgresError
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
