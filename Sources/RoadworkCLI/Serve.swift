import ArgumentParser
import Hummingbird
import RoadworkHTTP

/// `roadwork serve`: the HTTP server; SIGTERM lets in-flight requests finish before it exits.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web app and API.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (ROADWORK_HOST).")
    var host: String?

    @Option(help: "Port to listen on (ROADWORK_PORT).")
    var port: Int?

    @Flag(inversion: .prefixedNo, help: "Mark the session cookie Secure (ROADWORK_COOKIE_SECURE).")
    var cookieSecure: Bool?

    func run() async throws {
        AllocatorTuning.keepResponseBuffers()
        var config = database.config()
        if let host { config.host = host }
        if let port { config.port = port }
        if let cookieSecure { config.cookieSecure = cookieSecure }
        try config.checkMail()
        do { try checkPageTemplates() } catch { throw ValidationError("cannot start: \(error)") }
        let logger = Logs.bootstrap(level: config.logLevel)
        let app = buildApplication(config: config, database: database.database(config, logger: logger, serving: true), logger: logger)
        try await app.runService()
    }
}
