import Foundation
import PostgresClient
import RoadworkMigrations
import RoadworkStore
import Testing

@Suite("Migrations are forward-only, recorded, and safe to run twice or at once")
struct MigrationTests {
    @Test func runningTwiceIsANoOp() throws {
        let (url, name) = try TestDatabase.scratchDatabase()
        defer { try? TestDatabase.dropScratchDatabase(name) }
        let first = try Migrator().migrate(conninfo: url)
        #expect(first == migrations.map(\.version))
        let second = try Migrator().migrate(conninfo: url)
        #expect(second.isEmpty)
    }

    @Test func twoProcessesStartingAtOnceDoNotRace() async throws {
        let (url, name) = try TestDatabase.scratchDatabase()
        defer { try? TestDatabase.dropScratchDatabase(name) }
        async let a = Task.detached { try Migrator().migrate(conninfo: url) }.value
        async let b = Task.detached { try Migrator().migrate(conninfo: url) }.value
        let (applied1, applied2) = try await (a, b)
        #expect((applied1 + applied2).sorted() == migrations.map(\.version))
        let count = try Connection(conninfo: url).query("SELECT count(*) AS n FROM roadwork_migrations").first!.decode("n", as: Int.self)
        #expect(count == migrations.count)
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let (url, name) = try TestDatabase.scratchDatabase()
        defer { try? TestDatabase.dropScratchDatabase(name) }
        let broken = migrations + [Migration(version: 9999, name: "broken", sql: "CREATE TABLE half_done (id int); SELECT 1/0;")]
        #expect(throws: MigrationError.self) { try Migrator(migrations: broken).migrate(conninfo: url) }
        let connection = try Connection(conninfo: url)
        #expect(try connection.query("SELECT to_regclass('half_done') IS NULL AS gone").first!.decode("gone", as: Bool.self))
        #expect(try connection.query("SELECT count(*) AS n FROM roadwork_migrations WHERE version = 9999").first!.decode("n", as: Int.self) == 0)
    }

    @Test func everyFileInSqlMigrationsIsEmbedded() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../sql/migrations").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let embedded = migrations.map { String(format: "%04d_%@.sql", $0.version, $0.name) }
        #expect(files == embedded)
        for (file, migration) in zip(files, migrations) {
            #expect(try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) == migration.sql)
        }
    }
}
