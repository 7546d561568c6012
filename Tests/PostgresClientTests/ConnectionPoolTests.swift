import Synchronization
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

    @Test func twoTransactionsThatDeadlockBothCommitOneRunningTwice() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 2)
        let runs = RunCounter()
        // Each takes one advisory lock, waits for the other to take its own, then asks for the other's: a deadlock, which
        // PostgreSQL breaks by failing one of them; the pool runs that one again.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (first, second) in [(71_001, 71_002), (71_002, 71_001)] {
                group.addTask {
                    try await pool.transaction { connection in
                        runs.increment()
                        try connection.query("SELECT pg_advisory_xact_lock($1)", [first])
                        // On the first runs, wait until the other holds its lock, so the two really cross.
                        let until = Date().addingTimeInterval(10)
                        while runs.value <= 2, Date() < until, try connection.query(
                            "SELECT count(*)::integer AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted", [second]
                        ).first!.decode("n", as: Int.self) == 0 { usleep(10_000) }
                        try connection.query("SELECT pg_advisory_xact_lock($1)", [second])
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(runs.value == 3)
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
        let holding = Flag()
        let released = Flag()
        async let holder: Void = pool.transaction { connection in
            holding.set()
            // Keeps the only connection until the waiter has given up, however slow the machine (at most 30 s).
            for _ in 0..<3000 where !released.isSet { usleep(10_000) }
            _ = try connection.query("SELECT 1")
        }
        // Wait until the holder has the only connection.
        while !holding.isSet { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: PostgresError.self) { try await pool.transaction { $0.backendPID } }
        released.set()
        try await holder
        await pool.shutdown()
    }

    @Test func waitersCancelledWithTheirRequestLeaveTheLineAndThePoolServesAtFullSpeed() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 2, acquireTimeout: .seconds(60))
        func burst() async throws -> Duration {
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 { group.addTask { _ = try await pool.read { try $0.query("SELECT 1").rows.count } } }
                try await group.waitForAll()
            }
            return ContinuousClock.now - started
        }
        let before = try await burst()
        let holding = Flag(), released = Flag()
        let holders = (0..<2).map { _ in
            Task {
                try await pool.transaction { connection in
                    holding.set()
                    for _ in 0..<3000 where !released.isSet { usleep(10_000) }
                    _ = try connection.query("SELECT 1")
                }
            }
        }
        while pool.usage.inUse < 2 { try await Task.sleep(for: .milliseconds(5)) }
        // 500 requests wait for the two busy connections; their clients give up.
        let abandoned = (0..<500).map { _ in Task { try await pool.read { try $0.query("SELECT 1").rows.count } } }
        while pool.usage.waiting < 500 { try await Task.sleep(for: .milliseconds(5)) }
        let cancelled = ContinuousClock.now
        abandoned.forEach { $0.cancel() }
        for task in abandoned { await #expect(throws: CancellationError.self) { _ = try await task.value } }
        // They left the line at once (not after the 60 s acquire timeout), holding nothing.
        #expect(ContinuousClock.now - cancelled < .seconds(10))
        #expect(pool.usage.waiting == 0)
        #expect(pool.usage.inUse == 2)
        released.set()
        for holder in holders { try await holder.value }
        #expect(pool.usage.inUse == 0 && pool.usage.open <= 2)
        // Nobody is left holding a place: the next burst is served like the first.
        let after = try await burst()
        #expect(after < before * 5 + .milliseconds(500), "200 reads took \(after) after the abandoned wait, \(before) before")
        #expect(pool.usage.waiting == 0 && pool.usage.inUse == 0)
        await pool.shutdown()
    }

    @Test func aTransactionsSettingsReachItsFirstStatementAndEndWithIt() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1)
        let settings = [(name: "roadwork.probe", value: "first")]
        // BEGIN and the setting travel in one pipeline with the first statement, whether a query or a script comes first.
        let seen = try await pool.transaction(settings: settings) { connection -> [String] in
            let first: String = try connection.query("SELECT current_setting('roadwork.probe') AS v").first!.decode("v")
            let second: String = try connection.query("SELECT current_setting('roadwork.probe') AS v").first!.decode("v")
            return [first, second]
        }
        #expect(seen == ["first", "first"])
        let afterScript = try await pool.transaction(settings: [(name: "roadwork.probe", value: "script")]) { connection -> String in
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS probe (v text); INSERT INTO probe SELECT current_setting('roadwork.probe')")
            return try connection.query("SELECT v FROM probe").first!.decode("v")
        }
        #expect(afterScript == "script")
        // SET LOCAL semantics: the next transaction on the same connection no longer sees it.
        let later = try await pool.transaction { try $0.query("SELECT current_setting('roadwork.probe', true) AS v").first!.decode("v", as: String?.self) }
        #expect(later == nil || later == "")
        await pool.shutdown()
    }

    @Test func aFirstStatementThatFailsRollsBackAndLeavesTheConnectionUsable() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 1)
        let pid = try await pool.transaction { $0.backendPID }
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { _ = try $0.query("SELECT 1/0 AS boom") }
        }
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { _ = try $0.query("SELEKT nonsense") }
        }
        // A body that sends nothing opens nothing; the same connection goes on answering in a fresh transaction.
        let (samePID, inTransaction) = try await pool.transaction { ($0.backendPID, $0.isInTransaction) }
        #expect(samePID == pid)
        #expect(!inTransaction)
        // Both statements ran in one transaction: the pipelined BEGIN took.
        let ids = try await pool.transaction { connection -> [Int] in
            try (0..<2).map { _ in try connection.query("SELECT txid_current()::int8 AS id").first!.decode("id", as: Int.self) }
        }
        #expect(ids[0] == ids[1])
        await pool.shutdown()
    }

    @Test func aPoolNobodyHoldsAnyMoreClosesItsConnections() async throws {
        let url = try TestDatabase.url()
        let name = "pool-drop-\(UInt32.random(in: 0...UInt32.max))"
        let watcher = try Connection(conninfo: url)
        func open() throws -> Int {
            try watcher.query("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE application_name = $1", [name]).first!.decode("n")
        }
        do {
            let pool = ConnectionPool(conninfo: url, size: 3)
            // Three callers at once, each holding its connection a moment, so all three threads open one.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            _ = try connection.query("SELECT set_config('application_name', $1, false), pg_sleep(0.2)", [name])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try open() == 3)
        }
        let until = ContinuousClock.now + .seconds(5)
        while try open() > 0, ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try open() == 0)
    }

    @Test func oneCallerAtATimeKeepsToOneConnection() async throws {
        let pool = ConnectionPool(conninfo: try TestDatabase.url(), size: 4)
        var pids: Set<Int> = []
        for _ in 0..<20 { pids.insert(try await pool.transaction { _ = try $0.query("SELECT 1 AS one"); return $0.backendPID }) }
        #expect(pids.count == 1)
        #expect(pool.usage.open == 1)
        await pool.shutdown()
    }

    @Test func aReadOnlyTransactionRefusesWritesAndEndsWithoutWaitingForTheNextCall() async throws {
        let url = try TestDatabase.url()
        let pool = ConnectionPool(conninfo: url, size: 1)
        await #expect(throws: PostgresError.self) {
            try await pool.transaction(readOnly: true) { _ = try $0.query("CREATE TEMP TABLE refused (v int)") }
        }
        let (pid, first) = try await pool.transaction(readOnly: true) { connection in
            (connection.backendPID, try connection.query("SELECT txid_current_if_assigned() IS NULL AS none").first!.decode("none", as: Bool.self))
        }
        #expect(first)
        // Its COMMIT was queued; the idle thread sends it, so the server does not sit inside the transaction.
        let watcher = try Connection(conninfo: url)
        func state() throws -> String? {
            try watcher.query("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]).first?.decode("state", as: String?.self)
        }
        let until = ContinuousClock.now + .seconds(2)
        while try state() != "idle", ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try state() == "idle")
        // The next transaction on that connection, read-only or not, starts fresh and sees its own writes.
        let ids = try await pool.transaction { connection -> [Int] in
            try (0..<2).map { _ in try connection.query("SELECT txid_current()::int8 AS id").first!.decode("id", as: Int.self) }
        }
        #expect(ids[0] == ids[1])
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

/// A flag one task sets and another polls.
private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// How many times transaction bodies ran, counted from several tasks.
final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
