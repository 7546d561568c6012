import Foundation
import Glibc
import Logging
import PostgresClient
import Synchronization
import Testing

/// Every call to the database has a deadline: a slow statement is cancelled by the server, and a server that does not
/// answer at all (a hung primary, imitated by stopping our backend with SIGSTOP) costs one deadline and one connection.
@Suite("Database deadlines", .serialized)
struct DeadlineTests {
    @Test func aStatementPastTheDeadlineIsCancelledByTheServerAndTheConnectionServesTheNext() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1, deadline: .seconds(1))
        let measured = Mutex<Duration>(.zero)
        await #expect {
            try await pool.withConnection { connection in
                // Timed around the statement alone: opening the connection may be slow while the other suites run.
                let started = ContinuousClock.now
                defer { measured.withLock { $0 = ContinuousClock.now - started } }
                _ = try connection.query("SELECT pg_sleep(5)")
            }
        } throws: { error in
            (error as? PostgresError)?.sqlState == .queryCanceled
        }
        let waited = measured.withLock { $0 }
        #expect(waited >= .milliseconds(900) && waited < .seconds(4), "cancelled after \(waited)")
        let pid = try await pool.withConnection { connection in connection.backendPID }
        let again = try await pool.withConnection { try $0.query("SELECT 1 AS one").first?.decode("one", as: Int.self) }
        #expect(again == 1)
        #expect(try await pool.withConnection { $0.backendPID } == pid, "the same connection served the next statement")
        #expect(pool.usage.deadlineCancellations == 0)
        await pool.shutdown()
    }

    @Test func aServerThatStopsAnsweringCostsOneDeadlineThenANewConnectionServes() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1, deadline: .seconds(1))
        let stopped = try await pool.withConnection { Int32($0.backendPID) }
        #expect(kill(stopped, SIGSTOP) == 0, "the tests run as root, like deploy/test")
        defer { kill(stopped, SIGTERM); kill(stopped, SIGCONT) }
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { _ = try $0.query("SELECT 1") }
        } throws: { error in
            if case .deadlineExceeded? = error as? PostgresError { true } else { false }
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .seconds(2) && waited < .seconds(6), "cut off after \(waited) (deadline 1 s, then 1 s of grace)")
        #expect(pool.usage.deadlineCancellations == 1)
        // The slot is free again and the next call opens a fresh connection to a live backend.
        let next = try await pool.withConnection { connection in (Int32(connection.backendPID), try connection.query("SELECT 2 AS two").first?.decode("two", as: Int.self)) }
        #expect(next.0 != stopped && next.1 == 2)
        #expect(pool.usage.connectionsOpened == 2)
        await pool.shutdown()
    }

    @Test func aReadOnAStoppedServerIsRetriedOnAFreshConnection() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1, deadline: .seconds(1))
        let stopped = try await pool.read { Int32($0.backendPID) }
        #expect(kill(stopped, SIGSTOP) == 0)
        defer { kill(stopped, SIGTERM); kill(stopped, SIGCONT) }
        // A read wrote nothing, so the pool runs it again on a new connection: one deadline late, but answered.
        let value = try await pool.read { try $0.query("SELECT 3 AS three").first?.decode("three", as: Int.self) }
        #expect(value == 3)
        await pool.shutdown()
    }

    @Test func theServersNoticesReachTheLoggerAsStructuredEntries() async throws {
        let captured = CapturedLog()
        let logger = Logger(label: "postgres") { _ in captured }
        let connection = try Connection(conninfo: try TestDatabase.url(), logger: logger)
        try connection.execute("DO $$ BEGIN RAISE WARNING 'disk nearly full'; END $$")
        let entries = captured.entries.withLock { $0 }
        #expect(entries.contains { $0.message.contains("disk nearly full") && $0.metadata["severity"] == "WARNING" && $0.level == .warning },
                "\(entries)")
        #expect(!connection.host.isEmpty && !connection.port.isEmpty)
    }
}

/// A log handler that keeps what it is given.
final class CapturedLog: LogHandler, @unchecked Sendable {
    struct Entry: Sendable { let level: Logger.Level; let message: String; let metadata: [String: String] }
    let entries = Mutex<[Entry]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { metadata[key] } set { metadata[key] = newValue } }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let flat = (metadata ?? [:]).mapValues { "\($0)" }
        entries.withLock { $0.append(Entry(level: level, message: message.description, metadata: flat)) }
    }
}
