import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Creates an open objection, optionally under an obstacle.
    public func createObjection(by identity: Identity, _ draft: ObjectionDraft) async throws -> Objection {
        let new = try NewObjection.validate(statement: draft.statement, obstacleID: draft.obstacleID)
        return try await change(by: identity) { try $0.createObjection(new) }
    }

    /// Rewords an objection, moves it under another obstacle (or none: `.some(nil)`), dismisses or reopens it.
    public func editObjection(by identity: Identity, id: UUID, statement: String?, obstacleID: UUID??, status: String?,
                              expectedVersion: Int?) async throws -> Objection {
        let changes = try ObjectionChanges.validate(statement: statement, obstacleID: obstacleID, status: status)
        return try await change(by: identity) { try $0.updateObjection(id: id, changes: changes, expectedVersion: expectedVersion) }
    }

    /// Merges a duplicate into the objection it repeats: its reports, content and wording go with it.
    public func mergeObjection(by identity: Identity, _ id: UUID, into target: UUID?) async throws -> Objection {
        guard let target else { throw ValidationError(field: "into", "is required") }
        return try await change(by: identity) { store in try store.mergeObjection(id, into: target, scoring: try store.scoring()) }
    }
}
