import Foundation
import Testing
@testable import PostgresClient

@Suite("Statements nobody waits for travel with the next one, in order, in the same transaction")
struct PipelineTests {
    private func count(_ connection: Connection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM probe").first!.decode("n", as: Int.self)
    }

    /// One connection with an empty temporary `probe` table (pool size 1 keeps it).
    private func pool() async throws -> ConnectionPool {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1)
        try await pool.transaction { try $0.execute("CREATE TEMP TABLE probe (v text NOT NULL)") }
        return pool
    }

    @Test func enqueuedWritesAreSeenByTheNextStatementAndCommitWithTheTransaction() async throws {
        let pool = try await pool()
        let seen = try await pool.transaction(settings: [(name: "roadwork.probe", value: "set")]) { connection -> [String] in
            connection.enqueue("INSERT INTO probe VALUES ($1)", ["first"])
            connection.enqueue("INSERT INTO probe SELECT current_setting('roadwork.probe')")
            return try connection.query("SELECT v FROM probe ORDER BY v").rows.map { try $0.decode("v") }
        }
        #expect(seen == ["first", "set"])
        // A body that only enqueues still commits: its writes go out with the COMMIT.
        try await pool.transaction { $0.enqueue("INSERT INTO probe VALUES ($1)", ["alone"]) }
        #expect(try await pool.transaction { try count($0) } == 3)
        await pool.shutdown()
    }

    @Test func aFailingEnqueuedWriteFailsItsTransactionAndLeavesNothing() async throws {
        let pool = try await pool()
        // Surfacing at COMMIT: the write before it is rolled back with it.
        await #expect { try await pool.transaction { connection in
            connection.enqueue("INSERT INTO probe VALUES ($1)", ["kept?"])
            connection.enqueue("INSERT INTO probe VALUES (NULL)")
        } } throws: { ($0 as? PostgresError)?.sqlState == .notNullViolation }
        // Surfacing at the next statement, which does not run.
        await #expect { try await pool.transaction { connection in
            connection.enqueue("INSERT INTO probe VALUES ($1)", ["kept?"])
            connection.enqueue("INSERT INTO probe VALUES (NULL)")
            _ = try connection.query("INSERT INTO probe VALUES ($1)", ["after"])
        } } throws: { ($0 as? PostgresError)?.sqlState == .notNullViolation }
        #expect(try await pool.transaction { try count($0) } == 0)
        // The same connection was rolled back and lent again with no transaction open.
        #expect(try await pool.transaction { $0.isInTransaction } == false)
        await pool.shutdown()
    }

    @Test func severalStatementsAnswerInOneRoundTripEachWithItsOwnRows() async throws {
        let pool = try await pool()
        let (numbers, transactions) = try await pool.transaction { connection -> ([Int], Set<Int>) in
            let results = try connection.queries([("SELECT $1::int AS n", [1]), ("SELECT n FROM generate_series(2, $1::int) n", [4]),
                                                  ("SELECT txid_current()::int8 AS n", [])])
            let numbers = try results[0...1].flatMap { try $0.rows.map { try $0.decode("n", as: Int.self) } }
            let again = try connection.query("SELECT txid_current()::int8 AS n").first!.decode("n", as: Int.self)
            return (numbers, [try results[2].first!.decode("n", as: Int.self), again])
        }
        #expect(numbers == [1, 2, 3, 4])
        #expect(transactions.count == 1)
        // A failure in the middle stops the rest and rolls back what came before.
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { connection in
                _ = try connection.queries([("INSERT INTO probe VALUES ($1)", ["before"]), ("SELECT 1 / $1::int", [0]),
                                            ("INSERT INTO probe VALUES ($1)", ["after"])])
            }
        }
        #expect(try await pool.transaction { try count($0) } == 0)
        await pool.shutdown()
    }

    @Test func aReadOnlyTransactionsCommitWaitsForTheNextPipelineOrTheConnectionGoingIdle() throws {
        let url = try TestDatabase.url()
        let connection = try Connection(conninfo: url), watcher = try Connection(conninfo: url)
        func state() throws -> String? {
            try watcher.query("SELECT state FROM pg_stat_activity WHERE pid = $1", [connection.backendPID]).first?.decode("state", as: String?.self)
        }
        connection.beginLazily(settings: [], readOnly: true)
        _ = try connection.query("SELECT 1 AS one")
        try connection.commit()
        // Queued, not sent: the server still sits inside the transaction.
        #expect(connection.commitQueued)
        #expect(try state() == "idle in transaction")
        // The next call's pipeline carries it, and that call runs outside the old transaction.
        #expect(try connection.query("SELECT txid_current_if_assigned() IS NULL AS none").first!.decode("none", as: Bool.self))
        #expect(!connection.commitQueued && !connection.isInTransaction)
        #expect(try state() == "idle")
        // Or `settle` sends it alone, as a pool thread does before it sits idle.
        connection.beginLazily(settings: [], readOnly: true)
        _ = try connection.query("SELECT 1 AS one")
        try connection.commit()
        #expect(try state() == "idle in transaction")
        try connection.settle()
        #expect(try state() == "idle")
    }
}
