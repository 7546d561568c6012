import Foundation
import PostgresClient
import RoadworkDomain

extension Store {
    static let synonymColumns = "id, terms, version, created_at, updated_at"

    static func synonymGroup(from row: Row) throws -> SynonymGroup {
        SynonymGroup(id: try row.decode("id"), terms: try row.decode("terms"), version: try row.decode("version"),
                     createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    /// The organization's synonym groups, oldest first (a new organization starts with the starter vocabulary).
    public func synonymGroups() throws -> [SynonymGroup] {
        try connection.query("SELECT \(Self.synonymColumns) FROM synonym_groups WHERE org_id = $1 ORDER BY created_at, id", [orgID])
            .rows.map(Self.synonymGroup(from:))
    }

    public func synonymGroup(id: UUID) throws -> SynonymGroup? {
        try connection.query("SELECT \(Self.synonymColumns) FROM synonym_groups WHERE org_id = $1 AND id = $2", [orgID, id])
            .first.map(Self.synonymGroup(from:))
    }

    /// Adds a group; the search applies it from the next query on.
    public func createSynonymGroup(_ new: SynonymTerms) throws -> SynonymGroup {
        let count: Int = try connection.query("SELECT count(*) AS n FROM synonym_groups WHERE org_id = $1", [orgID]).first!.decode("n")
        if count >= 500 { throw ValidationError(field: "terms", "an organization keeps at most 500 synonym groups") }
        let group = try Self.synonymGroup(from: try connection.query(
            "INSERT INTO synonym_groups (org_id, terms) VALUES ($1, $2) RETURNING \(Self.synonymColumns)", [orgID, new.terms]
        ).first!)
        try requireSearchableTerms(group)
        try audit("synonyms.created", "synonym_group", group.id, before: Nothing?.none, after: group)
        return group
    }

    /// Replaces a group's terms.
    public func updateSynonymGroup(id: UUID, terms: SynonymTerms, expectedVersion: Int?) throws -> SynonymGroup {
        guard let before = try synonymGroup(id: id) else { throw DomainError.notFound("synonym group") }
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        guard let row = try connection.query(
            """
            UPDATE synonym_groups SET terms = $3, version = version + 1, updated_at = now()
            WHERE org_id = $1 AND id = $2 AND version = $4 RETURNING \(Self.synonymColumns)
            """, [orgID, id, terms.terms, before.version]
        ).first else { throw DomainError.staleVersion(current: before.version + 1) }
        let after = try Self.synonymGroup(from: row)
        try requireSearchableTerms(after)
        try audit("synonyms.updated", "synonym_group", id, before: before, after: after)
        return after
    }

    /// Removes a group; the search no longer widens a text by it.
    public func deleteSynonymGroup(id: UUID, expectedVersion: Int?) throws {
        guard let before = try synonymGroup(id: id) else { throw DomainError.notFound("synonym group") }
        if let expectedVersion, expectedVersion != before.version { throw DomainError.staleVersion(current: before.version) }
        try connection.query("DELETE FROM synonym_groups WHERE org_id = $1 AND id = $2", [orgID, id])
        try audit("synonyms.deleted", "synonym_group", id, before: before, after: Nothing?.none)
    }

    /// A term made only of common words ("the", "they asked") would never match; the whole change is refused instead.
    private func requireSearchableTerms(_ group: SynonymGroup) throws {
        let unusable = try connection.query(
            "SELECT t FROM unnest($2::text[]) t WHERE NOT EXISTS (SELECT FROM synonym_terms s WHERE s.org_id = $1 AND s.group_id = $3 AND s.term = t)",
            [orgID, group.terms, group.id]
        ).rows.map { try $0.decode("t", as: String.self) }
        guard unusable.isEmpty else {
            throw ValidationError(field: "terms", "\(unusable.map { "“\($0)”" }.joined(separator: ", ")) \(unusable.count == 1 ? "has" : "have") no word the search can use (only common words)")
        }
    }
}
