import Foundation
import RoadworkDomain
import RoadworkStore

/// The benchmark organization: people, a signed Top 5, and bulk-loaded objections and reports.
struct BenchData {
    static let organizationName = "Bench Co"
    static let password = "roadwork-bench"
    static let marketers = 16
    static let reps = 50

    let database: Database

    /// Creates the organization once (users, obstacles, an applied Top 5), then adds the plan's rows.
    func load(_ plan: BulkLoadPlan, verify samples: Int) async throws {
        let orgID = try await organization()
        let (reporters, obstacles) = try await database.tenant(orgID) { store -> ([UUID], [UUID]) in
            let users = try store.users(after: nil, limit: 500)
            let obstacles = try store.focusItems(kind: .obstacle, status: nil, after: nil, limit: 100).map(\.id)
            return (users.filter { $0.role == .rep }.map(\.id), obstacles)
        }
        let started = Date()
        try await database.tenant(orgID) { try $0.bulkLoad(plan, reporters: reporters, obstacles: obstacles, today: Day.today()) }
        // Fresh statistics, as autovacuum would gather after a load this size.
        try await database.tenant(orgID) { try $0.connection.execute("ANALYZE objections, field_reports, objection_accounts, objection_reporters") }
        print(String(format: "loaded %d reports over %d objections in %.1f s", plan.reports, plan.objections, Date().timeIntervalSince(started)))
        try await check(orgID, samples: samples)
    }

    /// Compares a random sample of kept aggregates with DESIGN.md's formula over the raw reports; throws on any difference.
    func check(_ orgID: UUID, samples: Int) async throws {
        let mismatches = try await database.tenant(orgID) { store -> [String] in
            let ids = try store.connection.query(
                "SELECT id FROM objections WHERE org_id = $1 AND status = 'open' ORDER BY random() LIMIT $2", [orgID, samples]
            ).rows.map { try $0.decode("id", as: UUID.self) }
            let now = Date()
            return try ids.compactMap { id -> String? in
                let (kept, recomputed) = try store.verifyAggregates(objectionID: id, now: now)
                guard let kept else { return recomputed.reports == 0 ? nil : "\(id): nothing kept" }
                let same = kept.accounts == recomputed.accounts && kept.reps == recomputed.reps && kept.reports == recomputed.reports
                    && abs(kept.demand - recomputed.demand) <= 1e-9 * max(1, recomputed.demand) && kept.strategic == recomputed.strategic
                    && abs(kept.valueAtStake - recomputed.valueAtStake) < 0.01 && kept.lastReportedOn == recomputed.lastReportedOn
                return same ? nil : "\(id): kept \(kept) vs recomputed \(recomputed)"
            }
        }
        guard mismatches.isEmpty else { throw BenchDataError(details: mismatches) }
        print("verified \(samples) objections: kept aggregates equal a recomputation from the raw reports")
    }

    private func organization() async throws -> UUID {
        if let id = try await database.findOrganization(Self.organizationName) { return id }
        let admin = try NewUser.validate(email: "admin@bench.example", name: "Bench Admin", role: "admin", password: Self.password)
        let (organization, _) = try await database.createOrganization(name: Self.organizationName, admin: admin)
        let hash = database.passwords.hash(Self.password)
        var people: [(Role, String)] = [(.salesHead, "sales.head@bench.example"), (.marketingHead, "marketing.head@bench.example")]
        people += (1...Self.marketers).map { (.marketer, "marketer\($0)@bench.example") }
        people += (1...Self.reps).map { (.rep, "rep\($0)@bench.example") }
        var heads: [Role: UUID] = [:]
        for (role, email) in people {
            let user = try NewUser.validate(email: email, name: email.components(separatedBy: "@")[0], role: role.rawValue, password: Self.password)
            let id = try await database.tenant(organization.id) { try $0.createUser(user, passwordHash: hash).id }
            if role.isHead { heads[role] = id }
        }
        let salesHead = heads[.salesHead]!, marketingHead = heads[.marketingHead]!
        let obstacles = try await database.tenant(organization.id, actor: salesHead) { store in
            try (1...10).map { try store.createFocusItem(try NewFocusItem.validate(kind: "obstacle", title: "Obstacle \($0)", description: nil)).id }
        }
        let review = try await database.tenant(organization.id, actor: salesHead) { try $0.openReview().id }
        let version = try await database.tenant(organization.id, actor: salesHead) {
            try $0.setLineup(reviewID: review, opportunities: [], obstacles: Array(obstacles.prefix(5)), notes: nil, expectedVersion: nil).lineup.version
        }
        for (head, role) in [(salesHead, Role.salesHead), (marketingHead, .marketingHead)] {
            _ = try await database.tenant(organization.id, actor: head) { store in
                try store.signOff(reviewID: review, role: role, lineupVersion: version, scoring: try store.scoring()).id
            }
        }
        return organization.id
    }
}

struct BenchDataError: Error, CustomStringConvertible {
    let details: [String]
    var description: String { "aggregates differ from a recomputation:\n" + details.joined(separator: "\n") }
}
