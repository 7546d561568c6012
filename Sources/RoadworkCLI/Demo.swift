import ArgumentParser
import Foundation
import RoadworkDomain
import RoadworkStore

/// `roadwork demo`: a demo organization with one user per role, so a newcomer can sign in at once.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the demo organization: people in every role, a signed Top 5, a quarter of reports, content and feedback."
    )

    static let organizationName = "Demo Co"
    static let password = "roadwork-demo"

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Do nothing (but print how to sign in) when the demo organization already exists.")
    var ifEmpty = false

    @Option(help: "Bulk-load this many reports into the benchmark organization (Bench Co) with COPY instead; run it as the schema owner (COPY cannot pass row-level security).")
    var reports: Int?

    @Option(help: "Objections to add with --reports.")
    var objections: Int = 10_000

    @Option(help: "Distinct accounts the reports come from, with --reports.")
    var accounts: Int = 100_000

    @Option(help: "Objections whose kept aggregates are checked against a recomputation after loading.")
    var verify: Int = 20

    func run() async throws {
        let config = database.config()
        let logger = Logs.bootstrap(level: config.logLevel)
        let db = database.database(config, logger: logger)
        if let reports {
            try await BenchData(database: db).load(BulkLoadPlan(reports: reports, objections: objections, accounts: accounts,
                                                                seed: UInt64(Date().timeIntervalSince1970)), verify: verify)
            await db.pool.shutdown()
            return
        }
        defer { printSignIn() }
        if try await db.findOrganization(Self.organizationName) != nil {
            await db.pool.shutdown()
            if ifEmpty { return }
            throw ValidationError("the organization \(Self.organizationName) already exists")
        }
        let admin = try NewUser.validate(email: "admin@demo.example", name: "Ada Admin", role: "admin", password: Self.password)
        let (organization, adminUser) = try await db.createOrganization(name: Self.organizationName, admin: admin)
        var people: [Role: [UUID]] = [.admin: [adminUser.id]]
        let hash = db.passwords.hash(Self.password)
        for (role, email, name) in Self.people.dropFirst() + Self.morePeople {
            let user = try NewUser.validate(email: email, name: name, role: role.rawValue, password: Self.password)
            let id = try await db.tenant(organization.id) { try $0.createUser(user, passwordHash: hash).id }
            people[role, default: []].append(id)
        }
        var quarter = DemoQuarter(database: db, orgID: organization.id, people: people)
        try await quarter.fill()
        await db.pool.shutdown()
    }

    static let people: [(Role, String, String)] = [
        (.admin, "admin@demo.example", "Ada Admin"),
        (.salesHead, "sales.head@demo.example", "Sam Sales"),
        (.marketingHead, "marketing.head@demo.example", "Mia Marketing"),
        (.marketer, "marketer@demo.example", "Max Marketer"),
        (.rep, "rep@demo.example", "Riley Rep"),
    ]

    /// More people, so the quarter has several reps and marketers.
    static let morePeople: [(Role, String, String)] = [
        (.rep, "rep2@demo.example", "Rosa Rep"), (.rep, "rep3@demo.example", "Ravi Rep"), (.rep, "rep4@demo.example", "Rhea Rep"),
        (.rep, "rep5@demo.example", "Ron Rep"), (.marketer, "marketer2@demo.example", "Mo Marketer"),
    ]

    private func printSignIn() {
        print("Demo organization \(Self.organizationName): sign in with any of these (password \(Self.password)):")
        for (role, email, _) in Self.people { print("  \(role.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(email)") }
        print("  e.g. curl -s -X POST http://127.0.0.1:8080/api/v1/session -H 'content-type: application/json' -d '{\"email\":\"rep@demo.example\",\"password\":\"\(Self.password)\"}'")
    }
}
