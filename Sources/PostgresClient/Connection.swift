import CLibPQ
import Glibc

/// One libpq connection. Not thread-safe: the pool lends it to one user at a time.
public final class Connection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Set when the server said the session is over (e.g. shutting down) before libpq saw the socket close.
    private var terminated = false
    /// Statements prepared on this connection, by SQL text: each is parsed and planned once, not on every call.
    private var prepared: [String: String] = [:]
    private var statementsPrepared = 0
    /// Bounds the cache should a caller ever build SQL text per call.
    private static let preparedLimit = 512
    /// A transaction opened lazily: BEGIN and these settings go out in one pipeline with its first statement.
    private var pendingBegin: [(name: String, value: String)]?

    /// Connects with the connection string given to libpq untouched (URLs, multi-host, TLS, .pgpass, services).
    public init(conninfo: String) throws {
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError.connection("out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError.connection(message)
        }
        self.handle = handle
        // Timestamps are decoded as UTC text; this is a session setting, not part of the connection string.
        try execute("SET TIME ZONE 'UTC'; SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// True once libpq has seen the connection break (server restarted, network gone).
    public var isBroken: Bool { terminated || PQstatus(handle) != CONNECTION_OK }

    /// True while a transaction block is open (or failed and awaiting rollback).
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The server's process id for this connection.
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    /// Runs one parameterized statement (`$1`, `$2` … placeholders) and returns its rows; the statement is prepared on first use.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        let texts = parameters.map { $0.postgresText }
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.flatMap { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        if let settings = pendingBegin {
            pendingBegin = nil
            return try cStrings.withUnsafeBufferPointer { buffer in
                try buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                    try pipelined(begin: settings, sql: sql, values: values)
                }
            }
        }
        let name = try preparedName(sql)
        let result = cStrings.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in
                if let name {
                    PQexecPrepared(handle, name, Int32(texts.count), values.baseAddress, nil, nil, 0)
                } else {
                    PQexecParams(handle, sql, Int32(texts.count), nil, values.baseAddress, nil, nil, 0)
                }
            }
        }
        do {
            return try check(result)
        } catch let error as PostgresError where error.isStaleCachedPlan {
            // A migration changed a table under a prepared statement: the next call prepares it afresh under a new name
            // (the transaction is aborted now, so the old one cannot be deallocated; it goes with the connection).
            prepared[sql] = nil
            throw error
        }
    }

    /// The name `sql` is prepared under on this connection, preparing it now if new (nil once the cache is full).
    private func preparedName(_ sql: String) throws -> String? {
        if let name = prepared[sql] { return name }
        guard statementsPrepared < Self.preparedLimit else { return nil }
        statementsPrepared += 1
        let name = "rw_\(statementsPrepared)"
        _ = try check(PQprepare(handle, name, sql, 0, nil))
        prepared[sql] = name
        return name
    }

    /// Runs a trusted script of several statements with no parameters (migrations, session setup).
    public func execute(_ script: String) throws {
        try sendPendingBegin()
        _ = try check(PQexec(handle, script))
    }

    /// Opens a transaction with these `set_config` settings when the first statement is sent, in the same round trip.
    public func beginLazily(settings: [(name: String, value: String)]) {
        pendingBegin = settings
    }

    /// Forgets a lazily opened transaction that sent nothing; true when there was one (so there is nothing to commit).
    public func discardPendingBegin() -> Bool {
        defer { pendingBegin = nil }
        return pendingBegin != nil
    }

    /// Sends a pending BEGIN on its own, for the paths that cannot share a pipeline (scripts, COPY).
    func sendPendingBegin() throws {
        guard let settings = pendingBegin else { return }
        pendingBegin = nil
        do {
            _ = try check(PQexec(handle, "BEGIN"))
        } catch let error as PostgresError where isBroken {
            throw BrokenBeforeBegin(error: error)
        }
        for setting in settings { try query("SELECT set_config($1, $2, true)", [setting.name, setting.value]) }
    }

    /// BEGIN, the settings, a first-time PREPARE and `sql` in one pipeline: one round trip opens the transaction and runs it.
    private func pipelined(begin settings: [(name: String, value: String)], sql: String,
                           values: UnsafeBufferPointer<UnsafePointer<CChar>?>) throws -> QueryResult {
        guard PQenterPipelineMode(handle) == 1 else { throw BrokenBeforeBegin(error: .connection(lastError)) }
        defer { PQexitPipelineMode(handle) }
        var sent = PQsendQueryParams(handle, "BEGIN", 0, nil, nil, nil, nil, 0) == 1
        for setting in settings {
            let copies: [UnsafeMutablePointer<CChar>?] = [strdup(setting.name), strdup(setting.value)]
            defer { copies.forEach { free($0) } }
            let parameters = copies.map { UnsafePointer($0) }
            sent = sent && PQsendQueryParams(handle, "SELECT set_config($1, $2, true)", 2, nil, parameters, nil, nil, 0) == 1
        }
        var name = prepared[sql]
        var preparing: String?
        if name == nil && statementsPrepared < Self.preparedLimit {
            statementsPrepared += 1
            preparing = "rw_\(statementsPrepared)"
            name = preparing
            sent = sent && PQsendPrepare(handle, preparing, sql, 0, nil) == 1
        }
        if let name {
            sent = sent && PQsendQueryPrepared(handle, name, Int32(values.count), values.baseAddress, nil, nil, 0) == 1
        } else {
            sent = sent && PQsendQueryParams(handle, sql, Int32(values.count), nil, values.baseAddress, nil, nil, 0) == 1
        }
        guard sent, PQpipelineSync(handle) == 1 else {
            terminated = true
            throw BrokenBeforeBegin(error: .connection(lastError))
        }
        // One result per command (each followed by a NULL), then the sync's.
        var outcomes: [Result<QueryResult, any Error>] = []
        for _ in 0..<(2 + settings.count + (preparing == nil ? 0 : 1)) {
            guard let result = PQgetResult(handle) else {
                terminated = true
                break
            }
            while let extra = PQgetResult(handle) { PQclear(extra) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                outcomes.append(.failure(PostgresError.connection("not run: an earlier statement in its pipeline failed")))
            } else {
                outcomes.append(Result { try check(result) })
            }
        }
        if !terminated, let sync = PQgetResult(handle) { PQclear(sync) }
        if let preparing, case .success = outcomes[1 + settings.count] { prepared[sql] = preparing }
        if terminated || outcomes.count < 2 + settings.count {
            throw BrokenBeforeBegin(error: .connection(lastError))
        }
        for outcome in outcomes.dropLast() { _ = try outcome.get() }
        do {
            return try outcomes.last!.get()
        } catch let error as PostgresError where error.isStaleCachedPlan {
            prepared[sql] = nil
            throw error
        }
    }

    /// Runs `body` inside BEGIN … COMMIT; any error rolls back and is rethrown.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken && isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    private func check(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            terminated = true
            throw PostgresError.connection(Self.errorMessage(handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            return QueryResult(result)
        default:
            defer { PQclear(result) }
            guard let state = field(result, "C"), !isBroken else {
                terminated = true
                throw PostgresError.connection(Self.errorMessage(handle))
            }
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

    private static func errorMessage(_ handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown error" }
        return String(cString: message).trimmingTrailingWhitespace()
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
