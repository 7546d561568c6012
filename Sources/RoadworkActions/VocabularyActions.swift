import Foundation
import RoadworkDomain
import RoadworkStore

extension Actions {
    /// Teaches the search that these terms mean the same ("SSO, single sign-on, SAML").
    public func createSynonymGroup(by identity: Identity, terms: [String]?) async throws -> SynonymGroup {
        let terms = try SynonymTerms.validate(terms)
        return try await change(by: identity) { try $0.createSynonymGroup(terms) }
    }

    /// Replaces a synonym group's terms.
    public func editSynonymGroup(by identity: Identity, id: UUID, terms: [String]?, expectedVersion: Int?) async throws -> SynonymGroup {
        let terms = try SynonymTerms.validate(terms)
        return try await change(by: identity) { try $0.updateSynonymGroup(id: id, terms: terms, expectedVersion: expectedVersion) }
    }

    /// Forgets a synonym group.
    public func deleteSynonymGroup(by identity: Identity, id: UUID, expectedVersion: Int?) async throws {
        try await change(by: identity) { try $0.deleteSynonymGroup(id: id, expectedVersion: expectedVersion) }
    }
}
