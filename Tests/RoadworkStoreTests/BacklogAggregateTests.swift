import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("The backlog's kept aggregates always equal a from-scratch computation over the raw reports")
struct BacklogAggregateTests {
    /// Everything the reference computation needs, read straight from the raw tables.
    private func recomputed(_ store: Store, objectionID: UUID, scoring: BacklogScoring, now: Date) throws -> ScoreBreakdown {
        let reports = try store.connection.query(
            "SELECT account, occurred_on, deal_amount::float8 AS amount, reporter_id FROM field_reports WHERE counted_objection_id = $1",
            [objectionID]
        ).rows.map { CountedReport(account: try $0.decode("account"), day: try $0.decode("occurred_on"),
                                   amount: try $0.decode("amount"), reporterID: try $0.decode("reporter_id")) }
        let context = try store.connection.query(
            """
            SELECT (SELECT max(published_at)::date FROM content_items WHERE objection_id = o.id AND status = 'published') AS since,
                   (SELECT rank FROM focus_items WHERE id = o.obstacle_id AND status = 'top5') AS rank,
                   (SELECT count(*) FILTER (WHERE f.helpful) FROM content_feedback f JOIN content_items c ON c.id = f.content_id
                    WHERE c.objection_id = o.id AND c.status = 'published') AS helpful,
                   (SELECT count(*) FROM content_feedback f JOIN content_items c ON c.id = f.content_id
                    WHERE c.objection_id = o.id AND c.status = 'published') AS feedback
            FROM objections o WHERE o.id = $1
            """,
            [objectionID]
        ).first!
        let since: Day? = try context.decode("since")
        return scoring.breakdown(reports: reports, since: since, obstacleRank: try context.decode("rank"), hasPublished: since != nil,
                                 helpful: try context.decode("helpful"), feedback: try context.decode("feedback"), now: now)
    }

    @Test(arguments: [1, 2, 3])
    func keptScoresMatchARecomputationAfterRandomWrites(seed: UInt64) async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database)
        var random = SeededRandom(seed: seed)
        let today = Day.today()
        let now = Date()
        let reps = try await (0..<4).asyncMap { index in
            try await database.tenant(org.id) { store in
                try store.createUser(try NewUser.validate(email: "rep\(index)-\(UUID().uuidString.prefix(6))@example.com", name: "Rep \(index)",
                                                          role: "rep", password: "password"), passwordHash: "x").id
            }
        }
        let obstacles = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<2).map { try store.createFocusItem(try NewFocusItem.validate(kind: "obstacle", title: "Obstacle \($0)", description: nil)).id }
        }
        let objections = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<5).map { index in
                try store.createObjection(try NewObjection.validate(statement: "Wall number \(index)", obstacleID: index < 3 ? obstacles[index % 2] : nil)).id
            }
        }
        let accounts = ["Acme", "acme ", "Globex", "Initech", "Umbrella", "Hooli", "Stark"]
        for step in 0..<120 {
            let action = random.next() % 100
            let reporter = reps[Int(random.next() % UInt64(reps.count))]
            if action < 70 {
                let objection: UUID? = random.next() % 5 == 0 ? nil : objections[Int(random.next() % 5)]
                let report = try NewFieldReport.validate(
                    summary: "report \(step)", account: accounts[Int(random.next() % UInt64(accounts.count))],
                    dealAmount: random.next() % 3 == 0 ? nil : Double(random.next() % 200_000), stage: nil, competitor: nil, persona: nil,
                    industry: nil, product: nil, occurredOn: today.adding(days: -Int(random.next() % 90)).description,
                    objectionID: objection, today: today)
                _ = try await database.tenant(org.id, actor: reporter) { store in try store.fileReport(report) }
            } else if action < 80 {
                let untriaged = try await database.tenant(org.id) { try $0.reports(ReportFilter(triaged: false), after: nil, limit: 1) }
                if let report = untriaged.first {
                    let target = objections[Int(random.next() % 5)]
                    _ = try await database.tenant(org.id, actor: admin.id) { store in
                        try store.triageReport(id: report.id, objectionID: target, newObjection: nil, scoring: try store.scoring())
                    }
                }
            } else if action < 86 {
                let target = objections[Int(random.next() % 5)]
                _ = try? await database.tenant(org.id, actor: admin.id) { store in
                    let item = try store.createContent(for: .objection(target), fields: ContentChanges(title: "Bite \(step)", format: .blogPost,
                                                       status: .published, url: .some("https://example.com/\(step)")), scoring: try store.scoring())
                    return item.id
                }
            } else if action < 92 {
                let published = try await database.tenant(org.id) {
                    try $0.contentItems(objectionID: nil, status: .published, assigneeID: nil, publishedOnly: true, after: nil, limit: 50)
                }
                if !published.isEmpty {
                    let item = published[Int(random.next() % UInt64(published.count))]
                    _ = try await database.tenant(org.id, actor: reporter) { try $0.addFeedback(contentID: item.id, helpful: random2(step), account: nil, comment: nil) }
                }
            } else if action < 95 {
                let source = objections[Int(random.next() % 5)]
                let target = objections[Int(random.next() % 5)]
                _ = try? await database.tenant(org.id, actor: admin.id) { store in try store.mergeObjection(source, into: target, scoring: try store.scoring()).id }
            } else if action < 98 {
                let review = try await database.tenant(org.id, actor: admin.id) { store -> UUID in
                    if let open = try store.reviews(after: nil, limit: 1).first, open.status == .open { return open.id }
                    return try store.openReview().id
                }
                let order = random.next() % 2 == 0 ? obstacles : obstacles.reversed()
                _ = try await database.tenant(org.id, actor: admin.id) { store in
                    try store.setLineup(reviewID: review, opportunities: [], obstacles: order, notes: nil, expectedVersion: nil).id
                }
                let version = try await database.tenant(org.id) { try $0.review(id: review)!.lineup.version }
                _ = try await database.tenant(org.id, actor: admin.id) { store in
                    try store.signOff(reviewID: review, role: .salesHead, lineupVersion: version, scoring: try store.scoring()).id
                }
                _ = try await database.tenant(org.id, actor: reps[0]) { store in
                    try store.signOff(reviewID: review, role: .marketingHead, lineupVersion: version, scoring: try store.scoring()).id
                }
            } else {
                let halfLife = Double(10 + random.next() % 50)
                _ = try await database.tenant(org.id, actor: admin.id) {
                    try $0.updateSettings(halfLifeDays: halfLife, referenceDealSize: nil, expectedVersion: nil).version
                }
            }
        }
        try await database.tenant(org.id) { store in
            let scoring = try store.scoring()
            let backlog = try store.backlog(limit: 200, scoring: scoring, now: now)
            #expect(!backlog.isEmpty)
            for entry in backlog {
                let expected = try recomputed(store, objectionID: entry.objection.id, scoring: scoring, now: now)
                #expect(entry.breakdown.accounts == expected.accounts)
                #expect(entry.breakdown.reps == expected.reps)
                #expect(entry.breakdown.reports == expected.reports)
                #expect(entry.breakdown.lastReportedOn == expected.lastReportedOn)
                #expect(abs(entry.breakdown.valueAtStake - expected.valueAtStake) < 0.01)
                #expect(abs(entry.breakdown.strategic - expected.strategic) < 1e-9)
                #expect(abs(entry.breakdown.coverage - expected.coverage) < 1e-9)
                #expect(abs(entry.breakdown.demand - expected.demand) <= 1e-9 * max(1, expected.demand))
            }
            let scores = backlog.map(\.breakdown.score)
            #expect(scores == scores.sorted(by: >))
        }
        await database.pool.shutdown()
    }

    @Test func reportsFiledAtOnceForOneObjectionAllCount() async throws {
        // Each report's foreign key share-locks the objection; counting must not then deadlock with its twins.
        let database = try TestDatabase.database(poolSize: 8)
        let (org, admin) = try await TestDatabase.organization(database)
        let today = Day.today()
        let objection = try await database.tenant(org.id, actor: admin.id) { store in
            try store.createObjection(try NewObjection.validate(statement: "Too expensive for a pilot", obstacleID: nil)).id
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                group.addTask {
                    let report = try NewFieldReport.validate(
                        summary: "pilot price \(index)", account: "Account \(index % 6)", dealAmount: Double(1_000 * index), stage: nil,
                        competitor: nil, persona: nil, industry: nil, product: nil, occurredOn: nil, objectionID: objection, today: today)
                    _ = try await database.tenant(org.id, actor: admin.id) { store in try store.fileReport(report).report.id }
                }
            }
            try await group.waitForAll()
        }
        try await database.tenant(org.id) { store in
            let scoring = try store.scoring()
            let now = Date()
            let entry = try #require(try store.backlog(limit: 10, scoring: scoring, now: now).first { $0.objection.id == objection })
            let expected = try recomputed(store, objectionID: objection, scoring: scoring, now: now)
            #expect(entry.breakdown.reports == 24)
            #expect(entry.breakdown.accounts == 6)
            #expect(abs(entry.breakdown.valueAtStake - expected.valueAtStake) < 0.01)
            #expect(abs(entry.breakdown.demand - expected.demand) <= 1e-9 * max(1, expected.demand))
            #expect(entry.objection.reportCount == 24)
        }
        await database.pool.shutdown()
    }
}

private func random2(_ step: Int) -> Bool { step % 3 != 0 }

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}
