import Foundation
import Glibc
import Testing
@testable import PostgresClient

@Suite("The pool is bounded and heals broken connections")
struct ConnectionPoolTests {
    @Test func neverOpensMoreThanItsSize() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 2)
        let pids = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await pool.transaction { connection in
                        try connection.query("SELECT pg_sleep(0.01)")
                        return connection.backendPID
                    }
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(pids.count <= 2)
        #expect(pool.usage.open <= 2)
        #expect(pool.usage.inUse == 0)
        await pool.shutdown()
    }

    @Test func aConnectionKilledByTheServerIsReplaced() async throws {
        let url = try TestDatabase.url()
        let pool = ConnectionPool(conninfo: url, size: 1)
        let firstPID = try await pool.transaction { $0.backendPID }
        let killer = try Connection(conninfo: url)
        try killer.query("SELECT pg_terminate_backend($1)", [firstPID])
        try await Task.sleep(for: .milliseconds(100))
        let secondPID = try await pool.transaction { connection in
            try connection.query("SELECT 1 AS one").first!.decode("one", as: Int.self) == 1 ? connection.backendPID : -1
        }
        #expect(secondPID != firstPID)
        #expect(secondPID > 0)
        await pool.shutdown()
    }

    @Test func theNextRequestAfterADatabaseRestartSucceeds() async throws {
        let url = try TestDatabase.url("ROADWORK_TEST_RESTART_URL")
        let command = try TestDatabase.url("ROADWORK_TEST_RESTART_COMMAND")
        let pool = ConnectionPool(conninfo: url, size: 3)
        // Warm every connection so all of them die in the restart.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await pool.transaction { _ = try $0.query("SELECT pg_sleep(0.05)") } } }
            try await group.waitForAll()
        }
        let status = try await run(command)
        #expect(status == 0)
        let answer = try await pool.transaction { try $0.query("SELECT 41 + 1 AS answer").first!.decode("answer", as: Int.self) }
        #expect(answer == 42)
        await pool.shutdown()
    }

    @Test func waitersGiveUpAfterTheAcquireTimeout() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1, acquireTimeout: .milliseconds(100))
        async let holder: Void = pool.transaction { _ = try $0.query("SELECT pg_sleep(0.5)") }
        try await Task.sleep(for: .milliseconds(50))
        await #expect(throws: PostgresError.self) { try await pool.transaction { $0.backendPID } }
        try await holder
        await pool.shutdown()
    }

    /// Runs a shell command with posix_spawn and waitpid (Foundation's Process misses some exits on Linux).
    private func run(_ command: String) async throws -> Int32 {
        try await Task.detached {
            var pid: pid_t = 0
            let arguments: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (text: String) in text.withCString { strdup($0) } } + [nil]
            defer { arguments.forEach { free($0) } }
            guard posix_spawn(&pid, "/bin/sh", nil, nil, arguments, environ) == 0 else { return -1 }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return status
        }.value
    }
}
