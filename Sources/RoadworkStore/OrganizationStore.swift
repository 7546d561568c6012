import Foundation
import PostgresClient
import RoadworkDomain

extension Database {
    /// Creates an organization with its first admin, in one transaction.
    public func createOrganization(name: String, admin: NewUser) async throws -> (Organization, User) {
        let orgID = UUID()
        let hash = passwords.hash(admin.password ?? SessionToken.generate())
        return try await tenant(orgID) { store in
            let row = try store.connection.query(
                "INSERT INTO organizations (id, name) VALUES ($1, $2) RETURNING \(Store.organizationColumns)",
                [orgID, name]
            ).first!
            let organization = try Store.organization(from: row)
            try store.audit("organization.created", "organization", orgID, before: Nothing?.none, after: ["name": name])
            let user = try store.createUser(admin, passwordHash: hash)
            return (organization, user)
        }
    }

    /// Finds an organization by id or by name, before any organization is set (command line).
    public func findOrganization(_ key: String) async throws -> UUID? {
        try await unscoped { connection in
            let rows = try connection.query("SELECT id FROM roadwork_find_organization($1)", [key]).rows
            return rows.count == 1 ? try rows[0].decode("id", as: UUID.self) : nil
        }
    }
}

extension Store {
    static let organizationColumns = "id, name, half_life_days, reference_deal_size, version, created_at"

    static func organization(from row: Row) throws -> Organization {
        Organization(
            id: try row.decode("id"),
            name: try row.decode("name"),
            halfLifeDays: try row.decode("half_life_days"),
            referenceDealSize: try row.decode("reference_deal_size"),
            version: try row.decode("version"),
            createdAt: try row.decode("created_at")
        )
    }

    /// The current organization.
    public func organization() throws -> Organization {
        guard let row = try connection.query("SELECT \(Self.organizationColumns) FROM organizations WHERE id = $1", [orgID]).first else {
            throw DomainError.notFound("organization")
        }
        return try Self.organization(from: row)
    }
}
