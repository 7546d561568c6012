import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// The longest notes a review keeps.
    public static let maxReviewNotes = 10_000

    /// Opens a joint review whose draft is today's Top 5; a second open review is a conflict.
    public func openReview(by identity: Identity) async throws -> JointReview {
        try await change(by: identity) { try $0.openReview() }
    }

    /// Replaces a review's draft lineup (and its notes, when given).
    public func setLineup(by identity: Identity, reviewID: UUID, opportunities: [UUID]?, obstacles: [UUID]?, notes: String?,
                          expectedVersion: Int?) async throws -> JointReview {
        var check = Validator()
        if opportunities == nil { check.fail("opportunities", "is required") }
        if obstacles == nil { check.fail("obstacles", "is required") }
        // Before the version is compared: a body that breaks the shape is 422 even with a stale If-Match (docs/api.md).
        Lineup.checkSize(opportunities ?? [], field: "opportunities", &check)
        Lineup.checkSize(obstacles ?? [], field: "obstacles", &check)
        Self.checkNotes(notes, &check)
        try check.finish()
        return try await change(by: identity) {
            try $0.setLineup(reviewID: reviewID, opportunities: opportunities!, obstacles: obstacles!, notes: notes, expectedVersion: expectedVersion)
        }
    }

    /// Changes one list of the open review's draft in place (move, add, remove an item); nil when no review is open.
    /// `expectedVersion`, the review's version the page showed, makes an edit of a lineup the other head changed meanwhile stale.
    public func editOpenLineup(by identity: Identity, kind: FocusKind, expectedVersion: Int? = nil,
                               _ edit: @escaping @Sendable (inout [UUID]) -> Void) async throws -> JointReview? {
        try await change(by: identity) { store in
            guard let open = try store.openReviewIfAny() else { return nil }
            var opportunities = open.lineup.opportunities
            var obstacles = open.lineup.obstacles
            if kind == .opportunity { edit(&opportunities) } else { edit(&obstacles) }
            return try store.setLineup(reviewID: open.id, opportunities: opportunities, obstacles: obstacles, notes: nil, expectedVersion: expectedVersion)
        }
    }

    /// Adds a head's note to one line of the open review's agenda (`line` as the agenda names it, e.g. "mover:<id>").
    public func addAgendaNote(by identity: Identity, line: String?, body: String?) async throws {
        var check = Validator()
        let line = check.text(line, field: "line", max: 100)
        let body = check.text(body, field: "body", max: 2000)
        try check.finish()
        try await change(by: identity) { try $0.addAgendaNote(line: line!, body: body!) }
    }

    /// Saves the open review's notes; nil when no review is open.
    public func saveReviewNotes(by identity: Identity, _ notes: String?, expectedVersion: Int? = nil) async throws -> JointReview? {
        var check = Validator()
        Self.checkNotes(notes, &check)
        try check.finish()
        return try await change(by: identity) { store in
            guard let open = try store.openReviewIfAny() else { return nil }
            return try store.setLineup(reviewID: open.id, opportunities: open.lineup.opportunities, obstacles: open.lineup.obstacles,
                                       notes: notes ?? "", expectedVersion: expectedVersion)
        }
    }

    /// Puts a wall from the backlog on the open review's obstacles: a new obstacle named after the objection, the objection
    /// linked to it, and the obstacle added to the draft, all in one transaction. Nil when no review is open.
    public func addWallToOpenReview(by identity: Identity, objectionID: UUID) async throws -> JointReview? {
        try await change(by: identity) { store in
            guard let open = try store.openReviewIfAny() else { return nil }
            guard let objection = try store.objection(id: objectionID) else { throw DomainError.notFound("objection") }
            let obstacle = try store.createFocusItem(try NewFocusItem.validate(kind: FocusKind.obstacle.rawValue, title: objection.statement,
                                                                               description: nil))
            _ = try store.updateObjection(id: objectionID, changes: try ObjectionChanges.validate(statement: nil, obstacleID: .some(obstacle.id), status: nil), expectedVersion: nil)
            return try store.setLineup(reviewID: open.id, opportunities: open.lineup.opportunities, obstacles: open.lineup.obstacles + [obstacle.id],
                                       notes: nil, expectedVersion: nil)
        }
    }

    /// Signs a review's draft as the signer's head role; the second head's signature applies it. `reviewID` nil means the
    /// open review.
    public func signOff(by identity: Identity, reviewID: UUID?, lineupVersion: Int?) async throws -> JointReview {
        guard let lineupVersion else { throw ValidationError(field: "lineup_version", "is required") }
        return try await change(by: identity) { store in
            guard let id = try reviewID ?? store.openReviewIfAny()?.id else { throw DomainError.notFound("open review") }
            return try store.signOff(reviewID: id, role: identity.role, lineupVersion: lineupVersion, scoring: try store.scoring())
        }
    }

    static func checkNotes(_ notes: String?, _ check: inout Validator) {
        if let notes, notes.count > maxReviewNotes { check.fail("notes", "must be at most \(maxReviewNotes) characters") }
    }
}
