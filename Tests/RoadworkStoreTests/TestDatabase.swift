import Foundation
import Testing

/// Connection strings of the throwaway clusters that deploy/test starts.
enum TestDatabase {
    static func url(_ variable: String = "ROADWORK_TEST_DATABASE_URL") throws -> String {
        try #require(ProcessInfo.processInfo.environment[variable], "\(variable) is not set: run the suite with deploy/test")
    }
}

import PostgresClient
import RoadworkDomain
import RoadworkStore

extension TestDatabase {
    /// The app-role database with cheap bcrypt, as the server uses it.
    static func database(poolSize: Int = 4) throws -> Database {
        Database(pool: ConnectionPool(conninfo: try url(), size: poolSize), passwords: PasswordHasher(cost: 4))
    }

    /// A fresh organization with one admin; names are random so tests never collide.
    static func organization(_ database: Database, name: String = "Org") async throws -> (Organization, User) {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let admin = try NewUser.validate(email: "admin-\(tag)@example.com", name: "Admin \(tag)", role: "admin", password: "password-\(tag)")
        return try await database.createOrganization(name: "\(name) \(tag)", admin: admin)
    }

    /// An empty database created by the owner role; dropped by `dropScratchDatabase`.
    static func scratchDatabase() throws -> (owner: String, name: String) {
        let owner = try url("ROADWORK_TEST_OWNER_URL")
        let name = "scratch_\(UUID().uuidString.prefix(8).lowercased())"
        try Connection(conninfo: owner).query("SELECT 1")
        try Connection(conninfo: owner).execute("CREATE DATABASE \(name)")
        return (owner.replacingOccurrences(of: "/roadwork_test?", with: "/\(name)?"), name)
    }

    static func dropScratchDatabase(_ name: String) throws {
        try Connection(conninfo: try url("ROADWORK_TEST_OWNER_URL")).execute("DROP DATABASE \(name) WITH (FORCE)")
    }
}
