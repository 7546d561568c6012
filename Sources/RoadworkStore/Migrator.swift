import Logging
import PostgresClient
import RoadworkMigrations

/// Applies the embedded migrations forward-only, each in its own transaction, recorded in `roadwork_migrations`.
public struct Migrator: Sendable {
    /// Key of the advisory lock that serializes concurrent `roadwork migrate` runs.
    static let lockKey = 7_206_112_031

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration] = RoadworkMigrations.migrations, logger: Logger = Logger(label: "roadwork.migrate")) {
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is missing and returns the versions applied now (empty when up to date).
    @discardableResult
    public func migrate(conninfo: String) throws -> [Int] {
        let connection = try Connection(conninfo: conninfo)
        // A second process waits here until the first has finished, then finds nothing left to do.
        try connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS roadwork_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = Set(try connection.query("SELECT version FROM roadwork_migrations").rows.map { try $0.decode("version", as: Int.self) })
        var done: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            do {
                try connection.transaction { connection in
                    try connection.execute(migration.sql)
                    try connection.query("INSERT INTO roadwork_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
                }
            } catch {
                throw MigrationError(version: migration.version, name: migration.name, underlying: error)
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            done.append(migration.version)
        }
        return done
    }
}

/// A migration that failed; nothing of it was kept.
public struct MigrationError: Error, CustomStringConvertible {
    public let version: Int
    public let name: String
    public let underlying: any Error
    public var description: String { "migration \(version) (\(name)) failed: \(underlying)" }
}
