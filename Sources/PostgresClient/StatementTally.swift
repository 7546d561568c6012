import Synchronization

/// What one unit of work (an HTTP request) sent to PostgreSQL, over every connection it borrowed from a pool: the
/// statements, the round trips, and with `recording` the statements themselves, one list per round trip.
/// Set it as `StatementTally.$current` around the work; the pool adds to it.
public final class StatementTally: Sendable {
    @TaskLocal public static var current: StatementTally?

    /// One statement as sent: its SQL and its parameters as text (nil for NULL).
    public struct Statement: Sendable, Encodable {
        public let sql: String
        public let values: [String?]
    }

    /// Statements sent in one round trip, and whether they went as a pipeline (several, or a lazily opened transaction's
    /// preamble with the statement) rather than as one call.
    public struct RoundTrip: Sendable, Encodable {
        public let pipelined: Bool
        public let statements: [Statement]
    }

    private struct Counts {
        var statements = 0
        var roundTrips = 0
        var recorded: [RoundTrip] = []
    }

    public let recording: Bool
    private let counts = Mutex(Counts())

    public init(recording: Bool = false) {
        self.recording = recording
    }

    public var statements: Int { counts.withLock { $0.statements } }
    public var roundTrips: Int { counts.withLock { $0.roundTrips } }
    /// The round trips in the order sent (empty unless `recording`).
    public var recorded: [RoundTrip] { counts.withLock { $0.recorded } }

    func add(count: Int, _ roundTrip: RoundTrip) {
        counts.withLock {
            $0.statements += count
            $0.roundTrips += 1
            if recording { $0.recorded.append(roundTrip) }
        }
    }
}
