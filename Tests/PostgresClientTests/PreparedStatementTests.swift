import Foundation
import Testing
@testable import PostgresClient

@Suite("Each statement is parsed and planned once per connection")
struct PreparedStatementTests {
    private func preparedCount(_ connection: Connection, like text: String) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [text]).first!.decode("n", as: Int.self)
    }

    @Test func aRepeatedStatementIsPreparedOnceAndAnswersWithItsOwnParameters() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let sql = "SELECT $1::int * 2 AS doubled"
        for value in 1...5 {
            #expect(try connection.query(sql, [value]).first!.decode("doubled", as: Int.self) == value * 2)
        }
        #expect(try preparedCount(connection, like: sql) == 1)
    }

    @Test func aStatementThatFailsToPrepareIsNotKeptAndTheConnectionGoesOn() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        #expect { try connection.query("SELEC $1::int", [1]) } throws: { ($0 as? PostgresError)?.sqlState == SQLState(rawValue: "42601") }
        #expect(try preparedCount(connection, like: "SELEC $1::int") == 0)
        #expect(try connection.query("SELECT 1 AS one").first!.decode("one", as: Int.self) == 1)
    }

    @Test func aTableThatChangesShapeFailsTheOldStatementOnceThenWorks() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        try connection.execute("CREATE TEMP TABLE shapes (a integer); INSERT INTO shapes VALUES (1)")
        let sql = "SELECT * FROM shapes"
        #expect(try connection.query(sql).rows.count == 1)
        try connection.execute("ALTER TABLE shapes ADD COLUMN b integer DEFAULT 2")
        #expect { try connection.query(sql) } throws: { ($0 as? PostgresError)?.isStaleCachedPlan == true }
        let row = try #require(try connection.query(sql).first)
        #expect(try row.decode("b", as: Int.self) == 2)
        // Renamed, with as many columns as before: the statement prepared afresh reads the new names.
        try connection.execute("ALTER TABLE shapes RENAME COLUMN b TO c")
        #expect { try connection.query(sql) } throws: { ($0 as? PostgresError)?.isStaleCachedPlan == true }
        #expect(try connection.query(sql).first!.decode("c", as: Int.self) == 2)
    }

    @Test func aPreparedStatementsColumnNamesAreReadOnceAndServeItsLaterResultsAlsoInAPipeline() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let sql = "SELECT $1::int AS a, $1::int + 1 AS b, $1::int + 2 AS a, 'x' AS f_title"
        let first = try connection.query(sql, [1])
        let second = try connection.queries([(sql, [10]), ("SELECT $1::int AS a", [7])])
        #expect(first.layout === second[0].layout)
        #expect(second[1].layout !== first.layout)
        // Names still find their columns in the later result: the first of two same-named ones, and by prefix.
        let row = try #require(second[0].first)
        #expect(try row.decode("b", as: Int.self) == 11)
        #expect(try row.decode("a", as: Int.self) == 10)
        #expect(try row.decode("title", prefix: "f_", as: String.self) == "x")
        #expect(try second[1].first!.decode("a", as: Int.self) == 7)
        // A statement sent unnamed (by a connection that must not prepare) makes its own each time.
        let unprepared = try Connection(conninfo: try TestDatabase.url(), prepares: false)
        let unnamed = try unprepared.query(sql, [1])
        #expect(try unnamed.first!.decode("b", as: Int.self) == 2)
        #expect(try unnamed.layout !== unprepared.query(sql, [1]).layout)
    }

    @Test func aConnectionThatMustNotPrepareSendsEveryStatementUnnamedAlsoInAPipeline() throws {
        let connection = try Connection(conninfo: try TestDatabase.url(), prepares: false)
        let sql = "SELECT $1::int * 3 AS tripled"
        for value in 1...3 {
            #expect(try connection.query(sql, [value]).first!.decode("tripled", as: Int.self) == value * 3)
        }
        let piped = try connection.queries([(sql, [4]), ("SELECT $1::text AS echoed", ["four"])])
        #expect(try piped[0].first!.decode("tripled", as: Int.self) == 12)
        #expect(try piped[1].first!.decode("echoed", as: String.self) == "four")
        #expect(try connection.query("SELECT count(*) AS n FROM pg_prepared_statements").first!.decode("n", as: Int.self) == 0)
    }

    @Test func transactionsBeginAndCommitThroughStatementsPreparedAtConnect() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        for readOnly in [true, true, false] {
            connection.beginLazily(settings: [], readOnly: readOnly)
            _ = try connection.query("SELECT $1::int AS n", [1])
            try connection.commit()
        }
        let uses = try connection.query("SELECT statement, generic_plans + custom_plans AS uses FROM pg_prepared_statements").rows
            .reduce(into: [String: Int]()) { $0[try $1.decode("statement", as: String.self)] = try $1.decode("uses", as: Int.self) }
        #expect(uses["BEGIN READ ONLY"] == 2)
        #expect(uses["BEGIN"] == 1)
        // Each read-only transaction's COMMIT queued and sent in front of the next pipeline; the write's sent with its last one.
        #expect(uses["COMMIT"] == 3)
    }
}
