import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    /// The organization's backlog parameters.
    public func scoring() throws -> BacklogScoring {
        let organization = try organization()
        return BacklogScoring(halfLifeDays: organization.halfLifeDays, referenceDealSize: organization.referenceDealSize)
    }

    /// Changes H and/or V and recomputes every objection's kept sum from its per-account rows (no report scan).
    public func updateSettings(halfLifeDays: Double?, referenceDealSize: Double?, expectedVersion: Int?) throws -> Organization {
        let before = try organization()
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        let row = try connection.query(
            """
            UPDATE organizations SET half_life_days = coalesce($2, half_life_days),
                reference_deal_size = coalesce($3, reference_deal_size), version = version + 1
            WHERE id = $1 RETURNING \(Self.organizationColumns)
            """,
            [orgID, halfLifeDays, referenceDealSize]
        ).first!
        let after = try Self.organization(from: row)
        if after.halfLifeDays != before.halfLifeDays || after.referenceDealSize != before.referenceDealSize {
            let ids = try connection.query("SELECT id FROM objections WHERE org_id = $1 AND demand_log2 IS NOT NULL", [orgID])
                .rows.map { try $0.decode("id", as: UUID.self) }
            let scoring = BacklogScoring(halfLifeDays: after.halfLifeDays, referenceDealSize: after.referenceDealSize)
            for id in ids { try recomputeDemand(objectionID: id, scoring: scoring) }
        }
        try audit("settings.updated", "organization", orgID, before: before, after: after)
        return after
    }
}
