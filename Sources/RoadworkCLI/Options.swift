import ArgumentParser
import Foundation
import Logging
import PostgresClient
import RoadworkHTTP
import RoadworkStore

/// Flags shared by every command that talks to the database; each overrides its `ROADWORK_*` variable.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "libpq connection string or URL (ROADWORK_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Connections in the pool (ROADWORK_POOL_SIZE).")
    var poolSize: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (ROADWORK_LOG_LEVEL).")
    var logLevel: Logger.Level?

    /// The environment's configuration with these flags applied.
    func config() -> RoadworkConfig {
        var config = RoadworkConfig()
        if let databaseURL { config.databaseURL = databaseURL }
        if let poolSize { config.poolSize = poolSize }
        if let logLevel { config.logLevel = logLevel }
        return config
    }

    /// The database; `serving` gives every call the server's deadline (the command-line tools run long loads without one)
    /// and the read replica, if one is configured.
    func database(_ config: RoadworkConfig, logger: Logger, serving: Bool = false) -> Database {
        let deadline = serving ? config.databaseDeadline : nil
        let pool = { (url: String) in
            ConnectionPool(conninfo: url, size: max(1, config.poolSize), deadline: deadline, prepares: config.preparedStatements, logger: logger)
        }
        return Database(
            pool: pool(config.databaseURLWithConnectTimeout),
            replica: serving ? config.readDatabaseURLWithConnectTimeout.map { ReadReplica(pool: pool($0), logger: logger) } : nil,
            passwords: PasswordHasher(cost: config.bcryptCost)
        )
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Sets up structured JSON logs on stderr once per process.
enum Logs {
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "roadwork")
    }
}

/// Reads a password from the terminal without echo, or from stdin when it is not a terminal.
enum PasswordPrompt {
    static func read(prompt: String) throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            guard let pointer = getpass(prompt) else { throw ValidationError("no password given") }
            return String(cString: pointer)
        }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
        return line
    }
}
