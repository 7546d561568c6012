import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

/// The per-item bite counts the home page reads are kept by triggers (an obstacle's through its objections, an
/// opportunity's own); they must equal a count over the bites.
@Suite("Obstacle progress counts")
struct ObstacleProgressTests {
    private func recounted(_ store: Store) throws -> [UUID: (bites: Int, published: Int)] {
        let rows = try store.connection.query(
            """
            SELECT coalesce(c.opportunity_id, o.obstacle_id) AS obstacle_id, count(*) FILTER (WHERE c.status <> 'retired') AS bites,
                   count(*) FILTER (WHERE c.status = 'published') AS published
            FROM content_items c LEFT JOIN objections o ON o.id = c.objection_id
            WHERE coalesce(c.opportunity_id, o.obstacle_id) IS NOT NULL GROUP BY 1
            """
        ).rows
        return Dictionary(uniqueKeysWithValues: try rows.map {
            (try $0.decode("obstacle_id", as: UUID.self), (bites: try $0.decode("bites", as: Int.self), published: try $0.decode("published", as: Int.self)))
        })
    }

    private func expectKeptEqualsRecount(_ database: Database, _ org: UUID, _ obstacles: [UUID]) async throws {
        try await database.tenant(org) { store in
            let kept = try store.contentProgress(focusIDs: obstacles)
            let counted = try recounted(store)
            for obstacle in obstacles {
                let keep = kept[obstacle] ?? (0, 0), count = counted[obstacle] ?? (0, 0)
                #expect(keep.bites == count.bites && keep.published == count.published, "obstacle \(obstacle): kept \(keep), counted \(count)")
            }
        }
    }

    @Test(arguments: [11, 12])
    func keptCountsMatchARecountAfterRandomChanges(seed: UInt64) async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database)
        var random = SeededRandom(seed: seed)
        let obstacles = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<3).map { try store.createFocusItem(try NewFocusItem.validate(kind: "obstacle", title: "Obstacle \($0)", description: nil)).id }
        }
        let opportunities = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<2).map { try store.createFocusItem(try NewFocusItem.validate(kind: "opportunity", title: "Opportunity \($0)", description: nil)).id }
        }
        let objections = try await database.tenant(org.id, actor: admin.id) { store in
            try (0..<6).map { try store.createObjection(try NewObjection.validate(statement: "Wall \($0)", obstacleID: $0 < 5 ? obstacles[$0 % 3] : nil)).id }
        }
        let statuses: [ContentStatus] = [.todo, .inProgress, .inReview, .published, .retired]
        for step in 0..<80 {
            let action = random.next() % 100
            let status = statuses[random.int(statuses.count)]
            let objection = objections[random.int(objections.count)], other = objections[random.int(objections.count)]
            let obstacle: UUID?? = random.next() % 4 == 0 ? .some(nil) : .some(obstacles[random.int(obstacles.count)])
            let pick = random.int(1_000)
            // Some changes are refused (a second active bite, a merge into itself): those change nothing, as they should.
            // None may be refused by the counts themselves (a check constraint on obstacle_progress).
            do { _ = try await database.tenant(org.id, actor: admin.id) { store -> Int in
                let scoring = try store.scoring()
                if action < 35 {
                    let target: ContentTarget = pick % 4 == 0 ? .opportunity(opportunities[pick % 2]) : .objection(objection)
                    _ = try store.createContent(for: target, fields: ContentChanges(title: "Bite \(step)", format: .video, status: status,
                                                                                               url: .some("https://example.com/\(step)")), scoring: scoring)
                } else if action < 70 {
                    let items = try store.contentItems(objectionID: nil, status: nil, assigneeID: nil, publishedOnly: false, after: nil, limit: 200)
                    guard !items.isEmpty else { return 0 }
                    _ = try store.updateContent(id: items[pick % items.count].id,
                                                changes: ContentChanges(status: status, url: .some("https://example.com/u\(step)")),
                                                expectedVersion: nil, scoring: scoring)
                } else if action < 88 {
                    _ = try store.updateObjection(id: objection, changes: try ObjectionChanges.validate(statement: nil, obstacleID: obstacle, status: nil), expectedVersion: nil)
                } else {
                    _ = try store.mergeObjection(objection, into: other, scoring: scoring)
                }
                return 1
            } } catch let error as PostgresError where error.sqlState?.rawValue == "23514" {
                Issue.record("step \(step): the kept counts refused a change: \(error)")
            } catch {}
        }
        try await expectKeptEqualsRecount(database, org.id, obstacles + opportunities)
        await database.pool.shutdown()
    }

    @Test func bitesPulledAtOnceAllCount() async throws {
        let database = try TestDatabase.database(poolSize: 8)
        let (org, admin) = try await TestDatabase.organization(database)
        let today = Day.today()
        let obstacle = try await database.tenant(org.id, actor: admin.id) { store in
            try store.createFocusItem(try NewFocusItem.validate(kind: "obstacle", title: "Price", description: nil)).id
        }
        for index in 0..<12 {
            let objection = try await database.tenant(org.id, actor: admin.id) { store in
                try store.createObjection(try NewObjection.validate(statement: "Wall \(index)", obstacleID: obstacle)).id
            }
            let report = try NewFieldReport.validate(summary: "wall \(index)", account: "Account \(index)", dealAmount: nil, stage: nil, competitor: nil,
                                                     persona: nil, industry: nil, product: nil, occurredOn: nil, objectionID: objection, today: today)
            _ = try await database.tenant(org.id, actor: admin.id) { store in try store.fileReport(report).report.id }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    _ = try await database.tenant(org.id, actor: admin.id) { store in try store.pullNext(format: .battlecard, title: nil, scoring: try store.scoring())?.0.id }
                }
            }
            try await group.waitForAll()
        }
        let kept = try await database.tenant(org.id) { try $0.contentProgress(focusIDs: [obstacle])[obstacle] }
        #expect(kept?.bites == 12)
        #expect(kept?.published == 0)
        try await expectKeptEqualsRecount(database, org.id, [obstacle])
        await database.pool.shutdown()
    }
}
