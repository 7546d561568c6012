import Foundation
import PostgresClient
import RoadworkDomain
import RoadworkStore
import Testing

@Suite("The similar-objections search")
struct SimilaritySearchTests {
    // Re-planning it estimated pg_trgm's `%` over the statistics sample on every call: 85% of the search's time (migration 0006).
    @Test func keepsOnePlanPerSession() async throws {
        let database = try TestDatabase.database()
        let settings = try await database.unscoped { connection in
            try connection.query(
                "SELECT array_to_string(proconfig, ',') AS settings FROM pg_proc WHERE proname = 'roadwork_similar_objections'"
            ).first!.decode("settings", as: String.self)
        }
        #expect(settings.split(separator: ",").contains("plan_cache_mode=force_generic_plan"))
        await database.pool.shutdown()
    }

    @Test func ranksByLikenessUnderItsKeptPlan() async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database, name: "Alike")
        let statements = ["Pricing is too high for small teams", "Security review blocks single sign-on", "No integration with our CRM"]
        let ids = try await database.tenant(org.id, actor: admin.id) { store in
            try statements.map { try store.createObjection(try NewObjection.validate(statement: $0, obstacleID: nil)).id }
        }
        // More calls than the five custom plans a cached plan starts with, each text finding its own objection first.
        for round in 0..<3 {
            for (statement, id) in zip(statements, ids) {
                let found = try await database.tenant(org.id) { try $0.similarObjections(to: "\(statement) \(round)", limit: 5) }
                #expect(found.first?.objection.id == id)
                #expect(found.first.map { $0.similarity > 0.5 } == true)
            }
        }
        await database.pool.shutdown()
    }

    @Test func findsAnEditedStatementByItsNewWordsOnlyAndNeverADismissedOne() async throws {
        let database = try TestDatabase.database()
        let (org, admin) = try await TestDatabase.organization(database, name: "Edited")
        let (edited, dismissed) = try await database.tenant(org.id, actor: admin.id) { store in
            let edited = try store.createObjection(try NewObjection.validate(statement: "Onboarding takes too many weeks", obstacleID: nil))
            let dismissed = try store.createObjection(try NewObjection.validate(statement: "Procurement wants a paper contract", obstacleID: nil))
            _ = try store.updateObjection(id: edited.id, changes: try ObjectionChanges.validate(statement: "Audit logs cannot be exported",
                                                                                                obstacleID: nil, status: nil), expectedVersion: nil)
            _ = try store.updateObjection(id: dismissed.id, changes: try ObjectionChanges.validate(statement: nil, obstacleID: nil, status: "dismissed"),
                                          expectedVersion: nil)
            return (edited.id, dismissed.id)
        }
        // Statements are searched in their own table (migration 0007), kept equal to the objections' by triggers.
        let (byNewWords, byOldWords, byDismissed) = try await database.tenant(org.id) { store in
            (try store.similarObjections(to: "audit logs cannot be exported").map(\.objection.id),
             try store.similarObjections(to: "onboarding takes too many weeks").map(\.objection.id),
             try store.similarObjections(to: "procurement wants a paper contract").map(\.objection.id))
        }
        #expect(byNewWords == [edited])
        #expect(byOldWords.isEmpty)
        #expect(!byDismissed.contains(dismissed))
        await database.pool.shutdown()
    }
}
