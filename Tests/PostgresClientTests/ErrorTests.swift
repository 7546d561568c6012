import Foundation
import Testing
@testable import PostgresClient

@Suite("Server errors surface as typed SQLSTATEs")
struct ErrorTests {
    @Test func uniqueViolationNamesItsConstraint() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        try connection.execute("CREATE TEMP TABLE pets (name text CONSTRAINT pets_name_key UNIQUE)")
        try connection.query("INSERT INTO pets VALUES ($1)", ["rex"])
        #expect {
            try connection.query("INSERT INTO pets VALUES ($1)", ["rex"])
        } throws: { error in
            let error = error as? PostgresError
            return error?.sqlState == .uniqueViolation && error?.constraint == "pets_name_key"
        }
    }

    @Test func checkAndSyntaxErrorsKeepTheirCodes() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        try connection.execute("CREATE TEMP TABLE amounts (value integer CHECK (value >= 0))")
        #expect { try connection.query("INSERT INTO amounts VALUES ($1)", [-1]) } throws: {
            ($0 as? PostgresError)?.sqlState == .checkViolation
        }
        #expect { try connection.query("SELEC 1") } throws: { ($0 as? PostgresError)?.sqlState == SQLState(rawValue: "42601") }
        #expect { try connection.query("SELECT $1::uuid", ["not-a-uuid"]) } throws: {
            ($0 as? PostgresError)?.sqlState == .invalidTextRepresentation
        }
    }

    @Test func parametersAreNeverSpliced() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let hostile = "'); DROP TABLE users; --"
        let row = try #require(try connection.query("SELECT $1::text AS value", [hostile]).first)
        #expect(try row.decode("value", as: String.self) == hostile)
    }

    @Test func aFailedTransactionRollsBackEverything() throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        try connection.execute("CREATE TEMP TABLE notes (body text NOT NULL)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction { connection in
                try connection.query("INSERT INTO notes VALUES ($1)", ["kept?"])
                throw Boom()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT count(*) AS n FROM notes").first!.decode("n", as: Int.self) == 0)
    }

    @Test func aBadConnectionStringFailsWithLibpqsMessage() {
        #expect {
            _ = try Connection(conninfo: "postgresql:///nowhere?host=/nonexistent-socket-dir&connect_timeout=1")
        } throws: { error in
            guard case .connection(let message) = error as? PostgresError else { return false }
            return message.contains("nonexistent-socket-dir")
        }
    }
}
