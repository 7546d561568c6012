import Hummingbird
import PostgresClient

/// SQLSTATEs the client can cause map to 4xx; the database being away maps to 503.
protocol PostgresErrorMapping {
    var problem: Problem? { get }
}

extension PostgresError: PostgresErrorMapping {
    var problem: Problem? {
        switch self {
        case .server(let error):
            switch error.sqlState {
            case .uniqueViolation, .exclusionViolation:
                return Problem(status: .conflict, detail: "This conflicts with an existing object (\(error.constraint ?? "unique")).")
            case .serializationFailure, .deadlockDetected, .lockNotAvailable:
                return Problem(status: .conflict, detail: "A concurrent change got there first; try again.")
            case .foreignKeyViolation, .checkViolation, .notNullViolation, .invalidTextRepresentation:
                return Problem(status: .unprocessableContent, detail: "The request does not fit the data (\(error.constraint ?? error.sqlState.rawValue)).")
            case .queryCanceled:
                return Self.unavailable("The database took too long to answer (the statement passed its deadline); try again shortly.")
            default:
                return nil
            }
        case .connection, .poolClosed:
            return Self.unavailable("The database is not reachable right now; try again shortly.")
        case .acquireTimeout:
            return Self.unavailable("Every database connection is busy; try again shortly.")
        case .deadlineExceeded:
            return Self.unavailable("The database did not answer within the deadline; try again shortly.")
        case .decoding:
            return nil
        }
    }
}

extension PostgresError {
    /// A 503 that tells the client when to come back: the outage a deadline or a failover leaves is seconds long.
    static func unavailable(_ detail: String) -> Problem {
        var problem = Problem(status: .serviceUnavailable, detail: detail)
        problem.headers[.retryAfter] = "2"
        return problem
    }
}
