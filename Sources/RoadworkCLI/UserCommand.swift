import ArgumentParser
import RoadworkDomain
import RoadworkStore

/// `roadwork user add --org … --email … --name … --role …`: adds a user (password from a prompt or stdin).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user to an organization (password from a prompt or stdin).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Organization id or name.") var org: String
        @Option(help: "Email address.") var email: String
        @Option(help: "Display name.") var name: String
        @Option(help: "admin, sales_head, marketing_head, marketer or rep.") var role: String

        func run() async throws {
            let config = database.config()
            let logger = Logs.bootstrap(level: config.logLevel)
            let db = database.database(config, logger: logger)
            guard let orgID = try await db.findOrganization(org) else {
                throw ValidationError("no organization with id or name \(org)")
            }
            let password = try PasswordPrompt.read(prompt: "Password for \(email): ")
            let newUser = try NewUser.validate(email: email, name: name, role: role, password: password)
            let hash = db.passwords.hash(password)
            let user = try await db.tenant(orgID) { try $0.createUser(newUser, passwordHash: hash) }
            await db.pool.shutdown()
            print("added \(user.role.rawValue) \(user.email) (\(user.id.uuidString.lowercased()))")
        }
    }
}
