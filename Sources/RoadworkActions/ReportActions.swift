import Foundation
import RoadworkDomain
import RoadworkStore

/// A new objection as a request names it, not yet checked.
public struct ObjectionDraft: Sendable {
    public var statement: String?
    public var obstacleID: UUID?

    public init(statement: String?, obstacleID: UUID?) {
        self.statement = statement
        self.obstacleID = obstacleID
    }
}

extension Actions {
    /// Files a field report. `Store.file` does the work; the API's filing route calls it directly inside the transaction
    /// that looks its token up (one round trip), this is the same change for everyone else.
    public func file(by identity: Identity, _ draft: ReportDraft, idempotency: IdempotentRequest?, today: Day = .today(),
                     answer: @escaping @Sendable (FiledReport) throws -> (status: Int, body: String) = { _ in (201, "") }) async throws -> Filing {
        try await change(by: identity) { try $0.file(draft, today: today, idempotency: idempotency, answer: answer) }
    }

    /// Links a report to exactly one of: an objection by id, an open objection by its exact statement, or a new objection.
    public func triage(by identity: Identity, reportID: UUID, objectionID: UUID?, objectionStatement: String? = nil,
                       newObjection: ObjectionDraft?) async throws -> FieldReport {
        let named = objectionStatement.flatMap { $0.trimmed.isEmpty ? nil : $0.trimmed }
        let new = try newObjection.map { try NewObjection.validate(statement: $0.statement, obstacleID: $0.obstacleID, field: "new_objection.") }
        guard [objectionID != nil, named != nil, new != nil].filter({ $0 }).count == 1 else {
            throw ValidationError(field: "objection_id", "give either objection_id or new_objection")
        }
        return try await change(by: identity) { store in
            var picked = objectionID
            if let named {
                guard let found = try store.openObjection(statement: named) else {
                    throw ValidationError(field: "objection_statement", "names no open objection (“\(named)”); pick one from the list")
                }
                picked = found.id
            }
            return try store.triageReport(id: reportID, objectionID: picked, newObjection: new, scoring: try store.scoring())
        }
    }

    /// Triages every report in the inbox's first `limit` whose best match is confident, to that match.
    public func acceptConfidentSuggestions(by identity: Identity, limit: Int) async throws -> [AcceptedSuggestion] {
        let memo = database.suggestionMemo
        return try await change(by: identity) { store in
            try store.acceptConfidentSuggestions(limit: limit, scoring: try store.scoring(), memo: memo)
        }
    }
}
