import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("Did the wall stop: the figures equal a count over the raw reports")
struct WallImpactTests {
    /// The expected weeks of one publication, counted in Swift over the raw rows: reports whose objection is the wall or
    /// was merged into it (following the merge chain), distinct accounts (trimmed, case-folded) per week from the day of
    /// publication.
    private func expectedWeeks(publishedOn day: Day, reports: [(objection: UUID, account: String, day: Day)], family: Set<UUID>,
                               today: Day) -> [WallImpact.Week] {
        (-8..<8).compactMap { week in
            let start = day.adding(days: 7 * week)
            guard start <= today else { return nil }
            let accounts = Set(reports.filter { family.contains($0.objection) && $0.day >= start && $0.day < start.adding(days: 7) && $0.day <= today }
                .map { $0.account.trimmingCharacters(in: .whitespaces).lowercased() })
            return WallImpact.Week(week: week, startsOn: start, accounts: accounts.count, complete: start.adding(days: 6) <= today)
        }
    }

    @Test(arguments: [7, 8, 9])
    func figuresEqualACountOverTheRawReportsAfterRandomReportsPublicationsAndMerges(seed: UInt64) async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database)
        var random = SeededRandom(seed: seed)
        let today = Day.today()
        let walls = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<5).map { try store.createObjection(try NewObjection.validate(statement: "Wall \($0)", obstacleID: nil)).id }
        }
        let accounts = ["Acme", " acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"]
        // Bites published on days spread over the last 20 weeks, two or three per wall; reps judge some.
        for (index, wall) in walls.enumerated() {
            for bite in 0..<(2 + index % 2) {
                let published = today.adding(days: -Int(random.next() % 140))
                let helpful = Int(random.next() % 3), unhelpful = Int(random.next() % 2)
                try await database.tenant(org.id, actor: admin.id) { store in
                    let item = try store.createContent(for: .objection(wall), fields: ContentChanges(title: "Bite \(index).\(bite)", format: .battlecard,
                                                       status: .published, url: .some("https://example.com/\(index)/\(bite)")), scoring: try store.scoring())
                    try store.connection.query("UPDATE content_items SET published_at = $2::date + time '12:00' WHERE id = $1", [item.id, published])
                    for verdict in Array(repeating: true, count: helpful) + Array(repeating: false, count: unhelpful) {
                        _ = try store.addFeedback(contentID: item.id, helpful: verdict, account: nil, comment: nil)
                    }
                }
            }
        }
        for step in 0..<260 {
            let wall = walls[Int(random.next() % UInt64(walls.count))]
            let report = try NewFieldReport.validate(
                summary: "report \(step)", account: accounts[Int(random.next() % UInt64(accounts.count))], dealAmount: nil, stage: nil,
                competitor: nil, persona: nil, industry: nil, product: nil, occurredOn: today.adding(days: -Int(random.next() % 240)).description,
                objectionID: wall, today: today)
            _ = try await database.tenant(org.id, actor: admin.id) { try $0.fileReport(report) }
            if step == 120 {
                // Wall 4 into wall 3, then wall 3 into wall 0: wall 0 then counts all three, content included.
                for (source, target) in [(walls[4], walls[3]), (walls[3], walls[0])] {
                    _ = try await database.tenant(org.id, actor: admin.id) { store in try store.mergeObjection(source, into: target, scoring: try store.scoring()).id }
                }
            }
        }

        try await database.tenant(org.id) { store in
            let reports = try store.connection.query("SELECT objection_id, account, occurred_on FROM field_reports").rows.map {
                (objection: try $0.decode("objection_id", as: UUID.self), account: try $0.decode("account", as: String.self), day: try $0.decode("occurred_on", as: Day.self))
            }
            let mergedInto = Dictionary(uniqueKeysWithValues: try store.connection.query("SELECT id, merged_into_id FROM objections").rows.map {
                (try $0.decode("id", as: UUID.self), try $0.decode("merged_into_id", as: UUID?.self))
            })
            let bites = try store.connection.query(
                """
                SELECT c.id, c.objection_id, c.published_at, count(f.id) FILTER (WHERE f.helpful)::integer AS helpful,
                       count(f.id) FILTER (WHERE NOT f.helpful)::integer AS unhelpful
                FROM content_items c LEFT JOIN content_feedback f ON f.content_id = c.id GROUP BY c.id
                """).rows.map {
                (id: try $0.decode("id", as: UUID.self), objection: try $0.decode("objection_id", as: UUID.self),
                 day: Day(try $0.decode("published_at", as: Date.self)), helpful: try $0.decode("helpful", as: Int.self),
                 unhelpful: try $0.decode("unhelpful", as: Int.self))
            }
            for wall in [walls[0], walls[1], walls[2]] {
                // The wall and every objection whose merge chain ends in it.
                let family = Set(mergedInto.keys.filter { id in
                    var at: UUID? = id
                    while let current = at, current != wall { at = mergedInto[current] ?? nil }
                    return at == wall
                })
                let impact = try #require(try store.wallImpact(objectionID: wall, today: today))
                let expected = bites.filter { family.contains($0.objection) }.sorted { ($0.day, $0.id.uuidString) < ($1.day, $1.id.uuidString) }
                #expect(impact.publications.map(\.contentID) == expected.map(\.id))
                for (publication, bite) in zip(impact.publications, expected) {
                    let weeks = expectedWeeks(publishedOn: bite.day, reports: reports, family: family, today: today)
                    #expect(publication.publishedOn == bite.day)
                    #expect(publication.weeks == weeks)
                    let before = Double(weeks.filter { $0.week < 0 }.map(\.accounts).reduce(0, +)) / 8
                    let after = weeks.filter { $0.week >= 0 && $0.complete }
                    #expect(abs(publication.beforeRate - before) < 1e-9)
                    #expect(publication.weeksAfter == after.count)
                    if !after.isEmpty {
                        let rate = Double(after.map(\.accounts).reduce(0, +)) / Double(after.count)
                        #expect(abs((publication.afterRate ?? -1) - rate) < 1e-9)
                        if after.count >= 2 && before > 0 {
                            #expect(publication.verdict == (rate >= 0.8 * before ? .notStopped : rate <= 0.25 * before ? .stopped : .slowed))
                        }
                    }
                    #expect(publication.helpful == bite.helpful && publication.notHelpful == bite.unhelpful)
                }
                #expect(impact.notStopped == (impact.publications.last?.verdict == .notStopped))
            }
            #expect(try store.wallImpact(objectionID: UUID(), today: today) == nil)
        }
        let stranger = try await TestDatabase.organization(database).0
        let hidden = try await database.tenant(stranger.id) { try $0.wallImpact(objectionID: walls[0], today: today) == nil }
        #expect(hidden, "another organization's wall is not found")
        await database.pool.shutdown()
    }
}
