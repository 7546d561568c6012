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
            default:
                return nil
            }
        case .connection, .acquireTimeout, .poolClosed:
            return Problem(status: .serviceUnavailable, detail: "The database is not reachable right now; try again shortly.")
        case .decoding:
            return nil
        }
    }
}
