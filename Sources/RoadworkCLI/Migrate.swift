import ArgumentParser
import RoadworkStore

/// `roadwork migrate`: applies the embedded SQL migrations; safe to run twice or from two processes at once.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations (run as the schema owner).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let config = database.config()
        let logger = Logs.bootstrap(level: config.logLevel)
        let applied = try Migrator(logger: logger).migrate(conninfo: config.databaseURL)
        print(applied.isEmpty ? "database is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}
