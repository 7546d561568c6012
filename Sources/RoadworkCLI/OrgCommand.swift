import ArgumentParser
import RoadworkDomain
import RoadworkStore

/// `roadwork org create --name … --admin-email …`: a new organization and its first admin.
struct OrgCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "org", abstract: "Manage organizations.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organization with its first admin (password from a prompt or stdin).")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Organization name.") var name: String
        @Option(help: "Email of the first admin.") var adminEmail: String
        @Option(help: "Display name of the first admin.") var adminName: String = "Administrator"

        func run() async throws {
            let config = database.config()
            let logger = Logs.bootstrap(level: config.logLevel)
            let orgName = try Organization.validateName(name)
            let password = try PasswordPrompt.read(prompt: "Password for \(adminEmail): ")
            let admin = try NewUser.validate(email: adminEmail, name: adminName, role: Role.admin.rawValue, password: password)
            let db = database.database(config, logger: logger)
            let (organization, user) = try await db.createOrganization(name: orgName, admin: admin)
            await db.pool.shutdown()
            print("created organization \(organization.name) (\(organization.id.uuidString.lowercased())) with admin \(user.email)")
        }
    }
}
