import Foundation
import RoadworkDomain

/// Walls as a marketer states them, each with phrasings as reps type them, and unrelated walls around them: a set the
/// similar-objections search is measured on (`roadwork similarity-eval`, deploy/bench).
public struct SimilarityEvaluationSet: Decodable, Sendable {
    public struct Wall: Decodable, Sendable {
        public let statement: String
        public let phrasings: [String]
    }

    public let walls: [Wall]
    public let unrelated: [String]

    public static func load(_ url: URL) throws -> SimilarityEvaluationSet {
        try JSONDecoder().decode(SimilarityEvaluationSet.self, from: Data(contentsOf: url))
    }
}

/// How often the right wall came back: among the first five suggestions, and first.
public struct SimilarityScores: Sendable, Encodable {
    public let asked: Int
    public let recallAt5: Double
    public let top1: Double
    /// Share of texts whose first suggestion was confident, and share of those that were right.
    public let confident: Double
    public let confidentRight: Double
}

/// The figures of one evaluation: cold (statements only) and warm (one phrasing per wall triaged first, the others asked).
public struct SimilarityEvaluation: Sendable, Encodable {
    public let walls: Int
    public let unrelated: Int
    public let cold: SimilarityScores
    public let warm: SimilarityScores

    /// Runs the set in a new organization of `database` through the same store calls as the API (objections created,
    /// `similarObjections` asked, reports filed and triaged); the organization is left in place, named after the run.
    public static func run(_ set: SimilarityEvaluationSet, database: Database) async throws -> SimilarityEvaluation {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let admin = try NewUser.validate(email: "evaluation-\(tag)@example.com", name: "Evaluation", role: "admin",
                                         password: "evaluation-\(tag)")
        let (organization, user) = try await database.createOrganization(name: "Similarity evaluation \(tag)", admin: admin)
        let walls = try await database.tenant(organization.id, actor: user.id) { store -> [UUID] in
            let ids = try set.walls.map { try store.createObjection(try NewObjection.validate(statement: $0.statement, obstacleID: nil)).id }
            for statement in set.unrelated { _ = try store.createObjection(try NewObjection.validate(statement: statement, obstacleID: nil)) }
            return ids
        }
        let cold = try await score(database, organization.id, zip(set.walls, walls).flatMap { wall, id in wall.phrasings.map { ($0, id) } })
        try await database.tenant(organization.id, actor: user.id) { store in
            let scoring = try store.scoring()
            for (wall, id) in zip(set.walls, walls) where !wall.phrasings.isEmpty {
                let report = try NewFieldReport.validate(summary: wall.phrasings[0], account: "Evaluation", dealAmount: nil, stage: nil,
                                                         competitor: nil, persona: nil, industry: nil, product: nil, occurredOn: nil,
                                                         objectionID: nil, today: Day.today())
                let filed = try store.fileReport(report).report
                _ = try store.triageReport(id: filed.id, objectionID: id, newObjection: nil, scoring: scoring)
            }
        }
        // What a server's background teacher does a moment after each triage.
        while try await database.teachQueuedReports() > 0 {}
        let warm = try await score(database, organization.id, zip(set.walls, walls).flatMap { wall, id in wall.phrasings.dropFirst().map { ($0, id) } })
        return SimilarityEvaluation(walls: set.walls.count, unrelated: set.unrelated.count, cold: cold, warm: warm)
    }

    /// Asks each text on its own, as the report page and `GET /api/v1/objections/similar` do.
    private static func score(_ database: Database, _ orgID: UUID, _ asked: [(String, UUID)]) async throws -> SimilarityScores {
        let found = try await database.tenant(orgID) { store in try asked.map { try store.similarObjections(to: $0.0, limit: 5) } }
        var inFive = 0, first = 0, confident = 0, confidentRight = 0
        for ((_, wall), suggestions) in zip(asked, found) {
            if suggestions.contains(where: { $0.objection.id == wall }) { inFive += 1 }
            let right = suggestions.first?.objection.id == wall
            if right { first += 1 }
            if let best = suggestions.first, MatchConfidence.isConfident(best: best.similarity, runnerUp: suggestions.dropFirst().first?.similarity) {
                confident += 1
                if right { confidentRight += 1 }
            }
        }
        let count = Double(max(1, asked.count))
        return SimilarityScores(asked: asked.count, recallAt5: Double(inFive) / count, top1: Double(first) / count,
                                confident: Double(confident) / count, confidentRight: Double(confidentRight) / Double(max(1, confident)))
    }
}
