import Foundation
import HummingbirdTesting
import PostgresClient
import RoadworkHTTP
import RoadworkStore
import Testing

/// Reads that tolerate a little lag on a real streaming standby of the test database (deploy/test starts it). The tests
/// pause its replay and stop it, so they run one at a time.
@Suite("Reads from a read replica", .serialized)
struct ReadReplicaTests {
    @Test func lagTolerantReadsComeFromTheReplicaAndAWriterSeesTheirOwnChange() async throws {
        let replica = ReadReplica(pool: ConnectionPool(conninfo: try TestDatabase.url("ROADWORK_TEST_STANDBY_URL"), size: 2))
        let app = try TestApp(replica: replica)
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            let head = try await client.token(org.emails[.marketingHead]!)
            try await Standby.catchUp()
            // Replay paused: what the primary writes now is not on the standby.
            try await Standby.admin("SELECT pg_wal_replay_pause()")
            do {
                let statement = "Replica check \(UUID().uuidString.prefix(8))"
                try await client.call(.post, "/api/v1/objections", token: marketer, body: ["statement": statement]) { #expect($0.status == .created) }
                // The writer reads from the primary for a while; someone else reads the standby, which has not seen it yet.
                #expect(try await Self.statements(client, token: marketer).contains(statement))
                #expect(try await !Self.statements(client, token: head).contains(statement))
                #expect(replica.pool.usage.connectionsOpened > 0)
                // The lag shows in the metrics: the standby has received what it has not replayed.
                try await Task.sleep(for: .milliseconds(1100))
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let lag = String(buffer: response.body).split(separator: "\n").first { $0.hasPrefix("roadwork_db_replica_lag_seconds ") }
                    #expect((lag?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 1, "\(lag ?? "no lag line")")
                }
                try await Standby.admin("SELECT pg_wal_replay_resume()")
                try await Standby.catchUp()
                #expect(try await Self.statements(client, token: head).contains(statement))
                #expect(replica.failures == 0)
            } catch {
                try? await Standby.admin("SELECT pg_wal_replay_resume()")
                throw error
            }
        }
    }

    @Test func readsGoToThePrimaryWhileTheReplicaIsAwayAndBackAfter() async throws {
        let replica = ReadReplica(pool: ConnectionPool(conninfo: try TestDatabase.url("ROADWORK_TEST_STANDBY_URL"), size: 2), rest: .seconds(3))
        let app = try TestApp(replica: replica)
        let org = try await app.organization()
        try await app.test { client in
            let marketer = try await client.token(org.emails[.marketer]!)
            try await Standby.catchUp()
            try await client.call(.get, "/api/v1/backlog", token: marketer) { #expect($0.status == .ok) }
            let opened = replica.pool.usage.connectionsOpened
            #expect(opened > 0)
            #expect(try await Standby.control("stop -m fast") == 0)
            do {
                // Answered by the primary: one failed try, then the standby rests and is not tried.
                for path in ["/api/v1/backlog", "/api/v1/objections", "/"] {
                    try await client.call(.get, path, token: marketer, headers: [.cookie: "roadwork_session=\(marketer)"]) { #expect($0.status == .ok, "\(path)") }
                }
                #expect(replica.failures == 1)
                try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            } catch {
                _ = try? await Standby.control("start")
                throw error
            }
            #expect(try await Standby.control("start") == 0)
            try await Standby.catchUp()
            // Once its rest is over, reads go back to the standby.
            try await Task.sleep(for: .milliseconds(3100))
            try await client.call(.get, "/api/v1/backlog", token: marketer) { #expect($0.status == .ok) }
            #expect(replica.pool.usage.connectionsOpened > opened)
            #expect(replica.failures == 1)
        }
    }

    private static func statements(_ client: some TestClientProtocol, token: String) async throws -> [String] {
        try await client.call(.get, "/api/v1/objections?limit=100", token: token) { response in
            #expect(response.status == .ok)
            return (try response.object()["items"] as? [[String: Any]] ?? []).compactMap { $0["statement"] as? String }
        }
    }
}

/// The test database's streaming standby: statements as its superuser, and pg_ctl.
enum Standby {
    static func admin(_ sql: String) async throws {
        let connection = try Connection(conninfo: try TestDatabase.url("ROADWORK_TEST_STANDBY_ADMIN_URL"))
        _ = try connection.query(sql)
    }

    /// Waits (at most 30 s) until the standby has replayed everything the primary had written when called.
    static func catchUp() async throws {
        let primary = try Connection(conninfo: try TestDatabase.url())
        let lsn: String = try #require(try primary.query("SELECT pg_current_wal_lsn()::text AS lsn").first?.decode("lsn"))
        for _ in 0..<300 {
            if let standby = try? Connection(conninfo: try TestDatabase.url("ROADWORK_TEST_STANDBY_ADMIN_URL")),
               let done = try? standby.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done", [lsn]).first?.decode("done", as: Bool.self),
               done { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the standby did not catch up within 30 s")
    }

    /// Runs `pg_ctl ACTION` on the standby; its exit status. posix_spawn, not Process: the postmaster that `start` leaves
    /// running would inherit Process's descriptors and keep it waiting.
    static func control(_ action: String) async throws -> Int32 {
        let command = "\(try TestDatabase.url("ROADWORK_TEST_STANDBY_CTL")) \(action) >/dev/null 2>&1"
        return await Task.detached {
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
