/// A five-character SQLSTATE code, with names for the ones Roadwork reacts to.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let exclusionViolation = SQLState(rawValue: "23P01")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let raiseException = SQLState(rawValue: "P0001")
    public static let featureNotSupported = SQLState(rawValue: "0A000")

    /// Class 23: the statement broke a constraint of the schema.
    public var isIntegrityConstraintViolation: Bool { rawValue.hasPrefix("23") }
    /// Class 08: the connection itself failed.
    public var isConnectionException: Bool { rawValue.hasPrefix("08") }

    public var description: String { rawValue }
}

/// Everything the server said about a failed statement.
public struct ServerError: Sendable, CustomStringConvertible {
    public let sqlState: SQLState
    public let message: String
    public let detail: String?
    public let hint: String?
    public let constraint: String?
    public let table: String?
    public let column: String?

    public var description: String {
        var text = "\(sqlState): \(message)"
        if let detail { text += " (\(detail))" }
        return text
    }
}

/// Errors of the PostgreSQL client, typed so callers can map them (unique violation → 409, …).
public enum PostgresError: Error, Sendable, CustomStringConvertible {
    /// libpq could not connect, or the connection broke mid-statement.
    case connection(String)
    /// The server rejected the statement.
    case server(ServerError)
    /// A column could not be decoded into the requested Swift type.
    case decoding(column: String, message: String)
    /// The pool has been shut down.
    case poolClosed
    /// No connection became free within the pool's acquire timeout.
    case acquireTimeout
    /// A call ran past the pool's deadline and was cut off (the server did not answer in time).
    case deadlineExceeded

    /// The SQLSTATE of a server error, if this is one.
    public var sqlState: SQLState? {
        if case .server(let error) = self { return error.sqlState }
        return nil
    }

    /// The server refused a prepared statement whose tables changed shape since it was prepared.
    var isStaleCachedPlan: Bool {
        if case .server(let error) = self {
            return error.sqlState == .featureNotSupported && error.message.hasPrefix("cached plan must not change result type")
        }
        return false
    }

    /// The constraint a server error names, if any.
    public var constraint: String? {
        if case .server(let error) = self { return error.constraint }
        return nil
    }

    public var description: String {
        switch self {
        case .connection(let message): return "postgres: connection failed: \(message)"
        case .server(let error): return "postgres: \(error)"
        case .decoding(let column, let message): return "postgres: cannot decode column \(column): \(message)"
        case .poolClosed: return "postgres: the connection pool is closed"
        case .acquireTimeout: return "postgres: timed out waiting for a free connection"
        case .deadlineExceeded: return "postgres: the database did not answer within the deadline; the connection was discarded"
        }
    }
}
