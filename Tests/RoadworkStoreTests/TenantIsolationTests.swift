import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("Every organization's data is invisible to every other")
struct TenantIsolationTests {
    @Test func theServerRoleIsNotTheOwnerAndCannotBypassRowSecurity() async throws {
        let connection = try Connection(conninfo: try TestDatabase.url())
        let row = try #require(try connection.query(
            """
            SELECT r.rolsuper, r.rolbypassrls, t.tableowner = current_user AS owns
            FROM pg_roles r, pg_tables t WHERE r.rolname = current_user AND t.tablename = 'users'
            """
        ).first)
        #expect(try row.decode("rolsuper", as: Bool.self) == false)
        #expect(try row.decode("rolbypassrls", as: Bool.self) == false)
        #expect(try row.decode("owns", as: Bool.self) == false)
    }

    @Test func aQueryWithNoOrganizationSetSeesNothing() async throws {
        let database = try TestDatabase.database()
        _ = try await TestDatabase.organization(database)
        let counts = try await database.unscoped { connection in
            try ["organizations", "users", "sessions"].map { table in
                try connection.query("SELECT count(*) AS n FROM \(table)").first!.decode("n", as: Int.self)
            }
        }
        #expect(counts == [0, 0, 0])
        await database.pool.shutdown()
    }

    @Test func oneOrganizationCannotReadOrChangeAnothersUsers() async throws {
        let database = try TestDatabase.database()
        let (orgA, adminA) = try await TestDatabase.organization(database, name: "Alpha")
        let (orgB, _) = try await TestDatabase.organization(database, name: "Beta")

        let seenFromB = try await database.tenant(orgB.id) { store in
            (try store.user(id: adminA.id), try store.users(after: nil, limit: 100).map(\.id))
        }
        #expect(seenFromB.0 == nil)
        #expect(!seenFromB.1.contains(adminA.id))

        await #expect(throws: DomainError.notFound("user")) {
            try await database.tenant(orgB.id) { store in
                try store.updateUser(id: adminA.id, changes: UserChanges(name: "Hijacked"), passwordHash: nil, expectedVersion: nil)
            }
        }
        let untouched = try await database.tenant(orgA.id) { try $0.user(id: adminA.id) }
        #expect(untouched?.name == adminA.name)
        await database.pool.shutdown()
    }

    @Test func rowSecurityRejectsWritingIntoAnotherOrganization() async throws {
        let database = try TestDatabase.database()
        let (orgA, _) = try await TestDatabase.organization(database, name: "Alpha")
        let (orgB, _) = try await TestDatabase.organization(database, name: "Beta")
        await #expect {
            try await database.tenant(orgB.id) { store in
                _ = try store.connection.query(
                    "INSERT INTO users (org_id, email, name, role, password_hash) VALUES ($1, $2, 'Mole', 'admin', 'x')",
                    [orgA.id, "mole-\(UUID().uuidString.prefix(6))@example.com"]
                )
            }
        } throws: { ($0 as? PostgresError)?.sqlState == .insufficientPrivilege }
        await database.pool.shutdown()
    }

    @Test func theSimilarObjectionsSearchFindsOnlyTheCallersOrganization() async throws {
        let database = try TestDatabase.database()
        let (orgA, adminA) = try await TestDatabase.organization(database, name: "Alpha")
        let (orgB, adminB) = try await TestDatabase.organization(database, name: "Beta")
        let statement = "Security review blocks single sign-on rollout"
        let mine = try await database.tenant(orgA.id, actor: adminA.id) { store in
            try store.createObjection(try NewObjection.validate(statement: statement, obstacleID: nil)).id
        }
        _ = try await database.tenant(orgB.id, actor: adminB.id) { store in
            try store.createObjection(try NewObjection.validate(statement: statement, obstacleID: nil)).id
        }
        let found = try await database.tenant(orgA.id) { try $0.similarObjections(to: "security review blocks sign-on").map(\.objection.id) }
        #expect(found == [mine])
        // The search runs as the schema owner, so it must filter by organization itself: with none set it finds nothing.
        let unscoped = try await database.unscoped { connection in
            try connection.query("SELECT count(*) AS n FROM roadwork_match_objections(ARRAY[$1::text], 5)", [statement]).first!.decode("n", as: Int.self)
        }
        #expect(unscoped == 0)
        await database.pool.shutdown()
    }
}
