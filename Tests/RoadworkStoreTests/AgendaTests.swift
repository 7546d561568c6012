import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("The joint review's agenda")
struct AgendaTests {
    @Test func listsExactlyTheWallsTheDataSaysForAQuarterWithKnownMovers() async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database)
        let today = Day.today()
        let ids = try await database.tenant(org.id, actor: admin.id) { store -> [String: UUID] in
            var ids: [String: UUID] = [:]
            for (name, kind) in [("X", "obstacle"), ("Y", "obstacle"), ("O", "opportunity")] {
                ids[name] = try store.createFocusItem(try NewFocusItem.validate(kind: kind, title: "Item \(name)", description: nil)).id
            }
            for (rank, name) in [(1, "X"), (2, "Y"), (1, "O")] {
                try store.connection.query("UPDATE focus_items SET status = 'top5', rank = $2 WHERE id = $1", [ids[name]!, rank])
            }
            for name in ["A", "B", "C", "D"] {
                ids[name] = try store.createObjection(try NewObjection.validate(statement: "Wall \(name)", obstacleID: name == "C" ? ids["X"] : nil)).id
            }
            // A, B and C were written down long ago; D since the last review, which closed 30 days ago.
            try store.connection.query("UPDATE objections SET created_at = now() - interval '100 days' WHERE id = ANY($1::uuid[])",
                                       [[ids["A"]!, ids["B"]!, ids["C"]!]])
            try store.connection.query(
                "INSERT INTO joint_reviews (org_id, status, opened_by, opened_at, closed_at) VALUES ($1, 'closed', $2, now() - interval '31 days', now() - interval '30 days')",
                [org.id, admin.id])
            return ids
        }
        func file(_ wall: String, _ account: String, daysAgo: Int) async throws {
            let report = try NewFieldReport.validate(summary: "It came up", account: account, dealAmount: nil, stage: nil, competitor: nil, persona: nil,
                                                     industry: nil, product: nil, occurredOn: today.adding(days: -daysAgo).description,
                                                     objectionID: ids[wall], today: today)
            _ = try await database.tenant(org.id, actor: admin.id) { try $0.fileReport(report) }
        }
        // A: one account before the last review, four in the last two weeks (up 3, and emerging). B: three before, none
        // since (down 3). C: two before and two since (no move). D: one, since.
        try await file("A", "Acme", daysAgo: 45)
        for account in ["Acme", "Globex", "Initech", "Hooli"] { try await file("A", account, daysAgo: 5) }
        for account in ["Umbrella", "Stark", "Wayne"] { try await file("B", account, daysAgo: 40) }
        for account in ["Tyrell", "Cyberdyne"] { try await file("C", account, daysAgo: 50) }
        for account in ["Tyrell", "Soylent"] { try await file("C", account, daysAgo: 20) }
        try await file("D", "Oscorp", daysAgo: 3)
        let bite = try await database.tenant(org.id, actor: admin.id) { store -> UUID in
            let item = try store.createContent(for: .objection(ids["C"]!), fields: ContentChanges(title: "C answered", format: .battlecard, status: .published,
                                                                                          url: .some("https://example.com/c")), scoring: try store.scoring())
            try store.connection.query("UPDATE content_items SET published_at = now() - interval '10 days' WHERE id = $1", [item.id])
            return item.id
        }

        let agenda = try await database.tenant(org.id) { try $0.reviewAgenda(today: today) }
        func keys(_ lines: [ReviewAgenda.Line]) -> [String] { lines.map(\.key) }
        func key(_ kind: String, _ name: String) -> String { "\(kind):\(ids[name]!.lowercasedText)" }
        #expect(keys(agenda.movers) == [key("mover", "A"), key("mover", "B"), key("mover", "D")], "D moved too: one account since, none before")
        #expect(agenda.movers.first?.detail.hasPrefix("4 accounts since the last review, 1 in the 30 days before") == true)
        #expect(keys(agenda.newWalls) == [key("new", "D"), key("emerging", "A")])
        #expect(Set(keys(agenda.uncovered)) == [key("uncovered", "A"), key("uncovered", "B"), key("uncovered", "D")])
        #expect(keys(agenda.shipped) == ["shipped:\(bite.lowercasedText)"])
        #expect(keys(agenda.stalled) == [key("stalled", "Y")], "X's wall got a bite since; Y's walls did not")
        #expect(keys(agenda.opportunities) == [key("opportunity", "O")])

        // Notes belong to the open review; another organization sees none of it.
        _ = try await database.tenant(org.id, actor: admin.id) { try $0.openReview().id }
        let line = key("mover", "A")
        try await database.tenant(org.id, actor: admin.id) { try $0.addAgendaNote(line: line, body: "Security asks keep growing") }
        let notes = try await database.tenant(org.id) { store in try store.agendaNotes(reviewID: try store.openReviewIfAny()!.id) }
        #expect(notes.map(\.line) == [key("mover", "A")] && notes.first?.body == "Security asks keep growing")
        let stranger = try await TestDatabase.organization(database).0
        let theirs = try await database.tenant(stranger.id) { try $0.reviewAgenda(today: today) }
        #expect(theirs.movers.isEmpty && theirs.newWalls.isEmpty && theirs.uncovered.isEmpty && theirs.shipped.isEmpty)
        await database.pool.shutdown()
    }
}
