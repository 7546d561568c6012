import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("Recognising a wall however a rep words it")
struct SimilaritySearchTests {
    /// A fresh organization with these objections, created by its admin.
    private func organization(_ database: Database, _ statements: [String]) async throws -> (UUID, UUID, [UUID]) {
        let (org, admin) = try await TestDatabase.organization(database, name: "Walls")
        let ids = try await database.tenant(org.id, actor: admin.id) { store in
            try statements.map { try store.createObjection(try NewObjection.validate(statement: $0, obstacleID: nil)).id }
        }
        return (org.id, admin.id, ids)
    }

    private func found(_ database: Database, _ orgID: UUID, _ text: String) async throws -> [UUID] {
        try await database.tenant(orgID) { try $0.similarObjections(to: text, limit: 5).map(\.objection.id) }
    }

    private func report(_ summary: String, objectionID: UUID? = nil) throws -> NewFieldReport {
        try NewFieldReport.validate(summary: summary, account: "Acme", dealAmount: nil, stage: nil, competitor: nil, persona: nil,
                                    industry: nil, product: nil, occurredOn: nil, objectionID: objectionID, today: Day.today())
    }

    static let walls = ["We have no SOC 2 report", "No native Salesforce integration", "Pricing is too high for small teams",
                        "Onboarding takes too many weeks", "Installation is fragile"]

    @Test func aRareSharedWordFindsItsWallInALongerDifferentlyWordedText() async throws {
        let database = try TestDatabase.database()
        let (org, admin, ids) = try await organization(database, Self.walls)
        #expect(try await found(database, org, "Their auditor will not let procurement move until they see the SOC 2 from us").first == ids[0])
        #expect(try await found(database, org, "reps over there live in Salesforce all day and hate switching tabs").first == ids[1])
        // The issue's own example: a short statement, a longer summary around it.
        #expect(try await found(database, org, "They asked again about single sign-on support").isEmpty)
        let sso = try await database.tenant(org, actor: admin) { try $0.createObjection(try NewObjection.validate(statement: "Your product has no single sign-on", obstacleID: nil)).id }
        #expect(try await found(database, org, "They asked again about single sign-on support").first == sso)
        await database.pool.shutdown()
    }

    @Test func fillerWordsAloneFindNothing() async throws {
        let database = try TestDatabase.database()
        let (org, _, _) = try await organization(database, Self.walls + ["They keep asking about the roadmap"])
        #expect(try await found(database, org, "they asked again about").isEmpty)
        #expect(try await found(database, org, "The buyer told us they want to know, again").isEmpty)
        await database.pool.shutdown()
    }

    @Test func aTriagedPhrasingTeachesItsObjection() async throws {
        let database = try TestDatabase.database()
        let (org, admin, ids) = try await organization(database, Self.walls)
        let asked = "the helm chart fails on their kubernetes cluster"
        #expect(try await !found(database, org, asked).contains(ids[4]))
        try await database.tenant(org, actor: admin) { store in
            let filed = try store.fileReport(try report("Their helm chart kept failing on the kubernetes cluster")).report
            _ = try store.triageReport(id: filed.id, objectionID: ids[4], newObjection: nil, scoring: try store.scoring())
        }
        // Linking queues the report; the background teacher (called directly here) teaches it a moment later.
        try await teach(database, org)
        #expect(try await found(database, org, asked).first == ids[4])
        // A report filed against an objection teaches it too.
        #expect(try await !found(database, org, "terraform module").contains(ids[3]))
        try await database.tenant(org, actor: admin) { _ = try $0.fileReport(try report("Their terraform module broke the rollout", objectionID: ids[3])) }
        try await teach(database, org)
        #expect(try await found(database, org, "terraform module").first == ids[3])
        // Moving the report to another objection moves what it taught.
        try await database.tenant(org, actor: admin) { store in
            let id = try store.reports(ReportFilter(objectionID: ids[4]), after: nil, limit: 10).first!.id
            _ = try store.triageReport(id: id, objectionID: ids[2], newObjection: nil, scoring: try store.scoring())
        }
        try await teach(database, org)
        #expect(try await found(database, org, asked).first == ids[2])
        await database.pool.shutdown()
    }

    @Test func aSynonymGroupBridgesTwoWordsUntilItIsRemoved() async throws {
        let database = try TestDatabase.database()
        let (org, admin, _) = try await organization(database, Self.walls)
        let wall = try await database.tenant(org, actor: admin) { try $0.createObjection(try NewObjection.validate(statement: "No widget engine", obstacleID: nil)).id }
        #expect(try await found(database, org, "they need the frobnicator").isEmpty)
        let group = try await database.tenant(org, actor: admin) { try $0.createSynonymGroup(try SynonymTerms.validate(["frobnicator", "widget engine"])) }
        #expect(try await found(database, org, "they need the frobnicator").first == wall)
        try await database.tenant(org, actor: admin) { try $0.deleteSynonymGroup(id: group.id, expectedVersion: group.version) }
        #expect(try await found(database, org, "they need the frobnicator").isEmpty)
        await database.pool.shutdown()
    }

    @Test func aNewOrganizationStartsWithTheStarterVocabularyAndATermOfCommonWordsIsRefused() async throws {
        let database = try TestDatabase.database()
        let (org, admin, _) = try await organization(database, [])
        let groups = try await database.tenant(org) { try $0.synonymGroups() }
        #expect(groups.count >= 30)
        #expect(groups.contains { $0.terms.contains("SSO") && $0.terms.contains("Okta") })
        await #expect(throws: ValidationError.self) {
            try await database.tenant(org, actor: admin) { _ = try $0.createSynonymGroup(try SynonymTerms.validate(["they said", "SAML"])) }
        }
        #expect(try await database.tenant(org) { try $0.synonymGroups().count } == groups.count)
        await database.pool.shutdown()
    }

    @Test func otherOrganizationsDismissedAndMergedObjectionsNeverAppear() async throws {
        let database = try TestDatabase.database()
        let (orgA, adminA, idsA) = try await organization(database, ["Procurement wants a paper contract", "Legal wants a paper contract"])
        let (orgB, _, idsB) = try await organization(database, ["Procurement wants a paper contract"])
        #expect(try await !found(database, orgA, "procurement paper contract").contains(idsB[0]))
        #expect(try await found(database, orgB, "procurement paper contract") == [idsB[0]])
        _ = try await database.tenant(orgA, actor: adminA) { store in
            try store.updateObjection(id: idsA[0], changes: try ObjectionChanges.validate(statement: nil, obstacleID: nil, status: "dismissed"),
                                      expectedVersion: nil)
        }
        #expect(try await found(database, orgA, "procurement paper contract") == [idsA[1]])
        // Merged: the source is never suggested; its statement's words now find the target.
        let (orgC, adminC, idsC) = try await organization(database, ["Okta login is missing", "Users cannot log in with their identity provider"])
        _ = try await database.tenant(orgC, actor: adminC) { try $0.mergeObjection(idsC[0], into: idsC[1], scoring: try $0.scoring()) }
        #expect(try await found(database, orgC, "okta login missing") == [idsC[1]])
        await database.pool.shutdown()
    }

    @Test func theInboxFindsSuggestionsInTheSameNumberOfStatementsForFiveReportsOrForty() async throws {
        let database = try TestDatabase.database()
        let (org, admin, ids) = try await organization(database, Self.walls)
        func statements(forReports count: Int) async throws -> (Int, Int) {
            try await database.tenant(org, actor: admin) { store in
                let before = store.connection.statementsSent
                let inbox = try store.triageInbox(limit: count)
                return (store.connection.statementsSent - before, inbox.count)
            }
        }
        try await database.tenant(org, actor: admin) { store in
            for index in 0..<40 { _ = try store.fileReport(try report("Security needs our SOC 2 report, round \(index)")) }
        }
        let (few, fewRows) = try await statements(forReports: 5)
        let (many, manyRows) = try await statements(forReports: 40)
        #expect(fewRows == 5 && manyRows == 40)
        #expect(few == many)
        let first = try await database.tenant(org) { try $0.triageInbox(limit: 1).first!.suggestions.first?.objection.id }
        #expect(first == ids[0])
        await database.pool.shutdown()
    }

    @Test func theInboxsKeptSuggestionsAnswerAsAFreshSearchThroughEveryChangeToWhatItReads() async throws {
        let database = try TestDatabase.database()
        let memo = database.suggestionMemo
        let (org, admin, ids) = try await organization(database, Self.walls)
        // Each report's suggestions as "objection-id report-count", kept or fresh.
        func inbox(_ org: UUID, kept: Bool) async throws -> (suggested: [[String]], reports: Int) {
            try await database.tenant(org, actor: admin) { store in
                let items = try store.triageInbox(limit: 50, memo: kept ? memo : nil)
                return (items.map { $0.suggestions.map { "\($0.objection.id) \($0.objection.reportCount)".lowercased() } }, items.count)
            }
        }
        func expectKeptEqualsFresh(_ org: UUID, _ step: String) async throws -> [[String]] {
            let fresh = try await inbox(org, kept: false).suggested
            #expect(try await inbox(org, kept: true).suggested == fresh, "\(step)")
            return fresh
        }
        let summaries = ["Their auditor wants the SOC 2 report first", "they need the frobnicator before go-live",
                         "procurement wants a paper contract", "the helm chart fails on their kubernetes cluster"]
        // One transaction each, so the newest-first inbox lists them in this order.
        for summary in summaries.reversed() {
            try await database.tenant(org, actor: admin) { _ = try $0.fileReport(try report(summary)) }
        }
        #expect(try await expectKeptEqualsFresh(org, "first look")[0].first?.hasPrefix(ids[0].uuidString.lowercased()) == true)
        // A second look searches nothing.
        let searches = memo.searchedReports
        _ = try await inbox(org, kept: true)
        #expect(memo.searchedReports == searches)
        #expect(memo.reusedReports >= summaries.count)

        // A new objection (its words), a synonym group, a taught report, a dismissal: each one changes an answer.
        let contract = try await database.tenant(org, actor: admin) { try $0.createObjection(try NewObjection.validate(statement: "Procurement wants a paper contract", obstacleID: nil)).id }
        #expect(try await expectKeptEqualsFresh(org, "new objection")[2].first?.hasPrefix(contract.uuidString.lowercased()) == true)
        let widget = try await database.tenant(org, actor: admin) { try $0.createObjection(try NewObjection.validate(statement: "No widget engine", obstacleID: nil)).id }
        _ = try await inbox(org, kept: true)
        _ = try await database.tenant(org, actor: admin) { try $0.createSynonymGroup(try SynonymTerms.validate(["frobnicator", "widget engine"])) }
        #expect(try await expectKeptEqualsFresh(org, "synonym group")[1].first?.hasPrefix(widget.uuidString.lowercased()) == true)
        try await database.tenant(org, actor: admin) { _ = try $0.fileReport(try report("Their helm chart kept failing on the kubernetes cluster", objectionID: ids[4])) }
        _ = try await inbox(org, kept: true)
        try await teach(database, org)
        #expect(try await expectKeptEqualsFresh(org, "taught")[3].first?.hasPrefix(ids[4].uuidString.lowercased()) == true)
        _ = try await database.tenant(org, actor: admin) { store in
            try store.updateObjection(id: ids[0], changes: try ObjectionChanges.validate(statement: nil, obstacleID: nil, status: "dismissed"),
                                      expectedVersion: nil)
        }
        #expect(try await expectKeptEqualsFresh(org, "dismissed")[0].allSatisfy { !$0.hasPrefix(ids[0].uuidString.lowercased()) })
        // A report filed against a suggested objection moves its count, not the search: the kept answer shows the new count.
        try await database.tenant(org, actor: admin) { _ = try $0.fileReport(try report("Paper contract again", objectionID: contract)) }
        #expect(try await expectKeptEqualsFresh(org, "count moved")[2].first == "\(contract) 1".lowercased())

        // Another organization with the same walls and reports gets its own objections, never the first one's kept ones.
        let (other, otherAdmin, otherIDs) = try await organization(database, Self.walls)
        for summary in summaries.reversed() {
            try await database.tenant(other, actor: otherAdmin) { _ = try $0.fileReport(try report(summary)) }
        }
        let theirs = try await database.tenant(other, actor: otherAdmin) { try $0.triageInbox(limit: 50, memo: memo) }
        #expect(theirs.first?.suggestions.first?.objection.id == otherIDs[0])
        #expect(theirs.allSatisfy { $0.suggestions.allSatisfy { $0.objection.id != contract && !ids.contains($0.objection.id) } })
        await database.pool.shutdown()
    }

    @Test func acceptingAllConfidentSuggestionsLeavesTheBacklogEqualToARecomputation() async throws {
        let database = try TestDatabase.database()
        let (org, admin, ids) = try await organization(database, Self.walls)
        let summaries = ["Their CISO wants our SOC 2 report first", "SOC 2 report again, this time from Globex",
                         "No Salesforce integration, their reps live in Salesforce", "pricing too high for a small team of five",
                         "completely unrelated: the parking lot was full"]
        let accounts = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
        try await database.tenant(org, actor: admin) { store in
            for (summary, account) in zip(summaries, accounts) {
                _ = try store.fileReport(try NewFieldReport.validate(summary: summary, account: account, dealAmount: 5000, stage: nil,
                                                                     competitor: nil, persona: nil, industry: nil, product: nil,
                                                                     occurredOn: nil, objectionID: nil, today: Day.today()))
            }
        }
        let accepted = try await database.tenant(org, actor: admin) { store in
            try store.acceptConfidentSuggestions(limit: 50, scoring: try store.scoring()).map { ($0.report.summary, $0.objection.id) }
        }
        #expect(!accepted.isEmpty)
        #expect(accepted.allSatisfy { summary, objection in
            (summary.contains("SOC 2") && objection == ids[0]) || (summary.contains("Salesforce") && objection == ids[1])
                || (summary.contains("pricing") && objection == ids[2])
        })
        #expect(!accepted.contains { $0.0.contains("parking") })
        let mismatches = try await database.tenant(org) { store in
            try ids.compactMap { id -> String? in
                let (kept, recomputed) = try store.verifyAggregates(objectionID: id)
                let same = (kept?.accounts ?? 0) == recomputed.accounts && (kept?.reports ?? 0) == recomputed.reports
                    && abs((kept?.demand ?? 0) - recomputed.demand) <= 1e-9 * max(1, recomputed.demand)
                return same ? nil : "\(id)"
            }
        }
        #expect(mismatches.isEmpty)
        let audited = try await database.tenant(org) { store in
            try store.auditEvents(objectID: nil, before: nil, limit: 200).filter { $0.action == "report.triaged" }.count
        }
        #expect(audited == accepted.count)
        // Accepting again finds nothing more to accept: the confident ones are triaged.
        let again = try await database.tenant(org, actor: admin) { try $0.acceptConfidentSuggestions(limit: 50, scoring: try $0.scoring()).count }
        #expect(again == 0)
        await database.pool.shutdown()
    }

    @Test func objectionsThatReadAlikeAreOfferedAsAMergeOfTheSmallerIntoTheLarger() async throws {
        let database = try TestDatabase.database()
        let (org, admin, ids) = try await organization(database, Self.walls)
        let twin = try await database.tenant(org, actor: admin) { store in
            _ = try store.fileReport(try report("soc 2", objectionID: ids[0]))
            return try store.createObjection(try NewObjection.validate(statement: "No SOC 2 report yet", obstacleID: nil)).id
        }
        let pairs = try await database.tenant(org) { try $0.duplicateObjections() }
        #expect(pairs.count == 1)
        #expect(pairs.first?.source.id == twin && pairs.first?.target.id == ids[0])
        await database.pool.shutdown()
    }
}

@Suite("The background teacher")
struct TeachingQueueTests {
    @Test func twoTeachersAtOnceTeachEveryQueuedReportOnceAndRespectTheCap() async throws {
        let database = try TestDatabase.database(poolSize: 6)
        let (org, admin) = try await TestDatabase.organization(database, name: "Teachers")
        let wall = try await database.tenant(org.id, actor: admin.id) { try $0.createObjection(try NewObjection.validate(statement: "Installation is fragile", obstacleID: nil)).id }
        try await database.tenant(org.id, actor: admin.id) { store in
            for index in 0..<60 {
                _ = try store.fileReport(try NewFieldReport.validate(summary: "helm chart number \(index) failed", account: "Acme \(index)",
                    dealAmount: nil, stage: nil, competitor: nil, persona: nil, industry: nil, product: nil, occurredOn: nil,
                    objectionID: wall, today: Day.today()))
            }
        }
        async let first = drain(database)
        async let second = drain(database)
        _ = try await (first, second)
        // A teacher of another test running alongside (they teach every organization) may still be committing some.
        var learned = 0, phrasings = 0
        for _ in 0..<100 {
            (learned, phrasings) = try await database.tenant(org.id) { store in
                (try store.connection.query("SELECT count(*) AS n FROM learned_reports WHERE objection_id = $1", [wall]).first!.decode("n", as: Int.self),
                 try store.connection.query("SELECT phrasings FROM objection_terms WHERE objection_id = $1 AND lexeme = 'helm'", [wall]).first!.decode("phrasings", as: Int.self))
            }
            if learned >= 50 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The first 50 reports teach; each one's words count once, whichever teacher took it.
        #expect(learned == 50)
        #expect(phrasings == 50)
        await database.pool.shutdown()
    }

    private func drain(_ database: Database) async throws -> Int {
        var total = 0
        while true {
            let taken = try await database.teachQueuedReports(limit: 7)
            total += taken
            if taken == 0 { return total }
        }
    }
}

/// Teaches what is queued, then waits for any other teacher (a server process another suite started on this database)
/// to finish what it took.
func teach(_ database: Database, _ org: UUID) async throws {
    _ = try await database.teachQueuedReports()
    for _ in 0..<100 {
        let left: Int = try await database.tenant(org) { try $0.connection.query("SELECT count(*)::integer AS n FROM teaching_queue WHERE org_id = $1", [org]).first!.decode("n") }
        if left == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
}
