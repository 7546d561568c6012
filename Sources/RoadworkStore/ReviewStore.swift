import Foundation
import PostgresClient
import RoadworkDomain

/// What a closed review applied, kept so "what was our Top 5 last quarter?" always has an answer.
public struct ReviewSnapshot: Sendable, Codable {
    public struct Entry: Sendable, Codable {
        public let id: UUID
        public let title: String
        public let rank: Int
        public let previousRank: Int?
    }
    public struct BacklogLine: Sendable, Codable {
        public let statement: String
        public let score: Double
        public let accounts: Int
    }
    public let opportunities: [Entry]
    public let obstacles: [Entry]
    public let dropped: [String]
    public let backlog: [BacklogLine]
}

extension Store {
    static let reviewColumns = "id, status, lineup_version, opportunities, obstacles, notes, opened_at, closed_at, version"

    func review(from row: Row) throws -> JointReview {
        let id: UUID = try row.decode("id")
        let signoffs = try connection.query(
            "SELECT user_id, role, lineup_version, signed_at FROM review_signoffs WHERE review_id = $1 ORDER BY signed_at, id", [id]
        ).rows.map { Signoff(userID: try $0.decode("user_id"), role: try enumValue($0, "role"),
                             lineupVersion: try $0.decode("lineup_version"), at: try $0.decode("signed_at")) }
        return JointReview(
            id: id, status: try enumValue(row, "status"),
            lineup: Lineup(version: try row.decode("lineup_version"), opportunities: try row.decode("opportunities"),
                           obstacles: try row.decode("obstacles")),
            notes: try row.decode("notes"), signoffs: signoffs, openedAt: try row.decode("opened_at"),
            closedAt: try row.decode("closed_at"), version: try row.decode("version")
        )
    }

    /// Opens a review whose draft lineup is today's Top 5; a second open review is a conflict.
    public func openReview() throws -> JointReview {
        let top = try topFive()
        do {
            let row = try connection.query(
                "INSERT INTO joint_reviews (org_id, opportunities, obstacles, opened_by) VALUES ($1, $2, $3, $4) RETURNING \(Self.reviewColumns)",
                [orgID, top.opportunities.map(\.id), top.obstacles.map(\.id), actorID]
            ).first!
            let review = try review(from: row)
            try audit("review.opened", "joint_review", review.id, before: Nothing?.none, after: review.lineup)
            return review
        } catch let error as PostgresError where error.constraint == "joint_reviews_one_open" {
            throw DomainError.conflict("a joint review is already open")
        }
    }

    public func review(id: UUID) throws -> JointReview? {
        try connection.query("SELECT \(Self.reviewColumns) FROM joint_reviews WHERE org_id = $1 AND id = $2", [orgID, id]).first.map(review(from:))
    }

    /// The organization's open review, if there is one.
    public func openReviewIfAny() throws -> JointReview? {
        try connection.query("SELECT \(Self.reviewColumns) FROM joint_reviews WHERE org_id = $1 AND status = 'open'", [orgID]).first.map(review(from:))
    }

    /// Reviews, newest first.
    public func reviews(after cursor: (Date, UUID)?, limit: Int) throws -> [JointReview] {
        try connection.query(
            """
            SELECT \(Self.reviewColumns) FROM joint_reviews WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (opened_at, id) < ($2, $3::uuid))
            ORDER BY opened_at DESC, id DESC LIMIT $4
            """,
            [orgID, cursor?.0, cursor?.1, limit]
        ).rows.map(review(from:))
    }

    /// Replaces the draft lineup and notes; bumps the lineup version, which voids earlier sign-offs.
    public func setLineup(reviewID: UUID, opportunities: [UUID], obstacles: [UUID], notes: String?, expectedVersion: Int?) throws -> JointReview {
        guard let current = try connection.query(
            "SELECT \(Self.reviewColumns) FROM joint_reviews WHERE org_id = $1 AND id = $2 FOR UPDATE", [orgID, reviewID]
        ).first.map(review(from:)) else { throw DomainError.notFound("review") }
        if let expectedVersion, expectedVersion != current.version { throw DomainError.staleVersion(current: current.version) }
        guard current.status == .open else { throw DomainError.conflict("this review is closed") }
        let items = try connection.query(
            "SELECT \(Self.focusColumns) FROM focus_items WHERE org_id = $1 AND id = ANY($2::uuid[])", [orgID, opportunities + obstacles]
        ).rows.map(Self.focusItem(from:))
        try Lineup.validate(opportunities: opportunities, obstacles: obstacles, items: Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }))
        let row = try connection.query(
            """
            UPDATE joint_reviews SET opportunities = $3, obstacles = $4, notes = coalesce($5, notes),
                lineup_version = lineup_version + 1, version = version + 1
            WHERE org_id = $1 AND id = $2 RETURNING \(Self.reviewColumns)
            """,
            [orgID, reviewID, opportunities, obstacles, notes]
        ).first!
        let review = try review(from: row)
        try audit("review.lineup_changed", "joint_review", reviewID, before: current.lineup, after: review.lineup)
        return review
    }

    /// A head signs the current lineup version; when both heads have, the review closes and the lineup applies.
    public func signOff(reviewID: UUID, role: Role, lineupVersion: Int, scoring: BacklogScoring) throws -> JointReview {
        guard let current = try connection.query(
            "SELECT \(Self.reviewColumns) FROM joint_reviews WHERE org_id = $1 AND id = $2 FOR UPDATE", [orgID, reviewID]
        ).first.map(review(from:)) else { throw DomainError.notFound("review") }
        guard current.status == .open else { throw DomainError.conflict("this review is closed") }
        guard lineupVersion == current.lineup.version else {
            throw DomainError.conflict("the lineup changed (now version \(current.lineup.version)); review it and sign again")
        }
        try connection.query(
            """
            INSERT INTO review_signoffs (org_id, review_id, user_id, role, lineup_version) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (review_id, user_id, lineup_version) DO NOTHING
            """,
            [orgID, reviewID, actorID, role.rawValue, lineupVersion]
        )
        try audit("review.signed", "joint_review", reviewID, before: Nothing?.none, after: ["lineup_version": lineupVersion])
        let signed = try review(id: reviewID)!
        guard JointReview.isAgreed(signed.signoffs, lineupVersion: lineupVersion) else { return signed }
        try apply(signed, scoring: scoring)
        return try review(id: reviewID)!
    }

    /// Applies an agreed lineup atomically: ranks set, dropped items back to candidate, snapshot kept, review closed.
    private func apply(_ review: JointReview, scoring: BacklogScoring) throws {
        let before = try topFive()
        let previousRanks = Dictionary((before.opportunities + before.obstacles).map { ($0.id, $0.rank!) }, uniquingKeysWith: { a, _ in a })
        let kept = Set(review.lineup.opportunities + review.lineup.obstacles)
        try connection.query(
            """
            UPDATE focus_items SET status = 'candidate', rank = NULL, version = version + 1, updated_at = now()
            WHERE org_id = $1 AND status = 'top5' AND NOT (id = ANY($2::uuid[]))
            """,
            [orgID, Array(kept)]
        )
        for ids in [review.lineup.opportunities, review.lineup.obstacles] {
            for (index, id) in ids.enumerated() {
                try connection.query(
                    """
                    UPDATE focus_items SET status = 'top5', rank = $3, version = version + 1, updated_at = now()
                    WHERE org_id = $1 AND id = $2 AND status <> 'retired'
                    """,
                    [orgID, id, index + 1]
                )
            }
        }
        // Ranks are unique per kind at commit; check now so a clash answers here rather than at COMMIT.
        try connection.execute("SET CONSTRAINTS focus_items_rank_key IMMEDIATE")
        let obstacleIDs = Array(Set(before.obstacles.map(\.id) + review.lineup.obstacles))
        try refreshStrategic(obstacleIDs: obstacleIDs)
        let after = try topFive()
        let entries = { (items: [FocusItem]) in
            items.map { ReviewSnapshot.Entry(id: $0.id, title: $0.title, rank: $0.rank!, previousRank: previousRanks[$0.id]) }
        }
        let dropped = (before.opportunities + before.obstacles).filter { !kept.contains($0.id) }.map(\.title)
        let backlog = try self.backlog(limit: 5, scoring: scoring).map {
            ReviewSnapshot.BacklogLine(statement: $0.objection.statement, score: $0.breakdown.score, accounts: $0.breakdown.accounts)
        }
        let snapshot = ReviewSnapshot(opportunities: entries(after.opportunities), obstacles: entries(after.obstacles),
                                      dropped: dropped, backlog: backlog)
        try connection.query(
            "UPDATE joint_reviews SET status = 'closed', closed_at = now(), snapshot = $3::jsonb, version = version + 1 WHERE org_id = $1 AND id = $2",
            [orgID, review.id, PostgresJSON(snapshot)]
        )
        try audit("review.applied", "joint_review", review.id, before: Nothing?.none, after: snapshot)
    }

    /// The snapshot kept when a review closed, with who signed it.
    public func reviewSnapshot(id: UUID) throws -> ReviewSnapshot? {
        guard let row = try connection.query("SELECT snapshot::text AS snapshot FROM joint_reviews WHERE org_id = $1 AND id = $2", [orgID, id]).first,
              let text: String = try row.decode("snapshot") else { return nil }
        return PostgresJSONValue<ReviewSnapshot>(postgresText: text)?.value
    }
}
